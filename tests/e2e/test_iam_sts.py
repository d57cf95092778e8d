"""IAM and STS through boto3 as users manage principals: groups, managed policy versions,
permissions boundaries, access keys, roles and sessions, each checked by what the
principal may then do on the connections API."""

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


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    with real_server(tmp_path / "data") as live:
        yield live


def as_key(server: RealServer, service: str, key: dict[str, str]) -> Any:
    return boto3.client(service, endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        aws_session_token=key.get("SessionToken"), config=NO_RETRIES)


def code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def test_groups_managed_policy_versions_and_boundaries(server: RealServer) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="bob", Tags=[{"Key": "team", "Value": "ci"}])
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="bob")
    policy = iam.create_policy(PolicyName="connections-read",
                               PolicyDocument=doc(allow("codestar-connections:ListConnections")))["Policy"]
    iam.attach_group_policy(GroupName="devs", PolicyArn=policy["Arn"])
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = as_key(server, "codestar-connections", key)
    assert bob.list_connections()["Connections"] == []
    with pytest.raises(ClientError) as raised:
        bob.create_connection(ProviderType="GitHub", ConnectionName="x")
    assert code(raised) == "AccessDeniedException"

    # a new default version widens the group's permissions
    iam.create_policy_version(PolicyArn=policy["Arn"], SetAsDefault=True, PolicyDocument=doc(
        allow(["codestar-connections:ListConnections", "codestar-connections:CreateConnection"])))
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]] == ["v2", "v1"]
    bob.create_connection(ProviderType="GitHub", ConnectionName="x")

    # a permissions boundary caps them again
    boundary = iam.create_policy(PolicyName="list-only",
                                 PolicyDocument=doc(allow("codestar-connections:List*")))["Policy"]
    iam.put_user_permissions_boundary(UserName="bob", PermissionsBoundary=boundary["Arn"])
    with pytest.raises(ClientError) as raised:
        bob.create_connection(ProviderType="GitHub", ConnectionName="y")
    assert raised.value.response["Error"]["Message"].endswith("because no permissions boundary allows the "
                                                              "codestar-connections:CreateConnection action")
    assert len(bob.list_connections()["Connections"]) == 1

    # the user can be listed with its tags and group; a busy user cannot be deleted
    assert iam.list_user_tags(UserName="bob")["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="bob")["Groups"]] == ["devs"]
    with pytest.raises(ClientError) as raised:
        iam.delete_user(UserName="bob")
    assert code(raised) == "DeleteConflict"
    with pytest.raises(ClientError) as raised:
        iam.get_user(UserName="nobody")
    assert code(raised) == "NoSuchEntity"


def test_access_keys_can_be_deactivated_and_deleted(server: RealServer) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="carol")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    sts = as_key(server, "sts", key)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/carol"
    listed = iam.list_access_keys(UserName="carol")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in listed] == [(key["AccessKeyId"], "Active")]
    assert "SecretAccessKey" not in listed[0]
    iam.update_access_key(UserName="carol", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as raised:
        sts.get_caller_identity()
    assert code(raised) == "InvalidClientTokenId"
    iam.delete_access_key(UserName="carol", AccessKeyId=key["AccessKeyId"])
    assert iam.list_access_keys(UserName="carol")["AccessKeyMetadata"] == []


def test_roles_sessions_and_session_policies(server: RealServer) -> None:
    iam = server.client("iam")
    role_arn = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/dave"}, "Action": "sts:AssumeRole"}),
        Tags=[{"Key": "tier", "Value": "prod"}])["Role"]["Arn"]
    iam.put_role_policy(RoleName="deployer", PolicyName="connections", PolicyDocument=doc(
        allow(["codestar-connections:CreateConnection", "codestar-connections:ListConnections"])))
    iam.create_user(UserName="dave")
    dave = as_key(server, "sts", iam.create_access_key(UserName="dave")["AccessKey"])
    # the trust policy names dave: within the account that allows on its own
    session = dave.assume_role(RoleArn=role_arn, RoleSessionName="deploy-1")
    assert session["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/deploy-1"
    creds = session["Credentials"]
    assert as_key(server, "sts", creds).get_caller_identity()["Arn"] == session["AssumedRoleUser"]["Arn"]
    as_key(server, "codestar-connections", creds).create_connection(ProviderType="GitHub", ConnectionName="one")

    # a session policy narrows the session to listing
    narrow = dave.assume_role(RoleArn=role_arn, RoleSessionName="deploy-2",
                              Policy=doc(allow("codestar-connections:ListConnections")))["Credentials"]
    narrowed = as_key(server, "codestar-connections", narrow)
    assert [c["ConnectionName"] for c in narrowed.list_connections()["Connections"]] == ["one"]
    with pytest.raises(ClientError) as raised:
        narrowed.create_connection(ProviderType="GitHub", ConnectionName="two")
    assert raised.value.response["Error"]["Message"].endswith(
        "because no session policy allows the codestar-connections:CreateConnection action")

    # a session token that does not belong to the key is refused
    with pytest.raises(ClientError) as raised:
        as_key(server, "sts", {**creds, "SessionToken": narrow["SessionToken"]}).get_caller_identity()
    assert code(raised) == "InvalidClientTokenId"
