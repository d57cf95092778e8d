"""IAM wildcard patterns (`*` and `?`), compiled once into matchers.

Actions match case-insensitively over the whole string; ARNs (in Resource
elements and the Arn* condition operators) match segment by segment, so a
wildcard never reaches across the first five colons of an ARN, as AWS
documents for the Resource element and for ArnLike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Matcher = Callable[[str], bool]


def glob_to_regex(pattern: str, *, literal_marks: frozenset[int] = frozenset()) -> str:
    """Regex source for an IAM glob; characters at `literal_marks` positions are literal."""
    out: list[str] = []
    for i, ch in enumerate(pattern):
        if i in literal_marks:
            out.append(re.escape(ch))
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def compile_glob(pattern: str, *, ignore_case: bool = False) -> Matcher:
    """Whole-string glob matcher; a pattern without wildcards is an equality test."""
    if not has_wildcard(pattern):
        if ignore_case:
            folded = pattern.casefold()
            return lambda value: value.casefold() == folded
        return pattern.__eq__
    if pattern == "*":
        return _always
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(glob_to_regex(pattern), flags).fullmatch  # type: ignore[return-value]


def _always(_value: str) -> bool:
    return True


def split_arn(arn: str) -> list[str] | None:
    """The six parts of an ARN (the last may contain colons), or None if it is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts


def compile_arn(pattern: str, *, literal_marks: frozenset[int] = frozenset()) -> Matcher:
    """Matcher for an ARN pattern, each colon-delimited segment matched on its own.

    A pattern that is not ARN-shaped (`*`, or a plain string) matches as a whole-string
    glob, which is how AWS treats Resource values such as `*`. Characters at
    `literal_marks` (escaped `${*}`, `${?}`) are literal.
    """
    if literal_marks:
        if split_arn(pattern) is None:
            return re.compile(glob_to_regex(pattern, literal_marks=literal_marks), re.DOTALL).fullmatch  # type: ignore[return-value]
    elif pattern == "*":
        return _always
    parts = split_arn(pattern)
    if parts is None:
        return compile_glob(pattern)
    if not has_wildcard(pattern):
        return pattern.__eq__
    # Each of the first five segments may not contain ':'; the resource part may.
    head: list[str] = []
    offset = 0
    for part in parts[:5]:
        head.append(_segment_regex(part, offset, literal_marks) + ":")
        offset += len(part) + 1
    tail = glob_to_regex(parts[5], literal_marks=frozenset(m - offset for m in literal_marks if m >= offset))
    return re.compile("".join(head) + tail, re.DOTALL).fullmatch  # type: ignore[return-value]


def _segment_regex(segment: str, offset: int = 0, literal_marks: frozenset[int] = frozenset()) -> str:
    return "".join(
        re.escape(c) if offset + i in literal_marks else "[^:]*" if c == "*" else "[^:]" if c == "?" else re.escape(c)
        for i, c in enumerate(segment)
    )
