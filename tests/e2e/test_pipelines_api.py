"""CodePipeline's pipeline operations through boto3 against the real server (issue 11 part A).

Create, get, list, update and delete a pipeline whose source action is a
CodeStarSourceConnection; the structure rules with AWS's error codes; tags and tag
conditions; and the passing checks: a CreatePipeline by a user without
PassConnection (or with it only for another PassedToService), or without
iam:PassRole on the pipeline's role, is refused, names what was refused, and
saves nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.model
import pytest
from botocore.exceptions import ClientError
from real_server import ACCOUNT, NO_RETRIES, RealServer, real_server

pytestmark = pytest.mark.slow

ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline-role"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
PIPELINE_ARN = f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:api"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    with real_server(tmp_path / "data") as live:
        yield live


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RealServer]:
    """The real server on SQLite, then on a throwaway PostgreSQL database (skipped where it is absent)."""
    url = str(request.getfixturevalue("postgres_url")) if request.param == "postgresql" else None
    with real_server(tmp_path / "data", database_url=url) as live:
        yield live


def declaration(connection_arn: str, name: str = "api") -> dict[str, Any]:
    return {
        "name": name, "roleArn": ROLE, "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [
            {"name": "Source", "actions": [{
                "name": "Source", "runOrder": 1,
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection",
                                 "version": "1"},
                "configuration": {"ConnectionArn": connection_arn, "FullRepositoryId": "acme/api",
                                  "BranchName": "main", "OutputArtifactFormat": "CODE_ZIP"},
                "outputArtifacts": [{"name": "SourceOutput"}]}]},
            {"name": "Approve", "actions": [{
                "name": "Approve",
                "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
                "inputArtifacts": [{"name": "SourceOutput"}]}]},
        ],
    }


def connection(server: RealServer, service: str = "codeconnections", name: str = "gh") -> str:
    arn: str = server.client(service).create_connection(ProviderType="GitHub", ConnectionName=name)["ConnectionArn"]
    return arn


def user(server: RealServer, name: str, policy: dict[str, Any]) -> Any:
    iam = server.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("codepipeline", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        config=NO_RETRIES)


def code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def message(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Message"])


def test_round_trip(any_store_server: RealServer) -> None:
    server = any_store_server
    client = server.client("codepipeline")
    declared = declaration(connection(server))
    created = client.create_pipeline(pipeline=declared, tags=[{"key": "team", "value": "ci"}])
    assert created["pipeline"] == {**declared, "version": 1}
    assert created["tags"] == [{"key": "team", "value": "ci"}]
    got = client.get_pipeline(name="api")
    assert got["pipeline"]["version"] == 1 and got["metadata"]["pipelineArn"] == PIPELINE_ARN
    assert [p["name"] for p in client.list_pipelines()["pipelines"]] == ["api"]
    changed = {**declared, "stages": [declared["stages"][0], {**declared["stages"][1], "name": "Review"}]}
    assert client.update_pipeline(pipeline=changed)["pipeline"]["version"] == 2
    assert client.get_pipeline(name="api")["pipeline"]["stages"][1]["name"] == "Review"
    assert client.get_pipeline(name="api", version=1)["pipeline"]["stages"][1]["name"] == "Approve"
    with pytest.raises(ClientError) as raised:
        client.get_pipeline(name="api", version=3)
    assert code(raised) == "PipelineVersionNotFoundException"
    with pytest.raises(ClientError) as raised:
        client.create_pipeline(pipeline=declared)
    assert code(raised) == "PipelineNameInUseException"
    client.delete_pipeline(name="api")
    assert client.list_pipelines()["pipelines"] == []
    with pytest.raises(ClientError) as raised:
        client.get_pipeline(name="api")
    assert code(raised) == "PipelineNotFoundException"
    assert message(raised) == f"Account '{ACCOUNT}' does not have a pipeline with name 'api'"
    client.delete_pipeline(name="api")  # deleting what is gone is no error, as in AWS


def test_list_pages(server: RealServer) -> None:
    client = server.client("codepipeline")
    arn = connection(server)
    for name in ("a", "b", "c"):
        client.create_pipeline(pipeline=declaration(arn, name))
    first = client.list_pipelines(maxResults=2)
    assert [p["name"] for p in first["pipelines"]] == ["a", "b"]
    second = client.list_pipelines(maxResults=2, nextToken=first["nextToken"])
    assert [p["name"] for p in second["pipelines"]] == ["c"] and "nextToken" not in second


def _without_stage(declared: dict[str, Any]) -> dict[str, Any]:
    return {**declared, "stages": declared["stages"][:1]}


def _source_later(declared: dict[str, Any]) -> dict[str, Any]:
    source = declared["stages"][0]
    return {**declared, "stages": [source, {**source, "name": "Again", "actions": [
        {**source["actions"][0], "name": "Again", "outputArtifacts": [{"name": "Other"}]}]}]}


def _approval_first(declared: dict[str, Any]) -> dict[str, Any]:
    return {**declared, "stages": [declared["stages"][1], declared["stages"][0]]}


def _same_stage_names(declared: dict[str, Any]) -> dict[str, Any]:
    return {**declared, "stages": [declared["stages"][0], {**declared["stages"][1], "name": "Source"}]}


def _dangling_input(declared: dict[str, Any]) -> dict[str, Any]:
    approve = declared["stages"][1]
    return {**declared, "stages": [declared["stages"][0], {**approve, "actions": [
        {**approve["actions"][0], "inputArtifacts": [{"name": "Nowhere"}]}]}]}


def _no_store(declared: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in declared.items() if key != "artifactStore"}


@pytest.mark.parametrize(("broken", "words"), [
    (_without_stage, "at least two stages"),
    (_source_later, "source actions may only be in the first stage"),
    (_approval_first, "the first stage may contain only source actions"),
    (_same_stage_names, "stage names must be unique"),
    (_dangling_input, "Input Artifact Bundle Nowhere in action 'Approve' is not declared as an output artifact"),
    (_no_store, "must have an artifact store"),
])
def test_structure_rules(server: RealServer, broken: Any, words: str) -> None:
    client = server.client("codepipeline")
    with pytest.raises(ClientError) as raised:
        client.create_pipeline(pipeline=broken(declaration(connection(server))))
    assert code(raised) == "InvalidStructureException"
    assert words in message(raised)
    assert client.list_pipelines()["pipelines"] == []


def test_missing_connection_is_an_invalid_action(server: RealServer) -> None:
    client = server.client("codepipeline")
    gone = connection(server)
    server.client("codeconnections").delete_connection(ConnectionArn=gone)
    with pytest.raises(ClientError) as raised:
        client.create_pipeline(pipeline=declaration(gone))
    assert code(raised) == "InvalidActionDeclarationException"
    assert gone in message(raised)


def test_tags_and_tag_conditions(server: RealServer) -> None:
    root = server.client("codepipeline")
    root.create_pipeline(pipeline=declaration(connection(server)))
    root.tag_resource(resourceArn=PIPELINE_ARN, tags=[{"key": "team", "value": "ci"}, {"key": "x", "value": "1"}])
    root.untag_resource(resourceArn=PIPELINE_ARN, tagKeys=["x"])
    assert root.list_tags_for_resource(resourceArn=PIPELINE_ARN)["tags"] == [{"key": "team", "value": "ci"}]
    with pytest.raises(ClientError) as raised:
        root.tag_resource(resourceArn=PIPELINE_ARN, tags=[{"key": "aws:x", "value": "1"}])
    assert code(raised) == "InvalidTagsException"
    with pytest.raises(ClientError) as raised:
        root.list_tags_for_resource(resourceArn=f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:nope")
    assert code(raised) == "ResourceNotFoundException"
    bob = user(server, "bob", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "codepipeline:GetPipeline", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "web"}}},
        {"Effect": "Allow", "Action": "codepipeline:TagResource", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}}]})
    with pytest.raises(ClientError) as raised:
        bob.get_pipeline(name="api")
    assert message(raised) == (f"User: {BOB} is not authorized to perform: codepipeline:GetPipeline on resource: "
                               f"{PIPELINE_ARN} because no identity-based policy allows the "
                               "codepipeline:GetPipeline action")
    with pytest.raises(ClientError) as raised:
        bob.tag_resource(resourceArn=PIPELINE_ARN, tags=[{"key": "owner", "value": "bob"}])
    assert code(raised) == "AccessDeniedException"
    bob.tag_resource(resourceArn=PIPELINE_ARN, tags=[{"key": "team", "value": "web"}])
    assert bob.get_pipeline(name="api")["pipeline"]["name"] == "api"


def _creator(pass_connection: dict[str, Any] | None, pass_role: bool) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [{"Effect": "Allow", "Action": "codepipeline:*", "Resource": "*"}]
    if pass_connection is not None:
        statements.append({"Effect": "Allow", "Action": "codeconnections:PassConnection", "Resource": "*",
                           "Condition": {"StringEquals": pass_connection}})
    if pass_role:
        statements.append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE,
                           "Condition": {"StringEquals": {"iam:PassedToService": "codepipeline.amazonaws.com"}}})
    return {"Version": "2012-10-17", "Statement": statements}


TO_PIPELINE = {"codeconnections:PassedToService": "codepipeline.amazonaws.com"}
TO_OTHER = {"codeconnections:PassedToService": "codebuild.amazonaws.com"}


@pytest.mark.parametrize(("pass_connection", "pass_role", "refused"), [
    (None, True, "codeconnections:PassConnection"),
    (TO_OTHER, True, "codeconnections:PassConnection"),
    (TO_PIPELINE, False, "iam:PassRole"),
])
def test_passing_is_checked_and_a_refusal_saves_nothing(
        server: RealServer, pass_connection: dict[str, Any] | None, pass_role: bool, refused: str) -> None:
    arn = connection(server)
    bob = user(server, "bob", _creator(pass_connection, pass_role))
    with pytest.raises(ClientError) as raised:
        bob.create_pipeline(pipeline=declaration(arn))
    assert code(raised) == "AccessDeniedException"
    resource = ROLE if refused == "iam:PassRole" else arn
    assert message(raised).startswith(
        f"User: {BOB} is not authorized to perform: {refused} on resource: {resource} because")
    assert server.client("codepipeline").list_pipelines()["pipelines"] == []


def test_passing_allowed_saves_the_pipeline(server: RealServer) -> None:
    arn = connection(server)
    bob = user(server, "bob", _creator(TO_PIPELINE, True))
    assert bob.create_pipeline(pipeline=declaration(arn))["pipeline"]["version"] == 1
    other = connection(server, "codestar-connections", "older")
    with pytest.raises(ClientError) as raised:  # the codestar-connections ARN is passed in its own prefix
        bob.update_pipeline(pipeline=declaration(other))
    assert message(raised).startswith(
        f"User: {BOB} is not authorized to perform: codestar-connections:PassConnection on resource: {other}")
    assert server.client("codepipeline").get_pipeline(name="api")["pipeline"]["version"] == 1


def test_rpc_v2_cbor_speaks_the_same_api(server: RealServer) -> None:
    """The model lists Smithy RPC v2 CBOR beside AWS JSON 1.1; botocore ranks JSON first, so CBOR is forced."""
    ranked = ("smithy-rpc-v2-cbor", *(name for name in botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
                                      if name != "smithy-rpc-v2-cbor"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ranked)
        client = server.client("codepipeline")
    sent: list[bytes | str] = []
    client.meta.events.register("before-send", lambda request, **_: sent.append(request.headers["Content-Type"]))
    assert client.create_pipeline(pipeline=declaration(connection(server)))["pipeline"]["version"] == 1
    assert client.get_pipeline(name="api")["metadata"]["pipelineArn"] == PIPELINE_ARN
    with pytest.raises(ClientError) as raised:
        client.get_pipeline(name="nope")
    assert code(raised) == "PipelineNotFoundException"
    assert {value.decode() if isinstance(value, bytes) else value for value in sent} == {"application/cbor"}


def test_creating_with_tags_also_needs_tag_resource(server: RealServer) -> None:
    """As for the connections resources, a create that brings tags is decided as TagResource too."""
    arn = connection(server)
    policy = _creator(TO_PIPELINE, True)
    policy["Statement"].append({"Effect": "Deny", "Action": "codepipeline:TagResource", "Resource": "*"})
    bob = user(server, "bob", policy)
    with pytest.raises(ClientError) as raised:
        bob.create_pipeline(pipeline=declaration(arn), tags=[{"key": "team", "value": "ci"}])
    assert message(raised).startswith(
        f"User: {BOB} is not authorized to perform: codepipeline:TagResource on resource: {PIPELINE_ARN}")
    assert server.client("codepipeline").list_pipelines()["pipelines"] == []
    assert bob.create_pipeline(pipeline=declaration(arn))["pipeline"]["version"] == 1
