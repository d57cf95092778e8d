"""Request headers as the protocols read them: names lower-cased once, the first value of each.

`HttpRequest.build` lower-cases header names when the request arrives; the edge
then takes `Headers.first_values` of them without lower-casing again, and every
protocol reads them through `lowered`, which leaves a `Headers` as it is. A plain
mapping (a library caller's, a test's) is lower-cased on the way in, so the
protocols accept either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class Headers(dict[str, str]):
    """Header name (lower-case) -> its first value."""

    @classmethod
    def first_values(cls, pairs: Iterable[tuple[str, str]]) -> Headers:
        """From (name, value) pairs whose names are already lower-case, such as `HttpRequest.headers`."""
        out = cls()
        for name, value in pairs:
            out.setdefault(name, value)
        return out


def lowered(headers: Mapping[str, str]) -> Headers:
    """`headers` keyed by lower-case name: as given when it is a `Headers`, else lower-cased now."""
    if isinstance(headers, Headers):
        return headers
    return Headers({key.lower(): value for key, value in headers.items()})


__all__ = ["Headers", "lowered"]
