"""Statements compiled into tests, and an index from action to the statements that can apply.

Compiling happens once per policy set; deciding a request then only looks at
the statements whose Action can match it (looked up by the lower-cased action,
memoised per evaluator), so the cost of a decision grows with the statements
that concern the request, not with the size of the policies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from codeconn.iam.conditions import Predicate, compile_condition
from codeconn.iam.decision import ALLOWED, EXPLICIT_DENY, Decision, MatchedStatement
from codeconn.iam.document import Condition, Effect, Policy, Principals, Statement
from codeconn.iam.request import Principal, PrincipalType, Request
from codeconn.iam.variables import parse_template
from codeconn.iam.wildcards import compile_arn, compile_glob, has_wildcard


class Grant(Enum):
    """How a resource-based policy's Principal element named the caller.

    AWS's evaluation logic treats these differently within one account: a grant
    to the caller itself (user ARN, session ARN, `*`) stands on its own; a grant
    to a role ARN is still limited by the session's boundary and session policy;
    a grant to the account delegates to the account's identity-based policies.
    """

    DIRECT = "direct"
    ROLE = "role"
    ACCOUNT = "account"


PrincipalTest = Callable[[Principal], Grant | None]
RequestTest = Callable[[Request], bool]


@dataclass(frozen=True, slots=True, eq=False)
class CompiledStatement:
    """One statement as tests; compared by identity, so a tuple of them is a cheap dict key."""

    ordinal: int  # position across the whole policy list, to report in document order
    deny: bool
    matched: MatchedStatement
    principal: PrincipalTest | None  # None: no Principal element (identity-based kinds)
    applies: RequestTest  # Resource and Condition (Action is settled by the index; Principal apart)
    alone: Decision  # the decision when this statement is the only one that decides
    resource: RequestTest | None  # `applies`'s parts, kept apart to explain a near miss
    conditions: tuple[tuple[Condition, Predicate], ...]


# -- resources and conditions, composed into one test ------------------------------------

def _resource_matcher(pattern: str, variables: bool) -> tuple[Callable[[str], bool] | None, RequestTest | None]:
    """(test of the resource string, or None) when the pattern is literal; else (None, test of the request)."""
    template = parse_template(pattern) if variables else None
    if template is None:
        return compile_arn(pattern), None

    def with_variables(request: Request) -> bool:
        resolved = template.resolve(request.context)
        if resolved is None:
            return False
        value, marks = resolved
        return compile_arn(value, literal_marks=marks)(request.resource)

    return None, with_variables


def _resource_test(stmt: Statement, variables: bool) -> RequestTest | None:
    """A test of the request's resource, or None when every resource matches."""
    patterns = stmt.resources if stmt.resources is not None else stmt.not_resources
    if patterns is None or (stmt.resources is not None and "*" in patterns):
        return None
    pairs = [_resource_matcher(p, variables) for p in patterns]
    if len(pairs) == 1 and stmt.not_resources is None:
        static, dynamic = pairs[0]
        if static is not None:
            return lambda request: static(request.resource)
        assert dynamic is not None
        return dynamic
    tests: tuple[RequestTest, ...] = tuple(
        dynamic if dynamic is not None else (lambda request, m=static: m(request.resource))  # type: ignore[misc]
        for static, dynamic in pairs)
    if stmt.not_resources is not None:
        return lambda request: not any(t(request) for t in tests)
    return lambda request: any(t(request) for t in tests)


def _always(_request: Request) -> bool:
    return True


def _compose(resource: RequestTest | None, conditions: tuple[Predicate, ...]) -> RequestTest:
    """Resource and conditions as one closure: the hot path makes one call per statement."""
    if not conditions:
        return resource or _always
    if len(conditions) == 1:
        (c1,) = conditions
        if resource is None:
            return lambda request: c1(request.context)
        return lambda request: resource(request) and c1(request.context)
    if len(conditions) == 2:
        c1, c2 = conditions
        if resource is None:
            return lambda request: c1(request.context) and c2(request.context)
        return lambda request: resource(request) and c1(request.context) and c2(request.context)

    def test(request: Request) -> bool:
        if resource is not None and not resource(request):
            return False
        ctx = request.context
        return all(c(ctx) for c in conditions)

    return test


# -- principals ------------------------------------------------------------------------

def _account_of(value: str) -> str | None:
    if re.fullmatch(r"\d{12}", value):
        return value
    m = re.fullmatch(r"arn:[\w-]+:iam::(\d{12}):root", value)
    return m.group(1) if m else None


def _grant(spec: Principals, principal: Principal) -> Grant | None:
    if spec.wildcard:
        return Grant.DIRECT
    if principal.type is PrincipalType.SERVICE:
        return Grant.DIRECT if principal.arn in spec.service else None
    if principal.arn in spec.federated or principal.arn in spec.canonical_user:
        return Grant.DIRECT
    # The caller named as itself: its user, federated-user or role-session ARN. A role given
    # without a session has only the role's ARN, and naming that is a grant to the role.
    own = principal.session_arn or (None if principal.type is PrincipalType.ROLE_SESSION else principal.arn)
    best: Grant | None = None
    for value in spec.aws:
        if value == own:
            return Grant.DIRECT
        if principal.role_arn is not None and value == principal.role_arn:
            best = Grant.ROLE
        elif best is None and principal.account is not None and _account_of(value) == principal.account:
            best = Grant.DIRECT if principal.type is PrincipalType.ROOT else Grant.ACCOUNT
    return best


def _excluded(spec: Principals, principal: Principal) -> bool:
    """NotPrincipal excludes a caller only when it lists every identifier of it (AWS: the
    account, the role and the session for a role session; the account and the user for a user)."""
    if spec.wildcard:
        return True
    listed = set(spec.service) | set(spec.federated) | set(spec.canonical_user)
    for value in spec.aws:
        account = _account_of(value)
        listed.add(f"arn:{principal.partition}:iam::{account}:root" if account else value)
    return all(name in listed for name in principal.chain)


def _principal_test(stmt: Statement) -> PrincipalTest | None:
    if stmt.principal is not None:
        spec = stmt.principal
        return lambda principal: _grant(spec, principal)
    if stmt.not_principal is not None:
        not_spec = stmt.not_principal
        return lambda principal: None if _excluded(not_spec, principal) else Grant.DIRECT
    return None


# -- statements and the action index ---------------------------------------------------

def compile_statements(policies: Iterable[Policy], start: int = 0) -> list[tuple[Statement, CompiledStatement]]:
    out: list[tuple[Statement, CompiledStatement]] = []
    ordinal = start
    for policy in policies:
        # Version 2008-10-17 predates policy variables: `${...}` is literal text there
        # (IAM User Guide, "IAM JSON policy elements: Version").
        variables = policy.version != "2008-10-17"
        for stmt in policy.statements:
            deny = stmt.effect is Effect.DENY
            matched = MatchedStatement(policy.name, stmt.sid, stmt.effect.value, policy.kind, stmt.index)
            resource = _resource_test(stmt, variables)
            conditions = tuple((c, compile_condition(c, variables=variables)) for c in stmt.conditions)
            out.append((stmt, CompiledStatement(
                ordinal=ordinal,
                deny=deny,
                matched=matched,
                alone=Decision(EXPLICIT_DENY, (matched,), policy.kind) if deny else Decision(ALLOWED, (matched,)),
                principal=_principal_test(stmt),
                applies=_compose(resource, tuple(predicate for _, predicate in conditions)),
                resource=resource,
                conditions=conditions,
            )))
            ordinal += 1
    return out


class ActionIndex:
    """Statements by the actions they can match; `candidates` is memoised per action."""

    _MEMO_LIMIT = 8192

    def __init__(self, policies: Sequence[Policy]) -> None:
        self._exact: dict[str, list[CompiledStatement]] = {}
        self._patterns: list[tuple[Callable[[str], bool], CompiledStatement]] = []
        self._not_actions: list[tuple[tuple[Callable[[str], bool], ...], CompiledStatement]] = []
        self._memo: dict[str, tuple[tuple[CompiledStatement, ...], tuple[CompiledStatement, ...]]] = {}
        for stmt, compiled in compile_statements(policies):
            if stmt.actions is not None:
                for action in dict.fromkeys(a.lower() for a in stmt.actions):
                    if has_wildcard(action):
                        self._patterns.append((compile_glob(action), compiled))
                    else:
                        self._exact.setdefault(action, []).append(compiled)
            else:
                matchers = tuple(compile_glob(a.lower()) for a in stmt.not_actions or ())
                self._not_actions.append((matchers, compiled))
        self.empty = not (self._exact or self._patterns or self._not_actions)

    def candidates(self, action_key: str) -> tuple[tuple[CompiledStatement, ...], tuple[CompiledStatement, ...]]:
        """(deny statements, allow statements) whose Action matches, in document order."""
        found = self._memo.get(action_key)
        if found is None:
            found = self._lookup(action_key)
            if len(self._memo) >= self._MEMO_LIMIT:
                self._memo.clear()
            self._memo[action_key] = found
        return found

    def _lookup(self, action_key: str) -> tuple[tuple[CompiledStatement, ...], tuple[CompiledStatement, ...]]:
        hits: dict[int, CompiledStatement] = {s.ordinal: s for s in self._exact.get(action_key, ())}
        for match, compiled in self._patterns:
            if match(action_key):
                hits[compiled.ordinal] = compiled
        for matchers, compiled in self._not_actions:
            if not any(m(action_key) for m in matchers):
                hits[compiled.ordinal] = compiled
        ordered = [hits[k] for k in sorted(hits)]
        return tuple(s for s in ordered if s.deny), tuple(s for s in ordered if not s.deny)
