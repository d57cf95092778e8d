"""The authorization map: which action, on which resource, with which context keys, for every operation.

Each case runs one operation against a small world (a tagged AVAILABLE GitHub
connection, a tagged host, a tagged repository link, a sync configuration), all
created through codestar-connections, and is run through both endpoints: the
actions and service keys take the prefix of the endpoint called, the resources
keep their own ARNs. Then: the keys agree with AWS's catalog, policies decide with
them, and a denied call writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from connections_env import (
    ACCOUNT,
    CATALOG,
    OTHER_ACCOUNT,
    ROLE_ARN,
    SERVICES,
    Asked,
    Bench,
)

from codeconn.service.connections import OPERATIONS
from codeconn.domain.arns import TAGGABLE, parse_arn
from codeconn.service.connections.errors import (
    SyncBlockerDoesNotExistException,
    SyncConfigurationStillExistsException,
)
from codeconn.service.errors import (
    AccessDenied,
    ResourceNotFoundException,
    ServiceError,
)

NEW = "<new>"  # an expected resource ending in NEW matches any ARN with that prefix (a resource being created)
VPC = {"VpcId": "vpc-0123456789abcdef0", "SubnetIds": ["subnet-0123456789abcdef0"],
       "SecurityGroupIds": ["sg-0123456789abcdef0"]}
GIT_SYNC = "cloudformation.sync.codeconnections.amazonaws.com"


@dataclass
class World:
    connection: str
    host: str
    link: str
    link_id: str

    @property
    def team(self) -> dict[str, str]:
        return {"aws:ResourceTag/team": "ci"}

    @property
    def env(self) -> dict[str, str]:
        return {"aws:ResourceTag/env": "prod"}

    @property
    def app(self) -> dict[str, str]:
        return {"aws:ResourceTag/app": "web"}


@pytest.fixture
def world(bench: Bench) -> World:
    connection = bench.connection(available=True, Tags=[{"Key": "team", "Value": "ci"}])
    host = bench.host(Tags=[{"Key": "env", "Value": "prod"}])
    link = bench.link(connection, Tags=[{"Key": "app", "Value": "web"}])
    bench.sync_configuration(link["RepositoryLinkId"])
    return World(connection, host, link["RepositoryLinkArn"], link["RepositoryLinkId"])


Params = Callable[[World], dict[str, Any]]
Expected = Callable[[World, str], list[tuple[str, str, dict[str, Any]]]]


def case(operation: str, params: Params, expected: Expected, raises: type[ServiceError] | None = None,
         rule: str = "") -> Any:
    return pytest.param(operation, params, expected, raises, id=f"{operation}: {rule}" if rule else operation)


def tags(**values: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in values.items()]


def request_tags(**values: str) -> dict[str, Any]:
    return {**{f"aws:RequestTag/{key}": value for key, value in values.items()}, "aws:TagKeys": list(values)}


def arn(p: str, kind: str, rest: str = NEW) -> str:
    return f"arn:aws:{p}:us-east-1:{ACCOUNT}:{kind}/{rest}"


CASES = [
    case("CreateConnection", lambda w: {"ConnectionName": "new", "ProviderType": "Bitbucket", "Tags": tags(team="ci")},
         lambda w, p: [(f"{p}:CreateConnection", "*", {f"{p}:ProviderType": "Bitbucket", **request_tags(team="ci")}),
                       (f"{p}:TagResource", arn(p, "connection"), request_tags(team="ci"))],
         rule="provider type and tags; tagging on create is a TagResource"),
    case("CreateConnection", lambda w: {"ConnectionName": "new", "HostArn": w.host},
         lambda w, p: [(f"{p}:CreateConnection", "*", {f"{p}:ProviderType": "GitHubEnterpriseServer"})],
         rule="provider type from the host"),
    case("GetConnection", lambda w: {"ConnectionArn": w.connection},
         lambda w, p: [(f"{p}:GetConnection", w.connection, w.team)]),
    case("DeleteConnection", lambda w: {"ConnectionArn": w.connection},
         lambda w, p: [(f"{p}:DeleteConnection", w.connection, w.team)]),
    case("ListConnections", lambda w: {"ProviderTypeFilter": "GitHub"},
         lambda w, p: [(f"{p}:ListConnections", arn(p, "connection", "*"), {f"{p}:ProviderTypeFilter": "GitHub"})],
         rule="filtered by provider"),
    case("ListConnections", lambda w: {},
         lambda w, p: [(f"{p}:ListConnections", arn(p, "connection", "*"), {})], rule="unfiltered"),
    case("CreateHost", lambda w: {"Name": "new", "ProviderType": "GitLabSelfManaged",
                                  "ProviderEndpoint": "https://gitlab.example.com", "VpcConfiguration": VPC,
                                  "Tags": tags(env="dev")},
         lambda w, p: [(f"{p}:CreateHost", "*", {f"{p}:ProviderType": "GitLabSelfManaged",
                                                  f"{p}:VpcId": VPC["VpcId"], **request_tags(env="dev")}),
                       (f"{p}:TagResource", arn(p, "host"), request_tags(env="dev"))]),
    case("GetHost", lambda w: {"HostArn": w.host}, lambda w, p: [(f"{p}:GetHost", w.host, w.env)]),
    case("DeleteHost", lambda w: {"HostArn": w.host}, lambda w, p: [(f"{p}:DeleteHost", w.host, w.env)]),
    case("UpdateHost", lambda w: {"HostArn": w.host, "VpcConfiguration": VPC},
         lambda w, p: [(f"{p}:UpdateHost", w.host, {f"{p}:VpcId": VPC["VpcId"], **w.env})]),
    case("ListHosts", lambda w: {}, lambda w, p: [(f"{p}:ListHosts", "*", {})]),
    case("CreateRepositoryLink", lambda w: {"ConnectionArn": w.connection, "OwnerId": "octo",
                                            "RepositoryName": "lib", "Tags": tags(app="lib")},
         lambda w, p: [(f"{p}:CreateRepositoryLink", w.connection, {**request_tags(app="lib"), **w.team}),
                       (f"{p}:PassConnection", w.connection, w.team),
                       (f"{p}:UseConnection", w.connection, {f"{p}:FullRepositoryId": "octo/lib",
                                                              f"{p}:OwnerId": "octo",
                                                              f"{p}:RepositoryName": "lib", **w.team}),
                       (f"{p}:TagResource", arn(p, "repository-link"), request_tags(app="lib"))],
         rule="the connection is passed and used"),
    case("GetRepositoryLink", lambda w: {"RepositoryLinkId": w.link_id},
         lambda w, p: [(f"{p}:GetRepositoryLink", w.link, w.app)]),
    case("UpdateRepositoryLink", lambda w: {"RepositoryLinkId": w.link_id, "ConnectionArn": w.connection},
         lambda w, p: [(f"{p}:UpdateRepositoryLink", w.link, w.app),
                       (f"{p}:PassConnection", w.connection, w.team),
                       (f"{p}:UseConnection", w.connection, {f"{p}:FullRepositoryId": "octo/app",
                                                              f"{p}:OwnerId": "octo",
                                                              f"{p}:RepositoryName": "app", **w.team})],
         rule="a new connection is passed and used"),
    case("DeleteRepositoryLink", lambda w: {"RepositoryLinkId": w.link_id},
         lambda w, p: [(f"{p}:DeleteRepositoryLink", w.link, w.app)], SyncConfigurationStillExistsException),
    case("ListRepositoryLinks", lambda w: {}, lambda w, p: [(f"{p}:ListRepositoryLinks", "*", {})]),
    case("CreateSyncConfiguration", lambda w: {"RepositoryLinkId": w.link_id, "ResourceName": "other-stack",
                                               "Branch": "dev", "ConfigFile": "d.yaml", "RoleArn": ROLE_ARN,
                                               "SyncType": "CFN_STACK_SYNC"},
         lambda w, p: [(f"{p}:CreateSyncConfiguration", w.link, {f"{p}:Branch": "dev", **w.app}),
                       (f"{p}:PassRepository", w.link, w.app),
                       ("iam:PassRole", ROLE_ARN, {"iam:PassedToService": GIT_SYNC})],
         rule="the link and the role are passed"),
    case("UpdateSyncConfiguration", lambda w: {"ResourceName": "my-stack", "SyncType": "CFN_STACK_SYNC",
                                               "Branch": "dev", "RepositoryLinkId": w.link_id, "RoleArn": ROLE_ARN},
         lambda w, p: [(f"{p}:UpdateSyncConfiguration", "*", {f"{p}:Branch": "dev"}),
                       (f"{p}:PassRepository", w.link, w.app),
                       ("iam:PassRole", ROLE_ARN, {"iam:PassedToService": GIT_SYNC})],
         rule="a link or role named is passed"),
    case("UpdateSyncConfiguration", lambda w: {"ResourceName": "my-stack", "SyncType": "CFN_STACK_SYNC",
                                               "ConfigFile": "other.yaml"},
         lambda w, p: [(f"{p}:UpdateSyncConfiguration", "*", {f"{p}:Branch": "main"})],
         rule="Branch is the configuration's own when the request keeps it"),
    case("GetSyncConfiguration", lambda w: {"ResourceName": "my-stack", "SyncType": "CFN_STACK_SYNC"},
         lambda w, p: [(f"{p}:GetSyncConfiguration", "*", {})]),
    case("DeleteSyncConfiguration", lambda w: {"ResourceName": "my-stack", "SyncType": "CFN_STACK_SYNC"},
         lambda w, p: [(f"{p}:DeleteSyncConfiguration", "*", {})]),
    case("ListSyncConfigurations", lambda w: {"RepositoryLinkId": w.link_id, "SyncType": "CFN_STACK_SYNC"},
         lambda w, p: [(f"{p}:ListSyncConfigurations", "*", {})]),
    case("ListRepositorySyncDefinitions", lambda w: {"RepositoryLinkId": w.link_id, "SyncType": "CFN_STACK_SYNC"},
         lambda w, p: [(f"{p}:ListRepositorySyncDefinitions", "*", {})]),
    case("GetRepositorySyncStatus", lambda w: {"RepositoryLinkId": w.link_id, "Branch": "main",
                                               "SyncType": "CFN_STACK_SYNC"},
         lambda w, p: [(f"{p}:GetRepositorySyncStatus", w.link, {f"{p}:Branch": "main", **w.app})],
         ResourceNotFoundException),
    case("GetResourceSyncStatus", lambda w: {"ResourceName": "my-stack", "SyncType": "CFN_STACK_SYNC"},
         lambda w, p: [(f"{p}:GetResourceSyncStatus", "*", {})], ResourceNotFoundException),
    case("GetSyncBlockerSummary", lambda w: {"ResourceName": "my-stack", "SyncType": "CFN_STACK_SYNC"},
         lambda w, p: [(f"{p}:GetSyncBlockerSummary", "*", {})]),
    case("UpdateSyncBlocker", lambda w: {"Id": "b-1", "ResourceName": "my-stack", "SyncType": "CFN_STACK_SYNC",
                                         "ResolvedReason": "fixed"},
         lambda w, p: [(f"{p}:UpdateSyncBlocker", "*", {})], SyncBlockerDoesNotExistException),
    case("TagResource", lambda w: {"ResourceArn": w.connection, "Tags": tags(owner="me")},
         lambda w, p: [(f"{p}:TagResource", w.connection, {**request_tags(owner="me"), **w.team})]),
    case("UntagResource", lambda w: {"ResourceArn": w.connection, "TagKeys": ["team"]},
         lambda w, p: [(f"{p}:UntagResource", w.connection, {"aws:TagKeys": ["team"], **w.team})]),
    case("ListTagsForResource", lambda w: {"ResourceArn": w.host},
         lambda w, p: [(f"{p}:ListTagsForResource", w.host, w.env)]),
]


def _matches(asked: Asked, action: str, resource: str, context: dict[str, Any]) -> bool:
    same_resource = (asked.resource.startswith(resource[: -len(NEW)]) and asked.resource != resource[: -len(NEW)]
                     if resource.endswith(NEW) else asked.resource == resource)
    return asked.action == action and same_resource and asked.context == context


def test_every_operation_has_a_case() -> None:
    assert {param.values[0] for param in CASES} == set(OPERATIONS)


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize(("operation", "params", "expected", "raises"), CASES)
def test_authorization_map(bench: Bench, world: World, service: str, operation: str, params: Params,
                           expected: Expected, raises: type[ServiceError] | None) -> None:
    start = len(bench.authorizer.asked)
    if raises is None:
        bench.invoke(operation, service, **params(world))
    else:
        with pytest.raises(raises):
            bench.invoke(operation, service, **params(world))
    asked = bench.asked_since(start)
    wanted = expected(world, service)
    assert len(asked) == len(wanted), asked
    for question, (action, resource, context) in zip(asked, wanted, strict=True):
        assert _matches(question, action, resource, context), (question, (action, resource, context))


@pytest.mark.parametrize("service", SERVICES)
def test_every_question_is_one_the_catalog_documents(bench: Bench, world: World, service: str) -> None:
    """Actions exist, resources fit the action's resource types, and every key is one AWS lists for the action."""
    for operation, params, _, _ in (param.values for param in CASES):
        try:
            bench.invoke(operation, service, **params(world))
        except ServiceError:
            pass  # the cases share one world here (a deleted host is gone for the next); only the questions count
    assert len(bench.authorizer.asked) > len(CASES)
    for asked in bench.authorizer.asked:
        action = CATALOG.action(asked.action)
        assert action is not None, asked.action
        if asked.resource == "*":
            assert not any(ref.required for ref in action.resource_types), asked
        elif not asked.action.startswith("iam:"):
            parsed = parse_arn(asked.resource)
            assert parsed is not None and parsed.resource_type in TAGGABLE, asked
            names = {ref.name.lower() for ref in action.resource_types}
            assert TAGGABLE[parsed.resource_type].arn_type.replace("-", "") in names, asked
        for name in asked.context:
            assert CATALOG.action_supports_key(action, name), (asked.action, name)


# --- policies decide with those keys -----------------------------------------------------------


def test_a_policy_for_github_only_denies_bitbucket_and_nothing_is_stored(bench: Bench) -> None:
    bench.allow_only({"Effect": "Allow", "Action": "codestar-connections:CreateConnection", "Resource": "*",
                      "Condition": {"StringEquals": {"codestar-connections:ProviderType": "GitHub"}}})
    with pytest.raises(AccessDenied) as denied:
        bench.invoke("CreateConnection", ConnectionName="bb", ProviderType="Bitbucket")
    assert denied.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/tester is not authorized to perform: "
        "codestar-connections:CreateConnection on resource: * because no identity-based policy allows the "
        "codestar-connections:CreateConnection action")
    assert bench.count("connection") == 0
    bench.invoke("CreateConnection", ConnectionName="gh", ProviderType="GitHub")
    assert bench.count("connection") == 1


def test_the_codeconnections_endpoint_is_decided_with_codeconnections_keys(bench: Bench) -> None:
    bench.allow_only({"Effect": "Allow", "Action": "codeconnections:CreateConnection", "Resource": "*",
                      "Condition": {"StringEquals": {"codeconnections:ProviderType": "GitHub"}}})
    bench.invoke("CreateConnection", "codeconnections", ConnectionName="gh", ProviderType="GitHub")
    with pytest.raises(AccessDenied):
        bench.invoke("CreateConnection", "codestar-connections", ConnectionName="gh2", ProviderType="GitHub")
    bench.allow_only({"Effect": "Allow", "Action": "codeconnections:CreateConnection", "Resource": "*",
                      "Condition": {"StringEquals": {"codestar-connections:ProviderType": "GitHub"}}})
    with pytest.raises(AccessDenied):
        bench.invoke("CreateConnection", "codeconnections", ConnectionName="gh3", ProviderType="GitHub")
    assert bench.count("connection") == 1


def test_resource_tags_decide_reads(bench: Bench) -> None:
    tagged = bench.connection("tagged", Tags=[{"Key": "team", "Value": "secret"}])
    plain = bench.connection("plain")
    bench.allow_only({"Effect": "Allow", "Action": "codestar-connections:GetConnection", "Resource": "*"},
                     {"Effect": "Deny", "Action": "codestar-connections:GetConnection", "Resource": "*",
                      "Condition": {"StringEquals": {"aws:ResourceTag/team": "secret"}}})
    with pytest.raises(AccessDenied) as denied:
        bench.invoke("GetConnection", ConnectionArn=tagged)
    assert "with an explicit deny in an identity-based policy" in denied.value.message
    assert bench.invoke("GetConnection", ConnectionArn=plain)["Connection"]["ConnectionName"] == "plain"


def test_a_create_needs_request_tags_when_the_policy_says_so(bench: Bench) -> None:
    bench.allow_only({"Effect": "Allow", "Action": "codestar-connections:*", "Resource": "*",
                      "Condition": {"StringEquals": {"aws:RequestTag/team": "ci"}}},
                     {"Effect": "Allow", "Action": "codestar-connections:TagResource", "Resource": "*"})
    with pytest.raises(AccessDenied):
        bench.invoke("CreateConnection", ConnectionName="untagged", ProviderType="GitHub")
    bench.invoke("CreateConnection", ConnectionName="tagged", ProviderType="GitHub", Tags=tags(team="ci"))
    assert bench.count("connection") == 1


def test_tags_on_create_need_tag_resource(bench: Bench) -> None:
    bench.allow_only({"Effect": "Allow", "Action": "codestar-connections:CreateConnection", "Resource": "*"})
    with pytest.raises(AccessDenied) as denied:
        bench.invoke("CreateConnection", ConnectionName="tagged", ProviderType="GitHub", Tags=tags(team="ci"))
    assert denied.value.action == "codestar-connections:TagResource"
    assert bench.count("connection") == 0
    bench.invoke("CreateConnection", ConnectionName="untagged", ProviderType="GitHub")


def test_access_is_decided_before_existence(bench: Bench) -> None:
    missing = f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetConnection", ConnectionArn=missing)
    bench.allow_only({"Effect": "Allow", "Action": "codestar-connections:GetConnection",
                      "Resource": f"arn:aws:codestar-connections:*:{ACCOUNT}:connection/ffff*"})
    with pytest.raises(AccessDenied):
        bench.invoke("GetConnection", ConnectionArn=missing)


def test_another_accounts_arn_is_denied(bench: Bench) -> None:
    theirs = (f"arn:aws:codestar-connections:us-east-1:{OTHER_ACCOUNT}:connection/"
              "00000000-0000-0000-0000-000000000000")
    with pytest.raises(AccessDenied):
        bench.invoke("GetConnection", ConnectionArn=theirs)


# --- a denied call writes nothing ---------------------------------------------------------------


def _denying(action: str) -> list[dict[str, Any]]:
    return [{"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": action, "Resource": "*"}]


def _snapshot(bench: Bench) -> dict[str, Any]:
    with bench.store.read(ACCOUNT) as reader:
        return {kind: [(record, reader.tags(record.arn)) for record in reader.list(kind)]
                for kind in ("connection", "host", "repository_link", "sync_configuration")}


DENIED_WRITES = [
    pytest.param("DeleteConnection", "codestar-connections:DeleteConnection",
                 lambda w: {"ConnectionArn": w.connection}, id="DeleteConnection"),
    pytest.param("TagResource", "codestar-connections:TagResource",
                 lambda w: {"ResourceArn": w.host, "Tags": tags(env="dev")}, id="TagResource"),
    pytest.param("UntagResource", "codestar-connections:UntagResource",
                 lambda w: {"ResourceArn": w.host, "TagKeys": ["env"]}, id="UntagResource"),
    pytest.param("UpdateHost", "codestar-connections:UpdateHost",
                 lambda w: {"HostArn": w.host, "ProviderEndpoint": "https://elsewhere.example.com"}, id="UpdateHost"),
    pytest.param("CreateRepositoryLink", "codestar-connections:PassConnection",
                 lambda w: {"ConnectionArn": w.connection, "OwnerId": "octo", "RepositoryName": "lib"},
                 id="CreateRepositoryLink without PassConnection"),
    pytest.param("CreateRepositoryLink", "codestar-connections:UseConnection",
                 lambda w: {"ConnectionArn": w.connection, "OwnerId": "octo", "RepositoryName": "lib"},
                 id="CreateRepositoryLink without UseConnection"),
    pytest.param("CreateSyncConfiguration", "iam:PassRole",
                 lambda w: {"RepositoryLinkId": w.link_id, "ResourceName": "other", "Branch": "main",
                            "ConfigFile": "d.yaml", "RoleArn": ROLE_ARN, "SyncType": "CFN_STACK_SYNC"},
                 id="CreateSyncConfiguration without iam:PassRole"),
    pytest.param("UpdateSyncConfiguration", "codestar-connections:PassRepository",
                 lambda w: {"ResourceName": "my-stack", "SyncType": "CFN_STACK_SYNC", "Branch": "dev",
                            "RepositoryLinkId": w.link_id}, id="UpdateSyncConfiguration without PassRepository"),
    pytest.param("DeleteSyncConfiguration", "codestar-connections:DeleteSyncConfiguration",
                 lambda w: {"ResourceName": "my-stack", "SyncType": "CFN_STACK_SYNC"}, id="DeleteSyncConfiguration"),
]


@pytest.mark.parametrize(("operation", "denied_action", "params"), DENIED_WRITES)
def test_a_denied_call_changes_nothing(bench: Bench, world: World, operation: str, denied_action: str,
                                       params: Params) -> None:
    before = _snapshot(bench)
    bench.allow_only(*_denying(denied_action))
    with pytest.raises(AccessDenied) as denied:
        bench.invoke(operation, **params(world))
    assert denied.value.action == denied_action
    assert _snapshot(bench) == before
