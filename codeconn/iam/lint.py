"""Lint a policy against the IAM catalog: what parses but cannot do what its author meant.

The parser (`parse.py`) checks the grammar; the linter checks meaning, with the
Service Authorization Reference as data (`IamCatalog`): unknown services, actions
and condition keys, keys the statement's actions do not support, operators
that do not fit a key's type, set operators against single- or multivalued
keys, values outside the documented set, and statements that can never match.
Each finding carries a stable code, a severity and the JSON path of the fault
as AWS's validator writes it (`Statement[1].Action[2]`), so the CLI, CI and the
server can all report it. Pure: values in, findings out.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from codeconn.iam.catalog import GLOBAL_KEYS, Action, IamCatalog, ConditionKey
from codeconn.iam.conditions import OPERATORS, read_date, read_number
from codeconn.iam.document import Condition, Policy, PolicyKind, Statement
from codeconn.iam.errors import PolicySyntaxError
from codeconn.iam.parse import VERSIONS, parse_policy
from codeconn.iam.satisfiable import (
    VARIABLE,
    arn_overlaps,
    null_conflict,
    range_conflict,
    string_conflict,
)
from codeconn.iam.wildcards import compile_glob, has_wildcard

__all__ = ["CODES", "Finding", "Severity", "lint_policy"]


class Severity(str, Enum):
    ERROR = "error"  # the policy does not do what it says (or does not parse)
    WARNING = "warning"  # it works, but likely not as meant


# The stable vocabulary of finding codes: code -> what it means.
CODES: dict[str, str] = {
    "syntax": "the document breaks the policy grammar (parse_policy's problems)",
    "duplicate-key": "a JSON object repeats a key; JSON keeps the last, silently dropping the others",
    "unknown-service": "an action's service prefix is not an AWS service",
    "unknown-action": "an action, or an action pattern, names no action of its service",
    "misnamed-condition-key": "a name one AWS page gives a condition key that no request carries; names the real key",
    "unknown-condition-key": "a condition key that no service (or the global keys) defines",
    "unsupported-condition-key": "a condition key that none of the statement's actions supports",
    "partially-supported-condition-key": "a condition key that some of the statement's actions do not support",
    "operator-type-mismatch": "a condition operator that does not fit the key's declared type",
    "set-operator-on-single-valued-key": "ForAllValues/ForAnyValue on a key with one value",
    "missing-set-operator": "a multivalued key (ArrayOf*) used without ForAllValues/ForAnyValue",
    "invalid-key-value": "a value that matches none of the key's documented values",
    "action-resource-mismatch": "an action that none of the statement's resources can be",
    "never-matches": "a statement that no request can match (resources or conditions)",
    "variable-in-old-version": "a policy variable in a policy of Version 2008-10-17, where it is literal text",
}

# Keys spelled as some AWS page spells them but that no request carries. The seed's
# "Supported values" table lists `ProviderActionType` with the values read_only and
# read_write, which the list above it and the service authorization reference call
# ProviderPermissionsRequired; policies written from that table often give it a
# ProviderAction value (GitPush) instead. No request carries the name, so an Allow
# conditioned on it grants nothing and a Deny denies nothing: one error per place,
# naming the key that each value written there belongs to.
MISNAMED_KEYS: dict[str, str] = {
    f"{prefix}:provideractiontype": "AWS's connections permissions page lists ProviderActionType in its "
                                    "table of supported values, but no request carries that key"
    for prefix in ("codestar-connections", "codeconnections")
}
_REAL_KEYS_BY_VALUE = ("ProviderPermissionsRequired", "ProviderAction")  # the keys whose values such a name holds

# Operator family -> key types it fits without comment (IAM User Guide, condition operators).
_FITS: dict[str, frozenset[str]] = {
    "String": frozenset({"String", "ARN"}),  # String on ARN keys is allowed; Arn* is only a recommendation
    "Arn": frozenset({"ARN"}),
    "Numeric": frozenset({"Numeric"}),
    "Date": frozenset({"Date"}),
    "Bool": frozenset({"Bool"}),
    "Binary": frozenset({"Binary"}),
    "IpAddress": frozenset({"IPAddress"}),
}
# Mismatches that still compare the text form and so work: a warning, not an error.
_TOLERATED: dict[str, frozenset[str]] = {
    "String": frozenset({"Numeric", "Date", "Bool", "IPAddress", "Binary"}),
    "Arn": frozenset({"String"}),  # some services type ARN-valued keys as String
}
# Keys AWS documents with more than one type (aws:EpochTime: "Date, Numeric").
_EXTRA_FAMILIES: dict[str, frozenset[str]] = {"aws:epochtime": frozenset({"Numeric"})}


@dataclass(frozen=True, slots=True)
class Finding:
    """One fault: `path` is the JSON path AWS's validator gives (`Statement[0].Action[1]`)."""

    severity: Severity
    code: str
    path: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "severity": self.severity.value, "code": self.code, "message": self.message}


def lint_policy(document: str | Mapping[str, Any] | Policy, catalog: IamCatalog, *,
                kind: PolicyKind = PolicyKind.IDENTITY) -> list[Finding]:
    """Every finding for a policy (JSON text, decoded object or parsed Policy), in document order.

    Syntax problems come first; the statements that parse on their own are then
    linted too, so one run shows everything that can be known. A parsed Policy
    keeps no record of which elements were lists, so paths into one-element
    lists (`Action[0]`) are only exact when the raw document is given.
    """
    if isinstance(document, Policy):
        return _Linter(catalog, {}).run(document)
    findings: list[Finding] = []
    raw: Any = document
    if isinstance(document, str):
        try:
            raw = json.loads(document, object_pairs_hook=_object)
        except json.JSONDecodeError:
            pass  # parse_policy reports it, with line and column
        else:
            findings.extend(_duplicate_keys(raw, ""))
    try:
        policy: Policy | None = parse_policy(raw, kind=kind)
    except PolicySyntaxError as exc:
        findings.extend(Finding(Severity.ERROR, "syntax", p.path, p.message) for p in exc.problems)
        policy = _salvage(raw, kind)
    if policy is None:
        return findings
    return findings + _Linter(catalog, _raw_statements(raw)).run(policy)


# -- the raw document: duplicate keys, salvage, list-or-scalar paths ----------------------

class _Object(dict[str, Any]):
    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    out = _Object()
    out.duplicates = []
    for key, value in pairs:
        if key in out:
            out.duplicates.append(key)
        out[key] = value
    return out


def _duplicate_keys(value: Any, path: str) -> Iterable[Finding]:
    if isinstance(value, _Object):
        for key in value.duplicates:
            yield Finding(Severity.ERROR, "duplicate-key", _join(path, key),
                          f"{key!r} appears more than once in this object; JSON keeps only the last one")
        for key, item in value.items():
            yield from _duplicate_keys(item, _join(path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _duplicate_keys(item, f"{path}[{i}]")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _raw_statements(document: Any) -> dict[str, Mapping[str, Any]]:
    raw = document.get("Statement") if isinstance(document, Mapping) else None
    if isinstance(raw, Mapping):
        return {"Statement": raw}
    if isinstance(raw, list):
        return {f"Statement[{i}]": s for i, s in enumerate(raw) if isinstance(s, Mapping)}
    return {}


def _salvage(document: Any, kind: PolicyKind) -> Policy | None:
    """The statements that parse on their own, at their own paths, to lint past syntax errors."""
    statements: list[Statement] = []
    for path, raw in _raw_statements(document).items():
        index = int(path[len("Statement["):-1]) if path.endswith("]") else 0
        try:
            parsed = parse_policy({"Version": "2012-10-17", "Statement": [raw]}, kind=kind).statements[0]
        except PolicySyntaxError:
            continue
        old = parsed.path
        statements.append(replace(parsed, index=index, path=path, conditions=tuple(
            replace(c, path=path + c.path[len(old):]) for c in parsed.conditions)))
    if not statements:
        return None
    version = document.get("Version", VERSIONS[1])
    return Policy(name="policy", kind=kind, version=version if version in VERSIONS else VERSIONS[0],
                  id=None, statements=tuple(statements))


# -- the linter ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _ActionRef:
    path: str
    pattern: str
    matched: tuple[Action, ...] | None  # None: covers actions we cannot enumerate (`*`)


class _Linter:
    def __init__(self, catalog: IamCatalog, raw: Mapping[str, Mapping[str, Any]]) -> None:
        self.catalog = catalog
        self.raw = raw
        self.findings: list[Finding] = []

    def run(self, policy: Policy) -> list[Finding]:
        if policy.version == "2008-10-17":
            self._old_version(policy)
        for stmt in policy.statements:
            refs = self._actions(stmt)
            covered = _covered(refs) if stmt.actions is not None else None
            self._resources(stmt, refs, covered)
            for condition in stmt.conditions:
                self._condition(condition, covered)
            self._impossible_conditions(stmt)
        return self.findings

    def _old_version(self, policy: Policy) -> None:
        """Under Version 2008-10-17 (also the default) `${...}` is literal text, not a variable."""
        for stmt in policy.statements:
            texts = [*(stmt.resources or ()), *(stmt.not_resources or ()), *(v for c in stmt.conditions for v in c.values)]
            used = next((t for t in texts if VARIABLE.search(t)), None)
            if used is not None:
                self._add(Severity.WARNING, "variable-in-old-version", "Version",
                          f"{used!r} ({stmt.path}) is literal text under Version 2008-10-17, the default when "
                          "Version is absent; policy variables need Version 2012-10-17")
                return

    def _add(self, severity: Severity, code: str, path: str, message: str) -> None:
        finding = Finding(severity, code, path, message)
        if finding not in self.findings:  # one finding per place, however it was reached
            self.findings.append(finding)

    def _listed(self, stmt_path: str, fields: Sequence[str], count: int) -> bool:
        """Whether the raw element was a JSON list (its items get `[i]` in paths); a guess without raw."""
        node: Any = self.raw.get(stmt_path)
        if node is None:
            return count > 1
        for field in fields:
            node = node.get(field) if isinstance(node, Mapping) else None
        return isinstance(node, list)

    # -- Action / NotAction ----------------------------------------------------------------

    def _actions(self, stmt: Statement) -> list[_ActionRef]:
        field, patterns = ("Action", stmt.actions) if stmt.actions is not None else ("NotAction", stmt.not_actions)
        patterns = patterns or ()
        listed = self._listed(stmt.path, [field], len(patterns))
        return [self._action(f"{stmt.path}.{field}" + (f"[{i}]" if listed else ""), pattern)
                for i, pattern in enumerate(patterns)]

    def _action(self, path: str, pattern: str) -> _ActionRef:
        if pattern == "*":
            return _ActionRef(path, pattern, None)
        prefix, _, name = pattern.partition(":")
        if has_wildcard(prefix):
            match = compile_glob(prefix, ignore_case=True)
            if any(match(s) for s in self.catalog.service_names):
                return _ActionRef(path, pattern, None)
            self._add(Severity.ERROR, "unknown-service", path, f"{pattern!r}: {prefix!r} matches no AWS service prefix")
            return _ActionRef(path, pattern, ())
        if not self.catalog.has_service(prefix):
            self._add(Severity.ERROR, "unknown-service", path, f"{pattern!r}: {prefix!r} is not an AWS service prefix"
                      + _did_you_mean(prefix, self.catalog.service_names))
            return _ActionRef(path, pattern, ())
        actions = self.catalog.actions(prefix)
        if has_wildcard(name):
            match = compile_glob(name, ignore_case=True)
            found = tuple(a for a in actions if match(a.name))
            if not found:
                self._add(Severity.ERROR, "unknown-action", path, f"{pattern!r} matches no action of {prefix}")
            return _ActionRef(path, pattern, found)
        action = self.catalog.action(pattern)
        if action is None:
            self._add(Severity.ERROR, "unknown-action", path, f"{pattern!r} is not an action of {prefix}"
                      + _did_you_mean(name, [a.name for a in actions]))
            return _ActionRef(path, pattern, ())
        return _ActionRef(path, pattern, (action,))

    # -- Resource ---------------------------------------------------------------------------

    def _resources(self, stmt: Statement, refs: list[_ActionRef], covered: tuple[Action, ...] | None) -> None:
        """A Resource no covered action can act on: the statement (or that action) never applies."""
        resources = stmt.resources
        if not resources or not covered or "*" in resources:
            return
        reached = {a.qualified for a in covered if any(self._reaches(a, r) for r in resources)}
        if not reached:
            shapes = "; ".join(f"{a.qualified} acts on {self._shapes(a)}" for a in covered[:3])
            more = f" (and {len(covered) - 3} more)" if len(covered) > 3 else ""
            self._add(Severity.ERROR, "never-matches", f"{stmt.path}.Resource",
                      f"no action of this statement acts on these resources: {shapes}{more}")
            return
        for ref in refs:
            if ref.matched and not has_wildcard(ref.pattern) and ref.matched[0].qualified not in reached:
                self._add(Severity.WARNING, "action-resource-mismatch", ref.path,
                          f"{ref.pattern} acts on {self._shapes(ref.matched[0])}, which no Resource of this "
                          "statement matches; the statement never applies to it")

    def _templates(self, action: Action) -> list[str]:
        found = (self.catalog.resource_type(action.service, ref.name) for ref in action.resource_types)
        return [rt.arn for rt in found if rt is not None]

    def _reaches(self, action: Action, resource: str) -> bool:
        if not action.resource_types:  # no resource-level permissions: authorized against "*"
            return compile_glob(VARIABLE.sub("*", resource))("*")
        templates = self._templates(action)
        return not templates or any(arn_overlaps(resource, t) for t in templates)

    def _shapes(self, action: Action) -> str:
        templates = self._templates(action)
        return " or ".join(templates) if templates else '"*" only (it has no resource type)'

    # -- Condition --------------------------------------------------------------------------

    def _condition(self, c: Condition, covered: tuple[Action, ...] | None) -> None:
        declared = self.catalog.condition_key(c.key)
        if declared is None:
            self._unknown_key(c)
            return
        if covered:
            self._support(c, covered)
        self._operator_fit(c, declared)
        self._set_operator(c, declared)
        self._values(c)

    def _unknown_key(self, c: Condition) -> None:
        why = MISNAMED_KEYS.get(c.key.lower())
        if why is not None:
            self._add(Severity.ERROR, "misnamed-condition-key", c.path,
                      f"{c.key}: {why}; {self._real_key_for(c)}")
            return
        prefix = c.key.partition(":")[0].lower()
        if prefix == "aws":
            message = f"{c.key} is not an AWS global condition key" + _did_you_mean(c.key, GLOBAL_KEYS)
        elif not self.catalog.has_service(prefix):
            message = f"{c.key}: {prefix!r} is not an AWS service prefix"
        else:
            known = {k for a in self.catalog.actions(prefix) for k in a.condition_keys}
            message = f"{c.key} is not a condition key of {prefix}" + _did_you_mean(c.key, sorted(known))
        self._add(Severity.ERROR, "unknown-condition-key", c.path, message)

    def _real_key_for(self, c: Condition) -> str:
        """Which key the values written under a misnamed key belong to, judged by the values."""
        prefix = c.key.partition(":")[0]
        owners: dict[str, list[str]] = {}
        for value in c.values:
            owner = next((f"{prefix}:{name}" for name in _REAL_KEYS_BY_VALUE
                          if any(d.casefold() == value.casefold()
                                 for d in self.catalog.documented_values(f"{prefix}:{name}") or ())), None)
            if owner is None:
                continue
            owners.setdefault(owner, []).append(value)
        if not owners:
            keys = " or ".join(f"{prefix}:{name}" for name in _REAL_KEYS_BY_VALUE)
            return f"use {keys} (read_only/read_write, or a ProviderAction value such as GitPull)"
        return "; ".join(f"for {', '.join(values)} use {key}" for key, values in owners.items())

    def _support(self, c: Condition, covered: tuple[Action, ...]) -> None:
        unsupported = [a.qualified for a in covered if not self.catalog.action_supports_key(a, c.key)]
        if not unsupported:
            return
        named = ", ".join(unsupported[:3]) + (f" and {len(unsupported) - 3} more" if len(unsupported) > 3 else "")
        if len(unsupported) == len(covered):
            self._add(Severity.ERROR, "unsupported-condition-key", c.path,
                      f"{c.key} is not a condition key of {named}, so its requests never carry it")
        else:
            self._add(Severity.WARNING, "partially-supported-condition-key", c.path,
                      f"{c.key} is not a condition key of {named}, so their requests never carry it")

    def _operator_fit(self, c: Condition, declared: ConditionKey) -> None:
        family = OPERATORS[c.base].family
        kind = declared.scalar_type
        if family == "Null" or kind in _FITS[family] or family in _EXTRA_FAMILIES.get(declared.name.lower(), ()):
            return
        severity = Severity.WARNING if kind in _TOLERATED.get(family, ()) else Severity.ERROR
        self._add(severity, "operator-type-mismatch", c.path,
                  f"{c.operator} compares {family} values, but {c.key} is of type {declared.type}; "
                  f"use {' or '.join(f for f, kinds in _FITS.items() if kind in kinds)} operators")

    def _set_operator(self, c: Condition, declared: ConditionKey) -> None:
        if c.set_operator and not declared.multivalued:
            risk = ("it is true when the key is missing, so it can allow more than meant"
                    if c.set_operator == "ForAllValues" else "AWS advises against it")
            self._add(Severity.WARNING, "set-operator-on-single-valued-key", c.path,
                      f"{c.operator} on single-valued key {c.key}: {risk}; use {c.operator.partition(':')[2]}")
        elif not c.set_operator and declared.multivalued and c.base != "Null":
            self._add(Severity.WARNING, "missing-set-operator", c.path,
                      f"{c.key} is multivalued ({declared.type}); say ForAnyValue:{c.operator} or "
                      f"ForAllValues:{c.operator}")

    def _values(self, c: Condition) -> None:
        documented = self.catalog.documented_values(c.key)
        if not documented or OPERATORS[c.base].family != "String":
            return
        fold = "IgnoreCase" in c.base
        like = "Like" in c.base
        listed = self._listed(c.path.partition(".Condition.")[0], ["Condition", c.operator, c.key], len(c.values))
        for i, value in enumerate(c.values):
            if "${" in value:
                continue
            match = compile_glob(value, ignore_case=fold) if like else (
                (lambda v, w=value.casefold(): v.casefold() == w) if fold else value.__eq__)
            if any(match(d) for d in documented):
                continue
            hint = next((f"; {c.operator} is case-sensitive: did you mean {d!r}?" for d in documented
                         if not like and d.casefold() == value.casefold()), None)
            self._add(Severity.ERROR, "invalid-key-value", c.path + (f"[{i}]" if listed else ""),
                      f"{value!r} {'matches no' if like else 'is not a'} documented value of {c.key} "
                      f"({', '.join(documented)})" + (hint or _did_you_mean(value, documented)))

    # -- conditions that contradict each other --------------------------------------------

    def _impossible_conditions(self, stmt: Statement) -> None:
        groups: dict[str, list[Condition]] = {}
        for c in stmt.conditions:
            groups.setdefault(c.key.lower(), []).append(c)
        for conditions in groups.values():
            if len(conditions) < 2:
                continue
            found = null_conflict(conditions)
            declared = self.catalog.condition_key(conditions[0].key)
            if found is None and declared is not None and not declared.multivalued:
                plain = [c for c in conditions if c.base != "Null" and not c.if_exists and c.set_operator is None
                         and not any("${" in v for v in c.values)]
                found = (string_conflict(plain) or range_conflict(plain, "Numeric", read_number)
                         or range_conflict(plain, "Date", read_date))
            if found is not None:
                self._add(Severity.ERROR, "never-matches", *found)


def _covered(refs: Sequence[_ActionRef]) -> tuple[Action, ...] | None:
    """The actions a statement's Action element covers, or None if it cannot be enumerated."""
    seen: dict[str, Action] = {}
    for ref in refs:
        if ref.matched is None:
            return None
        for action in ref.matched:
            seen.setdefault(action.qualified.lower(), action)
    return tuple(seen.values())


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    by_fold = {c.casefold(): c for c in choices}
    close = difflib.get_close_matches(word.casefold(), list(by_fold), n=1, cutoff=0.75)
    return f" (did you mean {by_fold[close[0]]!r}?)" if close else ""
