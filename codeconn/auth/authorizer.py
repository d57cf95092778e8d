"""PolicyAuthorizer: every action of every call, decided by the engine with the caller's and the org's policies.

For each action a handler asks about, the authorizer builds the request from the
call's `request_base` (the caller's and the request's keys, normalised once per
call) and this decision's own keys (`context.decision_context`; type-checked
against the IAM catalog), evaluates it against the caller's PolicySet plus the
organization's SCP and RCP levels, records a DecisionRecord on the call, and in
`--iam enforce` raises AccessDenied in AWS's words when the answer is a deny.

Modes:

- enforce: a deny raises AccessDenied; the record is `enforced=True`.
- audit: every action is evaluated and recorded; a deny is let through with
  `enforced=False`, so the audit log shows what enforce would have refused.
- off: nothing is evaluated; an `allowed` decision with no matched statements is
  recorded with `enforced=False`, so the audit log still lists every action
  asked, and says that no policy was consulted.

Compiled policy sets are kept per `Caller.policy_version` (which changes with any
change to the caller's policies), so repeated calls of one principal compile
nothing. A call that brings a resource-based policy (sts:AssumeRole and the
role's trust policy) compiles that set for the call.

A role trust policy, passed as the resource policy of sts:AssumeRole, must always
grant the caller; the engine applies that rule itself (PolicyKind.TRUST).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from codeconn.auth.context import decision_context
from codeconn.auth.org import OrgPolicies
from codeconn.iam import (
    ALLOWED,
    Authorizer,
    Decision,
    Policy,
    PolicySet,
)
from codeconn.iam.catalog import IamCatalog
from codeconn.service.call import Call, Caller, DecisionRecord, IamMode
from codeconn.service.errors import AccessDenied

NOT_EVALUATED = Decision(ALLOWED)
"""What `--iam off` records: allowed, with no statement behind it."""


class PolicyAuthorizer:
    """The `Authorize` protocol over codeconn.iam (see the module docstring)."""

    def __init__(self, *, mode: IamMode, org: OrgPolicies | None = None, catalog: IamCatalog | None = None,
                 cache_size: int = 1024) -> None:
        self.mode = IamMode(mode)
        self.org = org or OrgPolicies()
        self._catalog = catalog
        self._cache_size = cache_size
        self._compiled: OrderedDict[str, Authorizer] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"PolicyAuthorizer(mode={self.mode.value!r}, org_levels={list(self.org.levels)!r})"

    def __call__(self, call: Call, action: str, resource: str, *, context: Mapping[str, Any] | None = None,
                 resource_tags: Mapping[str, str] | None = None, resource_account: str | None = None,
                 resource_policy: Policy | None = None) -> Decision:
        if self.mode is IamMode.OFF:
            call.decisions.append(DecisionRecord(action, resource, NOT_EVALUATED, enforced=False))
            return NOT_EVALUATED
        decision = self.decide(call, action, resource, context=context, resource_tags=resource_tags,
                               resource_account=resource_account, resource_policy=resource_policy)
        enforce = self.mode is IamMode.ENFORCE
        call.decisions.append(DecisionRecord(action, resource, decision, enforced=enforce or decision.allowed))
        if enforce and not decision.allowed:
            principal = call.caller.principal
            raise AccessDenied(principal_arn=principal.session_arn or principal.arn, action=action,
                               resource=resource, decision=decision)
        return decision

    def organization(self) -> tuple[tuple[tuple[Policy, ...], ...], tuple[tuple[Policy, ...], ...]]:
        """The server's SCP and RCP levels (`--org-policies`), which SimulatePrincipalPolicy applies too."""
        return self.org.scps, self.org.rcps

    def decide(self, call: Call, action: str, resource: str, *, context: Mapping[str, Any] | None = None,
               resource_tags: Mapping[str, str] | None = None, resource_account: str | None = None,
               resource_policy: Policy | None = None) -> Decision:
        """The engine's decision, whatever the mode, recording and raising nothing."""
        request = call.request_base.request(action, resource, context=decision_context(context, resource_tags),
                                            resource_account=resource_account, catalog=self._catalog)
        compiled = (self._compiled_for(call.caller) if resource_policy is None
                    else Authorizer(self._policy_set(call.caller, resource_policy)))
        # explain: a denial names what the nearly matching statements lacked, for the audit log
        # (it costs nothing for a call that is allowed)
        return compiled.evaluate(request, explain=True)

    def _policy_set(self, caller: Caller, resource_policy: Policy | None = None) -> PolicySet:
        return replace(caller.policies, resource=resource_policy, scps=self.org.scps, rcps=self.org.rcps)

    def _compiled_for(self, caller: Caller) -> Authorizer:
        key = caller.policy_version
        if not key:
            return Authorizer(self._policy_set(caller))
        with self._lock:
            found = self._compiled.get(key)
            if found is not None:
                self._compiled.move_to_end(key)
                return found
        compiled = Authorizer(self._policy_set(caller))
        with self._lock:
            self._compiled[key] = compiled
            while len(self._compiled) > self._cache_size:
                self._compiled.popitem(last=False)
        return compiled
