"""Smithy RPC v2 CBOR, server side: the first protocol CodeConnections' model lists.

(botocore 1.44 ranks AWS JSON 1.0 above CBOR when a model lists both, so boto3 and
the CLI talk JSON to CodeConnections; SDKs that rank CBOR first use this module.)

A request is `POST {prefix?}/service/{serviceName}/operation/{operationName}` with
`Smithy-Protocol: rpc-v2-cbor` and a CBOR map holding the input structure; an empty
body is the empty structure. Only the last four path segments route. The service
segment is the service shape's name, or its absolute shape id with `#` as `.` (what
botocore sends: the model's `targetPrefix`). The spec forbids `X-Amz-Target` /
`X-Amzn-Target` on these requests and has servers reject them, which also keeps a
JSON-routed request from being read as CBOR.

Timestamps are CBOR tag 1 (epoch seconds, integer or float), blobs are byte strings.
A response is the output structure as a CBOR map with `Content-Type: application/cbor`
and `Smithy-Protocol: rpc-v2-cbor`; an operation without an output shape answers
with no body. An error is the error structure plus `__type` (the absolute shape id),
which is all botocore's RpcV2CBORParser reads for the code.

Errors before an operation is found are the JSON family's, as AWS answers them for
both protocols: routing failures are UnknownOperationException, undecodable bodies
SerializationException.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

from codeconn.wire.errors import Family
from codeconn.wire.headers import lowered
from codeconn.wire.limits import MAX_DEPTH, document_problem
from codeconn.wire.model import (
    Response,
    ServiceModels,
    error_shape,
    error_status,
    from_wire,
    namespace_of,
    to_wire,
    walk,
)
from codeconn.wire.protocols.json10 import (
    SerializationException,
    UnknownOperationException,
    epoch_seconds,
    error_document,
)

NAME = "smithy-rpc-v2-cbor"
FAMILY: Family = "json"
CONTENT_TYPE = "application/cbor"
SMITHY_PROTOCOL = "rpc-v2-cbor"
FORBIDDEN_HEADERS = ("x-amz-target", "x-amzn-target")
EPOCH_TAG = 1


def parse_request(
    method: str, path: str, headers: Mapping[str, str], body: bytes, models: ServiceModels
) -> tuple[OperationModel, dict[str, Any]]:
    """Route by the URL path and decode the CBOR body into the operation's input.

    Raises UnknownOperationException when the request is not a well-formed RPC v2
    CBOR call to a hosted operation (wrong method, missing `Smithy-Protocol`, a
    forbidden target header, an unknown path) and SerializationException when the
    body is not a CBOR map.
    """
    problem = _routing_problem(method, lowered(headers))
    if problem:
        raise UnknownOperationException(problem)
    segments = path.split("?", 1)[0].rstrip("/").split("/")[-4:]
    operation = None
    if len(segments) == 4 and segments[0] == "service" and segments[2] == "operation":
        operation = models.rpc_paths.get((segments[1], segments[3]))
    if operation is None:
        raise UnknownOperationException(f"Unknown operation: path {path!r}")
    document = _load(body)
    shape = operation.input_shape
    params = walk(shape, document, decode_scalar, from_wire) if shape is not None else {}
    return operation, params


def serialize_response(operation: OperationModel, output: Mapping[str, Any], request_id: str) -> Response:
    """The 200 response carrying `output`; no body when the operation has no output shape."""
    shape = operation.output_shape
    headers = {"Smithy-Protocol": SMITHY_PROTOCOL, "x-amzn-RequestId": request_id}
    if shape is None:
        return 200, headers, b""
    document = walk(shape, output or {}, encode_scalar, to_wire)
    return 200, {"Content-Type": CONTENT_TYPE, **headers}, cbor2.dumps(document)


def serialize_error(
    service: ServiceModel | None,
    code: str,
    message: str,
    *,
    status: int | None = None,
    fields: Mapping[str, Any] | None = None,
    request_id: str,
) -> Response:
    """An error response botocore turns into the modelled exception class for `code`.

    `__type` is the absolute shape id of a modelled error (`com.amazonaws.
    codeconnections#ResourceNotFoundException`), else `code` as given. The spec says
    RPC v2 responses SHOULD NOT carry `X-Amzn-ErrorType`, so none is sent.
    """
    shape = error_shape(service, code)
    namespace = namespace_of(service) if service is not None else None
    type_name = f"{namespace}#{shape.name}" if shape is not None and namespace else code
    document = error_document(shape, type_name, message, fields, encode_scalar)
    headers = {"Content-Type": CONTENT_TYPE, "Smithy-Protocol": SMITHY_PROTOCOL, "x-amzn-RequestId": request_id}
    return status or error_status(shape), headers, cbor2.dumps(document)


def decode_scalar(shape: Shape, value: Any) -> Any:
    """A CBOR leaf as Python: cbor2 already made tag 1 a datetime and byte strings bytes.

    CBOR `undefined` is read as null, as the spec requires.
    """
    return None if value is cbor2.undefined else value


def encode_scalar(shape: Shape, value: Any) -> Any:
    """A Python leaf as CBOR: timestamps become tag 1 over epoch seconds (ms resolution)."""
    if shape.type_name == "timestamp" and isinstance(value, (datetime, int, float)):
        return cbor2.CBORTag(EPOCH_TAG, epoch_seconds(value))
    return value


def _routing_problem(method: str, headers: Mapping[str, str]) -> str | None:
    if method.upper() != "POST":
        return f"RPC v2 CBOR requests must be POST, not {method}"
    if headers.get("smithy-protocol") != SMITHY_PROTOCOL:
        return f"RPC v2 CBOR requests must carry Smithy-Protocol: {SMITHY_PROTOCOL}"
    forbidden = [name for name in FORBIDDEN_HEADERS if name in headers]
    return f"RPC v2 CBOR requests must not carry {', '.join(forbidden)}" if forbidden else None


def _load(body: bytes) -> Any:
    if not body:
        return {}
    try:
        document = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError) as error:
        raise SerializationException(f"The request body is not valid CBOR: {error}") from None
    except RecursionError:
        raise SerializationException(f"The request body is nested more than {MAX_DEPTH} levels deep.") from None
    if not isinstance(document, dict):
        raise SerializationException("The request body must be a CBOR map.")
    problem = document_problem(document)
    if problem is not None:
        raise SerializationException(problem)
    return document


__all__ = [
    "CONTENT_TYPE",
    "EPOCH_TAG",
    "FAMILY",
    "FORBIDDEN_HEADERS",
    "NAME",
    "SMITHY_PROTOCOL",
    "decode_scalar",
    "encode_scalar",
    "parse_request",
    "serialize_error",
    "serialize_response",
]
