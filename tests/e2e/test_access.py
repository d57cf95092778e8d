"""IAM decisions through the wire: conditions on request and resource tags, explicit denies, audit.

An IAM user (created through boto3's IAM client) calls the connections API with
policies whose conditions read aws:RequestTag, aws:TagKeys and aws:ResourceTag;
every denial is AWS's AccessDeniedException naming the caller, the action, the
ARN and the kind of policy that denied.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from real_server import ACCOUNT, NO_RETRIES, RealServer, real_server

pytestmark = pytest.mark.slow

ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
TEAM_CI = {"Version": "2012-10-17", "Statement": [
    {"Sid": "CreateTaggedForCi", "Effect": "Allow",
     "Action": ["codestar-connections:CreateConnection", "codestar-connections:TagResource"], "Resource": "*",
     "Condition": {"StringEquals": {"aws:RequestTag/team": "ci"},
                   "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}},
    {"Sid": "ReadCiConnections", "Effect": "Allow", "Action": "codestar-connections:GetConnection", "Resource": "*",
     "Condition": {"StringEquals": {"aws:ResourceTag/team": "ci"}}},
    {"Sid": "NeverDelete", "Effect": "Deny", "Action": "codestar-connections:DeleteConnection", "Resource": "*"},
]}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    with real_server(tmp_path / "data") as live:
        yield live


def alice(server: RealServer) -> Any:
    iam = server.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="team-ci", PolicyDocument=json.dumps(TEAM_CI))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    return boto3.client("codestar-connections", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        config=NO_RETRIES)


def denied(raised: pytest.ExceptionInfo[ClientError]) -> str:
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    return str(error["Message"])


def test_request_tag_conditions(server: RealServer) -> None:
    client = alice(server)
    arn = client.create_connection(ProviderType="GitHub", ConnectionName="tagged",
                                   Tags=[{"Key": "team", "Value": "ci"}])["ConnectionArn"]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "tagged"
    for tags in ([], [{"Key": "team", "Value": "web"}], [{"Key": "team", "Value": "ci"}, {"Key": "x", "Value": "y"}]):
        with pytest.raises(ClientError) as raised:
            client.create_connection(ProviderType="GitHub", ConnectionName="other", Tags=tags)
        assert denied(raised) == (
            f"User: {ALICE} is not authorized to perform: codestar-connections:CreateConnection on resource: * "
            "because no identity-based policy allows the codestar-connections:CreateConnection action")
    names = [c["ConnectionName"] for c in server.client("codestar-connections").list_connections()["Connections"]]
    assert names == ["tagged"], "a denied call leaves nothing behind"


def test_resource_tag_conditions_follow_the_tags(server: RealServer) -> None:
    client = alice(server)
    root = server.client("codestar-connections")
    arn = root.create_connection(ProviderType="GitHub", ConnectionName="untagged")["ConnectionArn"]
    with pytest.raises(ClientError) as raised:
        client.get_connection(ConnectionArn=arn)
    assert denied(raised) == (
        f"User: {ALICE} is not authorized to perform: codestar-connections:GetConnection on resource: {arn} "
        "because no identity-based policy allows the codestar-connections:GetConnection action")
    root.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ci"}])
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn


def test_an_explicit_deny_says_so_and_changes_nothing(server: RealServer) -> None:
    client = alice(server)
    arn = client.create_connection(ProviderType="GitHub", ConnectionName="kept",
                                   Tags=[{"Key": "team", "Value": "ci"}])["ConnectionArn"]
    with pytest.raises(ClientError) as raised:
        client.delete_connection(ConnectionArn=arn)
    assert denied(raised) == (
        f"User: {ALICE} is not authorized to perform: codestar-connections:DeleteConnection on resource: {arn} "
        "with an explicit deny in an identity-based policy")
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == "kept"


def test_simulation_agrees_with_enforcement(server: RealServer) -> None:
    alice(server)
    results = server.client("iam").simulate_principal_policy(
        PolicySourceArn=ALICE, ActionNames=["codestar-connections:DeleteConnection",
                                            "codestar-connections:ListConnections"])["EvaluationResults"]
    assert {r["EvalActionName"]: r["EvalDecision"] for r in results} == {
        "codestar-connections:DeleteConnection": "explicitDeny",
        "codestar-connections:ListConnections": "implicitDeny"}


def test_the_audit_line_of_a_denial_names_the_keys_the_nearly_matching_statement_wanted(server: RealServer) -> None:
    """A CreateConnection without tags: the statement that allows tagged creates wanted aws:RequestTag/team."""
    from codeconn.server.audit import read_audit

    client = alice(server)
    with pytest.raises(ClientError):
        client.create_connection(ProviderType="GitHub", ConnectionName="untagged")
    (record,) = [r for r in read_audit(server.config.audit_path).records
                 if r.action == "codestar-connections:CreateConnection"]
    (decision,) = record.decisions
    assert decision.decision == "implicitDeny"
    assert decision.missing_context_keys == ("aws:RequestTag/team",)
    assert [m["sid"] for m in decision.to_json()["nearMisses"]] == ["CreateTaggedForCi"]
