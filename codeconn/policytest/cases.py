"""Reading policy test files into cases the engine can decide.

The format is fixed by `policy-test-format.md`: named policies, `defaults`
merged under each case (the case wins; `request` field by field, its `context`
key by key), unknown fields ignored, a string policy is a name in `policies`.
Every fault names the file, the case and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from codeconn.iam import (
    IamError,
    Policy,
    PolicyKind,
    PolicySet,
    PolicySyntaxError,
    Request,
    make_request,
    parse_policy,
)

DECISIONS = ("allowed", "explicitDeny", "implicitDeny")


class CaseFileError(Exception):
    """A test file cannot be read or is malformed (exit 2)."""


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    request: Request
    policies: PolicySet
    expect: str


def load_file(path: str | Path) -> list[Case]:
    """Read one JSON or YAML test file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CaseFileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise CaseFileError(f"{path}: not valid {'YAML' if path.suffix.lower() in ('.yaml', '.yml') else 'JSON'}: {exc}") from None
    return load_cases(data, str(path))


class _Policies:
    """Named documents, parsed once per (name, kind) and shared by every case."""

    def __init__(self, file: str, documents: Mapping[str, Any]) -> None:
        self.file = file
        self.documents = documents
        self.parsed: dict[tuple[str, PolicyKind], Policy] = {}
        self.inline: dict[tuple[str, PolicyKind], Policy] = {}

    def get(self, ref: Any, kind: PolicyKind, where: str, default_name: str) -> Policy:
        if isinstance(ref, str):
            if ref not in self.documents:
                raise CaseFileError(f"{self.file}: {where}: unknown policy {ref!r} (not in \"policies\")")
            cached = self.parsed.get((ref, kind))
            if cached is None:
                cached = self._parse(self.documents[ref], ref, kind, f"policies.{ref}")
                self.parsed[(ref, kind)] = cached
            return cached
        if isinstance(ref, Mapping):
            key = (json.dumps(ref, sort_keys=True), kind)
            cached = self.inline.get(key)
            if cached is None:
                cached = self._parse(ref, default_name, kind, where)
                self.inline[key] = cached
            return cached
        raise CaseFileError(f"{self.file}: {where}: a policy is a name or a policy document")

    def _parse(self, document: Any, name: str, kind: PolicyKind, where: str) -> Policy:
        try:
            return parse_policy(document, name=name, kind=kind)
        except PolicySyntaxError as exc:
            faults = "; ".join(str(p) for p in exc.problems)
            raise CaseFileError(f"{self.file}: {where}: malformed policy: {faults}") from None


def _merge(defaults: Mapping[str, Any], case: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **case}
    d_req, c_req = defaults.get("request"), case.get("request")
    if isinstance(d_req, Mapping) and isinstance(c_req, Mapping):
        request = {**d_req, **c_req}
        d_ctx, c_ctx = d_req.get("context"), c_req.get("context")
        if isinstance(d_ctx, Mapping) and isinstance(c_ctx, Mapping):
            request["context"] = {**d_ctx, **c_ctx}
        merged["request"] = request
    return merged


def load_cases(data: Any, file: str = "<cases>") -> list[Case]:
    """Cases from an already-decoded test file."""
    if not isinstance(data, Mapping):
        raise CaseFileError(f"{file}: a test file is a JSON object with \"cases\"")
    documents = data.get("policies", {})
    if not isinstance(documents, Mapping):
        raise CaseFileError(f"{file}: policies: must be an object of named policy documents")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, Mapping):
        raise CaseFileError(f"{file}: defaults: must be an object")
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list):
        raise CaseFileError(f"{file}: cases: missing, or not a list")
    policies = _Policies(file, documents)
    sets: dict[tuple[int, ...], PolicySet] = {}
    out: list[Case] = []
    for i, raw in enumerate(raw_cases):
        if not isinstance(raw, Mapping):
            raise CaseFileError(f"{file}: cases[{i}]: must be an object")
        case = _merge(defaults, raw)
        name = case.get("name")
        label = f"case {name!r}" if isinstance(name, str) else f"cases[{i}]"
        out.append(_case(case, file, label, name if isinstance(name, str) else f"cases[{i}]", policies, sets))
    return out


def _case(case: Mapping[str, Any], file: str, label: str, name: str, policies: _Policies,
          sets: dict[tuple[int, ...], PolicySet]) -> Case:
    def fail(field: str, message: str) -> CaseFileError:
        return CaseFileError(f"{file}: {label}: {field}: {message}")

    expect = case.get("expect")
    if expect not in DECISIONS:
        raise fail("expect", f"must be one of {', '.join(DECISIONS)}, not {expect!r}")
    req = case.get("request")
    if not isinstance(req, Mapping):
        raise fail("request", "missing, or not an object")
    for field in ("principal", "action", "resource"):
        if not isinstance(req.get(field), str):
            raise fail(f"request.{field}", "missing, or not a string")
    context = req.get("context", {})
    if not isinstance(context, Mapping):
        raise fail("request.context", "must be an object")
    account = req.get("resourceAccount")
    if account is not None and not isinstance(account, str):
        raise fail("request.resourceAccount", "must be a string")
    try:
        request = make_request(principal=req["principal"], action=req["action"], resource=req["resource"],
                               context=context, resource_account=account)
    except IamError as exc:
        raise fail("request", str(exc)) from None

    def many(field: str, kind: PolicyKind) -> tuple[Policy, ...]:
        value = case.get(field)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise fail(field, "must be a list of policies")
        return tuple(policies.get(ref, kind, f"{label}: {field}[{j}]", f"{field}[{j}]") for j, ref in enumerate(value))

    def one(field: str, kind: PolicyKind) -> Policy | None:
        value = case.get(field)
        return None if value is None else policies.get(value, kind, f"{label}: {field}", field)

    def levels(field: str, kind: PolicyKind) -> tuple[tuple[Policy, ...], ...]:
        value = case.get(field)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(level, list) for level in value):
            raise fail(field, "must be a list of levels, each a list of policies")
        return tuple(
            tuple(policies.get(ref, kind, f"{label}: {field}[{j}][{k}]", f"{field}[{j}][{k}]") for k, ref in enumerate(level))
            for j, level in enumerate(value)
        )

    session = one("sessionPolicy", PolicyKind.SESSION)
    parts = (
        many("identityPolicies", PolicyKind.IDENTITY),
        one("resourcePolicy", PolicyKind.RESOURCE),
        many("permissionBoundaries", PolicyKind.BOUNDARY),
        (session,) if session else (),
        levels("serviceControlPolicies", PolicyKind.SCP),
        levels("resourceControlPolicies", PolicyKind.RCP),
    )
    key = tuple(id(p) for p in _flatten(parts))
    key = key + tuple(len(x) if isinstance(x, tuple) else -1 for x in parts)
    policy_set = sets.get(key)
    if policy_set is None:
        policy_set = PolicySet(identity=parts[0], resource=parts[1], boundaries=parts[2], session=parts[3],
                               scps=parts[4], rcps=parts[5])
        sets[key] = policy_set
    return Case(file=file, name=name, request=request, policies=policy_set, expect=expect)


def _flatten(parts: Sequence[Any]) -> list[Any]:
    out: list[Any] = []
    for part in parts:
        if isinstance(part, tuple):
            out.extend(_flatten(part))
        elif part is not None:
            out.append(part)
    return out
