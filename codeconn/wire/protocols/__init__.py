"""The AWS wire protocols codeconn serves, one module each, in one table.

Every protocol module offers the same small surface, so the server edge never asks
which protocol it holds:

    NAME                                  botocore's protocol name ("json", ...)
    FAMILY                                the error family ("json" or "query", see wire.errors)
    parse_request(method, path, headers, body, models) -> (OperationModel, params)
    serialize_response(operation, output, request_id) -> (status, headers, body)
    serialize_error(service, code, message, *, status=None, fields=None, request_id)
        -> (status, headers, body)

`headers` may be any mapping; the edge passes a `wire.headers.Headers`, whose
names are lower-case already, so that no protocol lower-cases them again.
`params` and `output` are dicts in botocore's shape (what a boto3 call takes and
returns): member names as the model spells them, datetimes, bytes. Errors raised
before an operation is known are `WireError`s of the protocol's family.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from botocore.model import OperationModel, ServiceModel

from codeconn.wire.errors import Family
from codeconn.wire.headers import lowered
from codeconn.wire.model import JSON, QUERY, RPC_V2_CBOR, ServiceModels, Response
from codeconn.wire.protocols import json10, query, rpcv2cbor


class Codec(Protocol):
    """What each protocol module provides (the modules themselves satisfy it)."""

    NAME: str
    FAMILY: Family

    def parse_request(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes, models: ServiceModels
    ) -> tuple[OperationModel, dict[str, Any]]: ...

    def serialize_response(self, operation: OperationModel, output: Mapping[str, Any], request_id: str) -> Response: ...

    def serialize_error(
        self,
        service: ServiceModel | None,
        code: str,
        message: str,
        *,
        status: int | None = None,
        fields: Mapping[str, Any] | None = None,
        request_id: str,
    ) -> Response: ...


PROTOCOLS: dict[str, Codec] = {JSON: json10, RPC_V2_CBOR: rpcv2cbor, QUERY: query}
"""botocore protocol name -> the module that speaks it."""

# A request names its protocol by the first row whose header it carries or whose
# content type it declares; a request matching none is AWS Query (a form, or a GET
# with a query string).
_MARKERS: tuple[tuple[str, str, str], ...] = (
    (RPC_V2_CBOR, "smithy-protocol", "application/cbor"),
    (JSON, "x-amz-target", "application/x-amz-json-"),
)


def detect(headers: Mapping[str, str]) -> Codec:
    """The protocol a request speaks, from its headers alone (before any parsing).

    RPC v2 CBOR is recognised first: such a request that also carries `X-Amz-Target`
    is then rejected by the CBOR parser, as the spec requires. A JSON request that
    lost its target is still answered as JSON (UnknownOperationException), not as Query.
    """
    named = lowered(headers)
    content_type = named.get("content-type", "").lower()
    for protocol, header, media_type in _MARKERS:
        if header in named or content_type.startswith(media_type):
            return PROTOCOLS[protocol]
    return PROTOCOLS[QUERY]


__all__ = ["PROTOCOLS", "Codec", "detect"]
