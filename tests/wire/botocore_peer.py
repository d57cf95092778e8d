"""What the wire tests share: example values from shapes, and botocore as the golden peer.

`example` generates constraint-satisfying values from a shape (realistic parameters
and outputs for every operation of every hosted service); `botocore_request`
serializes a call exactly as boto3 would put it on the wire, `botocore_parse` reads a
response exactly as boto3 would, and `in_process_client` is a real boto3 client whose
HTTP is answered in-process.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import (
    AWSPreparedRequest,
    AWSResponse,
    HeadersDict,
    create_request_object,
    prepare_request_dict,
)
from botocore.config import Config
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from codeconn.wire.errors import WireError
from codeconn.wire.model import (
    Response,
    default_service_models,
    protocols_of,
)
from codeconn.wire.protocols import detect
from codeconn.wire.validate import compile_pattern, find_problems, validate

# --- example values -----------------------------------------------------------------

MOMENT = datetime(2024, 5, 17, 12, 34, 56, 789000, tzinfo=UTC)
BLOB = b"\x00\x01codeconn\xff"
# Realistic strings, tried in order against a shape's length and pattern. The list
# holds one fitting value for every string shape of the hosted models (a test checks).
STRINGS = (
    "my-connection",
    "example-2",
    "arn:aws:codeconnections:us-east-1:123456789012:connection/aEXAMPLE-8aad-4d5d-8878-dfcab0bc441f",
    "arn:aws:codeconnections:us-east-1:123456789012:host/my-host-28aef605",
    "arn:aws:codeconnections:us-east-1:123456789012:repository-link/6053346f-8a33-4edb-9397-10394d8c1e8c",
    "arn:aws:codestar-connections:us-east-1:123456789012:host/my-host-28aef605",
    "arn:aws:codestar-connections:us-east-1:123456789012:repository-link/6053346f-8a33-4edb-9397-10394d8c1e8c",
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:iam::123456789012:role/service-role/my-role",
    "6053346f-8a33-4edb-9397-10394d8c1e8c",
    "123456789012",
    "/",
    "/division_abc/",
    "vpc-0123456789abcdef0",
    "subnet-0123456789abcdef0",
    "sg-0123456789abcdef0",
    "o-a1b2c3d4e5",
    "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/",
    "p-examplepolicyid111",
    "v2",
    "https://example.com/callback",
    "9e99a48a9960b14926bb7f3b02e22da2b0ab7280",
    "RS256",
    "123456",
    # CodePipeline (issue 11)
    "arn:aws:codepipeline:us-east-1:123456789012:my-pipeline",
    "arn:aws:lambda:us-east-1:123456789012:function:my-function",
    "AWS",
)


def example(shape: Shape, variant: int = 0, depth: int = 0) -> Any:
    """A value that satisfies `shape`'s constraints; `variant` picks a different one."""
    return _EXAMPLES[shape.type_name](shape, variant, depth)


def _string(shape: Any, variant: int, depth: int) -> str:
    if shape.enum:
        return str(shape.enum[variant % len(shape.enum)])
    fitting = [text for text in _padded(shape) if _fits(shape, text)]
    assert fitting, f"no example string fits {shape.name}: {shape.metadata}"
    return fitting[variant % len(fitting)]


def _padded(shape: Any) -> list[str]:
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 10**9)
    return [(text + "0" * max(0, low - len(text)))[:high] for text in STRINGS]


def _fits(shape: Any, text: str) -> bool:
    pattern = shape.metadata.get("pattern")
    return not find_problems(shape, text) and (pattern is None or bool(compile_pattern(pattern).fullmatch(text)))


def _integer(shape: Any, variant: int, depth: int) -> int:
    low, high = shape.metadata.get("min", 1), shape.metadata.get("max", 1000)
    return int(max(low, min(high, 7 + variant)))


def _list(shape: Any, variant: int, depth: int) -> list[Any]:
    count = max(shape.metadata.get("min", 0), min(shape.metadata.get("max", 2), 2))
    return [example(shape.member, index, depth + 1) for index in range(count)]


def _map(shape: Any, variant: int, depth: int) -> dict[Any, Any]:
    count = min(shape.metadata.get("max", 2), 2)  # CodePipeline's PollForJobs queryParam holds at most 1
    return {example(shape.key, index, depth + 1): example(shape.value, index, depth + 1) for index in range(count)}


def _structure(shape: Any, variant: int, depth: int) -> dict[str, Any]:
    names = list(shape.members)
    if shape.is_tagged_union:
        names = names[:1]
    elif depth > 4:
        names = list(shape.required_members)
    return {name: example(shape.members[name], variant, depth + 1) for name in names}


_EXAMPLES: dict[str, Any] = {
    "string": _string,
    "integer": _integer,
    "long": _integer,
    "boolean": lambda shape, variant, depth: variant % 2 == 0,
    "float": lambda shape, variant, depth: 1.5,
    "double": lambda shape, variant, depth: 1.5,
    "timestamp": lambda shape, variant, depth: MOMENT,
    "blob": lambda shape, variant, depth: BLOB,
    "list": _list,
    "map": _map,
    "structure": _structure,
}


def operations(protocol: str) -> list[Any]:
    """pytest params (service, operation) for every operation served on `protocol`."""
    catalog = default_service_models()
    return [
        pytest.param(name, operation, id=f"{name}.{operation}")
        for name, service in catalog.services.items()
        if protocol in protocols_of(service)
        for operation in service.operation_names
    ]


def error_cases(protocol: str) -> list[Any]:
    """pytest params (service, error shape name) for every modelled error on `protocol`."""
    catalog = default_service_models()
    return [
        pytest.param(name, shape.name, id=f"{name}.{shape.name}")
        for name, service in catalog.services.items()
        if protocol in protocols_of(service)
        for shape in service.error_shapes
    ]


# --- the golden peer: botocore -------------------------------------------------------

HttpParts = tuple[str, str, dict[str, str], bytes]
ENDPOINT = "https://codeconn.test"


def botocore_request(service: str, protocol: str, operation: str, params: dict[str, Any]) -> HttpParts:
    """(method, path, headers, body) of the request botocore sends for this call."""
    operation_model = default_service_models().services[service].operation_model(operation)
    request = create_serializer(protocol).serialize_to_request(params, operation_model)
    prepare_request_dict(request, ENDPOINT)
    return http_parts(create_request_object(request).prepare())


def http_parts(request: AWSPreparedRequest) -> HttpParts:
    """A prepared botocore request as the plain parts the protocols read.

    Signed requests hold some header values as bytes; over HTTP every value arrives
    as text, as the server edge hands it over.
    """
    url = request.url.split("://", 1)[1]
    path = "/" + url.split("/", 1)[1] if "/" in url else "/"
    body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
    headers = {
        key: value.decode("latin-1") if isinstance(value, bytes) else value for key, value in request.headers.items()
    }
    return request.method, path, headers, body


def botocore_parse(protocol: str, operation: OperationModel, response: Response) -> dict[str, Any]:
    """What boto3 makes of `response` to a call of `operation`."""
    status, headers, body = response
    raw = {"status_code": status, "headers": HeadersDict(headers), "body": body}
    parsed: dict[str, Any] = create_parser(protocol).parse(raw, operation.output_shape)
    return parsed


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def in_process_client(service: str, answer: Any) -> Any:
    """A boto3 client whose every HTTP request is answered by `answer(method, path, headers, body)`."""
    client = boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url="http://codeconn.test",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"total_max_attempts": 1}),
    )

    def send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        status, headers, body = answer(*http_parts(request))
        return AWSResponse(request.url, status, headers, _Raw(body))

    client.meta.events.register("before-send", send)
    return client


REQUEST_ID = "c0ffee00-0000-4000-8000-000000000001"


class ServiceFault(Exception):
    """A modelled error a fake operation raises, named by error shape or wire code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def serve(handlers: dict[str, Any]) -> Any:
    """An `answer` for `in_process_client`: the wire layer in front of fake operations.

    Requests go through protocol detection, parsing and validation; `handlers[name]`
    turns the parameters into an output or raises ServiceFault. Each call is recorded
    in `answer.calls` as (protocol, operation name, params).
    """

    def answer(method: str, path: str, headers: dict[str, str], body: bytes) -> Response:
        codec = detect(headers)
        try:
            operation, params = codec.parse_request(method, path, headers, body, default_service_models())
            validate(operation.input_shape, params, codec.FAMILY)
        except WireError as error:
            return codec.serialize_error(None, error.code, error.message, status=error.status, request_id=REQUEST_ID)
        answer.calls.append((codec.NAME, operation.name, params))  # type: ignore[attr-defined]
        try:
            output = handlers[operation.name](params)
        except ServiceFault as fault:
            service = operation.service_model
            return codec.serialize_error(service, fault.code, fault.message, request_id=REQUEST_ID)
        return codec.serialize_response(operation, output, REQUEST_ID)

    answer.calls = []  # type: ignore[attr-defined]
    return answer
