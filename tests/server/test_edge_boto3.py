"""The server edge through real boto3 clients: protocols, signatures, errors in each family's shape."""

from __future__ import annotations

import uuid

import botocore.model
import httpx
import pytest
from botocore.exceptions import ClientError
from server_fakes import (
    CONNECTION_ARN,
    EXPIRED_KEY,
    EXPIRED_SECRET,
    EXPIRED_TOKEN,
    REVOKED_KEY,
    REVOKED_SECRET,
    SESSION_ARN,
    SESSION_KEY,
    SESSION_SECRET,
    SESSION_TOKEN,
    USER_ARN,
    USER_KEY,
    USER_SECRET,
)
from server_harness import LiveServer

from codeconn.server.app import HEALTH_PATH

CODECONNECTIONS_ARN = CONNECTION_ARN.replace("codestar-connections", "codeconnections")


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def test_health_answers_200_with_json(server: LiveServer) -> None:
    response = httpx.get(server.url + HEALTH_PATH, timeout=5)
    assert response.status_code == 200
    assert response.json() | {"version": "x"} == {
        "status": "ok", "service": "codeconn", "version": "x", "accountId": "000000000000",
        "region": "us-east-1", "iam": "enforce"}


@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_root_with_the_default_key_lists_connections(server: LiveServer, service: str) -> None:
    response = server.client(service).list_connections()
    assert [c["ConnectionName"] for c in response["Connections"]] == ["my-connection"]
    request_id = response["ResponseMetadata"]["RequestId"]
    assert uuid.UUID(request_id).version == 4
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == request_id


@pytest.mark.parametrize(("service", "key", "secret", "token", "code", "message"), [
    pytest.param("codestar-connections", "AKIAUNKNOWN000000000", "x", None, "UnrecognizedClientException",
                 "The security token included in the request is invalid.", id="json: unknown key"),
    pytest.param("codestar-connections", USER_KEY, "wrong", None, "InvalidSignatureException",
                 "The request signature we calculated does not match", id="json: bad secret"),
    pytest.param("codestar-connections", EXPIRED_KEY, EXPIRED_SECRET, EXPIRED_TOKEN, "ExpiredTokenException",
                 "The security token included in the request is expired", id="json: expired session"),
    pytest.param("codestar-connections", SESSION_KEY, SESSION_SECRET, "other-token", "UnrecognizedClientException",
                 "The security token included in the request is invalid", id="json: wrong session token"),
    pytest.param("codeconnections", SESSION_KEY, SESSION_SECRET, None, "UnrecognizedClientException",
                 "The security token included in the request is invalid", id="json: session token missing"),
])
def test_json_family_authentication_errors(server: LiveServer, service: str, key: str, secret: str,
                                           token: str | None, code: str, message: str) -> None:
    with pytest.raises(ClientError) as raised:
        server.client(service, key=key, secret=secret, token=token).list_connections()
    got_code, status, got_message = error_of(raised)
    assert (got_code, status) == (code, 400)
    assert got_message.startswith(message)


@pytest.mark.parametrize(("key", "secret", "token", "code"), [
    pytest.param("AKIAUNKNOWN000000000", "x", None, "InvalidClientTokenId", id="unknown key"),
    pytest.param(USER_KEY, "wrong", None, "SignatureDoesNotMatch", id="bad secret"),
    pytest.param(EXPIRED_KEY, EXPIRED_SECRET, EXPIRED_TOKEN, "ExpiredToken", id="expired session"),
])
def test_query_family_authentication_errors_are_403_in_query_shape(server: LiveServer, key: str, secret: str,
                                                                    token: str | None, code: str) -> None:
    for service, call in (("iam", "get_user"), ("sts", "get_caller_identity")):
        with pytest.raises(ClientError) as raised:
            getattr(server.client(service, key=key, secret=secret, token=token), call)()
        assert error_of(raised)[:2] == (code, 403)


def test_a_session_with_its_token_is_the_assumed_role(server: LiveServer) -> None:
    sts = server.client("sts", key=SESSION_KEY, secret=SESSION_SECRET, token=SESSION_TOKEN)
    assert sts.get_caller_identity()["Arn"] == SESSION_ARN


def test_modelled_service_errors_get_the_models_status(server: LiveServer) -> None:
    client = server.client("codeconnections")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as raised:
        client.get_connection(ConnectionArn=CODECONNECTIONS_ARN + "-missing")
    assert error_of(raised)[:2] == ("ResourceNotFoundException", 404)


def test_iam_errors_are_query_errors(server: LiveServer) -> None:
    iam = server.client("iam")
    with pytest.raises(iam.exceptions.EntityAlreadyExistsException) as raised:
        iam.create_user(UserName="taken")
    assert error_of(raised) == ("EntityAlreadyExists", 409, "User with name taken already exists.")
    assert iam.create_user(UserName="bob")["User"]["Arn"] == "arn:aws:iam::000000000000:user/bob"


@pytest.mark.parametrize(("service", "status"), [
    pytest.param("codestar-connections", 400, id="codestar-connections: modelled 400"),
    pytest.param("codeconnections", 403, id="codeconnections: modelled 403"),
])
def test_access_denied_in_the_json_family(server: LiveServer, service: str, status: int) -> None:
    client = server.client(service, key=USER_KEY, secret=USER_SECRET)
    with pytest.raises(client.exceptions.AccessDeniedException) as raised:
        client.create_repository_link(ConnectionArn=CONNECTION_ARN, OwnerId="acme", RepositoryName="api")
    code, got_status, message = error_of(raised)
    assert (code, got_status) == ("AccessDeniedException", status)
    if service == "codestar-connections":  # alice may create the link but not pass the connection
        assert message == (f"User: {USER_ARN} is not authorized to perform: codestar-connections:PassConnection "
                           f"on resource: {CONNECTION_ARN} with an explicit deny in an identity-based policy")
    else:
        assert message == (f"User: {USER_ARN} is not authorized to perform: codeconnections:CreateRepositoryLink "
                           "on resource: * because no identity-based policy allows the "
                           "codeconnections:CreateRepositoryLink action")


def test_access_denied_in_the_query_family_is_access_denied_403(server: LiveServer) -> None:
    iam = server.client("iam", key=USER_KEY, secret=USER_SECRET)
    with pytest.raises(ClientError) as raised:
        iam.create_user(UserName="mallory")
    code, status, message = error_of(raised)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: {USER_ARN} is not authorized to perform: iam:CreateUser on resource: ")
    assert iam.get_user()["User"]["UserName"] == "alice"


def test_unexpected_errors_are_internal_failure_without_their_text(server: LiveServer) -> None:
    with pytest.raises(ClientError) as raised:
        server.client("codestar-connections").delete_connection(ConnectionArn=CONNECTION_ARN)
    code, status, message = error_of(raised)
    assert (code, status) == ("InternalFailure", 500)
    assert "hunter2" not in message and "hunter2" not in str(raised.value.response)


def test_unregistered_operations_answer_not_implemented(server: LiveServer) -> None:
    with pytest.raises(ClientError) as raised:
        server.client("codeconnections").list_hosts()
    assert error_of(raised) == ("NotImplemented", 501, "codeconn does not implement codeconnections:ListHosts.")


@pytest.mark.parametrize(("service", "code"), [
    pytest.param("codeconnections", "ValidationException", id="json family"),
    pytest.param("iam", "ValidationError", id="query family"),
])
def test_invalid_parameters_after_authentication(server: LiveServer, service: str, code: str) -> None:
    client = server.client(service)
    with pytest.raises(ClientError) as raised:
        if service == "iam":
            client.create_user(UserName="not a valid name")
        else:
            client.list_connections(MaxResults=101)
    assert error_of(raised)[:2] == (code, 400)
    assert error_of(raised)[2].startswith("1 validation error detected: Value")


def test_cbor_clients_are_answered_in_cbor(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # botocore ranks JSON above CBOR when a model lists both; rank CBOR first, as SDKs that prefer it do.
    ranked = ("smithy-rpc-v2-cbor", *(name for name in botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
                                      if name != "smithy-rpc-v2-cbor"))
    monkeypatch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ranked)
    client = server.client("codeconnections")
    sent: list[str | bytes] = []
    client.meta.events.register("before-send", lambda request, **_: sent.append(
        request.headers["Smithy-Protocol"]))
    connection = client.get_connection(ConnectionArn=CODECONNECTIONS_ARN)["Connection"]
    assert connection["ConnectionArn"] == CODECONNECTIONS_ARN
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_connection(ConnectionArn=CODECONNECTIONS_ARN + "-missing")
    assert [value.decode() if isinstance(value, bytes) else value for value in sent] == ["rpc-v2-cbor"] * 2


def test_regional_services_want_one_of_their_regions(server: LiveServer) -> None:
    """Every Region botocore's endpoint data lists for the service is served; others are refused, listed."""
    assert "Connections" in server.client("codeconnections", region="eu-west-1").list_connections()
    with pytest.raises(ClientError) as raised:
        server.client("codeconnections", region="af-south-1").list_connections()
    code, status, message = error_of(raised)
    assert (code, status) == ("InvalidSignatureException", 400)
    assert message.startswith("Credential should be scoped to a valid region, not 'af-south-1'. Regions served: ")
    assert "eu-west-1, eu-west-2" in message and "us-east-1" in message
    assert server.client("iam", region="eu-west-1").get_user()["User"]["UserName"] == "alice"
    assert server.client("sts", region="eu-west-1").get_caller_identity()["Account"] == "000000000000"


@pytest.mark.parametrize("service, call, code, status", [
    pytest.param("codestar-connections", "list_connections", "ExpiredTokenException", 400, id="JSON family"),
    pytest.param("sts", "get_caller_identity", "ExpiredToken", 403, id="Query family"),
])
def test_credentials_rejected_after_the_signature_check_answer_in_the_protocols_shape(
        server: LiveServer, service: str, call: str, code: str, status: int) -> None:
    with pytest.raises(ClientError) as raised:
        getattr(server.client(service, key=REVOKED_KEY, secret=REVOKED_SECRET), call)()
    assert error_of(raised)[:2] == (code, status)
