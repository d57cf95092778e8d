"""What `codeconn serve` writes outlives it, and replicas sharing one database see one state.

A restart keeps connections, hosts, tags, IAM users, their policies and their
access keys (whose secrets are encrypted with the key file in the data dir), on
the SQLite default and on PostgreSQL. Two processes ("replicas") sharing one
PostgreSQL database and one data dir (so one secret key) each see the other's
writes at once, and an access key made through one authenticates on the other.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from serve_process import ServeProcess, serve

pytestmark = pytest.mark.slow

ACCOUNT = "000000000000"
READ_CONNECTIONS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["codestar-connections:GetConnection", "codestar-connections:ListConnections",
                                   "codeconnections:GetConnection", "codeconnections:ListConnections"],
     "Resource": "*"}]}


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql")])
def database_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    if request.param == "sqlite":
        return ()
    return ("--database-url", str(request.getfixturevalue("postgres_url")))


def make_reader(server: ServeProcess, user: str) -> dict[str, str]:
    """An IAM user who may read connections, and its access key."""
    iam = server.client("iam")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps(READ_CONNECTIONS))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def as_user(server: ServeProcess, service: str, key: dict[str, str]) -> Any:
    return server.client(service, key["key"], key["secret"])


def denied(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**params)
    return str(raised.value.response["Error"]["Code"])


def test_everything_survives_a_restart(tmp_path: Path, database_args: tuple[str, ...]) -> None:
    data = tmp_path / "data"
    with serve(data, *database_args) as first:
        connections = first.client("codeconnections")
        arn = connections.create_connection(ProviderType="GitHub", ConnectionName="kept",
                                            Tags=[{"Key": "team", "Value": "infra"}])["ConnectionArn"]
        host = connections.create_host(Name="ghe", ProviderType="GitHubEnterpriseServer",
                                       ProviderEndpoint="https://ghe.example.com")["HostArn"]
        gone = connections.create_connection(ProviderType="GitLab", ConnectionName="gone")["ConnectionArn"]
        connections.delete_connection(ConnectionArn=gone)
        key = make_reader(first, "reader")
        assert first.stop() == 0
    if not database_args:
        assert (data / "audit.jsonl").exists()

    with serve(data, *database_args) as second:
        connections = second.client("codestar-connections")
        listed = connections.list_connections()["Connections"]
        assert [(c["ConnectionArn"], c["ConnectionName"], c["ConnectionStatus"]) for c in listed] == [
            (arn, "kept", "PENDING")]
        assert connections.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "infra"}]
        with pytest.raises(connections.exceptions.ResourceNotFoundException):
            connections.get_connection(ConnectionArn=gone)
        assert second.client("codeconnections").get_host(HostArn=host)["Name"] == "ghe"
        # the IAM user, its policy and its key (secret encrypted at rest) all came back
        reader = as_user(second, "codeconnections", key)
        assert reader.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "kept"
        assert denied(reader.delete_connection, ConnectionArn=arn) == "AccessDeniedException"
        identity = second.client("sts", key["key"], key["secret"]).get_caller_identity()
        assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/reader"
        # a fresh name is still unique against what was kept
        with pytest.raises(connections.exceptions.ResourceAlreadyExistsException):
            connections.create_connection(ProviderType="Bitbucket", ConnectionName="kept")
        assert second.stop() == 0


def test_two_replicas_sharing_one_database_and_data_dir_see_each_others_writes(
        tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"
    with serve(data, "--database-url", postgres_url) as one, serve(data, "--database-url", postgres_url) as two:
        assert one.url != two.url
        a, b = one.client("codeconnections"), two.client("codestar-connections")

        arn = a.create_connection(ProviderType="GitHub", ConnectionName="shared")["ConnectionArn"]
        assert b.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "shared"
        b.tag_resource(ResourceArn=arn, Tags=[{"Key": "from", "Value": "two"}])
        assert a.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "from", "Value": "two"}]
        with pytest.raises(a.exceptions.ResourceAlreadyExistsException):
            a.create_connection(ProviderType="GitLab", ConnectionName="shared")
        with pytest.raises(b.exceptions.ResourceAlreadyExistsException):
            b.create_connection(ProviderType="GitLab", ConnectionName="shared")

        # IAM: a key made through one replica authenticates on the other, and policy changes apply at once
        key = make_reader(one, "reader")
        reader_on_two = as_user(two, "codestar-connections", key)
        assert [c["ConnectionArn"] for c in reader_on_two.list_connections()["Connections"]] == [arn]
        assert two.client("sts", key["key"], key["secret"]).get_caller_identity()["Arn"] == (
            f"arn:aws:iam::{ACCOUNT}:user/reader")
        two.client("iam").delete_user_policy(UserName="reader", PolicyName="read")
        assert denied(as_user(one, "codeconnections", key).get_connection, ConnectionArn=arn) == (
            "AccessDeniedException")
        one.client("iam").delete_access_key(UserName="reader", AccessKeyId=key["key"])
        assert denied(reader_on_two.list_connections) in {"UnrecognizedClientException",
                                                          "InvalidClientTokenId"}

        b.delete_connection(ConnectionArn=arn)
        with pytest.raises(a.exceptions.ResourceNotFoundException):
            a.get_connection(ConnectionArn=arn)
        assert a.list_connections()["Connections"] == []
        assert one.stop() == 0
        # the other replica carries on alone
        assert b.list_connections()["Connections"] == []
        assert two.stop() == 0
