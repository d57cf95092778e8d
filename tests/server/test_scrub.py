"""Secrets removed from request parameters: by the model's `sensitive` trait and by name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from codeconn.server.scrub import REDACTED, is_secret_name, scrub
from codeconn.wire.model import default_service_models


def input_shape(service: str, operation: str) -> Any:
    return default_service_models().services[service].operation_model(operation).input_shape


@pytest.mark.parametrize(("service", "operation", "params", "expected"), [
    pytest.param("iam", "CreateLoginProfile", {"UserName": "a", "Password": "p", "PasswordResetRequired": True},
                 {"UserName": "a", "Password": REDACTED, "PasswordResetRequired": True},
                 id="sensitive trait; a flag under a secret-sounding name stays"),
    pytest.param("iam", "ChangePassword", {"OldPassword": "o", "NewPassword": "n"},
                 {"OldPassword": REDACTED, "NewPassword": REDACTED}, id="both passwords"),
    pytest.param("iam", "UploadSSHPublicKey", {"UserName": "a", "SSHPublicKeyBody": "ssh-rsa AAAA"},
                 {"UserName": "a", "SSHPublicKeyBody": "ssh-rsa AAAA"}, id="a public key is not a secret"),
    pytest.param("iam", "UploadServerCertificate",
                 {"ServerCertificateName": "c", "CertificateBody": "b", "PrivateKey": "k"},
                 {"ServerCertificateName": "c", "CertificateBody": "b", "PrivateKey": REDACTED}, id="private key"),
    pytest.param("sts", "AssumeRoleWithWebIdentity",
                 {"RoleArn": "arn:aws:iam::1:role/r", "RoleSessionName": "s", "WebIdentityToken": "jwt"},
                 {"RoleArn": "arn:aws:iam::1:role/r", "RoleSessionName": "s", "WebIdentityToken": REDACTED},
                 id="web identity token"),
    pytest.param("sts", "GetSessionToken", {"SerialNumber": "arn:aws:iam::1:mfa/a", "TokenCode": "123456"},
                 {"SerialNumber": "arn:aws:iam::1:mfa/a", "TokenCode": REDACTED}, id="MFA code, by name"),
    pytest.param("codeconnections", "ListConnections", {"NextToken": "n", "MaxResults": 5},
                 {"NextToken": "n", "MaxResults": 5}, id="pagination tokens stay"),
    pytest.param("codeconnections", "CreateConnection",
                 {"ConnectionName": "c", "Tags": [{"Key": "password", "Value": "v"}]},
                 {"ConnectionName": "c", "Tags": [{"Key": "password", "Value": "v"}]},
                 id="a tag whose key says password is data"),
])
def test_scrub_by_model_and_name(service: str, operation: str, params: dict[str, Any],
                                 expected: dict[str, Any]) -> None:
    assert scrub(input_shape(service, operation), params) == expected


def test_without_a_shape_names_decide_at_every_depth() -> None:
    document = {"a": {"ClientSecret": "s", "client_secret": "s", "items": [{"access-token": "t"}], "n": 1},
                "Credentials": {"AccessKeyId": "AKID", "SecretAccessKey": "s"}, "SessionToken": "t"}
    assert scrub(None, document) == {
        "a": {"ClientSecret": REDACTED, "client_secret": REDACTED, "items": [{"access-token": REDACTED}], "n": 1},
        "Credentials": REDACTED, "SessionToken": REDACTED}


def test_leaves_become_json() -> None:
    moment = datetime(2024, 5, 17, 12, 34, 56, tzinfo=UTC)
    assert scrub(None, {"when": moment, "blob": b"\x00\x01\x02", "odd": object}) == {
        "when": "2024-05-17T12:34:56Z", "blob": "<3 bytes>", "odd": "<type>"}


@pytest.mark.parametrize(("name", "secret"), [
    ("SecretAccessKey", True), ("SessionToken", True), ("Password", True), ("ProviderToken", True),
    ("ClientSecret", True), ("Token", True), ("X-Amz-Security-Token", True), ("api_key", True),
    ("NextToken", False), ("ClientToken", False), ("ClientRequestToken", False), ("ConnectionName", False),
    ("AccessKeyId", False), (3, False),
])
def test_secret_names(name: object, secret: bool) -> None:
    assert is_secret_name(name) is secret
