"""SigV4's canonical forms and signature, written as the steps of AWS's spec.

AWS, "Create a signed AWS API request":
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

    1. canonical request = method \\n canonical URI \\n canonical query string \\n
                           canonical headers \\n signed headers \\n hashed payload
    2. string to sign    = "AWS4-HMAC-SHA256" \\n timestamp \\n credential scope \\n
                           hex(sha256(canonical request))
    3. signing key       = HMAC chain: "AWS4" + secret -> date -> region -> service -> "aws4_request"
    4. signature         = hex(HMAC(signing key, string to sign))

The server recomputes what the client computed, so every function takes the request
as it arrived: the path and query string still percent-encoded as sent, the headers
as strings, the body as bytes. Where the spec leaves room, we follow botocore
(`botocore/auth.py`, `SigV4Auth`), the client every test signs with.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
CONTENT_SHA256_HEADER = "x-amz-content-sha256"
SIGNATURE_PARAM = "X-Amz-Signature"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# RFC 3986 unreserved characters: the only ones SigV4's UriEncode() leaves alone.
_UNRESERVED = "-_.~"


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An HTTP request as the server received it, before any protocol parsing.

    `path` and `query_string` are exactly as sent (still percent-encoded; for ASGI,
    `scope["raw_path"]` and `scope["query_string"]` decoded as latin-1), because the
    signature covers the encoded form. Header names are lower-cased; a header sent
    twice appears twice, in arrival order.
    """

    method: str
    path: str
    query_string: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    _values: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Header values by name, made once: a request's signature check and routing look up a
        # dozen headers, and scanning every header for each was a tenth of SigV4's time (issue 13).
        values: dict[str, tuple[str, ...]] = {}
        for name, value in self.headers:
            found = values.get(name)
            values[name] = (value,) if found is None else (*found, value)
        object.__setattr__(self, "_values", values)

    @classmethod
    def build(cls, method: str, path: str, query_string: str = "",
              headers: Mapping[str, str] | Iterable[tuple[str, str]] = (), body: bytes = b"") -> HttpRequest:
        """Normalise header names once, accepting a mapping or (name, value) pairs."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return cls(method.upper(), path or "/", query_string.lstrip("?"),
                   tuple((name.lower(), value) for name, value in pairs), body)

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of header `name` (any case), in arrival order."""
        return self._values.get(name.lower(), ())

    def header(self, name: str) -> str | None:
        """The first value of header `name`, or None when absent."""
        values = self.header_values(name)
        return values[0] if values else None

    def query_params(self) -> dict[str, str]:
        """Query parameters percent-decoded; the first of a repeated name wins."""
        params: dict[str, str] = {}
        for part in self.query_string.split("&"):
            if part:
                name, _, value = part.partition("=")
                params.setdefault(unquote(name), unquote(value))
        return params


@dataclass(frozen=True, slots=True)
class CredentialScope:
    """`date/region/service/aws4_request`: what a signing key is good for."""

    date: str
    region: str
    service: str
    terminator: str = TERMINATOR

    def __str__(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{self.terminator}"


# --- step 1: canonical request -----------------------------------------------------


def canonical_uri(path: str) -> str:
    """The path with dot segments and empty segments removed, then URI-encoded once more.

    `path` is already encoded by the client, so encoding it again yields the
    "encoded twice" form that every AWS service except S3 signs. Removing `.`,
    `..` and `//` is the spec's "normalize URI paths according to RFC 3986" as
    botocore applies it (`utils.remove_dot_segments`).
    """
    return quote(_remove_dot_segments(path), safe="/~")


def _remove_dot_segments(path: str) -> str:
    if not path:
        return "/"
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and kept else ""
    return first + "/".join(kept) + last


def canonical_query_string(query_string: str, *, presigned: bool = False) -> str:
    """Parameters URI-encoded by RFC 3986 and sorted by name, then value.

    Each name and value is decoded and encoded again, so `%7E`, `~` and a
    lower-case `%2f` all sign alike, as AWS's UriEncode() requires. A presigned
    URL's own `X-Amz-Signature` is left out: it cannot sign itself.
    """
    pairs: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if presigned and unquote(name) == SIGNATURE_PARAM:
            continue
        pairs.append((_uri_encode(name), _uri_encode(value)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _uri_encode(component: str) -> str:
    # Decode to bytes, not str: a non-UTF-8 escape must survive unchanged.
    return quote(unquote_to_bytes(component), safe=_UNRESERVED)


def canonical_headers(request: HttpRequest, signed_headers: Sequence[str]) -> str:
    """`name:value\\n` for each signed header, values trimmed and inner whitespace collapsed.

    A header sent more than once has its values joined by commas, in arrival
    order. The caller's order is kept: SignedHeaders is already sorted by a
    conforming client, and re-sorting would hide a non-conforming one.
    """
    return "".join(
        f"{name}:{','.join(_trim_all(value) for value in request.header_values(name))}\n"
        for name in signed_headers
    )


def _trim_all(value: str) -> str:
    return " ".join(value.split())


def hashed_payload(request: HttpRequest) -> str:
    """The `x-amz-content-sha256` header when sent, else hex(sha256(body)).

    Presigned URLs of services other than S3 hash the (usually empty) body too:
    botocore's `SigV4QueryAuth` does, and so does STS (boto/boto3#756 shows STS's
    expected canonical request for a presigned GetCallerIdentity ending in the
    empty-body hash). `UNSIGNED-PAYLOAD` is an S3 rule we do not take on.
    """
    declared = request.header(CONTENT_SHA256_HEADER)
    return declared if declared is not None else body_sha256(request.body)


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_request(request: HttpRequest, signed_headers: Sequence[str], *, presigned: bool = False,
                      payload_hash: str | None = None) -> str:
    """Step 1: the six parts joined by newlines."""
    return "\n".join((
        request.method.upper(),
        canonical_uri(request.path),
        canonical_query_string(request.query_string, presigned=presigned),
        canonical_headers(request, signed_headers),
        ";".join(signed_headers),
        hashed_payload(request) if payload_hash is None else payload_hash,
    ))


# --- steps 2 to 4 --------------------------------------------------------------------


def string_to_sign(timestamp: str, scope: CredentialScope, canonical: str) -> str:
    """Step 2: algorithm, request timestamp (YYYYMMDDTHHMMSSZ), scope, hash of the canonical request."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return "\n".join((ALGORITHM, timestamp, str(scope), digest))


def signing_key(secret_key: str, scope: CredentialScope) -> bytes:
    """Step 3: derive the key for one day, region and service from the secret access key.

    The same key signs a day of requests, so the last few derivations are kept.
    """
    return _derived_key(secret_key, scope.date, scope.region, scope.service, scope.terminator)


@functools.lru_cache(maxsize=256)
def _derived_key(secret_key: str, *parts: str) -> bytes:
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in parts:
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def signature(key: bytes, to_sign: str) -> str:
    """Step 4: lower-case hex HMAC-SHA256 of the string to sign."""
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def calculate_signature(request: HttpRequest, *, secret_key: str, scope: CredentialScope, timestamp: str,
                        signed_headers: Sequence[str], presigned: bool = False) -> str:
    """All four steps: the signature a client holding `secret_key` would have sent."""
    canonical = canonical_request(request, signed_headers, presigned=presigned)
    return signature(signing_key(secret_key, scope), string_to_sign(timestamp, scope, canonical))


__all__ = [
    "ALGORITHM",
    "CONTENT_SHA256_HEADER",
    "EMPTY_SHA256",
    "SIGNATURE_PARAM",
    "TERMINATOR",
    "TIMESTAMP_FORMAT",
    "CredentialScope",
    "HttpRequest",
    "body_sha256",
    "calculate_signature",
    "canonical_headers",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "hashed_payload",
    "signature",
    "signing_key",
    "string_to_sign",
]
