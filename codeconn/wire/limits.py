"""How much a request may be: body size per protocol, nesting depth, and Unicode that is Unicode.

Body limits. AWS documents no body-size limit for these APIs; the IAM user guide
("Calling the IAM API using HTTP query requests") only says a GET is bound by the
URL length (typically 2,048 bytes) and that larger Query requests must be POSTs.
So each limit is derived from the largest input the hosted models allow, with room
to spare, and the error says the limit:

- AWS Query (IAM, STS), 1 MiB: the largest member is a policy document of up to
  131,072 characters (`policyDocumentType`), percent-encoded up to 6 bytes each
  (U+0080..U+00FF are two UTF-8 bytes, `%C3%BF`): 786,432 bytes, plus the rest.
- AWS JSON 1.0 (CodeStar Connections, CodeConnections), 1 MiB: the largest input is
  TagResource's 200 tags of a 128-character key and a 256-character value, up to 6
  bytes a character as `\\uXXXX` escapes: 460,800 bytes, plus the rest.
- Smithy RPC v2 CBOR (CodeConnections), 1 MiB: the same inputs, at most 4 bytes a
  character.

The server reads at most limit + 1 bytes of a body (`codeconn.server.app`) and the
edge answers RequestEntityTooLarge (413) in the protocol family's shape.

Depth and Unicode. A decoded JSON or CBOR document deeper than `MAX_DEPTH` is
refused (the deepest input of the hosted models is 4 levels; Python's decoders
would raise RecursionError near 1,000), as is a string holding a lone surrogate
(`"\\ud800"` is valid JSON text but not a Unicode scalar value: it can be neither
stored nor matched). Both are the JSON family's SerializationException.
"""

from __future__ import annotations

from typing import Any

from codeconn.wire.errors import RequestEntityTooLarge
from codeconn.wire.model import JSON, QUERY, RPC_V2_CBOR

MIB = 1 << 20

BODY_LIMITS: dict[str, int] = {QUERY: MIB, JSON: MIB, RPC_V2_CBOR: MIB}
"""botocore protocol name -> the largest request body accepted, in bytes."""

PROTOCOL_TITLES: dict[str, str] = {
    QUERY: "the AWS Query protocol (IAM, STS)",
    JSON: "the AWS JSON 1.0 protocol",
    RPC_V2_CBOR: "the Smithy RPC v2 CBOR protocol",
}

MAX_DEPTH = 32
"""The deepest nesting of objects and arrays (maps and lists) a request document may have."""


def too_large(protocol: str) -> RequestEntityTooLarge:
    """The error for a body over `protocol`'s limit, saying the limit."""
    limit = BODY_LIMITS[protocol]
    return RequestEntityTooLarge(
        f"The request body is larger than {limit} bytes, the limit of {PROTOCOL_TITLES[protocol]} here.")


def document_problem(document: Any) -> str | None:
    """Why a decoded document may not be read (too deep, a lone surrogate), or None.

    Iterative, so it never recurses however deep the document is, and linear in its size.
    """
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _has_surrogate(value):
                return "The request body holds a string that is not valid Unicode (a lone surrogate)."
            continue
        if isinstance(value, dict):
            children: list[Any] = [*value.keys(), *value.values()]
        elif isinstance(value, (list, tuple)):
            children = list(value)
        else:
            continue
        if depth > MAX_DEPTH:
            return f"The request body is nested more than {MAX_DEPTH} levels deep."
        stack.extend((child, depth + 1) for child in children)
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


__all__ = ["BODY_LIMITS", "MAX_DEPTH", "MIB", "PROTOCOL_TITLES", "document_problem", "too_large"]
