"""What a page shows when a call fails: the API's error, and for a denial the decision's explanation.

An AccessDenied carries the engine's Decision (decided with `explain=True`, as the
authorizer always decides): the statements that denied, or for an implicit deny
the allow statements that nearly matched and what each lacked, and the condition
keys the request did not carry. The audit line holds the same facts
(`nearMisses`, `missingContextKeys`); the page shows them instead of a blank 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeconn.console.calls import status_of
from codeconn.service.errors import AccessDenied, ServiceError
from codeconn.wire.errors import WireError


@dataclass(frozen=True)
class Problem:
    """A failed call as a page shows it."""

    code: str
    message: str
    status: int
    action: str | None = None
    resource: str | None = None
    decision: str | None = None
    reason: str | None = None
    matched: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()
    missing_context_keys: tuple[str, ...] = ()

    @property
    def denied(self) -> bool:
        return self.decision is not None


def problem_for(error: ServiceError | WireError) -> Problem:
    """The page's view of `error`; a denial's explanation comes from its Decision."""
    if isinstance(error, AccessDenied):
        decision = error.decision
        return Problem(
            code=error.code, message=error.message, status=403, action=error.action, resource=error.resource,
            decision=decision.decision, reason=decision.reason(error.action),
            matched=tuple(f"{m.policy}" + (f" / {m.sid}" if m.sid else "") + f" ({m.effect})"
                          for m in decision.matched),
            near_misses=tuple(miss.describe() for miss in decision.near_misses),
            missing_context_keys=decision.missing_context_keys)
    return Problem(code=error.code, message=error.message, status=status_of(error))


__all__ = ["Problem", "problem_for"]
