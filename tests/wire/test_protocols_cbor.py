"""Smithy RPC v2 CBOR against botocore: every operation's request and response, every error."""

from __future__ import annotations

import struct
from typing import Any

import botocore.model
import cbor2
import pytest
from botocore.exceptions import ClientError
from botocore_peer import (
    BLOB,
    MOMENT,
    REQUEST_ID,
    ServiceFault,
    botocore_parse,
    error_cases,
    in_process_client,
    serve,
)

from codeconn.wire.model import default_service_models
from codeconn.wire.protocols import detect, rpcv2cbor
from codeconn.wire.protocols.json10 import (
    SerializationException,
    UnknownOperationException,
)

MODELS = default_service_models()
SERVICE_ID = "com.amazonaws.codeconnections.CodeConnections_20231201"
PATH = f"/service/{SERVICE_ID}/operation/ListConnections"
HEADERS = {"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"}


@pytest.mark.parametrize(("service", "error"), error_cases("smithy-rpc-v2-cbor"))
def test_modelled_errors_reach_botocore_as_their_exception(service: str, error: str) -> None:
    service_model = default_service_models().services[service]
    shape = next(shape for shape in service_model.error_shapes if shape.name == error)
    response = rpcv2cbor.serialize_error(service_model, error, "It went wrong.", request_id=REQUEST_ID)
    status, headers, body = response
    parsed = botocore_parse("smithy-rpc-v2-cbor", service_model.operation_model(service_model.operation_names[0]),
                            response)
    assert parsed["Error"] == {"Code": shape.error_code, "Message": "It went wrong."}
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert status == shape.metadata.get("error", {}).get("httpStatusCode", 400)
    assert cbor2.loads(body)["__type"] == f"com.amazonaws.{service_model.endpoint_prefix}#{error}"
    assert "X-Amzn-ErrorType" not in headers


def test_timestamps_are_tag_1_epoch_seconds() -> None:
    operation = default_service_models().services["codeconnections"].operation_model("GetSyncBlockerSummary")
    blocker = {"Id": "b", "Type": "AUTOMATED", "Status": "ACTIVE", "CreatedReason": "x", "CreatedAt": MOMENT}
    output = {"SyncBlockerSummary": {"ResourceName": "r", "LatestBlockers": [blocker]}}
    _, _, body = rpcv2cbor.serialize_response(operation, output, "r")
    assert b"\xc1\xfb" + struct.pack(">d", 1715949296.789) in body  # tag 1, then a float64


def test_byte_strings_stay_bytes() -> None:
    shape = default_service_models().services["iam"].operation_model("UploadSSHPublicKey").input_shape
    assert rpcv2cbor.decode_scalar(shape.members["SSHPublicKeyBody"], BLOB) == BLOB
    assert rpcv2cbor.decode_scalar(shape.members["SSHPublicKeyBody"], cbor2.undefined) is None


@pytest.mark.parametrize(
    ("path", "headers", "body", "expected"),
    [
        pytest.param(PATH, HEADERS, b"", {}, id="empty body is the empty structure"),
        pytest.param(PATH, HEADERS, cbor2.dumps({}), {}, id="empty map"),
        pytest.param(
            PATH, HEADERS, cbor2.dumps({"MaxResults": 5, "Extra": 1}), {"MaxResults": 5}, id="unknown dropped"
        ),
        pytest.param(PATH, HEADERS, b"\xa1jMaxResults\xf7", {}, id="undefined is null"),
        pytest.param(PATH, HEADERS, cbor2.dumps({"MaxResults": "5"}), {"MaxResults": "5"}, id="wrong type kept"),
        pytest.param(
            "/service/CodeConnections_20231201/operation/ListConnections", HEADERS, b"", {}, id="shape name segment"
        ),
        pytest.param(f"/v1/prefix{PATH}", HEADERS, b"", {}, id="prefix before the last four segments"),
        pytest.param(PATH, {"smithy-protocol": "rpc-v2-cbor"}, b"", {}, id="header names are case-insensitive"),
    ],
)
def test_request_edge_cases(path: str, headers: dict[str, str], body: bytes, expected: dict[str, Any]) -> None:
    operation, params = rpcv2cbor.parse_request("POST", path, headers, body, MODELS)
    assert operation.name == "ListConnections"
    assert params == expected


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "error"),
    [
        pytest.param("GET", PATH, HEADERS, b"", UnknownOperationException, id="not POST"),
        pytest.param("POST", PATH, {}, b"", UnknownOperationException, id="no Smithy-Protocol"),
        pytest.param(
            "POST", PATH, {"Smithy-Protocol": "rpc-v2-json"}, b"", UnknownOperationException, id="other format"
        ),
        pytest.param(
            "POST", PATH, {**HEADERS, "X-Amz-Target": "x"}, b"", UnknownOperationException, id="X-Amz-Target forbidden"
        ),
        pytest.param(
            "POST",
            PATH,
            {**HEADERS, "X-Amzn-Target": "x"},
            b"",
            UnknownOperationException,
            id="X-Amzn-Target forbidden",
        ),
        pytest.param(
            "POST", f"/service/{SERVICE_ID}/operation/Nope", HEADERS, b"", UnknownOperationException, id="unknown op"
        ),
        pytest.param(
            "POST",
            "/service/CodeStar_connections_20191201/operation/ListConnections",
            HEADERS,
            b"",
            UnknownOperationException,
            id="service not speaking CBOR",
        ),
        pytest.param(
            "POST",
            f"/service/{SERVICE_ID}/operation/{SERVICE_ID}.ListConnections",
            HEADERS,
            b"",
            UnknownOperationException,
            id="absolute operation id",
        ),
        pytest.param("POST", "/", HEADERS, b"", UnknownOperationException, id="no path"),
        pytest.param("POST", PATH, HEADERS, b"\xbf", SerializationException, id="truncated CBOR"),
        pytest.param("POST", PATH, HEADERS, cbor2.dumps([1]), SerializationException, id="not a map"),
    ],
)
def test_unreadable_requests(
    method: str, path: str, headers: dict[str, str], body: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        rpcv2cbor.parse_request(method, path, headers, body, MODELS)


def test_detect_prefers_smithy_protocol_so_target_headers_are_rejected() -> None:
    assert detect({**HEADERS, "X-Amz-Target": "x"}) is rpcv2cbor


def test_operation_without_output_shape_answers_without_body() -> None:
    operation = default_service_models().services["codeconnections"].operation_model("ListConnections")
    no_output = type("NoOutput", (), {"output_shape": None, "name": "X"})()
    status, headers, body = rpcv2cbor.serialize_response(no_output, {}, "r")  # type: ignore[arg-type]
    assert (status, body) == (200, b"") and "Content-Type" not in headers
    assert operation.output_shape is not None


def test_boto3_client_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore ranks JSON above CBOR when a model lists both; rank CBOR first, as
    # SDKs that prefer it do, so this client speaks RPC v2 CBOR.
    ranked = (
        "smithy-rpc-v2-cbor",
        *(name for name in botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS if name != "smithy-rpc-v2-cbor"),
    )
    monkeypatch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ranked)
    arn = "arn:aws:codeconnections:us-east-1:123456789012:connection/aEXAMPLE-8aad-4d5d-8878-dfcab0bc441f"
    connection = {
        "ConnectionName": "my-connection",
        "ConnectionArn": arn,
        "ProviderType": "GitHub",
        "OwnerAccountId": "123456789012",
        "ConnectionStatus": "PENDING",
    }

    def get_connection(params: dict[str, Any]) -> dict[str, Any]:
        if params["ConnectionArn"] != arn:
            raise ServiceFault("ResourceNotFoundException", "Connection not found")
        return {"Connection": connection}

    answer = serve({"GetConnection": get_connection, "ListConnections": lambda params: {"Connections": [connection]}})
    client = in_process_client("codeconnections", answer)

    assert client.get_connection(ConnectionArn=arn)["Connection"] == connection
    assert answer.calls[0][0] == "smithy-rpc-v2-cbor"
    assert client.list_connections(ProviderTypeFilter="GitHub")["Connections"] == [connection]
    assert answer.calls[1] == ("smithy-rpc-v2-cbor", "ListConnections", {"ProviderTypeFilter": "GitHub"})

    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.get_connection(ConnectionArn=arn + "0")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    with pytest.raises(ClientError) as invalid:
        client.list_connections(MaxResults=101)
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    assert invalid.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 100"
    )
