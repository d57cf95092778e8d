"""A decision and the statements that made it: what every caller of the engine reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from codeconn.iam.document import PolicyKind


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    """A statement that decided, as AWS's simulator reports MatchedStatements."""

    policy: str
    sid: str | None
    effect: str
    kind: PolicyKind
    index: int

    def to_json(self) -> dict[str, object]:
        return {"policy": self.policy, "sid": self.sid, "effect": self.effect, "kind": self.kind.name.lower()}


DecisionName = Literal["allowed", "explicitDeny", "implicitDeny"]
ALLOWED: DecisionName = "allowed"
EXPLICIT_DENY: DecisionName = "explicitDeny"
IMPLICIT_DENY: DecisionName = "implicitDeny"


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: `decision`, the statements that decided, and who denied."""

    decision: DecisionName
    matched: tuple[MatchedStatement, ...] = ()
    denied_by: PolicyKind | None = None

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    def reason(self, action: str | None = None) -> str:
        """AWS's phrase for why, as it ends an AccessDenied message.

        With the action, the phrase is AWS's exactly: "because no identity-based
        policy allows the codestar-connections:CreateConnection action".
        """
        if self.decision == ALLOWED:
            return "allowed"
        kind = self.denied_by or PolicyKind.IDENTITY
        if self.decision == EXPLICIT_DENY:
            return f"with an explicit deny in {kind.with_article}"
        return f"because no {kind.value} allows the {action + ' ' if action else ''}action"


