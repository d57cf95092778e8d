"""Typed context entries for simulated requests, as `aws iam simulate-custom-policy` takes them.

AWS's ContextEntry is (ContextKeyName, ContextKeyValues, ContextKeyType), the type
one of `string`, `stringList`, `numeric`, `numericList`, `boolean`, `booleanList`,
`ip`, `ipList`, `binary`, `binaryList`, `date`, `dateList`. The engine compares
strings and lets each condition operator read a value as its own type, so a type
does two jobs here: it says whether the key is multivalued, and it catches a bad
value before it silently fails to match. Without a type, the catalog's declared
type for the key is used (an undeclared key is a string, or a string list when
given several values).

Two spellings are read:

- `KEY=VALUE[,VALUE...][:TYPE]`, short for the command line;
- AWS CLI shorthand (`ContextKeyName=K,ContextKeyValues=V1,V2,ContextKeyType=T`) or
  its JSON form (an object or a list of objects), to paste from existing scripts;
  JSON is the way to give a value that holds a comma.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from codeconn.iam.catalog import IamCatalog
from codeconn.iam.conditions import read_binary, read_bool, read_date, read_ip, read_number
from codeconn.policytest.errors import ContextError

# AWS ContextKeyType -> (the catalog's scalar type, multivalued)
CONTEXT_KEY_TYPES: dict[str, tuple[str, bool]] = {
    "string": ("String", False), "stringList": ("String", True),
    "numeric": ("Numeric", False), "numericList": ("Numeric", True),
    "boolean": ("Bool", False), "booleanList": ("Bool", True),
    "ip": ("IPAddress", False), "ipList": ("IPAddress", True),
    "binary": ("Binary", False), "binaryList": ("Binary", True),
    "date": ("Date", False), "dateList": ("Date", True),
}

_READERS: dict[str, tuple[Callable[[str], object], str]] = {
    "Numeric": (read_number, "a number"),
    "Bool": (read_bool, "true or false"),
    "IPAddress": (read_ip, "an IP address"),
    "Binary": (read_binary, "base64"),
    "Date": (read_date, "an ISO 8601 date or epoch seconds"),
}

_SHORTHAND_FIELDS = ("ContextKeyName", "ContextKeyValues", "ContextKeyType")
_SHORTHAND_SPLIT = re.compile(r",(?=\s*ContextKey(?:Name|Values|Type)=)")


@dataclass(frozen=True, slots=True)
class ContextEntry:
    """One key's values as given; `type` is AWS's ContextKeyType, or None to take the catalog's."""

    key: str
    values: tuple[str, ...]
    type: str | None = None
    source: str = ""  # the option as written, for messages

    def __post_init__(self) -> None:
        if self.type is not None and self.type not in CONTEXT_KEY_TYPES:
            raise ContextError(f"{self.source or self.key}: unknown type {self.type!r} "
                               f"(one of {', '.join(CONTEXT_KEY_TYPES)})")


def parse_context_option(text: str) -> ContextEntry:
    """`KEY=VALUE[,VALUE...][:TYPE]`: the first `=` ends the key; a last `:TYPE` is a type only if it names one."""
    key, sep, rest = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ContextError(f"--context {text!r}: expected KEY=VALUE[,VALUE...][:TYPE]")
    head, colon, tail = rest.rpartition(":")
    kind = None
    if colon and tail in CONTEXT_KEY_TYPES:
        rest, kind = head, tail
    return ContextEntry(key, tuple(rest.split(",")), kind, f"--context {text!r}")


def parse_context_entry(text: str) -> list[ContextEntry]:
    """AWS's ContextEntry in CLI shorthand or JSON (one object or a list of them)."""
    source = f"--context-entry {text!r}"
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ContextError(f"{source}: not valid JSON: {exc.msg}") from None
        items = data if isinstance(data, list) else [data]
        return [_entry_from_json(item, source) for item in items]
    fields: dict[str, str] = {}
    for part in _SHORTHAND_SPLIT.split(text):
        name, sep, value = part.strip().partition("=")
        if not sep or name not in _SHORTHAND_FIELDS:
            raise ContextError(f"{source}: expected ContextKeyName=KEY,ContextKeyValues=V1,V2[,ContextKeyType=TYPE]")
        fields[name] = value
    if not fields.get("ContextKeyName") or "ContextKeyValues" not in fields:
        raise ContextError(f"{source}: ContextKeyName and ContextKeyValues are required")
    values = fields["ContextKeyValues"]
    if values.startswith("[") and values.endswith("]"):
        values = values[1:-1]
    return [ContextEntry(fields["ContextKeyName"], tuple(values.split(",")), fields.get("ContextKeyType"), source)]


def _entry_from_json(item: Any, source: str) -> ContextEntry:
    if not isinstance(item, dict) or not isinstance(item.get("ContextKeyName"), str):
        raise ContextError(f"{source}: each entry is an object with ContextKeyName and ContextKeyValues")
    values = item.get("ContextKeyValues")
    if not isinstance(values, list) or not all(isinstance(v, (str, int, float, bool)) for v in values):
        raise ContextError(f"{source}: ContextKeyValues must be a list of values")
    kind = item.get("ContextKeyType")
    if kind is not None and not isinstance(kind, str):
        raise ContextError(f"{source}: ContextKeyType must be a string")
    rendered = tuple(("true" if v else "false") if isinstance(v, bool) else str(v) for v in values)
    return ContextEntry(item["ContextKeyName"], rendered, kind, source)


def build_context(entries: Iterable[ContextEntry], catalog: IamCatalog) -> dict[str, str | list[str]]:
    """The request context: entries for one key (case-insensitively) are joined, then typed and checked.

    A multivalued key (by its given or declared type) becomes a list, anything else
    one string; a value that its type cannot read is a ContextError naming the key.
    """
    joined: dict[str, list[ContextEntry]] = {}
    for entry in entries:
        joined.setdefault(entry.key.lower(), []).append(entry)
    context: dict[str, str | list[str]] = {}
    for group in joined.values():
        key = group[0].key
        values = tuple(v for e in group for v in e.values)
        given = {e.type for e in group if e.type is not None}
        if len(given) > 1:
            raise ContextError(f"context key {key!r}: given as {' and '.join(sorted(given))}")
        scalar, multivalued = _type_of(key, given.pop() if given else None, len(values), catalog)
        if not multivalued and len(values) > 1:
            raise ContextError(f"context key {key!r} takes one value ({scalar}), got {len(values)}: "
                               f"{', '.join(values)}")
        reader = _READERS.get(scalar)
        if reader is not None:
            for value in values:
                if reader[0](value) is None:
                    raise ContextError(f"context key {key!r}: {value!r} is not {reader[1]} ({scalar})")
        context[key] = list(values) if multivalued else values[0]
    return context


def _type_of(key: str, given: str | None, count: int, catalog: IamCatalog) -> tuple[str, bool]:
    if given is not None:
        return CONTEXT_KEY_TYPES[given]
    declared = catalog.condition_key(key)
    if declared is not None:
        return declared.scalar_type, declared.multivalued
    return "String", count > 1
