"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`.

A value that holds variables is parsed once into a `Template`; resolving it
against a request gives the concrete string, or None when a variable has no
value and no default (AWS then treats the element as not matching).
The escapes `${*}`, `${?}` and `${$}` stand for the literal characters, which
stay literal even where `*` and `?` are wildcards: `Template.literal_marks`
says where they landed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_WITH_DEFAULT = re.compile(r"^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$")
_KEY = re.compile(r"^[A-Za-z0-9_.:/+=@-]+$")


@dataclass(frozen=True, slots=True)
class Variable:
    key: str  # lower-cased context key
    default: str | None


@dataclass(frozen=True, slots=True)
class Template:
    """A string with policy variables; `parts` alternates literals and Variables."""

    source: str
    parts: tuple[str | Variable, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.key for p in self.parts if isinstance(p, Variable))

    def resolve(self, context: Mapping[str, tuple[str, ...]]) -> tuple[str, frozenset[int]] | None:
        """The concrete string and the positions of escaped (literal) wildcards."""
        out: list[str] = []
        marks: set[int] = set()
        length = 0
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                length += len(part)
                continue
            if part.key in _ESCAPE_KEYS:
                marks.add(length)
                out.append(_ESCAPE_KEYS[part.key])
                length += 1
                continue
            values = context.get(part.key)
            if values is None or len(values) != 1:
                # Missing, or multivalued: AWS does not substitute multivalued keys.
                if part.default is None:
                    return None
                value = part.default
            else:
                value = values[0]
            out.append(value)
            length += len(value)
        return "".join(out), frozenset(marks)


_ESCAPE_KEYS = {f"\x00{k}": v for k, v in _ESCAPES.items()}


def parse_template(value: str) -> Template | None:
    """A Template if `value` holds any `${...}`, else None; raises ValueError on a bad one."""
    if "${" not in value:
        return None
    parts: list[str | Variable] = []
    pos = 0
    for match in _VARIABLE.finditer(value):
        if match.start() > pos:
            parts.append(value[pos : match.start()])
        parts.append(_parse_variable(match.group(1)))
        pos = match.end()
    if pos < len(value):
        parts.append(value[pos:])
    return Template(value, tuple(parts))


def _parse_variable(body: str) -> Variable:
    if body in _ESCAPES:
        return Variable(f"\x00{body}", None)
    default: str | None = None
    with_default = _WITH_DEFAULT.match(body)
    if with_default:
        body, default = with_default.group(1), with_default.group(2)
    body = body.strip()
    if not _KEY.match(body):
        raise ValueError(f"invalid policy variable ${{{body}}}")
    return Variable(body.lower(), default)
