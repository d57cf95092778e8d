"""AWS JSON 1.0 and 1.1, server side: CodeStar Connections, CodeConnections' second protocol, and CodePipeline (1.1).

A request is `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and a JSON body
holding the input structure; an empty body is the empty structure. Timestamps travel
as epoch seconds (numbers), blobs as base64 strings. A response is the output
structure as JSON; an error is `{"__type": "<namespace>#<ErrorShape>", "message": ...}`
with the same type in the `X-Amzn-ErrorType` header. botocore's JSON parser reads only
`__type` (and drops anything up to `#`); other SDKs prefer the header.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

from codeconn.wire.errors import Family, WireError
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

NAME = "json"
FAMILY: Family = "json"
CONTENT_TYPE = "application/x-amz-json-1.0"


def content_type(service: ServiceModel | None) -> str:
    """AWS JSON 1.1 (CodePipeline) differs from 1.0 only in its content type: the model's `jsonVersion`."""
    version = service.metadata.get("jsonVersion", "1.0") if service is not None else "1.0"
    return f"application/x-amz-json-{version}"


class UnknownOperationException(WireError):
    """The request names no operation this endpoint hosts (target, path or none at all)."""

    code = "UnknownOperationException"
    status = 400
    default_message = "The requested operation is not recognized by the service."


class SerializationException(WireError):
    """The body cannot be decoded at all (not JSON / not CBOR, or not an object)."""

    code = "SerializationException"
    status = 400
    default_message = "The request body could not be deserialized."


def parse_request(
    method: str, path: str, headers: Mapping[str, str], body: bytes, models: ServiceModels
) -> tuple[OperationModel, dict[str, Any]]:
    """Find the operation `X-Amz-Target` names and decode the body into its input.

    Returns the operation and its parameters in botocore's shape (the dict a boto3
    call takes). Raises UnknownOperationException for a missing or unknown target and
    SerializationException for a body that is not a JSON object. Values of the wrong
    type are passed through for the validator to report.
    """
    target = lowered(headers).get("x-amz-target")
    operation = models.targets.get(target or "")
    if operation is None:
        raise UnknownOperationException(f"Unknown operation: X-Amz-Target {target!r}" if target else None)
    document = _load(body)
    shape = operation.input_shape
    params = walk(shape, document, decode_scalar, from_wire) if shape is not None else {}
    return operation, params


def serialize_response(operation: OperationModel, output: Mapping[str, Any], request_id: str) -> Response:
    """The 200 response carrying `output`, written along the operation's output shape."""
    shape = operation.output_shape
    document = walk(shape, output or {}, encode_scalar, to_wire) if shape is not None else {}
    return 200, _headers(request_id, operation.service_model), _dump(document)


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

    `code` is an error shape's name or wire code; a modelled error is typed with the
    service's namespace and answered with the model's HTTP status unless `status` is
    given. `fields` are further members of the error shape.
    """
    shape = error_shape(service, code)
    namespace = namespace_of(service) if service is not None else None
    type_name = f"{namespace}#{shape.name}" if shape is not None and namespace else code
    document = error_document(shape, type_name, message, fields, encode_scalar)
    headers = {**_headers(request_id, service), "X-Amzn-ErrorType": shape.error_code if shape is not None else code}
    return status or error_status(shape), headers, _dump(document)


def error_document(
    shape: Any, type_name: str, message: str, fields: Mapping[str, Any] | None, scalar: Callable[[Shape, Any], Any]
) -> dict[str, Any]:
    """`{"__type": ..., <message member>: ..., **fields}` for the JSON-like protocols.

    The message goes under the member the error shape names (`Message` in the
    CodeConnections models, `message` elsewhere) so botocore fills both
    `Error.Message` and the modelled field.
    """
    members = shape.members if shape is not None else {}
    message_key = next((key for key in ("message", "Message") if key in members), "message")
    extra = walk(shape, fields, scalar, to_wire) if shape is not None and fields else dict(fields or {})
    return {"__type": type_name, message_key: message, **extra}


# --- scalars ----------------------------------------------------------------------


def decode_scalar(shape: Shape, value: Any) -> Any:
    """A JSON leaf as Python: epoch numbers to aware UTC datetimes, base64 to bytes."""
    decoder = _DECODERS.get(shape.type_name)
    return decoder(value) if decoder is not None else value


def encode_scalar(shape: Shape, value: Any) -> Any:
    """A Python leaf as JSON: datetimes to epoch seconds, bytes to base64."""
    encoder = _ENCODERS.get(shape.type_name)
    return encoder(value) if encoder is not None else value


def epoch_seconds(value: Any) -> int | float:
    """Epoch seconds with millisecond resolution (Smithy's), an int when whole.

    Naive datetimes are taken as UTC; numbers pass through as epoch seconds.
    """
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = moment.timestamp()
    seconds = round(float(value), 3)
    return int(seconds) if seconds.is_integer() else seconds


def _epoch_to_datetime(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return value


def _base64_to_bytes(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return value


def _bytes_to_base64(value: Any) -> Any:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode("ascii")


_DECODERS: dict[str, Callable[[Any], Any]] = {"timestamp": _epoch_to_datetime, "blob": _base64_to_bytes}
_ENCODERS: dict[str, Callable[[Any], Any]] = {"timestamp": epoch_seconds, "blob": _bytes_to_base64}


# --- bytes ------------------------------------------------------------------------


def _load(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise SerializationException(f"The request body is not valid JSON: {error}") from None
    except RecursionError:
        raise SerializationException(f"The request body is nested more than {MAX_DEPTH} levels deep.") from None
    if not isinstance(document, dict):
        raise SerializationException("The request body must be a JSON object.")
    problem = document_problem(document)
    if problem is not None:
        raise SerializationException(problem)
    return document


def _dump(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def _headers(request_id: str, service: ServiceModel | None) -> dict[str, str]:
    return {"Content-Type": content_type(service), "x-amzn-RequestId": request_id}


__all__ = [
    "CONTENT_TYPE",
    "FAMILY",
    "NAME",
    "SerializationException",
    "content_type",
    "UnknownOperationException",
    "decode_scalar",
    "encode_scalar",
    "epoch_seconds",
    "error_document",
    "parse_request",
    "serialize_error",
    "serialize_response",
]
