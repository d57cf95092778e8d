"""Issue 7, item 3: deep nesting and invalid Unicode are client errors, and every request leaves an audit line.

JSON nested 10,000 deep and a policy nested 5,000 deep raised RecursionError (500);
a lone surrogate answered 500 and wrote no audit line, so a caller could probe
without a trace.
"""

from __future__ import annotations

from collections.abc import Iterator

import cbor2
import pytest
from botocore.exceptions import ClientError
from hardening_wire import CBOR_PATH, CODECONNECTIONS_TARGET, FORM, aws_error, json_call, send, signed
from real_server import RealServer, real_server

from codeconn.server.audit import read_audit


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with real_server(tmp_path_factory.mktemp("client-errors")) as running:
        yield running


def audited(server: RealServer, request_id: str) -> int:
    return sum(1 for record in read_audit(server.config.audit_path).records if record.request_id == request_id)


@pytest.mark.parametrize("sign", [True, False], ids=["signed", "unsigned"])
def test_json_nested_10000_deep_is_a_client_error(server: RealServer, sign: bool) -> None:
    body = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    response = send(json_call(server.url, f"{CODECONNECTIONS_TARGET}.ListConnections", raw=body, sign=sign))
    assert response.status_code == 400
    assert aws_error(response) == ("SerializationException" if sign else "MissingAuthenticationTokenException")
    assert audited(server, response.headers["x-amzn-requestid"]) == 1


def test_json_nested_past_the_limit_but_decodable_is_a_client_error(server: RealServer) -> None:
    body = b'{"Padding":' + b"[" * 100 + b"]" * 100 + b"}"
    response = send(json_call(server.url, f"{CODECONNECTIONS_TARGET}.ListConnections", raw=body))
    assert (response.status_code, aws_error(response)) == (400, "SerializationException")
    assert "nested more than" in response.text


def test_cbor_nested_deep_is_a_client_error(server: RealServer) -> None:
    body = b"\x81" * 5000 + b"\x01"  # arrays of one element, 5,000 deep
    body = b"\xa1\x61a" + body  # {"a": [[[...]]]}
    headers = {"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor"}
    response = send(signed("POST", server.url + CBOR_PATH + "ListConnections", service="codeconnections",
                           headers=headers, body=body))
    assert (response.status_code, aws_error(response)) == (400, "SerializationException")
    assert cbor2.loads(response.content)["__type"].endswith("SerializationException")


def test_a_policy_nested_5000_deep_is_malformed(server: RealServer) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="deep")
    document = '{"Version":"2012-10-17","Statement":' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(ClientError) as raised:
        iam.put_user_policy(UserName="deep", PolicyName="deep", PolicyDocument=document)
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] < 500
    assert error["Error"]["Code"] in ("MalformedPolicyDocument", "LimitExceeded")
    assert audited(server, error["ResponseMetadata"]["RequestId"]) == 1


@pytest.mark.parametrize("document", [
    pytest.param({"ResourceArn": "arn:aws:codeconnections:us-east-1:000000000000:connection/x",
                  "Tags": [{"Key": "\ud800", "Value": "v"}]}, id="tag key"),
    pytest.param({"ResourceArn": "arn:aws:codeconnections:us-east-1:000000000000:connection/\ud800",
                  "Tags": [{"Key": "k", "Value": "v"}]}, id="ARN"),
])
@pytest.mark.parametrize("sign", [True, False], ids=["signed", "unsigned"])
def test_a_lone_surrogate_is_a_client_error_and_audited(server: RealServer, document: dict[str, object],
                                                        sign: bool) -> None:
    import json

    body = json.dumps(document).encode()  # ensure_ascii: the surrogate travels as the escape \ud800
    response = send(json_call(server.url, f"{CODECONNECTIONS_TARGET}.TagResource", raw=body, sign=sign))
    assert response.status_code == 400
    assert aws_error(response) == ("SerializationException" if sign else "MissingAuthenticationTokenException")
    assert audited(server, response.headers["x-amzn-requestid"]) == 1


def test_a_lone_surrogate_in_a_query_name_is_a_client_error_and_audited(server: RealServer) -> None:
    body = b"Action=CreateUser&Version=2010-05-08&UserName=%ED%A0%80"
    response = send(signed("POST", server.url + "/", service="iam", headers={"Content-Type": FORM}, body=body))
    assert 400 <= response.status_code < 500
    assert aws_error(response) == "MalformedQueryString"
    assert audited(server, response.headers["x-amzn-requestid"]) == 1
