"""A decision and the statements that made it: what every caller of the engine reads.

An implicit deny also says what was missing, as AWS's policy simulator answers
with MissingContextValues: the allow statements of the denying kind of policy
whose action matched but whose principal, resource or conditions did not, and
for each the conditions that were unmet, telling apart a key the request did not
carry from one whose value did not fit. That search runs only when the caller
asks (`Authorizer.evaluate(request, explain=True)`), so deciding stays as cheap as it was.
"""

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


@dataclass(frozen=True, slots=True)
class UnmetCondition:
    """One condition of a nearly matching statement that the request did not meet."""

    operator: str  # as written, e.g. "StringEquals"
    key: str  # as written
    path: str  # JSON path of the key in its policy
    absent: bool  # True: the request carried no value for the key

    def describe(self) -> str:
        return f"{self.key} is absent from the request" if self.absent else f"{self.operator} {self.key} is not met"


@dataclass(frozen=True, slots=True)
class NearMiss:
    """An allow statement whose action matched a denied request, and what else it needed."""

    statement: MatchedStatement
    principal_named: bool  # False: a resource-based statement whose Principal does not name the caller
    resource_matched: bool
    unmet: tuple[UnmetCondition, ...]

    @property
    def missing_keys(self) -> tuple[str, ...]:
        """The condition keys this statement tests that the request did not carry."""
        return tuple(dict.fromkeys(u.key for u in self.unmet if u.absent))

    def describe(self) -> str:
        """One line: which statement, then what it lacked."""
        sid = f" {self.statement.sid}" if self.statement.sid else f"[{self.statement.index}]"
        lacks = ([] if self.principal_named else ["its Principal does not name the caller"]) + (
            [] if self.resource_matched else ["the resource does not match"]) + [u.describe() for u in self.unmet]
        return f"statement{sid} of {self.statement.policy}: " + "; ".join(lacks)

    def to_json(self) -> dict[str, object]:
        return {**self.statement.to_json(), "principalNamed": self.principal_named,
                "resourceMatched": self.resource_matched, "missingContextKeys": list(self.missing_keys),
                "unmetConditions": [{"operator": u.operator, "key": u.key, "path": u.path, "absent": u.absent}
                                    for u in self.unmet]}


DecisionName = Literal["allowed", "explicitDeny", "implicitDeny"]
ALLOWED: DecisionName = "allowed"
EXPLICIT_DENY: DecisionName = "explicitDeny"
IMPLICIT_DENY: DecisionName = "implicitDeny"


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer: `decision`, the statements that decided, and who denied.

    `near_misses`: for an implicit deny decided with `explain=True`, the allow
    statements of the denying kind of policy that nearly matched (else empty).
    """

    decision: DecisionName
    matched: tuple[MatchedStatement, ...] = ()
    denied_by: PolicyKind | None = None
    near_misses: tuple[NearMiss, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    @property
    def missing_context_keys(self) -> tuple[str, ...]:
        """The condition keys that nearly matching statements test and the request did not carry."""
        return tuple(dict.fromkeys(key for miss in self.near_misses for key in miss.missing_keys))

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


