"""Validate a decoded request against its operation's input shape, as AWS does.

AWS checks every modelled constraint before an operation runs and answers all the
violations at once:

    2 validation errors detected: Value 'x...' at 'connectionName' failed to satisfy
    constraint: Member must have length less than or equal to 32; Value null at
    'providerType' failed to satisfy constraint: Member must not be null

Member paths are lowerCamelCase, list elements `tags.1.member.key` (1-based). The
value of a sensitive member, and of any blob, is not echoed ("Value at 'x' ...").
JSON-family services answer `ValidationException`, Query services (IAM, STS)
`ValidationError`; the text is the same.

Checked: required members, value types, string and blob length, string patterns (linear
time, see `patterns`; not tried on a value far over its maximum length),
enums, numeric ranges, list length, map size (and map keys as strings), and tagged
unions having exactly one member set. Unknown members never reach here: the
protocols drop them while decoding, as AWS ignores them.

Patterns are ECMA-262 regular expressions. Smithy defines them as NOT implicitly
anchored: a value matches when the pattern is found anywhere in it (`re.search`),
and models anchor with `^...$` where they mean it. That is how the JSON family is
checked. IAM and STS are older (Coral) services whose models were written for whole
value matching: IAM rejects the role name `my role` although its pattern
`[\\w+=,.@-]+` occurs in it, so the Query family matches patterns in full
(`PATTERN_MATCHING`). `compile_pattern` translates the ECMA constructs the models use
that Python's `re` reads differently.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.model import Shape

from codeconn.wire.errors import Family, WireError
from codeconn.wire.patterns import LinearPattern, linear_pattern


@dataclass(frozen=True, slots=True)
class Problem:
    """One violated constraint: where, the offending value, and AWS's constraint text."""

    path: str
    value: Any
    constraint: str
    shown: bool = True

    def __str__(self) -> str:
        value = "" if not self.shown else " null" if self.value is None else f" '{_render(self.value)}'"
        return f"Value{value} at '{self.path}' failed to satisfy constraint: {self.constraint}"


class InvalidParameters(WireError):
    """A request whose parameters break the model's constraints; carries every problem."""

    status = 400

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{count} validation {noun} detected: " + "; ".join(map(str, self.problems)))


class ValidationException(InvalidParameters):
    """The JSON family's (CodeStar Connections, CodeConnections) validation error."""

    code = "ValidationException"


class ValidationError(InvalidParameters):
    """The Query family's (IAM, STS) validation error."""

    code = "ValidationError"


VALIDATION_ERRORS: dict[Family, type[InvalidParameters]] = {"json": ValidationException, "query": ValidationError}

LONG_VALUE = 4096
"""A string longer than its shape's maximum and than this is not matched against its pattern."""

PATTERN_MATCHING: dict[Family, Callable[[LinearPattern, str], bool]] = {
    "json": LinearPattern.search,
    "query": LinearPattern.fullmatch,
}
"""How each family applies a model's `pattern` (see the module docstring); linear in the value's length."""


def validate(shape: Shape | None, params: Mapping[str, Any], family: Family = "json") -> None:
    """Raise the family's validation error naming every problem, or return quietly."""
    problems = find_problems(shape, params, family)
    if problems:
        raise VALIDATION_ERRORS[family](problems)


def find_problems(shape: Shape | None, params: Any, family: Family = "json") -> list[Problem]:
    """Every constraint `params` breaks, in member order; empty when the input is valid."""
    run = _Run([], PATTERN_MATCHING[family])
    if shape is not None:
        _check(shape, params, "", run)
    return run.problems


@dataclass(frozen=True, slots=True)
class _Run:
    problems: list[Problem]
    matches: Callable[[LinearPattern, str], bool]

    def add(self, path: str, value: Any, constraint: str, shown: bool = True) -> None:
        self.problems.append(Problem(path, value, constraint, shown))


def _check(shape: Shape, value: Any, path: str, run: _Run) -> None:
    kind = shape.type_name
    if not _TYPES[kind](value):
        run.add(path, value, f"Member must be of type {kind}", _shown(shape))
        return
    checker = _CHECKERS.get(kind)  # booleans and timestamps have nothing more to check
    if checker is not None:
        checker(shape, value, path, run)


def _check_structure(shape: Any, value: Mapping[str, Any], path: str, run: _Run) -> None:
    for name in shape.required_members:
        if value.get(name) is None:
            run.add(_join(path, name), None, "Member must not be null")
    present = [name for name in shape.members if value.get(name) is not None]
    if shape.is_tagged_union and len(present) != 1:
        run.add(path or "input", value, "Member must have exactly one member set", False)
    for name in present:
        _check(shape.members[name], value[name], _join(path, name), run)


def _check_list(shape: Any, value: list[Any], path: str, run: _Run) -> None:
    _check_length(shape, value, len(value), path, run)
    for index, item in enumerate(value, 1):
        item_path = f"{path}.{index}.member"
        if item is None:
            run.add(item_path, None, "Member must not be null")
        else:
            _check(shape.member, item, item_path, run)


def _check_map(shape: Any, value: Mapping[Any, Any], path: str, run: _Run) -> None:
    _check_length(shape, value, len(value), path, run)
    for key, item in value.items():
        keys = _Run([], run.matches)
        _check(shape.key, key, path, keys)
        for problem in keys.problems:
            run.add(path, key, f"Map keys must satisfy constraint: [{problem.constraint}]")
        if item is None:
            run.add(f"{path}.{key}", None, "Member must not be null")
        else:
            _check(shape.value, item, f"{path}.{key}", run)


def _check_string(shape: Any, value: str, path: str, run: _Run) -> None:
    if _check_length(shape, value, len(value), path, run) and len(value) > LONG_VALUE:
        return  # far over its limit: the length decides, the pattern is not tried
    pattern = shape.metadata.get("pattern")
    if pattern is not None and not run.matches(linear_pattern(compile_pattern(pattern)), value):
        run.add(path, value, f"Member must satisfy regular expression pattern: {pattern}", _shown(shape))
    if shape.enum and value not in shape.enum:
        run.add(path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]", _shown(shape))


def _check_blob(shape: Shape, value: bytes, path: str, run: _Run) -> None:
    _check_length(shape, value, len(value), path, run)


def _check_range(shape: Shape, value: float, path: str, run: _Run) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        run.add(path, value, f"Member must have value greater than or equal to {low}", _shown(shape))
    if high is not None and value > high:
        run.add(path, value, f"Member must have value less than or equal to {high}", _shown(shape))


def _check_length(shape: Shape, value: Any, length: int, path: str, run: _Run) -> bool:
    """Add the length problem, if any; whether the value is longer than allowed."""
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        run.add(path, value, f"Member must have length greater than or equal to {low}", _shown(shape))
    if high is not None and length > high:
        run.add(path, value, f"Member must have length less than or equal to {high}", _shown(shape))
        return True
    return False


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "structure": lambda value: isinstance(value, Mapping),
    "list": lambda value: isinstance(value, (list, tuple)),
    "map": lambda value: isinstance(value, Mapping),
    "string": lambda value: isinstance(value, str),
    "blob": lambda value: isinstance(value, (bytes, bytearray)),
    "boolean": lambda value: isinstance(value, bool),
    "timestamp": lambda value: isinstance(value, datetime),
    **{kind: _is_integer for kind in ("byte", "short", "integer", "long")},
    **{kind: _is_number for kind in ("float", "double")},
}
_CHECKERS: dict[str, Callable[[Any, Any, str, _Run], None]] = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "blob": _check_blob,
    **{kind: _check_range for kind in ("byte", "short", "integer", "long", "float", "double")},
}


def _join(path: str, member: str) -> str:
    camel = member[:1].lower() + member[1:]
    return f"{path}.{camel}" if path else camel


def _shown(shape: Shape) -> bool:
    return not shape.metadata.get("sensitive") and shape.type_name != "blob"


def _render(value: Any) -> str:
    """Values as AWS's (Java) messages print them: lists `[a, b]`, booleans `true`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_render(key)}={_render(item)}" for key, item in value.items()) + "}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# --- ECMA-262 patterns in Python ----------------------------------------------------

# ECMA's \s: the Unicode white space and line terminators (Python's re.ASCII \s has only ASCII).
_ECMA_SPACE = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
# ECMA's `.` matches anything but a line terminator; Python's only excludes \n.
_ECMA_DOT = "[^\\n\\r\\u2028\\u2029]"


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A Python regex with the meaning the ECMA-262 `pattern` has for AWS's models.

    - `\\d`, `\\w`, `\\b` are ASCII-only in ECMA: compiled with re.ASCII.
    - `\\s` is Unicode white space in ECMA: spelled out.
    - `\\p{L}`, `\\P{N}` (Unicode general categories) are not in Python's `re`:
      expanded into the code point ranges of `unicodedata`'s categories.
    - `$` matches only at the very end (Python's also before a final newline): `\\Z`.
    - `.` excludes all ECMA line terminators.
    Use `.search`: Smithy patterns are not implicitly anchored.
    """
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escape = pattern[index + 1 : index + 2]
            if escape in ("p", "P") and pattern[index + 2 : index + 3] == "{":
                end = pattern.index("}", index)
                out.append(_category_class(pattern[index + 3 : end], negated=escape == "P", in_class=in_class))
                index = end + 1
                continue
            if escape == "s" or (escape == "S" and not in_class):
                body = _ECMA_SPACE if in_class else f"[{'^' if escape == 'S' else ''}{_ECMA_SPACE}]"
                out.append(body)
            else:
                out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
        else:
            in_class = char == "["
            out.append({"$": "\\Z", ".": _ECMA_DOT}.get(char, char))
        index += 1
    return re.compile("".join(out), re.ASCII)


def _category_class(name: str, *, negated: bool, in_class: bool) -> str:
    ranges = _category_ranges(name)
    if in_class and negated:
        raise ValueError(f"\\P{{{name}}} inside a character class has no Python equivalent")
    return ranges if in_class else f"[{'^' if negated else ''}{ranges}]"


@functools.cache
def _category_ranges(name: str) -> str:
    """`\\p{name}` as character-class ranges: a general category (`Lu`) or its group (`L`)."""
    table = _categories()
    chosen = [spans for category, spans in table.items() if category == name or category[0] == name]
    if not chosen or len(name) > 2:
        raise ValueError(f"unsupported Unicode property \\p{{{name}}}")
    spans = sorted(span for group in chosen for span in group)
    return "".join(f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}" for low, high in spans)


@functools.cache
def _categories() -> dict[str, list[tuple[int, int]]]:
    """Every Unicode general category as a list of (first, last) code point spans."""
    table: dict[str, list[tuple[int, int]]] = {}
    start, current = 0, unicodedata.category("\x00")
    for code in range(1, sys.maxunicode + 2):
        category = unicodedata.category(chr(code)) if code <= sys.maxunicode else ""
        if category != current:
            table.setdefault(current, []).append((start, code - 1))
            start, current = code, category
    return table


__all__ = [
    "PATTERN_MATCHING",
    "VALIDATION_ERRORS",
    "LONG_VALUE",
    "InvalidParameters",
    "Problem",
    "ValidationError",
    "ValidationException",
    "compile_pattern",
    "find_problems",
    "validate",
]
