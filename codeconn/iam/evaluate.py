"""AWS's policy evaluation logic, over compiled policy sets.

The order of the steps is AWS's (IAM User Guide, "Policy evaluation logic" and
"Cross-account policy evaluation logic"):

1. an explicit Deny in any applicable policy decides: explicitDeny;
2. each level of resource control policies must allow (RCPs do not restrict
   service-linked roles);
3. each level of service control policies must allow (SCPs do not restrict
   service principals nor service-linked roles);
4. within one account, a resource-based policy that allows the caller directly
   (its user or session ARN, or `*`) allows; one that names the role of a
   session allows if the permissions boundary and the session policy do too;
   one that names the account delegates to the identity-based policies;
5. across accounts, the resource-based policy must allow (naming the caller or
   its account) and so must the caller's identity-based policies;
6. identity-based policies, then the permissions boundary, then the session
   policy must allow; the account root needs no identity-based allow.

A role trust policy (the resource-based policy of sts:AssumeRole) is stricter
than other resource-based policies: it must grant the caller in every case, even
within one account, where an identity-based allow alone would otherwise do (IAM
User Guide, "Roles terms and concepts": a trust policy defines who can assume the
role); its denials are reported as the role trust policy's.

A decision carries the statements that decided and, for a deny, the kind of
policy that denied, in AWS's AccessDenied wording.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from codeconn.iam.compiled import ActionIndex, CompiledStatement, Grant
from codeconn.iam.decision import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Decision,
    MatchedStatement,
    NearMiss,
)
from codeconn.iam.document import Policy, PolicyKind
from codeconn.iam.explain import near_misses
from codeconn.iam.request import Principal, PrincipalType, Request


@dataclass(frozen=True)
class PolicySet:
    """Every policy that can bear on a request, grouped as AWS's evaluation logic groups them.

    `boundaries` are the documents of the one permissions boundary (AWS allows one;
    several documents are read as one boundary). `scps` and `rcps` hold one list of
    policies per level of the organization (root, OUs, account); every level must allow.
    An empty tuple means that kind of policy does not apply.
    """

    identity: Sequence[Policy] = ()
    resource: Policy | None = None
    boundaries: Sequence[Policy] = ()
    session: Sequence[Policy] = ()
    scps: Sequence[Sequence[Policy]] = ()
    rcps: Sequence[Sequence[Policy]] = ()


@dataclass(slots=True)
class _Level:
    kind: PolicyKind
    index: ActionIndex


@dataclass(slots=True)
class Authorizer:
    """A policy set compiled once; `evaluate` decides requests against it."""

    policies: PolicySet
    _identity: ActionIndex = field(init=False)
    _resource: ActionIndex | None = field(init=False)
    _boundary: ActionIndex | None = field(init=False)
    _session: ActionIndex | None = field(init=False)
    _scps: tuple[ActionIndex, ...] = field(init=False)
    _rcps: tuple[ActionIndex, ...] = field(init=False)
    _simple: bool = field(init=False)
    _resource_kind: PolicyKind = field(init=False)  # RESOURCE, or TRUST for a role trust policy

    def __post_init__(self) -> None:
        p = self.policies
        self._identity = ActionIndex(p.identity)
        self._resource = ActionIndex([p.resource]) if p.resource is not None else None
        self._resource_kind = p.resource.kind if p.resource is not None else PolicyKind.RESOURCE
        self._boundary = ActionIndex(p.boundaries) if p.boundaries else None
        self._session = ActionIndex(p.session) if p.session else None
        self._scps = tuple(ActionIndex(level) for level in p.scps)
        self._rcps = tuple(ActionIndex(level) for level in p.rcps)
        self._simple = not (self._resource or self._boundary or self._session or self._scps or self._rcps)

    def evaluate(self, request: Request, *, explain: bool = False) -> Decision:
        """Decide `request`; with `explain`, an implicit deny also names its near misses."""
        if self._simple and not request.cross_account and request.principal.type in _IDENTITY_CALLERS:
            decision = self._identity_only(request)
        else:
            decision = self._full(request)
        if explain and decision.decision == IMPLICIT_DENY:
            return replace(decision, near_misses=self._near_misses(decision, request))
        return decision

    def _near_misses(self, decision: Decision, request: Request) -> tuple[NearMiss, ...]:
        """The allow statements of the kind of policy that denied (the first level that did not
        allow, for SCPs and RCPs) whose action matched, with what each lacked."""
        kind = decision.denied_by or PolicyKind.IDENTITY
        index: ActionIndex | None
        if kind in (PolicyKind.SCP, PolicyKind.RCP):
            levels = self._scps if kind is PolicyKind.SCP else self._rcps
            index = next((level for level in levels if not _allows(level, request, request.principal)), None)
        else:
            index = {PolicyKind.IDENTITY: self._identity, PolicyKind.RESOURCE: self._resource,
                     PolicyKind.TRUST: self._resource, PolicyKind.BOUNDARY: self._boundary,
                     PolicyKind.SESSION: self._session}.get(kind)
        return near_misses(index.candidates(request.action_key)[1], request) if index is not None else ()

    # The common case (identity-based policies only) kept apart so it stays short:
    # one call per candidate statement, and no allocation when one statement decides.
    def _identity_only(self, request: Request) -> Decision:
        denies, allows = self._identity.candidates(request.action_key)
        for group in (denies, allows) if denies else (allows,):
            first: CompiledStatement | None = None
            more: list[MatchedStatement] | None = None
            for s in group:
                if s.applies(request):
                    if first is None:
                        first = s
                    elif more is None:
                        more = [first.matched, s.matched]
                    else:
                        more.append(s.matched)
            if first is not None:
                if more is None:
                    return first.alone
                return Decision(first.alone.decision, tuple(more), first.alone.denied_by)
        return _NO_IDENTITY_ALLOW

    def _full(self, request: Request) -> Decision:
        principal = request.principal
        key = request.action_key
        is_service = principal.type is PrincipalType.SERVICE
        uses_identity = principal.type in _IDENTITY_CALLERS
        resource_kind = self._resource_kind
        levels: list[tuple[PolicyKind, ActionIndex]] = []
        if uses_identity:
            levels.append((PolicyKind.IDENTITY, self._identity))
        if self._resource is not None:
            levels.append((resource_kind, self._resource))
        if uses_identity and self._boundary is not None:
            levels.append((PolicyKind.BOUNDARY, self._boundary))
        # Session policies exist only for sessions (assumed roles, federated users), not IAM users.
        session = self._session if principal.type in _SESSION_CALLERS else None
        if session is not None:
            levels.append((PolicyKind.SESSION, session))
        scps = () if is_service or principal.service_linked else self._scps
        rcps = () if principal.service_linked else self._rcps
        levels.extend((PolicyKind.SCP, level) for level in scps)
        levels.extend((PolicyKind.RCP, level) for level in rcps)

        # 1. explicit deny anywhere
        denied: list[MatchedStatement] = []
        denied_by: PolicyKind | None = None
        for kind, index in levels:
            for stmt in index.candidates(key)[0]:
                if _statement_applies(stmt, request, principal):
                    denied.append(stmt.matched)
                    denied_by = denied_by or kind
        if denied:
            return Decision(EXPLICIT_DENY, tuple(denied), denied_by)

        # 2, 3. every level of RCPs, then SCPs, must allow
        for kind, group in ((PolicyKind.RCP, rcps), (PolicyKind.SCP, scps)):
            for index in group:
                if not _allows(index, request, principal):
                    return Decision(IMPLICIT_DENY, (), kind)

        # 4, 5. resource-based policy
        resource_hits: list[MatchedStatement] = []
        grant: Grant | None = None
        if self._resource is not None:
            for stmt in self._resource.candidates(key)[1]:
                if stmt.principal is None or not stmt.applies(request):
                    continue
                this = stmt.principal(principal)
                if this is not None:
                    resource_hits.append(stmt.matched)
                    grant = _stronger(grant, this)
        if grant is None and resource_kind is PolicyKind.TRUST:
            return Decision(IMPLICIT_DENY, (), PolicyKind.TRUST)
        if not uses_identity:
            # The root of the resource's account and AWS services need no identity-based allow.
            if principal.type is PrincipalType.ROOT and not request.cross_account:
                return Decision(ALLOWED, tuple(resource_hits))
            if grant is not None:
                return Decision(ALLOWED, tuple(resource_hits))
            return Decision(IMPLICIT_DENY, (), resource_kind)

        cross = request.cross_account
        if cross and grant is None:
            return Decision(IMPLICIT_DENY, (), resource_kind)
        if not cross and grant is Grant.DIRECT:
            return Decision(ALLOWED, tuple(resource_hits))

        # 6. identity-based policies (not needed when a same-account grant names the role),
        #    then the permissions boundary and the session policy.
        identity_hits = _allowing(self._identity, request, principal)
        if not identity_hits and not (grant is Grant.ROLE and not cross):
            return Decision(IMPLICIT_DENY, (), PolicyKind.IDENTITY)
        if self._boundary is not None and not _allows(self._boundary, request, principal):
            return Decision(IMPLICIT_DENY, (), PolicyKind.BOUNDARY)
        if session is not None and not _allows(session, request, principal):
            return Decision(IMPLICIT_DENY, (), PolicyKind.SESSION)
        return Decision(ALLOWED, tuple(identity_hits) + tuple(resource_hits))


_NO_IDENTITY_ALLOW = Decision(IMPLICIT_DENY, (), PolicyKind.IDENTITY)
_SESSION_CALLERS = frozenset({PrincipalType.ROLE_SESSION, PrincipalType.FEDERATED_USER})
_IDENTITY_CALLERS = frozenset({PrincipalType.USER, PrincipalType.ROLE_SESSION, PrincipalType.FEDERATED_USER})
_STRENGTH = {None: 0, Grant.ACCOUNT: 1, Grant.ROLE: 2, Grant.DIRECT: 3}


def _stronger(a: Grant | None, b: Grant) -> Grant:
    return b if _STRENGTH[b] > _STRENGTH[a] else a  # type: ignore[return-value]


def _statement_applies(stmt: CompiledStatement, request: Request, principal: Principal) -> bool:
    if stmt.principal is not None and stmt.principal(principal) is None:
        return False
    return stmt.applies(request)


def _allowing(index: ActionIndex, request: Request, principal: Principal) -> list[MatchedStatement]:
    return [s.matched for s in index.candidates(request.action_key)[1] if _statement_applies(s, request, principal)]


def _allows(index: ActionIndex, request: Request, principal: Principal) -> bool:
    return any(_statement_applies(s, request, principal) for s in index.candidates(request.action_key)[1])


def evaluate(policies: PolicySet, request: Request, *, explain: bool = False) -> Decision:
    """Decide one request; to decide many against the same policies, keep an `Authorizer`."""
    return Authorizer(policies).evaluate(request, explain=explain)
