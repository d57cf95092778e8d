"""The benchmark workload, read once and handed to every engine.

codeconn reads the file through its own loader (`codeconn.policytest.load_file`). The
other engines get the same cases as plain values: the identity policy documents as
written and each request with the file's `defaults` merged under it (as
policy-test-format.md fixes: `request` field by field, its `context` key by key). They
translate from the documents, not from codeconn's parsed form, so a fault in codeconn's
parser cannot hide in their answers.

Their adapters model one principal with identity-based policies only; a workload that
asks for more (a resource policy, SCPs, several principals) is refused here rather than
decided wrongly. Cross-account requests are in scope: with no resource-based policy to
allow them, AWS lets only an explicit Deny decide them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeconn.policytest import Case, CaseFileError, load_file

# Policy fields of a case other than identityPolicies: the identity-only adapters cannot model them.
_OTHER_POLICY_FIELDS = ("resourcePolicy", "permissionBoundaries", "serviceControlPolicies",
                        "resourceControlPolicies", "sessionPolicy")


class WorkloadError(Exception):
    """The workload cannot be read, or asks for more than the benchmark's adapters model."""


@dataclass(frozen=True)
class RawRequest:
    """A request as the file writes it, defaults merged in."""

    principal: str
    action: str
    resource: str
    resource_account: str | None  # as given, else the ARN's account field (as codeconn's make_request does)
    context: Mapping[str, Any]


@dataclass(frozen=True)
class Workload:
    path: Path
    names: tuple[str, ...]
    expect: tuple[str, ...]
    cases: tuple[Case, ...]  # codeconn's reading
    principal: str  # the one caller; the identity policies are its own
    principal_account: str | None
    identity_policies: tuple[tuple[str, Mapping[str, Any]], ...]  # (name, document), in attachment order
    requests: tuple[RawRequest, ...]  # the same cases as plain values, for the other engines

    def __len__(self) -> int:
        return len(self.cases)


def load_workload(path: Path, limit: int | None = None) -> Workload:
    """Read the workload twice (codeconn's loader and plainly) and check both readings agree."""
    try:
        cases = load_file(path)  # CaseFileError names the file, the case and the field
        data = json.loads(path.read_text(encoding="utf-8"))
    except CaseFileError as exc:
        raise WorkloadError(str(exc)) from None
    raw_cases = [_merge(data.get("defaults", {}), raw) for raw in data["cases"]]
    if limit is not None:
        cases, raw_cases = cases[:limit], raw_cases[:limit]
    if not cases:
        raise WorkloadError(f"{path}: no cases")
    if len(cases) != len(raw_cases) or any(c.name != r.get("name", c.name) for c, r in zip(cases, raw_cases)):
        raise WorkloadError(f"{path}: codeconn's loader and the plain reading disagree on the cases")
    if any(c.policies is not cases[0].policies for c in cases):
        raise WorkloadError(f"{path}: the cases do not share one policy set; the benchmark compiles one")

    first = raw_cases[0]
    attached = first.get("identityPolicies") or []
    principal = first["request"]["principal"]
    for raw in raw_cases:
        where = f"{path}: case {raw.get('name')!r}"
        extra = [f for f in _OTHER_POLICY_FIELDS if raw.get(f)]
        if extra:
            raise WorkloadError(f"{where}: {', '.join(extra)}: the adapters model identity-based policies only")
        if raw.get("identityPolicies") != attached:
            raise WorkloadError(f"{where}: identityPolicies differ from the first case's")
        if raw["request"]["principal"] != principal:
            raise WorkloadError(f"{where}: request.principal differs from the first case's")

    documents = data.get("policies", {})
    identity = tuple(
        (ref, documents[ref]) if isinstance(ref, str) else (f"identityPolicies[{i}]", ref)
        for i, ref in enumerate(attached)
    )
    requests = tuple(
        RawRequest(principal=r["request"]["principal"], action=r["request"]["action"],
                   resource=r["request"]["resource"],
                   resource_account=_resource_account(r["request"]),
                   context=r["request"].get("context", {}))
        for r in raw_cases
    )
    return Workload(path=path, names=tuple(c.name for c in cases), expect=tuple(c.expect for c in cases),
                    cases=tuple(cases), principal=principal, principal_account=_account_of(principal),
                    identity_policies=identity, requests=requests)


def _merge(defaults: Mapping[str, Any], case: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **case}
    request = {**defaults.get("request", {}), **case.get("request", {})}
    request["context"] = {**defaults.get("request", {}).get("context", {}),
                          **case.get("request", {}).get("context", {})}
    merged["request"] = request
    return merged


def _resource_account(request: Mapping[str, Any]) -> str | None:
    given = request.get("resourceAccount")
    return given if given is not None else _account_of(request["resource"])


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" and parts[4] else None


def first_differences(workload: Workload, decisions: Sequence[str], limit: int = 10) -> list[dict[str, str]]:
    """The first cases whose decision is not the expected one, for the report."""
    out: list[dict[str, str]] = []
    for name, expect, got in zip(workload.names, workload.expect, decisions):
        if got != expect:
            out.append({"case": name, "expect": expect, "decision": got})
            if len(out) == limit:
                break
    return out
