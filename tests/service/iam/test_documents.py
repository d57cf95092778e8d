"""Policy documents travel URL-encoded, as IAM sends them, and botocore decodes them back to dicts."""

from __future__ import annotations

import json

import pytest
from botocore.handlers import json_decode_policies
from botocore.parsers import create_parser
from iam_bench import ACCOUNT, MODELS, Bench, allow, document, trust

from codeconn.service.iam.documents import encoded, policy_size
from codeconn.wire.protocols.query import serialize_response

SPACED = json.dumps({"Version": "2012-10-17", "Statement": [allow("s3:GetObject", "arn:aws:s3:::b/a b&c?d=%e")]},
                    indent=4)


def _as_boto3_sees(operation: str, output: dict[str, object]) -> dict[str, object]:
    model = MODELS["iam"].operation_model(operation)
    _, headers, body = serialize_response(model, output, "r")
    parsed = create_parser("query").parse({"body": body, "headers": headers, "status_code": 200}, model.output_shape)
    json_decode_policies(parsed, model)
    return parsed


@pytest.mark.parametrize("operation, path", [
    pytest.param("GetUserPolicy", ("PolicyDocument",), id="GetUserPolicy"),
    pytest.param("GetRole", ("Role", "AssumeRolePolicyDocument"), id="GetRole"),
    pytest.param("GetPolicyVersion", ("PolicyVersion", "Document"), id="GetPolicyVersion"),
])
def test_botocore_decodes_our_documents_to_what_was_sent(bench: Bench, operation: str, path: tuple[str, ...]) -> None:
    bench.iam("CreateUser", UserName="u")
    bench.iam("PutUserPolicy", UserName="u", PolicyName="p", PolicyDocument=SPACED)
    role_trust = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    bench.iam("CreateRole", RoleName="r", AssumeRolePolicyDocument=role_trust)
    arn = bench.iam("CreatePolicy", PolicyName="m", PolicyDocument=SPACED)["Policy"]["Arn"]
    params = {"GetUserPolicy": {"UserName": "u", "PolicyName": "p"}, "GetRole": {"RoleName": "r"},
              "GetPolicyVersion": {"PolicyArn": arn, "VersionId": "v1"}}[operation]
    value: object = _as_boto3_sees(operation, bench.iam(operation, **params))
    for key in path:
        assert isinstance(value, dict)
        value = value[key]
    assert value == json.loads(role_trust if operation == "GetRole" else SPACED)


def test_encoding_and_size() -> None:
    assert encoded('{"a": "b c"}') == "%7B%22a%22%3A%20%22b%20c%22%7D"
    assert policy_size(document(allow("s3:*"))) == len(document(allow("s3:*")).replace(" ", ""))
