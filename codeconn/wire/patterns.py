"""Model patterns matched in linear time, so no request value can stall the server.

Python's `re` backtracks: the model's ARN pattern `arn:aws(-[\\w]+)*:.+:.+:[0-9]{12}:.+`
takes time cubic in the length of `"arn:aws:" * n`, and `re` holds the GIL while it
works, so one such request stalled every other thread (issue 7). RE2 (the
`google-re2` package) matches in time linear in the value and never backtracks.

`linear_pattern(python)` takes a model pattern as `validate.compile_pattern` made it
(cached there, once per pattern): the meaning is `compile_pattern`'s (ASCII `\\d \\w \\b`, Unicode `\\s`, `\\p{..}` expanded,
`$` only at the very end), respelled in RE2's syntax. A pattern RE2 cannot read
(lookaround, as in the account alias's `-(?!-)`) falls back to Python's `re` on
values of at most `FALLBACK_MAX_LENGTH` characters; a longer value does not match.
A value RE2 cannot take (lone surrogates, which are not Unicode scalar values)
does not match either.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import re2

FALLBACK_MAX_LENGTH = 2048
"""The longest value a backtracking (fallback) pattern is tried on."""

_RE2_MAX_MEM = 64 << 20  # the \p{L}-style classes expand into thousands of ranges


@dataclass(frozen=True)
class LinearPattern:
    """A compiled model pattern: RE2 when it reads the pattern, else bounded `re`."""

    source: str
    compiled: Any  # re2's compiled pattern, in UTF-8 bytes (the package has no type hints), or None
    fallback: re.Pattern[str] | None

    def search(self, value: str) -> bool:
        """Whether the pattern occurs anywhere in `value` (Smithy's reading)."""
        return self._run(value, whole=False)

    def fullmatch(self, value: str) -> bool:
        """Whether the pattern matches all of `value` (the Query family's reading)."""
        return self._run(value, whole=True)

    def _run(self, value: str, *, whole: bool) -> bool:
        if self.compiled is not None:
            try:
                encoded = value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: not a Unicode string any pattern matches
                return False
            found = self.compiled.fullmatch(encoded) if whole else self.compiled.search(encoded)
            return found is not None
        assert self.fallback is not None
        if len(value) > FALLBACK_MAX_LENGTH:
            return False
        return (self.fallback.fullmatch(value) if whole else self.fallback.search(value)) is not None


@functools.cache
def linear_pattern(python: re.Pattern[str]) -> LinearPattern:
    """`python` (a model pattern as `compile_pattern` read it) for linear-time matching where RE2 allows."""
    options = re2.Options()
    options.max_mem = _RE2_MAX_MEM
    options.log_errors = False
    try:
        # Bytes, matched against the value's UTF-8: what re2 does with a str, less the work of
        # mapping byte offsets back to characters, which a yes-or-no never needs (issue 13).
        return LinearPattern(python.pattern, re2.compile(to_re2(python.pattern).encode("utf-8"), options), None)
    except re2.error:
        return LinearPattern(python.pattern, None, python)


def to_re2(python_pattern: str) -> str:
    """A pattern `compile_pattern` produced, in RE2's spelling of the same escapes.

    `\\UXXXXXXXX` and `\\uXXXX` become `\\x{...}`, `\\Z` (the very end) becomes `\\z`;
    everything else reads the same in both engines (RE2's `\\d \\w \\b` are ASCII,
    as `re.ASCII` makes Python's).
    """
    out: list[str] = []
    index = 0
    while index < len(python_pattern):
        char = python_pattern[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        escape = python_pattern[index + 1 : index + 2]
        width = {"U": 8, "u": 4}.get(escape)
        if width is not None:
            out.append("\\x{" + python_pattern[index + 2 : index + 2 + width] + "}")
            index += 2 + width
            continue
        out.append("\\z" if escape == "Z" else python_pattern[index : index + 2])
        index += 2
    return "".join(out)


__all__ = ["FALLBACK_MAX_LENGTH", "LinearPattern", "linear_pattern", "to_re2"]
