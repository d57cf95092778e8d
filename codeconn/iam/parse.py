"""JSON policy documents to `document.Policy`, with AWS's validator's checks.

Every fault is collected with its JSON path before one PolicySyntaxError is
raised, so a user fixes a document in one pass. The checks are the grammar of
the IAM policy language (IAM JSON policy elements reference); what needs the
service catalog (unknown actions, unsupported keys) is the linter's job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from codeconn.iam.conditions import OPERATORS, split_operator
from codeconn.iam.document import (
    Condition,
    Effect,
    Policy,
    PolicyKind,
    Principals,
    Statement,
)
from codeconn.iam.errors import PolicySyntaxError, Problem
from codeconn.iam.variables import parse_template

VERSIONS = ("2012-10-17", "2008-10-17")
_POLICY_FIELDS = {"Version", "Id", "Statement"}
_STATEMENT_FIELDS = {
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
    "Resource", "NotResource", "Condition",
}
_PRINCIPAL_TYPES = {"AWS": "aws", "Service": "service", "Federated": "federated", "CanonicalUser": "canonical_user"}
MAX_DEPTH = 32
"""The deepest nesting of objects and arrays a policy's JSON may have (real policies use 5)."""
_ACTION = re.compile(r"^(\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+)$")
_SID = re.compile(r"^[A-Za-z0-9 _.\-]*$")


def parse_policy(document: str | Mapping[str, Any], *, name: str = "policy",
                 kind: PolicyKind = PolicyKind.IDENTITY, ignore_unknown_fields: bool = False) -> Policy:
    """Parse a policy (JSON text or decoded object) of the given kind, or raise PolicySyntaxError.

    `ignore_unknown_fields` skips fields the policy language does not name (at the policy
    and statement level) instead of reporting them: policy test files carry comments
    such as `note` anywhere (specs/policy-test-format.md).
    """
    problems: list[Problem] = []
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise PolicySyntaxError([Problem("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")], name) from None
        except RecursionError:
            raise PolicySyntaxError([Problem("", f"nested more than {MAX_DEPTH} levels deep")], name) from None
        if _depth_over(document, MAX_DEPTH):
            raise PolicySyntaxError([Problem("", f"nested more than {MAX_DEPTH} levels deep")], name)
    if not isinstance(document, Mapping):
        raise PolicySyntaxError([Problem("", "a policy must be a JSON object")], name)
    for field in document:
        if field not in _POLICY_FIELDS and not ignore_unknown_fields:
            problems.append(Problem(str(field), "unknown field"))
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        problems.append(Problem("Version", f"must be one of {', '.join(VERSIONS)}, not {version!r}"))
    policy_id = document.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        problems.append(Problem("Id", "must be a string"))
    raw = document.get("Statement")
    statements: list[Statement] = []
    if raw is None:
        problems.append(Problem("Statement", "missing required field"))
    elif isinstance(raw, Mapping):
        stmt = _parse_statement(raw, 0, "Statement", kind, problems, ignore_unknown_fields)
        statements = [stmt] if stmt else []
    elif isinstance(raw, list):
        if not raw:
            problems.append(Problem("Statement", "must contain at least one statement"))
        for i, item in enumerate(raw):
            stmt = _parse_statement(item, i, f"Statement[{i}]", kind, problems, ignore_unknown_fields)
            if stmt:
                statements.append(stmt)
    else:
        problems.append(Problem("Statement", "must be an object or a list of objects"))
    seen: dict[str, str] = {}
    for stmt in statements:
        if stmt.sid:
            if stmt.sid in seen:
                problems.append(Problem(f"{stmt.path}.Sid", f"duplicate Sid {stmt.sid!r} (also {seen[stmt.sid]})"))
            seen.setdefault(stmt.sid, stmt.path)
    if problems:
        raise PolicySyntaxError(problems, name)
    return Policy(name=name, kind=kind, version=str(version), id=policy_id, statements=tuple(statements))


def _depth_over(document: Any, limit: int) -> bool:
    """Whether `document` nests objects and arrays more than `limit` deep; iterative, so any depth is safe."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _parse_statement(raw: Any, index: int, path: str, kind: PolicyKind,
                     problems: list[Problem], ignore_unknown_fields: bool = False) -> Statement | None:
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, "a statement must be a JSON object"))
        return None
    before = len(problems)
    for field in raw:
        if field not in _STATEMENT_FIELDS and not ignore_unknown_fields:
            problems.append(Problem(f"{path}.{field}", "unknown field"))
    sid = raw.get("Sid")
    if sid is not None and (not isinstance(sid, str) or not _SID.match(sid)):
        problems.append(Problem(f"{path}.Sid", "must be a string of letters, digits, spaces, '_', '.' or '-'"))
    effect = raw.get("Effect")
    if effect is None:
        problems.append(Problem(f"{path}.Effect", "missing required field"))
    elif effect not in ("Allow", "Deny"):
        problems.append(Problem(f"{path}.Effect", f"must be \"Allow\" or \"Deny\", not {effect!r}"))

    actions = _pair(raw, "Action", "NotAction", path, problems, required=True)
    for field, values in (("Action", actions[0]), ("NotAction", actions[1])):
        for i, action in enumerate(values or ()):
            if not _ACTION.match(action):
                problems.append(Problem(f"{path}.{field}{_index(raw[field], i)}",
                                        f"{action!r} is not of the form service:action"))
    resources = _pair(raw, "Resource", "NotResource", path, problems,
                      required=kind not in (PolicyKind.TRUST, PolicyKind.RESOURCE))
    for field, values in (("Resource", resources[0]), ("NotResource", resources[1])):
        for i, resource in enumerate(values or ()):
            fault = _resource_fault(resource)
            if fault:
                problems.append(Problem(f"{path}.{field}{_index(raw[field], i)}", fault))

    principal = not_principal = None
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if kind.names_principals:
        if "Principal" in raw and "NotPrincipal" in raw:
            problems.append(Problem(path, "has both Principal and NotPrincipal"))
        elif not has_principal:
            problems.append(Problem(f"{path}.Principal", f"missing required field in a {kind.value}"))
        if "Principal" in raw:
            principal = _parse_principals(raw["Principal"], f"{path}.Principal", problems)
        if "NotPrincipal" in raw:
            not_principal = _parse_principals(raw["NotPrincipal"], f"{path}.NotPrincipal", problems)
    elif kind is PolicyKind.RCP and "Principal" in raw and "NotPrincipal" not in raw:
        # RCPs carry a Principal element, and it can only be "*" (AWS Organizations User
        # Guide, "RCP syntax"; AWS's own RCPFullAWSAccess policy has "Principal": "*").
        if raw["Principal"] == "*":
            principal = Principals(wildcard=True)
        else:
            problems.append(Problem(f"{path}.Principal", f"must be \"*\" in a {kind.value}"))
    elif has_principal:
        field = "Principal" if "Principal" in raw else "NotPrincipal"
        problems.append(Problem(f"{path}.{field}", f"not allowed in {kind.with_article}"))

    conditions = _parse_conditions(raw.get("Condition"), f"{path}.Condition", problems) if "Condition" in raw else ()
    if len(problems) > before:
        return None
    return Statement(
        index=index, sid=sid, effect=Effect(effect),
        actions=actions[0], not_actions=actions[1],
        resources=resources[0], not_resources=resources[1],
        principal=principal, not_principal=not_principal,
        conditions=tuple(conditions), path=path,
    )


def _index(raw: Any, i: int) -> str:
    return f"[{i}]" if isinstance(raw, list) else ""


def _pair(raw: Mapping[str, Any], positive: str, negative: str, path: str, problems: list[Problem],
          *, required: bool) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    if positive in raw and negative in raw:
        problems.append(Problem(path, f"has both {positive} and {negative}"))
        return None, None
    if positive not in raw and negative not in raw:
        if required:
            problems.append(Problem(f"{path}.{positive}", f"missing required field ({positive} or {negative})"))
        return None, None
    field = positive if positive in raw else negative
    values = _strings(raw[field], f"{path}.{field}", problems)
    return (values, None) if field == positive else (None, values)


def _strings(value: Any, path: str, problems: list[Problem], *, allow_empty: bool = False) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        if not value and not allow_empty:
            problems.append(Problem(path, "must not be an empty list"))
            return None
        bad = [i for i, v in enumerate(value) if not isinstance(v, str)]
        for i in bad:
            problems.append(Problem(f"{path}[{i}]", "must be a string"))
        return None if bad else tuple(value)
    problems.append(Problem(path, "must be a string or a list of strings"))
    return None


def _resource_fault(resource: str) -> str | None:
    if resource == "*" or resource.startswith("arn:"):
        try:
            parse_template(resource)
        except ValueError as exc:
            return str(exc)
        if resource != "*" and len(resource.split(":", 5)) < 6:
            return f"{resource!r} is not a valid ARN (arn:partition:service:region:account:resource)"
        return None
    return f"{resource!r} must be \"*\" or an ARN"


def _parse_principals(value: Any, path: str, problems: list[Problem]) -> Principals | None:
    if value == "*":
        return Principals(wildcard=True)
    if not isinstance(value, Mapping):
        problems.append(Problem(path, "must be \"*\" or an object of AWS, Service, Federated or CanonicalUser"))
        return None
    found: dict[str, tuple[str, ...]] = {}
    for key, raw in value.items():
        attr = _PRINCIPAL_TYPES.get(key)
        if attr is None:
            problems.append(Problem(f"{path}.{key}", "unknown principal type (AWS, Service, Federated, CanonicalUser)"))
            continue
        values = _strings(raw, f"{path}.{key}", problems)
        if values is None:
            continue
        for i, v in enumerate(values):
            if attr == "aws" and not _valid_aws_principal(v):
                problems.append(Problem(f"{path}.{key}{_index(raw, i)}",
                                        f"{v!r} is not an account ID, an IAM or STS ARN, or \"*\""))
        found[attr] = values
    if not found and not any(p.path.startswith(path) for p in problems):
        problems.append(Problem(path, "names no principal"))
    wildcard = "*" in found.get("aws", ())
    return Principals(wildcard=wildcard, **found)


def _valid_aws_principal(value: str) -> bool:
    if value == "*" or re.fullmatch(r"\d{12}", value):
        return True
    parts = value.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and parts[2] in ("iam", "sts") and "*" not in value


def _parse_conditions(raw: Any, path: str, problems: list[Problem]) -> list[Condition]:
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, "must be an object of condition operators"))
        return []
    out: list[Condition] = []
    for operator, block in raw.items():
        op_path = f"{path}.{operator}"
        try:
            set_op, base, if_exists = split_operator(operator)
        except ValueError as exc:
            problems.append(Problem(op_path, str(exc)))
            continue
        if not isinstance(block, Mapping) or not block:
            problems.append(Problem(op_path, "must be an object of condition keys and values"))
            continue
        spec = OPERATORS[base]
        for key, values in block.items():
            key_path = f"{op_path}.{key}"
            rendered = _condition_values(values, key_path, problems)
            if rendered is None:
                continue
            problem = spec.check_policy_values(rendered)
            if problem:
                problems.append(Problem(key_path, problem))
                continue
            out.append(Condition(operator=operator, base=base, set_operator=set_op, if_exists=if_exists,
                                 key=key, values=rendered, path=key_path))
    return out


def _condition_values(values: Any, path: str, problems: list[Problem]) -> tuple[str, ...] | None:
    items = values if isinstance(values, list) else [values]
    if not items:
        problems.append(Problem(path, "must have at least one value"))
        return None
    out: list[str] = []
    for i, v in enumerate(items):
        if isinstance(v, bool):
            out.append("true" if v else "false")
        elif isinstance(v, (int, float)):
            out.append(json.dumps(v))
        elif isinstance(v, str):
            out.append(v)
        else:
            where = f"{path}[{i}]" if isinstance(values, list) else path
            problems.append(Problem(where, "condition values must be strings, numbers or booleans"))
            return None
    return tuple(out)
