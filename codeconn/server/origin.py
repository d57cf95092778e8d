"""Which requests may reach the server at all: its own Host names, and no cross-site browser.

A web page can make the browser send requests to the loopback server: a presigned
GET needs no preflight, and a DNS-rebinding page (its name resolving to 127.0.0.1)
can read the answers too. So, before anything else (issue 7):

- the Host header must name the server: a loopback name (`localhost`, `127.0.0.1`,
  `::1`), the address it listens on, or a name given with `--allowed-host`; any
  port. A request without Host (HTTP/1.0) is let through: browsers always send it.
- a browser request must not be cross-site: `Sec-Fetch-Site: cross-site` or
  `same-site` is refused, and so is an `Origin` other than the server's own
  (`http://` + the Host header, `https://` likewise). The SDKs and the CLI send
  neither header, so presigned and signed calls from them are untouched.
- a CORS preflight (OPTIONS with `Origin`) is refused: no page may call the API.

`OriginPolicy.refusal` says why a request is refused, or None; the edge answers it
as AccessDenied in the protocol family's shape (403 for IAM and STS).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES: tuple[str, ...] = ("", "0.0.0.0", "::")
CROSS_SITE = ("cross-site", "same-site")


def host_name(value: str) -> str:
    """The name part of a Host header or an address, lower case: `[::1]:80` -> `::1`, `A.b.:1` -> `a.b`."""
    text = value.strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    return text.rstrip(".")


@dataclass(frozen=True)
class OriginPolicy:
    """The server's own names; `refusal` applies the rules of the module docstring."""

    names: frozenset[str]

    @classmethod
    def for_server(cls, host: str, allowed_hosts: Iterable[str] = ()) -> OriginPolicy:
        """Loopback names, the listening address (unless a wildcard) and `allowed_hosts`."""
        names = {*LOOPBACK_NAMES, *(host_name(name) for name in allowed_hosts)}
        if host_name(host) not in WILDCARD_ADDRESSES:
            names.add(host_name(host))
        return cls(frozenset(names))

    def refusal(self, method: str, headers: Mapping[str, str], *, navigation: bool = False) -> str | None:
        """Why the request (headers with lower-case names) is refused, or None when it may go on.

        `navigation`: a page a provider redirects the browser to (the OAuth callback);
        only its Host is checked, since such a redirect is a cross-site navigation.
        """
        host = headers.get("host")
        if host is not None and host_name(host) not in self.names:
            return (f"codeconn does not answer for the host {host_name(host)!r}: it answers to "
                    f"{', '.join(sorted(self.names))} (add names with --allowed-host).")
        if navigation:
            return None
        origin = headers.get("origin")
        if method == "OPTIONS" and origin is not None:
            return "codeconn refuses CORS preflight requests: the API may not be called from a web page."
        site = headers.get("sec-fetch-site", "").strip().lower()
        if site in CROSS_SITE:
            return f"codeconn refuses cross-site browser requests (Sec-Fetch-Site: {site})."
        if origin is not None and not _own(origin, host):
            return f"codeconn refuses cross-origin browser requests (Origin: {origin[:200]})."
        return None


def _own(origin: str, host: str | None) -> bool:
    parts = urlsplit(origin.strip())
    return host is not None and parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


__all__ = ["CROSS_SITE", "LOOPBACK_NAMES", "WILDCARD_ADDRESSES", "OriginPolicy", "host_name"]
