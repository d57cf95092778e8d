"""Properties of AWS's evaluation logic that must hold for any policies, checked with hypothesis.

Policies are drawn from a small universe of actions, resources, principals and
conditions chosen so that statements often apply to the drawn request; each
property then changes the policies (or the request's spelling) in a way AWS's
logic says cannot matter, or can only matter one way.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codeconn.iam import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Authorizer,
    Decision,
    Effect,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    make_request,
    parse_policy,
)

A, B = "111122223333", "444455556666"
ALICE = f"arn:aws:iam::{A}:user/alice"
ROLE = f"arn:aws:iam::{A}:role/PipelineRole"
SESSION = f"arn:aws:sts::{A}:assumed-role/PipelineRole/build-42"
BOB = f"arn:aws:iam::{B}:user/bob"
EXT_SESSION = f"arn:aws:sts::{B}:assumed-role/Auditor/audit-1"
SLR = f"arn:aws:iam::{A}:role/aws-service-role/codepipeline.amazonaws.com/AWSServiceRoleForCodePipeline"
SERVICE = "codepipeline.amazonaws.com"
CONN = f"arn:aws:codestar-connections:us-west-2:{A}:connection/0a1b"

CALLERS = [ALICE, ROLE, SESSION, BOB, EXT_SESSION, A, SLR, SERVICE]
REQUEST_ACTIONS = ["codestar-connections:UseConnection", "codestar-connections:PassConnection",
                   "codestar-connections:GetConnection", "codestar-connections:DeleteConnection"]
REQUEST_RESOURCES = [CONN, f"arn:aws:codestar-connections:us-west-2:{A}:connection/ffff",
                     f"arn:aws:codestar-connections:eu-west-1:{B}:connection/0a1b", "*"]

ACTION_PATTERNS = ["*", "codestar-connections:*", "codestar-connections:*Connection",
                   "codestar-connections:UseConnection", "codestar-connections:PassConnection",
                   "codestar-connections:Get*", "codestar-connections:?seConnection", "s3:GetObject", "s3:*"]
OTHER_SERVICE_ACTIONS = ["s3:GetObject", "s3:*", "iam:PassRole", "codeconnections:UseConnection", "sts:Assume*"]
RESOURCE_PATTERNS = ["*", CONN, f"arn:aws:codestar-connections:us-west-2:{A}:connection/*",
                     "arn:aws:codestar-connections:*:*:connection/0a1b",
                     f"arn:aws:codestar-connections:*:{B}:connection/*", "arn:aws:s3:::bucket/*"]
CONDITIONS = [
    {"StringEquals": {"codestar-connections:ProviderAction": "GitPull"}},
    {"StringEquals": {"codestar-connections:ProviderAction": ["GitPull", "GitPush"]}},
    {"StringNotEquals": {"codestar-connections:ProviderAction": "GitPush"}},
    {"StringLike": {"codestar-connections:FullRepositoryId": "acme/*"}},
    {"StringEqualsIfExists": {"codestar-connections:BranchName": "main"}},
    {"Null": {"codestar-connections:BranchName": "true"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}},
    {"StringEquals": {"aws:PrincipalAccount": A}},
]
RESOURCE_PRINCIPALS = [
    {"Principal": "*"}, {"Principal": {"AWS": A}}, {"Principal": {"AWS": ALICE}}, {"Principal": {"AWS": ROLE}},
    {"Principal": {"AWS": SESSION}}, {"Principal": {"AWS": B}}, {"Principal": {"AWS": BOB}},
    {"Principal": {"Service": SERVICE}}, {"NotPrincipal": {"AWS": [ALICE, f"arn:aws:iam::{A}:root"]}},
]
FULL_ACCESS = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
RCP_FULL_ACCESS = [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Raw = dict[str, Any]  # {"identity": [[stmt]], "resource": [stmt] | None, "boundaries": [[stmt]], ...}


# -- strategies ------------------------------------------------------------------------

@st.composite
def conditions(draw) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for block in draw(st.lists(st.sampled_from(CONDITIONS), max_size=2)):
        for operator, keys in block.items():
            merged.setdefault(operator, {}).update(keys)
    return merged


@st.composite
def statements(draw, *, kind: PolicyKind, effects=("Allow", "Deny"), actions=ACTION_PATTERNS,
               not_action: bool = True) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(effects))}
    action_field = draw(st.sampled_from(["Action", "Action", "NotAction"])) if not_action else "Action"
    statement[action_field] = draw(st.lists(st.sampled_from(actions), min_size=1, max_size=2, unique=True))
    resource_field = draw(st.sampled_from(["Resource", "Resource", "NotResource"]))
    statement[resource_field] = draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2, unique=True))
    condition = draw(conditions())
    if condition:
        statement["Condition"] = condition
    if kind is PolicyKind.RESOURCE:
        statement.update(draw(st.sampled_from(RESOURCE_PRINCIPALS)))
    elif kind is PolicyKind.RCP:
        statement["Principal"] = "*"
    return statement


def documents(kind: PolicyKind, **options):
    return st.lists(statements(kind=kind, **options), min_size=1, max_size=4)


@st.composite
def org_level(draw, kind: PolicyKind, full: list[dict[str, Any]], **options) -> list[list[dict[str, Any]]]:
    """Mostly as organizations run: AWS's full-access policy plus maybe one more; sometimes anything."""
    others = draw(st.lists(documents(kind, **options), max_size=1))
    return [full, *others] if draw(st.sampled_from([True, True, True, False])) else others


def org_levels(kind: PolicyKind, full: list[dict[str, Any]], **options):
    return st.lists(org_level(kind, full, **options), max_size=3)


@st.composite
def policy_sets(draw, **options) -> Raw:
    """Raw statement lists for every kind of policy (parsed by `build`)."""
    return {
        "identity": draw(st.lists(documents(PolicyKind.IDENTITY, **options), max_size=3)),
        "resource": draw(st.none() | documents(PolicyKind.RESOURCE, **options)),
        "boundaries": draw(st.lists(documents(PolicyKind.BOUNDARY, **options), max_size=2)),
        "session": draw(st.none() | documents(PolicyKind.SESSION, **options)),
        "scps": draw(org_levels(PolicyKind.SCP, FULL_ACCESS, **options)),
        "rcps": draw(org_levels(PolicyKind.RCP, RCP_FULL_ACCESS, **options)),
    }


@st.composite
def identity_policy_sets(draw, **options) -> Raw:
    return {"identity": draw(st.lists(documents(PolicyKind.IDENTITY, **options), min_size=1, max_size=4)),
            "resource": None, "boundaries": [], "session": None, "scps": [], "rcps": []}


@st.composite
def contexts(draw) -> dict[str, Any]:
    options: dict[str, list[Any]] = {
        "codestar-connections:ProviderAction": ["GitPull", "GitPush"],
        "codestar-connections:FullRepositoryId": ["acme/api", "other/x"],
        "codestar-connections:BranchName": ["main", "dev"],
        "aws:SecureTransport": [True, False],
        "aws:TagKeys": [[], ["env"], ["env", "cost"], ["team", "env"]],
    }
    context: dict[str, Any] = {}
    for key, values in options.items():
        value = draw(st.sampled_from([None, *values]))
        if value is not None:
            context[key] = value
    return context


@st.composite
def requests(draw, callers=CALLERS, resources=REQUEST_RESOURCES) -> dict[str, Any]:
    return {"principal": draw(st.sampled_from(callers)), "action": draw(st.sampled_from(REQUEST_ACTIONS)),
            "resource": draw(st.sampled_from(resources)), "context": draw(contexts())}


# -- building and deciding -------------------------------------------------------------

def _policy(statements: list[dict[str, Any]], name: str, kind: PolicyKind) -> Policy:
    with_sids = [{"Sid": statement.get("Sid", f"S{i}"), **statement} for i, statement in enumerate(statements)]
    return parse_policy({"Version": "2012-10-17", "Statement": with_sids}, name=name, kind=kind)


def build(raw: Raw) -> PolicySet:
    return PolicySet(
        identity=[_policy(s, f"identity{i}", PolicyKind.IDENTITY) for i, s in enumerate(raw["identity"])],
        resource=_policy(raw["resource"], "resource", PolicyKind.RESOURCE) if raw["resource"] else None,
        boundaries=[_policy(s, f"boundary{i}", PolicyKind.BOUNDARY) for i, s in enumerate(raw["boundaries"])],
        session=[_policy(raw["session"], "session", PolicyKind.SESSION)] if raw["session"] else [],
        scps=[[_policy(s, f"scp{j}.{i}", PolicyKind.SCP) for i, s in enumerate(level)]
              for j, level in enumerate(raw["scps"])],
        rcps=[[_policy(s, f"rcp{j}.{i}", PolicyKind.RCP) for i, s in enumerate(level)]
              for j, level in enumerate(raw["rcps"])],
    )


def decide(raw: Raw, request: Mapping[str, Any]) -> Decision:
    return Authorizer(build(raw)).evaluate(make_request(**request))


def with_sids(raw: Raw) -> Raw:
    """Give every statement a Sid, unique across the policy set, that travels with it when
    statements and policies are moved (policy names are positions, so they do not)."""
    raw = copy.deepcopy(raw)
    for d, statements_ in enumerate(_documents(raw)):
        for i, statement in enumerate(statements_):
            statement.setdefault("Sid", f"P{d}S{i}")
    return raw


def _documents(raw: Raw) -> list[list[dict[str, Any]]]:
    found = [*raw["identity"], *raw["boundaries"], *(level_doc for level in raw["scps"] for level_doc in level),
             *(level_doc for level in raw["rcps"] for level_doc in level)]
    found += [d for d in (raw["resource"], raw["session"]) if d]
    return found


KINDS = {"identity": PolicyKind.IDENTITY, "resource": PolicyKind.RESOURCE, "boundaries": PolicyKind.BOUNDARY,
         "session": PolicyKind.SESSION, "scps": PolicyKind.SCP, "rcps": PolicyKind.RCP}


def add_statements(data: st.DataObject, raw: Raw, *, effects: tuple[str, ...], actions=ACTION_PATTERNS,
                   not_action: bool = True, new_restricting_policies: bool = True) -> Raw:
    """Add 1-3 statements to policies of any kind; with `new_restricting_policies`, they may
    also arrive as a first boundary, session policy or organization level (which restrict)."""
    raw = copy.deepcopy(raw)
    for _ in range(data.draw(st.integers(1, 3), label="additions")):
        slots = ["identity-new"] + [f"identity-{i}" for i in range(len(raw["identity"]))]
        if raw["resource"]:
            slots.append("resource")
        if raw["boundaries"]:
            slots += ["boundaries-new"] + [f"boundaries-{i}" for i in range(len(raw["boundaries"]))]
        if raw["session"]:
            slots.append("session")
        for org in ("scps", "rcps"):
            for j, level in enumerate(raw[org]):
                slots += [f"{org}-{j}-new"] + [f"{org}-{j}-{i}" for i in range(len(level))]
        if new_restricting_policies:
            slots += ["boundaries-first", "session-first", "scps-level", "rcps-level"] if not raw["boundaries"] \
                else ["session-first", "scps-level", "rcps-level"]
        slot = data.draw(st.sampled_from(slots), label="where")
        kind = KINDS[slot.split("-")[0]]
        statement = data.draw(statements(kind=kind, effects=effects, actions=actions, not_action=not_action),
                              label="statement")
        name, _, rest = slot.partition("-")
        if name in ("identity", "boundaries") and rest in ("new", "first"):
            raw[name].append([statement])
        elif name in ("identity", "boundaries"):
            raw[name][int(rest)].append(statement)
        elif name in ("resource", "session") and raw[name]:
            raw[name].append(statement)
        elif name == "session":
            raw["session"] = [statement]
        elif rest == "level":
            raw[name].append([[statement]])
        else:
            j, i = rest.split("-")
            level = raw[name][int(j)]
            if i == "new":
                level.append([statement])
            else:
                level[int(i)].append(statement)
    return raw


def matched_set(decision: Decision) -> list[tuple[str, str | None, str, PolicyKind]]:
    return sorted((m.policy, m.sid, m.effect, m.kind) for m in decision.matched)


# -- the properties ----------------------------------------------------------------------

@SETTINGS
@given(raw=policy_sets(), request=requests(), data=st.data())
def test_an_explicit_deny_is_never_overturned(raw, request, data):
    """Adding Allow statements or policies of any kind never turns explicitDeny into anything else."""
    before = decide(raw, request)
    assume(before.decision == EXPLICIT_DENY)
    after = decide(add_statements(data, raw, effects=("Allow",)), request)
    assert after.decision == EXPLICIT_DENY


@SETTINGS
@given(raw=policy_sets(), request=requests(), data=st.data())
def test_a_statement_for_another_service_never_changes_a_decision(raw, request, data):
    """Statements whose actions all belong to other services never apply to the request."""
    before = decide(raw, request)
    changed = add_statements(data, raw, effects=("Allow", "Deny"), actions=OTHER_SERVICE_ACTIONS,
                             not_action=False, new_restricting_policies=False)
    assert decide(changed, request) == before


@SETTINGS
@given(raw=policy_sets(effects=("Allow",)), request=requests(), data=st.data())
def test_adding_an_allow_never_turns_allowed_into_a_deny(raw, request, data):
    """Without Deny statements, more Allow statements (in policies that already apply) only allow more."""
    before = decide(raw, request)
    after = decide(add_statements(data, raw, effects=("Allow",), new_restricting_policies=False), request)
    assert after.decision != EXPLICIT_DENY
    if before.decision == ALLOWED:
        assert after.decision == ALLOWED


@SETTINGS
@given(raw=policy_sets(), request=requests(), data=st.data())
def test_a_statement_order_permutation_never_changes_the_decision(raw, request, data):
    """Neither the order of statements in a policy nor of policies in a list matters."""
    raw = with_sids(raw)
    shuffled = copy.deepcopy(raw)
    rng = data.draw(st.randoms(use_true_random=False), label="permutation")
    for statements_ in _documents(shuffled):
        rng.shuffle(statements_)
    for name in ("identity", "boundaries", "scps", "rcps"):
        rng.shuffle(shuffled[name])
    for level in (*shuffled["scps"], *shuffled["rcps"]):
        rng.shuffle(level)
    before, after = decide(raw, request), decide(shuffled, request)
    assert after.decision == before.decision
    assert after.denied_by == before.denied_by
    assert sorted(m.sid for m in after.matched) == sorted(m.sid for m in before.matched)


def _recase(rng: random.Random, text: str) -> str:
    return "".join(c.swapcase() if rng.random() < 0.5 else c for c in text)


@SETTINGS
@given(raw=policy_sets(), request=requests(), data=st.data())
def test_the_decision_does_not_depend_on_the_case_of_keys_or_action_names(raw, request, data):
    """Context keys, condition keys and action names are case-insensitive; values and ARNs are not touched."""
    rng = data.draw(st.randoms(use_true_random=False), label="case flips")
    recased_request = {**request, "action": _recase(rng, request["action"]),
                       "context": {_recase(rng, k): v for k, v in request["context"].items()}}
    recased = copy.deepcopy(raw)
    for statements_ in _documents(recased):
        for statement in statements_:
            for field in ("Action", "NotAction"):
                if field in statement:
                    statement[field] = [_recase(rng, a) for a in statement[field]]
            for operator, keys in statement.get("Condition", {}).items():
                statement["Condition"][operator] = {_recase(rng, k): v for k, v in keys.items()}
    before = decide(raw, request)
    after = decide(recased, recased_request)
    assert (after.decision, after.denied_by, matched_set(after)) == \
        (before.decision, before.denied_by, matched_set(before))


# -- the index against a brute-force scan ------------------------------------------------

def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _resource_matches(pattern: str, resource: str) -> bool:
    if pattern == "*":
        return True
    want, have = pattern.split(":", 5), resource.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return _glob(pattern, resource)
    return all(_glob(w, h) for w, h in zip(want, have))


def _condition_holds(condition, context: Mapping[str, tuple[str, ...]]) -> bool:
    values = context.get(condition.key.lower(), ())
    if condition.base == "Null":
        return any((not values) == (v == "true") for v in condition.values)
    negated = condition.base.startswith("StringNot")

    def one(value: str) -> bool:
        if condition.base == "StringLike":
            return any(_glob(p, value) for p in condition.values)
        if condition.base == "Bool":
            return any(value.lower() == p.lower() for p in condition.values)
        return value in condition.values

    if condition.set_operator == "ForAllValues":
        return all(one(v) != negated for v in values)
    if condition.set_operator == "ForAnyValue":
        return any(one(v) != negated for v in values)
    if not values:
        return condition.if_exists or negated
    return any(one(v) for v in values) != negated


def brute_force(policies: list[Policy], request: Request) -> tuple[str, list[tuple[str, str | None]]]:
    """Every statement of every identity-based policy, in order, as the User Guide describes them."""
    denies: list[tuple[str, str | None]] = []
    allows: list[tuple[str, str | None]] = []
    for policy in policies:
        for statement in policy.statements:
            if statement.actions is not None:
                action_ok = any(_glob(a, request.action, ignore_case=True) for a in statement.actions)
            else:
                action_ok = not any(_glob(a, request.action, ignore_case=True) for a in statement.not_actions)
            if statement.resources is not None:
                resource_ok = any(_resource_matches(r, request.resource) for r in statement.resources)
            else:
                resource_ok = not any(_resource_matches(r, request.resource) for r in statement.not_resources)
            if action_ok and resource_ok and all(_condition_holds(c, request.context) for c in statement.conditions):
                (denies if statement.effect is Effect.DENY else allows).append((policy.name, statement.sid))
    if denies:
        return EXPLICIT_DENY, denies
    if allows:
        return ALLOWED, allows
    return IMPLICIT_DENY, []


def _same_as_brute_force(raw: Raw, requests_: list[dict[str, Any]]) -> None:
    policy_set = build(raw)
    authorizer = Authorizer(policy_set)  # one authorizer for many requests: its memo is exercised too
    for request_fields in requests_:
        request = make_request(**request_fields)
        decision = authorizer.evaluate(request)
        expected = brute_force(list(policy_set.identity), request)
        assert (decision.decision, [(m.policy, m.sid) for m in decision.matched]) == expected


# Identity-only decisions: callers and resources of one account (across accounts the resource's
# policy would have to allow too).
SAME_ACCOUNT = {"callers": [ALICE, ROLE, SESSION], "resources": [r for r in REQUEST_RESOURCES if B not in r]}


@SETTINGS
@given(raw=identity_policy_sets(), requests_=st.lists(requests(**SAME_ACCOUNT), min_size=1, max_size=8))
def test_the_index_decides_as_a_brute_force_scan(raw, requests_):
    """The action index (exact, pattern and NotAction buckets, memoised) finds exactly the
    statements a scan of every statement finds, in the same order."""
    _same_as_brute_force(raw, requests_)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=identity_policy_sets(), requests_=st.lists(requests(**SAME_ACCOUNT), min_size=1, max_size=12))
def test_the_index_decides_as_a_brute_force_scan_at_length(raw, requests_):
    _same_as_brute_force(raw, requests_)
