"""IAM identity-based policies translated into Cedar and decided by cedarpy (AWS's Cedar engine).

Each IAM statement becomes one Cedar policy, `permit` for Allow and `forbid` for Deny,
annotated `@id("<policy>#<index>")` so that the policies Cedar names as reasons map
back to statements and their Sids. IAM and Cedar see a request differently; the
request is modelled so that each IAM rule has an exact Cedar counterpart:

- principal: `Iam::Principal::"<arn>"`. Every policy's scope names the one principal
  the identity policies belong to.
- account: across accounts AWS needs the resource's own (resource-based) policy to
  allow too; there is none here, so every permit also tests that
  `context.resource_account` (when known) is the principal's account, and across
  accounts only a forbid can decide, as in AWS.
- action: `Action::"<service:action>"`, lower-cased, as IAM matches actions without
  regard to case. A scope cannot hold a pattern, so an Action element with wildcards
  (and every NotAction) becomes a `when` test on `context.action`, the same name.
- resource: `Iam::Resource::"<arn>"`. Cedar cannot match an entity id against a
  pattern, so the resource also arrives as `context.resource` (the whole string) and,
  when it is an ARN, `context.arn` (its segments). IAM matches an ARN pattern segment
  by segment (a wildcard never reaches across the first five colons); matching each
  segment on its own with `like` is exactly that, since those segments hold no colon.
- condition keys: `context["service:key"]`, lower-cased, as IAM compares key names
  without regard to case. Cedar's quoted attribute form takes ':' in a name, so keys
  keep their IAM spelling. A key is a String, or a Set of String when a policy reads it
  with ForAnyValue/ForAllValues; a key read both ways is refused.

What Cedar cannot say is refused with `CedarTranslationError`, never approximated:
`?` in a pattern (Cedar's `like` knows only `*`), policy variables, a set operator
over `like` (Cedar has no quantifier over a set's members), operators not in
`_OPERATORS`, and a multivalued request value for a key the policies read as
single-valued.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cedarpy

from codeconn.iam import ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY
from engines import Prepared
from engines.workload import RawRequest, Workload

NAME = "cedarpy"
PRINCIPAL_TYPE = "Iam::Principal"
RESOURCE_TYPE = "Iam::Resource"
ARN_SEGMENTS = ("partition", "service", "region", "account", "resource")
# Keys AWS fills in from the caller; this model does not derive them, so a policy may not read them.
_DERIVED_KEYS = frozenset({"aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid",
                           "aws:username", "aws:principalisawsservice", "aws:principalservicename",
                           "aws:resourceaccount"})


class CedarTranslationError(Exception):
    """An IAM construct (or request value) that this Cedar model cannot express exactly."""


@dataclass(frozen=True)
class StatementRef:
    """Which IAM statement a Cedar policy came from."""

    policy: str
    sid: str | None
    effect: str


@dataclass(frozen=True)
class CedarPolicies:
    """The translation: Cedar source, what each `@id` stands for, and how each key is typed."""

    text: str
    principal: str
    statements: Mapping[str, StatementRef]
    set_keys: frozenset[str]  # lower-cased keys that reach Cedar as a Set of String
    string_keys: frozenset[str]  # lower-cased keys that reach Cedar as a String


# -- Cedar source -----------------------------------------------------------------------

def cedar_string(value: str) -> str:
    """A Cedar string literal; in a `like` pattern an unescaped `*` stays a wildcard."""
    out = ['"']
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def glob_test(ref: str, pattern: str) -> str:
    """A Cedar test that `ref` matches an IAM glob; `?` has no Cedar counterpart and is refused."""
    if "?" in pattern:
        raise CedarTranslationError(f"{pattern!r}: '?' has no counterpart in Cedar's like (only '*')")
    if "${" in pattern:
        raise CedarTranslationError(f"{pattern!r}: policy variables are not translated")
    if pattern == "*":
        return "true"
    if "*" not in pattern:
        return f"{ref} == {cedar_string(pattern)}"
    return f"{ref} like {cedar_string(pattern)}"


def _any_of(tests: Iterable[str]) -> str:
    tests = list(dict.fromkeys(tests))
    if "true" in tests:
        return "true"
    return tests[0] if len(tests) == 1 else "(" + " || ".join(tests) + ")"


def _set_literal(values: Sequence[str]) -> str:
    return "[" + ", ".join(cedar_string(v) for v in values) + "]"


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise CedarTranslationError(f"{where}: must be a string or a non-empty list of strings")


def iam_values(value: Any) -> tuple[str, ...]:
    """A policy or request value as IAM compares it: strings; a list is several values."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (int, float)):
            out.append(json.dumps(item))
        elif isinstance(item, str):
            out.append(item)
        else:
            raise CedarTranslationError(f"{value!r}: values are strings, numbers or booleans")
    return tuple(out)


# -- Action and Resource ---------------------------------------------------------------

def action_part(statement: Mapping[str, Any], where: str) -> tuple[str, list[str]]:
    """(scope, tests) for Action/NotAction: exact names go in the scope, where Cedar indexes them."""
    if "Action" in statement:
        names = [a.lower() for a in _strings(statement["Action"], f"{where}.Action")]
        if any("*" in n or "?" in n for n in names):
            test = _any_of(glob_test("context.action", n) for n in names)
            return "action", [] if test == "true" else [test]
        return "action in [" + ", ".join(f"Action::{cedar_string(n)}" for n in dict.fromkeys(names)) + "]", []
    if "NotAction" in statement:
        names = [a.lower() for a in _strings(statement["NotAction"], f"{where}.NotAction")]
        return "action", [f"!{_any_of(glob_test('context.action', n) for n in names)}"]
    raise CedarTranslationError(f"{where}: has neither Action nor NotAction")


def resource_test(pattern: str) -> str:
    """A Cedar test that the request's resource matches one IAM Resource pattern."""
    parts = pattern.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        tests = [glob_test(f"context.arn.{name}", part) for name, part in zip(ARN_SEGMENTS, parts[1:])]
        return "(" + " && ".join(["context has arn", *(t for t in tests if t != "true")]) + ")"
    return glob_test("context.resource", pattern)


def resource_part(statement: Mapping[str, Any], where: str) -> list[str]:
    if "Resource" in statement:
        test = _any_of(resource_test(p) for p in _strings(statement["Resource"], f"{where}.Resource"))
        return [] if test == "true" else [test]
    if "NotResource" in statement:
        return [f"!{_any_of(resource_test(p) for p in _strings(statement['NotResource'], f'{where}.NotResource'))}"]
    raise CedarTranslationError(f"{where}: an identity-based statement needs Resource or NotResource")


# -- Condition -------------------------------------------------------------------------

Present = Callable[[str, tuple[str, ...]], str]  # (Cedar ref to the key, policy values) -> test


@dataclass(frozen=True)
class _Operator:
    """How one IAM operator reads: its outcome when the key is missing, and when present."""

    missing: bool  # AWS: a missing key makes a positive operator false, a negated one (or IfExists) true
    kind: str  # "string" or "set": how the key must reach Cedar; "any" for Null
    present: Present


def _equals(ref: str, values: tuple[str, ...]) -> str:
    return f"{ref} == {cedar_string(values[0])}" if len(values) == 1 else f"{_set_literal(values)}.contains({ref})"


def _like(ref: str, values: tuple[str, ...]) -> str:
    return _any_of(glob_test(ref, v) for v in values)


def _contains_any(ref: str, values: tuple[str, ...]) -> str:
    return f"{ref}.containsAny({_set_literal(values)})"


def _all_in(ref: str, values: tuple[str, ...]) -> str:
    return f"{_set_literal(values)}.containsAll({ref})"


def _not(present: Present) -> Present:
    return lambda ref, values: f"!({present(ref, values)})"


def _null(_ref: str, values: tuple[str, ...]) -> str:
    return "true" if "false" in values else "false"  # reached only when the key is present


_OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator(False, "string", _equals),
    "StringEqualsIfExists": _Operator(True, "string", _equals),
    "StringNotEquals": _Operator(True, "string", _not(_equals)),
    "StringNotEqualsIfExists": _Operator(True, "string", _not(_equals)),
    "StringLike": _Operator(False, "string", _like),
    "StringLikeIfExists": _Operator(True, "string", _like),
    "StringNotLike": _Operator(True, "string", _not(_like)),
    "StringNotLikeIfExists": _Operator(True, "string", _not(_like)),
    # Set operators: ForAllValues is true for a missing (or empty) key, ForAnyValue false.
    "ForAnyValue:StringEquals": _Operator(False, "set", _contains_any),
    "ForAllValues:StringEquals": _Operator(True, "set", _all_in),
    "ForAnyValue:StringNotEquals": _Operator(False, "set", _not(_all_in)),  # some value is outside the list
    "ForAllValues:StringNotEquals": _Operator(True, "set", _not(_contains_any)),  # no value is in it
}


def condition_test(operator: str, key: str, value: Any, kinds: dict[str, str], where: str) -> str:
    """One key of one operator block as a Cedar test; records how the key must be typed in `kinds`."""
    values = iam_values(value)
    k = key.lower()
    if k in _DERIVED_KEYS:
        raise CedarTranslationError(f"{where}: {key} is derived by AWS from the caller; this model does not derive it")
    if operator == "Null":
        if any(v not in ("true", "false") for v in values):
            raise CedarTranslationError(f"{where}: Null takes true or false")
        spec = _Operator(missing="true" in values, kind="any", present=_null)
    else:
        found = _OPERATORS.get(operator)
        if found is None:
            raise CedarTranslationError(f"{where}: operator {operator!r} is not translated to Cedar")
        if any("${" in v for v in values):
            raise CedarTranslationError(f"{where}: policy variables are not translated")
        spec = found
    if spec.kind != "any":
        if kinds.setdefault(k, spec.kind) != spec.kind:
            raise CedarTranslationError(f"{where}: {key} is read both as a single value and as a set")
    has, ref = f"context has {cedar_string(k)}", f"context[{cedar_string(k)}]"
    present = spec.present(ref, values)
    if spec.missing:
        return "true" if present == "true" else f"(!({has}) || {present})"
    return has if present == "true" else f"({has} && {present})"


def condition_part(statement: Mapping[str, Any], kinds: dict[str, str], where: str) -> list[str]:
    block = statement.get("Condition", {})
    if not isinstance(block, Mapping) or not all(isinstance(keys, Mapping) for keys in block.values()):
        raise CedarTranslationError(f"{where}.Condition: must be an object of operators, each an object of keys")
    return [condition_test(op, key, value, kinds, f"{where}.Condition.{op}.{key}")
            for op, keys in block.items() for key, value in keys.items()]


# -- Policies --------------------------------------------------------------------------

def statement_to_cedar(statement: Mapping[str, Any], principal: str, account: str | None,
                       kinds: dict[str, str], where: str) -> str:
    """One IAM statement as one Cedar policy (without its annotation)."""
    if "Principal" in statement or "NotPrincipal" in statement:
        raise CedarTranslationError(f"{where}: Principal/NotPrincipal: identity-based statements name no principal")
    keyword = {"Allow": "permit", "Deny": "forbid"}.get(statement.get("Effect"))  # type: ignore[arg-type]
    if keyword is None:
        raise CedarTranslationError(f"{where}.Effect: must be Allow or Deny")
    scope, tests = action_part(statement, where)
    tests += resource_part(statement, where) + condition_part(statement, kinds, where)
    if keyword == "permit" and account is not None:
        tests.insert(0, f"(!(context has resource_account) || context.resource_account == {cedar_string(account)})")
    text = f"{keyword} (\n  principal == {PRINCIPAL_TYPE}::{cedar_string(principal)},\n  {scope},\n  resource\n)"
    if tests:
        text += "\nwhen {\n  " + " &&\n  ".join(tests) + "\n}"
    return text + ";"


def translate(principal: str, account: str | None,
              policies: Sequence[tuple[str, Mapping[str, Any]]]) -> CedarPolicies:
    """Every statement of the principal's identity policies as Cedar policies, in document order."""
    kinds: dict[str, str] = {}
    refs: dict[str, StatementRef] = {}
    texts: list[str] = []
    for name, document in policies:
        statements = document.get("Statement")
        statements = [statements] if isinstance(statements, Mapping) else statements
        if not isinstance(statements, list):
            raise CedarTranslationError(f"{name}.Statement: must be an object or a list")
        for i, statement in enumerate(statements):
            policy_id = f"{name}#{i}"
            body = statement_to_cedar(statement, principal, account, kinds, f"{name}.Statement[{i}]")
            refs[policy_id] = StatementRef(name, statement.get("Sid"), statement["Effect"])
            texts.append(f"@id({cedar_string(policy_id)})\n{body}")
    return CedarPolicies("\n\n".join(texts), principal, refs,
                         set_keys=frozenset(k for k, kind in kinds.items() if kind == "set"),
                         string_keys=frozenset(k for k, kind in kinds.items() if kind == "string"))


# -- Requests and decisions ------------------------------------------------------------

def cedar_request(model: CedarPolicies, request: RawRequest) -> dict[str, Any]:
    """A request in cedarpy's form, its context serialised here rather than in the timed loop.

    A key with no values (an empty list) is left out: IAM reads it as missing, and for
    every operator in the table a missing key and an empty one come out the same.
    """
    context: dict[str, Any] = {"action": request.action.lower(), "resource": request.resource}
    if request.resource_account is not None:
        context["resource_account"] = request.resource_account
    parts = request.resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        context["arn"] = dict(zip(ARN_SEGMENTS, parts[1:]))
    for key, value in request.context.items():
        if ":" not in key:
            raise CedarTranslationError(f"context key {key!r} is not of the form service:key")
        values, k = iam_values(value), key.lower()
        if not values:
            continue
        if k in model.set_keys or (len(values) > 1 and k not in model.string_keys):
            context[k] = list(values)
        elif len(values) == 1:
            context[k] = values[0]
        else:
            raise CedarTranslationError(f"context key {key!r}: {len(values)} values for a key the policies read "
                                        "as single-valued; Cedar has no quantifier to test each")
    return {
        "principal": {"type": PRINCIPAL_TYPE, "id": request.principal},
        "action": {"type": "Action", "id": request.action.lower()},
        "resource": {"type": RESOURCE_TYPE, "id": request.resource},
        "context": json.dumps(context),
    }


def decision_of(result: cedarpy.AuthzResult) -> str:
    """Cedar's answer as IAM's: a satisfied forbid is an explicit deny, no satisfied policy an implicit one.

    Cedar skips a policy whose evaluation errs; a translated policy should never err,
    so an error is raised rather than let a skipped forbid pass as an allow.
    """
    diagnostics = result.diagnostics
    if diagnostics.errors:
        raise CedarTranslationError(f"Cedar reported errors: {diagnostics.errors}")
    if result.decision is cedarpy.Decision.Allow:
        return ALLOWED
    return EXPLICIT_DENY if diagnostics.reasons else IMPLICIT_DENY


def matched_statements(model: CedarPolicies, result: cedarpy.AuthzResult) -> list[StatementRef]:
    """The statements that decided, from the `@id` of each policy Cedar gives as a reason."""
    ids = result.diagnostics.id_annotations_by_reason
    return [model.statements[ids[reason]] for reason in result.diagnostics.reasons]


@dataclass(frozen=True)
class Compiled:
    """The translation parsed once into cedarpy's handles."""

    model: CedarPolicies
    policy_set: cedarpy.PolicySet
    entities: cedarpy.Entities

    @classmethod
    def of(cls, workload: Workload) -> Compiled:
        principal = workload.principal
        model = translate(principal, workload.principal_account, workload.identity_policies)
        entity = {"uid": {"type": PRINCIPAL_TYPE, "id": principal}, "attrs": {}, "parents": []}
        return cls(model, cedarpy.PolicySet.from_str(model.text), cedarpy.Entities.from_json_str(json.dumps([entity])))


def prepare(workload: Workload) -> Prepared:
    """One `is_authorized` call per request: the headline figure."""
    compiled = Compiled.of(workload)
    policy_set, entities = compiled.policy_set, compiled.entities

    def decide_all(requests: Sequence[dict[str, Any]]) -> list[str]:
        is_authorized = cedarpy.is_authorized
        return [decision_of(is_authorized(request, policy_set, entities)) for request in requests]

    return Prepared(NAME, [cedar_request(compiled.model, r) for r in workload.requests], decide_all)


def prepare_batch(workload: Workload) -> Prepared:
    """All requests in one `is_authorized_batch` call (reported apart from the headline)."""
    compiled = Compiled.of(workload)
    policy_set, entities = compiled.policy_set, compiled.entities

    def decide_all(requests: Sequence[dict[str, Any]]) -> list[str]:
        return [decision_of(r) for r in cedarpy.is_authorized_batch(list(requests), policy_set, entities)]

    return Prepared(f"{NAME} (batch)", [cedar_request(compiled.model, r) for r in workload.requests], decide_all)
