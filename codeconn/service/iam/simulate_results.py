"""One EvaluationResult of a simulation: the engine's decision, and the details AWS documents beside it.

- MatchedStatements: the statements that decided, named by the policy's source.
- MissingContextValues: condition keys that statements concerning the action test
  and the request did not carry, from identity-based, boundary and resource-based
  policies ("This field doesn't include context keys referenced by service control
  policies"). AWS lists them on the EvaluationResult when the resource is `*`, and
  "if you include a list of resources, then any missing context values are instead
  included under the ResourceSpecificResults section".
- PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary: "true means that
  the permissions boundary does not deny the action ... the policy includes an
  Allow statement that matches the request", whatever the other policies say; so it
  is the boundary's own answer, not a reading of which policy denied first.
- OrganizationsDecisionDetail.AllowedByOrganizations: the same for the SCP levels
  (every level allows, none denies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from codeconn.iam import ALLOWED, Authorizer, Decision, Policy, PolicyKind, PolicySet, Request
from codeconn.iam.wildcards import compile_glob
from codeconn.service.iam.principals import PolicySource

Sources = dict[tuple[str, PolicyKind], PolicySource]


def _alone(policies: Sequence[Policy]) -> Authorizer:
    """The policies read as the only identity-based policies: allows iff one allows and none denies."""
    return Authorizer(PolicySet(identity=tuple(policies)))


@dataclass
class ResultWriter:
    """Writes the EvaluationResult of each request decided against one policy set."""

    policies: PolicySet
    sources: Sources
    _boundary: Authorizer | None = field(init=False)
    _scps: tuple[Authorizer, ...] = field(init=False)

    def __post_init__(self) -> None:
        self._boundary = _alone(self.policies.boundaries) if self.policies.boundaries else None
        self._scps = tuple(_alone(level) for level in self.policies.scps)

    def result(self, request: Request, decision: Decision) -> dict[str, Any]:
        matched = self._matched(decision)
        missing = self._missing_keys(request)
        out: dict[str, Any] = {"EvalActionName": request.action, "EvalResourceName": request.resource,
                               "EvalDecision": decision.decision, "MatchedStatements": matched}
        boundary = self._boundary_detail(request)
        if request.resource == "*":
            out["MissingContextValues"] = missing
        else:
            out["MissingContextValues"] = []
            specific: dict[str, Any] = {"EvalResourceName": request.resource,
                                        "EvalResourceDecision": decision.decision, "MatchedStatements": matched,
                                        "MissingContextValues": missing}
            if boundary is not None:
                specific["PermissionsBoundaryDecisionDetail"] = boundary
            out["ResourceSpecificResults"] = [specific]
        if boundary is not None:
            out["PermissionsBoundaryDecisionDetail"] = boundary
        if self._scps:
            out["OrganizationsDecisionDetail"] = {"AllowedByOrganizations": self._allowed_by_organizations(request)}
        return out

    def _matched(self, decision: Decision) -> list[dict[str, str]]:
        sources = (self.sources.get((m.policy, m.kind)) or PolicySource(m.policy, "none") for m in decision.matched)
        return [{"SourcePolicyId": source.id, "SourcePolicyType": source.type} for source in sources]

    def _boundary_detail(self, request: Request) -> dict[str, bool] | None:
        if self._boundary is None:
            return None
        alone = self._boundary.evaluate(replace(request, cross_account=False))
        return {"AllowedByPermissionsBoundary": alone.decision == ALLOWED}

    def _allowed_by_organizations(self, request: Request) -> bool:
        if request.principal.service_linked:  # SCPs do not restrict service-linked roles
            return True
        same_account = replace(request, cross_account=False)
        return all(level.evaluate(same_account).decision == ALLOWED for level in self._scps)

    def _missing_keys(self, request: Request) -> list[str]:
        """Keys tested by statements that concern the action (not the SCPs'), absent from the context."""
        found: dict[str, str] = {}
        p = self.policies
        for policy in (*p.identity, *p.boundaries, *p.session, *([p.resource] if p.resource else [])):
            for statement in policy.statements:
                patterns = statement.actions if statement.actions is not None else statement.not_actions or ()
                hit = any(compile_glob(pattern, ignore_case=True)(request.action) for pattern in patterns)
                if hit == (statement.actions is not None):
                    for condition in statement.conditions:
                        if condition.key.lower() not in request.context:
                            found.setdefault(condition.key.lower(), condition.key)
        return sorted(found.values())


__all__ = ["ResultWriter", "Sources"]
