"""Every protocol against botocore: every operation's request parses back, every response reads back.

One test per direction, over the protocols: what each protocol adds of its own
(routing, error shapes, edge cases) stays in its own test module.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore_peer import REQUEST_ID, botocore_parse, botocore_request, example, operations

from codeconn.wire.model import JSON, QUERY, RPC_V2_CBOR, default_service_models
from codeconn.wire.protocols import PROTOCOLS, detect

MODELS = default_service_models()

RESPONSE_HEADERS: dict[str, dict[str, str]] = {
    JSON: {"Content-Type": "application/x-amz-json-1.0"},
    RPC_V2_CBOR: {"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor"},
    QUERY: {"Content-Type": "text/xml", "x-amzn-RequestId": REQUEST_ID},
}
"""Headers every successful response of a protocol carries."""

ROUND_TRIPS = [
    pytest.param(protocol, *case.values, id=f"{protocol}:{case.id}")
    for protocol in (JSON, RPC_V2_CBOR, QUERY)
    for case in operations(protocol)
]


def _example_of(shape: Any) -> dict[str, Any]:
    return example(shape) if shape is not None else {}


@pytest.mark.parametrize(("protocol", "service", "operation"), ROUND_TRIPS)
def test_botocore_requests_parse_back_to_their_params(protocol: str, service: str, operation: str) -> None:
    params = _example_of(MODELS.services[service].operation_model(operation).input_shape)
    method, path, headers, body = botocore_request(service, protocol, operation, params)
    codec = PROTOCOLS[protocol]
    assert detect(headers) is codec
    parsed_operation, parsed = codec.parse_request(method, path, headers, body, MODELS)
    assert (parsed_operation.service_model.service_name, parsed_operation.name) == (service, operation)
    assert parsed == params


@pytest.mark.parametrize(("protocol", "service", "operation"), ROUND_TRIPS)
def test_responses_parse_in_botocore_to_the_output(protocol: str, service: str, operation: str) -> None:
    operation_model = MODELS.services[service].operation_model(operation)
    output = _example_of(operation_model.output_shape)
    status, headers, _ = response = PROTOCOLS[protocol].serialize_response(operation_model, output, REQUEST_ID)
    expected = RESPONSE_HEADERS[protocol]
    if protocol == JSON:  # the model's jsonVersion: CodePipeline speaks AWS JSON 1.1
        expected = {"Content-Type": f"application/x-amz-json-{operation_model.metadata['jsonVersion']}"}
    if protocol == RPC_V2_CBOR and operation_model.output_shape is None:  # no output, no body: no Content-Type
        expected = {"Smithy-Protocol": "rpc-v2-cbor"}
    assert (status, {name: headers.get(name) for name in expected}) == (200, expected)
    parsed = botocore_parse(protocol, operation_model, response)
    if protocol == RPC_V2_CBOR and operation_model.output_shape is None:
        # botocore reads nothing from a body-less CBOR answer, the request id included
        assert headers["x-amzn-RequestId"] == REQUEST_ID
        parsed["ResponseMetadata"] = {"RequestId": headers["x-amzn-RequestId"]}
    assert parsed.pop("ResponseMetadata")["RequestId"] == REQUEST_ID
    assert parsed == output
