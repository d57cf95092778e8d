"""AWS Query (IAM, STS) against botocore: every operation's request and response, every error."""

from __future__ import annotations

from datetime import UTC, datetime
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
from codeconn.wire.protocols import query
from codeconn.wire.protocols.query import (
    InvalidAction,
    MalformedQueryString,
    MissingAction,
)

MODELS = default_service_models()
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
IAM = "Version=2010-05-08"


def iam(operation: str) -> Any:
    return default_service_models().services["iam"].operation_model(operation)


@pytest.mark.parametrize(("service", "error"), error_cases("query"))
def test_modelled_errors_reach_botocore_as_their_exception(service: str, error: str) -> None:
    service_model = default_service_models().services[service]
    shape = next(shape for shape in service_model.error_shapes if shape.name == error)
    response = query.serialize_error(service_model, error, "It went <wrong> & stayed so.", request_id=REQUEST_ID)
    parsed = botocore_parse("query", service_model.operation_model(service_model.operation_names[0]), response)
    trait = shape.metadata.get("error", {})
    sender = trait.get("senderFault", response[0] < 500)
    expected = {
        "Type": "Sender" if sender else "Receiver",
        "Code": shape.error_code,
        "Message": "It went <wrong> & stayed so.",
    }
    assert parsed["Error"] == expected
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert response[0] == trait.get("httpStatusCode", 400)


def test_error_response_shape() -> None:
    response = query.serialize_error(
        default_service_models().services["iam"], "NoSuchEntity", "The user with name bob cannot be found.", request_id="r-1"
    )
    assert response[0] == 404
    assert response[2].decode() == (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        "<Code>NoSuchEntity</Code><Message>The user with name bob cannot be found.</Message></Error>"
        "<RequestId>r-1</RequestId></ErrorResponse>"
    )


def test_server_errors_are_receiver_faults() -> None:
    response = query.serialize_error(None, "InternalFailure", "boom", status=500, request_id="r")
    assert b"<Type>Receiver</Type><Code>InternalFailure</Code>" in response[2] and response[0] == 500


def test_response_shape() -> None:
    output = {
        "User": {
            "Path": "/",
            "UserName": "bob",
            "UserId": "AIDAEXAMPLE",
            "Arn": "arn:aws:iam::123456789012:user/bob",
            "CreateDate": MOMENT,
            "Tags": [{"Key": "team", "Value": "ci"}],
        }
    }
    _, _, body = query.serialize_response(iam("CreateUser"), output, "r-1")
    assert body.decode() == (
        '<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateUserResult><User>'
        "<Path>/</Path><UserName>bob</UserName><UserId>AIDAEXAMPLE</UserId><Arn>arn:aws:iam::123456789012:user/bob</Arn>"
        "<CreateDate>2024-05-17T12:34:56.789Z</CreateDate><Tags><member><Key>team</Key><Value>ci</Value></member></Tags>"
        "</User></CreateUserResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></CreateUserResponse>"
    )


@pytest.mark.parametrize(
    ("operation", "output", "expected"),
    [
        pytest.param(
            "ListUsers", {"Users": [], "IsTruncated": False}, {"Users": [], "IsTruncated": False}, id="empty list"
        ),
        pytest.param("ListUsers", {"Users": [], "Marker": ""}, {"Users": [], "Marker": ""}, id="empty string"),
        pytest.param("GetAccountSummary", {"SummaryMap": {}}, {"SummaryMap": {}}, id="empty map"),
        pytest.param(
            "GetAccountSummary",
            {"SummaryMap": {"Users": 3, "Groups": 0}},
            {"SummaryMap": {"Users": 3, "Groups": 0}},
            id="map entries",
        ),
        pytest.param("DeleteUser", {}, {}, id="no output shape"),
        pytest.param(
            "ListUsers",
            {"Users": [], "Marker": 'a&b<c>"d"\r\ne'},
            {"Users": [], "Marker": 'a&b<c>"d"\r\ne'},
            id="XML special characters and CR",
        ),
        pytest.param(
            "ListUsers", {"Users": [], "Marker": "bad\x00char"}, {"Users": [], "Marker": "bad\ufffdchar"}, id="NUL"
        ),
        pytest.param(
            "GetUser",
            {
                "User": {
                    "Path": "/",
                    "UserName": "u",
                    "UserId": "AIDA",
                    "Arn": "arn",
                    "CreateDate": datetime(2024, 1, 2, 3, 4, 5),
                }
            },
            {
                "User": {
                    "Path": "/",
                    "UserName": "u",
                    "UserId": "AIDA",
                    "Arn": "arn",
                    "CreateDate": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                }
            },
            id="naive datetime is UTC",
        ),
    ],
)
def test_response_edge_cases(operation: str, output: dict[str, Any], expected: dict[str, Any]) -> None:
    parsed = botocore_parse("query", iam(operation), query.serialize_response(iam(operation), output, "r"))
    parsed.pop("ResponseMetadata")
    assert parsed == expected


@pytest.mark.parametrize(
    ("method", "path", "body", "operation", "expected"),
    [
        pytest.param("POST", "/", f"Action=ListUsers&{IAM}", "ListUsers", {}, id="no parameters"),
        pytest.param(
            "GET", f"/?Action=ListUsers&{IAM}&MaxItems=5", "", "ListUsers", {"MaxItems": 5}, id="GET query string"
        ),
        pytest.param("POST", "/", f"Action=ListUsers&{IAM}&Surprise=1", "ListUsers", {}, id="unknown fields ignored"),
        pytest.param(
            "POST",
            "/",
            f"Action=CreateUser&{IAM}&UserName=bob&Tags=",
            "CreateUser",
            {"UserName": "bob", "Tags": []},
            id="bare key is an empty list",
        ),
        pytest.param(
            "POST",
            "/",
            f"Action=CreateUser&{IAM}&UserName=a%20b%2Bc+d",
            "CreateUser",
            {"UserName": "a b+c d"},
            id="percent and plus decoding",
        ),
        pytest.param(
            "POST",
            "/",
            f"Action=ListUsers&{IAM}&MaxItems=many",
            "ListUsers",
            {"MaxItems": "many"},
            id="unconvertible integer left for the validator",
        ),
        pytest.param(
            "POST",
            "/",
            f"Action=UpdateAccountPasswordPolicy&{IAM}&RequireSymbols=true&AllowUsersToChangePassword=false",
            "UpdateAccountPasswordPolicy",
            {"RequireSymbols": True, "AllowUsersToChangePassword": False},
            id="booleans",
        ),
        pytest.param(
            "POST",
            "/",
            f"Action=CreateUser&{IAM}&UserName=bob&Tags.member.1.Key=a&Tags.member.2.Key=b&Tags.member.4.Key=d",
            "CreateUser",
            {"UserName": "bob", "Tags": [{"Key": "a"}, {"Key": "b"}]},
            id="list stops at the first gap",
        ),
    ],
)
def test_request_edge_cases(method: str, path: str, body: str, operation: str, expected: dict[str, Any]) -> None:
    found, params = query.parse_request(method, path, FORM, body.encode(), MODELS)
    assert (found.name, params) == (operation, expected)


@pytest.mark.parametrize(
    ("path", "body", "error", "message"),
    [
        pytest.param("/", f"{IAM}&UserName=bob", MissingAction, MissingAction.default_message, id="no Action"),
        pytest.param(
            "/",
            f"Action=Explode&{IAM}",
            InvalidAction,
            "Could not find operation Explode for version 2010-05-08",
            id="unknown Action",
        ),
        pytest.param(
            "/",
            "Action=CreateUser&Version=2011-06-15",
            InvalidAction,
            "Could not find operation CreateUser for version 2011-06-15",
            id="Action of another version",
        ),
        pytest.param(
            "/",
            "Action=CreateUser",
            InvalidAction,
            "Could not find operation CreateUser for version NO_VERSION_SPECIFIED",
            id="no Version",
        ),
        pytest.param(
            "/",
            "Action=ListUsers&Version=%FF",
            MalformedQueryString,
            MalformedQueryString.default_message,
            id="bad UTF-8",
        ),
    ],
)
def test_unreadable_requests(path: str, body: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        query.parse_request("POST", path, FORM, body.encode(), MODELS)
    assert raised.value.message == message  # type: ignore[attr-defined]


def test_boto3_clients_end_to_end() -> None:
    created = {
        "Path": "/",
        "UserName": "bob",
        "UserId": "AIDAEXAMPLE",
        "Arn": "arn:aws:iam::123456789012:user/bob",
        "CreateDate": MOMENT,
    }

    def get_user(params: dict[str, Any]) -> dict[str, Any]:
        raise ServiceFault("NoSuchEntityException", f"The user with name {params['UserName']} cannot be found.")

    answer = serve(
        {"CreateUser": lambda params: {"User": created}, "GetUser": get_user, "DeleteUser": lambda params: {}}
    )
    client = in_process_client("iam", answer)

    assert client.create_user(UserName="bob", Path="/")["User"] == created
    assert client.delete_user(UserName="bob")["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert answer.calls[0] == ("query", "CreateUser", {"UserName": "bob", "Path": "/"})

    with pytest.raises(client.exceptions.NoSuchEntityException) as missing:
        client.get_user(UserName="alice")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    with pytest.raises(ClientError) as invalid:
        client.create_user(UserName="my user")
    assert invalid.value.response["Error"] == {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": "1 validation error detected: Value 'my user' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    }

    sts = in_process_client(
        "sts",
        serve(
            {
                "GetCallerIdentity": lambda params: {
                    "UserId": "AIDAEXAMPLE",
                    "Account": "123456789012",
                    "Arn": "arn:aws:iam::123456789012:user/bob",
                }
            }
        ),
    )
    assert sts.get_caller_identity()["Account"] == "123456789012"
