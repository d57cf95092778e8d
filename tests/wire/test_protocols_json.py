"""AWS JSON 1.0 against botocore: every operation's request and response, every error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore_peer import (
    MOMENT,
    REQUEST_ID,
    ServiceFault,
    botocore_parse,
    error_cases,
    in_process_client,
    serve,
)

from codeconn.wire.model import default_service_models
from codeconn.wire.protocols import json10
from codeconn.wire.protocols.json10 import (
    SerializationException,
    UnknownOperationException,
)

MODELS = default_service_models()
TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201"
HEADERS = {"X-Amz-Target": f"{TARGET}.ListConnections", "Content-Type": json10.CONTENT_TYPE}


@pytest.mark.parametrize(("service", "error"), error_cases("json"))
def test_modelled_errors_reach_botocore_as_their_exception(service: str, error: str) -> None:
    service_model = default_service_models().services[service]
    shape = next(shape for shape in service_model.error_shapes if shape.name == error)
    response = json10.serialize_error(service_model, error, "It went wrong.", request_id=REQUEST_ID)
    status, headers, body = response
    parsed = botocore_parse("json", service_model.operation_model(service_model.operation_names[0]), response)
    assert parsed["Error"] == {"Code": shape.error_code, "Message": "It went wrong."}
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert status == shape.metadata.get("error", {}).get("httpStatusCode", 400)
    assert headers["X-Amzn-ErrorType"] == shape.error_code
    assert json.loads(body)["__type"].endswith(f"#{error}")


def test_modelled_error_type_is_the_absolute_shape_id() -> None:
    services = default_service_models().services
    _, _, body = json10.serialize_error(services["codeconnections"], "ConflictException", "m", request_id="r")
    assert json.loads(body) == {"__type": "com.amazonaws.codeconnections#ConflictException", "Message": "m"}


def test_unmodelled_errors_keep_their_code_and_the_given_status() -> None:
    service = default_service_models().services["codestar-connections"]
    response = json10.serialize_error(service, "ValidationException", "1 validation error", request_id="r")
    assert response[0] == 400 and json.loads(response[2]) == {
        "__type": "ValidationException",
        "message": "1 validation error",
    }
    response = json10.serialize_error(None, "InternalFailure", "boom", status=500, request_id="r")
    assert response[0] == 500
    assert botocore_parse("json", service.operation_model("ListHosts"), response)["Error"]["Code"] == "InternalFailure"


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        pytest.param(HEADERS, b"", {}, id="empty body is the empty structure"),
        pytest.param(HEADERS, b"  \n", {}, id="blank body is the empty structure"),
        pytest.param(HEADERS, b"{}", {}, id="empty object"),
        pytest.param(HEADERS, b'{"MaxResults": 5, "Surprise": true}', {"MaxResults": 5}, id="unknown members dropped"),
        pytest.param(HEADERS, b'{"MaxResults": null}', {}, id="null is absent"),
        pytest.param(HEADERS, b'{"MaxResults": "5"}', {"MaxResults": "5"}, id="wrong type left for the validator"),
        pytest.param({"x-amz-target": f"{TARGET}.ListConnections"}, b"{}", {}, id="header names are case-insensitive"),
        pytest.param({"X-Amz-Target": "CodeStar_connections_20191201.ListConnections"}, b"{}", {}, id="short target"),
    ],
)
def test_request_edge_cases(headers: dict[str, str], body: bytes, expected: dict[str, Any]) -> None:
    operation, params = json10.parse_request("POST", "/", headers, body, MODELS)
    assert operation.name == "ListConnections"
    assert params == expected


def test_timestamps_are_epoch_seconds_both_ways() -> None:
    operation = default_service_models().services["codeconnections"].operation_model("GetSyncBlockerSummary")
    output = {
        "SyncBlockerSummary": {
            "ResourceName": "r",
            "LatestBlockers": [
                {"Id": "b", "Type": "AUTOMATED", "Status": "ACTIVE", "CreatedReason": "x", "CreatedAt": MOMENT}
            ],
        }
    }
    _, _, body = json10.serialize_response(operation, output, "r")
    assert json.loads(body)["SyncBlockerSummary"]["LatestBlockers"][0]["CreatedAt"] == 1715949296.789


@pytest.mark.parametrize(
    ("headers", "body", "error"),
    [
        pytest.param({}, b"{}", UnknownOperationException, id="missing target"),
        pytest.param({"X-Amz-Target": f"{TARGET}.Nope"}, b"{}", UnknownOperationException, id="unknown operation"),
        pytest.param(
            {"X-Amz-Target": "AmazonIdentityManagement.GetUser"}, b"{}", UnknownOperationException, id="not hosted"
        ),
        pytest.param(HEADERS, b"{not json", SerializationException, id="invalid JSON"),
        pytest.param(HEADERS, b"[1, 2]", SerializationException, id="not an object"),
        pytest.param(HEADERS, b"\xff\xfe{", SerializationException, id="not UTF-8"),
    ],
)
def test_unreadable_requests(headers: dict[str, str], body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        json10.parse_request("POST", "/", headers, body, MODELS)
    assert raised.value.status == 400  # type: ignore[attr-defined]


def test_boto3_client_end_to_end() -> None:
    arn = "arn:aws:codestar-connections:us-east-1:123456789012:connection/aEXAMPLE-8aad-4d5d-8878-dfcab0bc441f"

    def get_connection(params: dict[str, Any]) -> dict[str, Any]:
        raise ServiceFault("ResourceNotFoundException", f"Connection {params['ConnectionArn']} does not exist")

    answer = serve(
        {
            "CreateConnection": lambda params: {"ConnectionArn": arn, "Tags": params.get("Tags", [])},
            "GetConnection": get_connection,
        }
    )
    client = in_process_client("codestar-connections", answer)

    created = client.create_connection(
        ProviderType="GitHub", ConnectionName="my-connection", Tags=[{"Key": "team", "Value": "ci"}]
    )
    assert created["ConnectionArn"] == arn and created["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert answer.calls[0] == (
        "json",
        "CreateConnection",
        {"ProviderType": "GitHub", "ConnectionName": "my-connection", "Tags": [{"Key": "team", "Value": "ci"}]},
    )

    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.get_connection(ConnectionArn=arn)
    assert missing.value.response["Error"]["Message"] == f"Connection {arn} does not exist"
    assert missing.value.response["ResponseMetadata"]["RequestId"] == REQUEST_ID

    with pytest.raises(ClientError) as invalid:
        client.create_connection(ProviderType="GitHub", ConnectionName="x" * 33)
    assert invalid.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f"1 validation error detected: Value '{'x' * 33}' at 'connectionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 32",
    }


def test_boto3_talks_json_to_codeconnections_too() -> None:
    # botocore 1.44 ranks AWS JSON 1.0 above RPC v2 CBOR when a model lists both.
    answer = serve({"ListHosts": lambda params: {"Hosts": [], "NextToken": "next"}})
    client = in_process_client("codeconnections", answer)
    assert client.list_hosts(MaxResults=10)["NextToken"] == "next"
    assert answer.calls == [("json", "ListHosts", {"MaxResults": 10})]
