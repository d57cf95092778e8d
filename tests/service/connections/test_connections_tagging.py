"""TagResource, UntagResource, ListTagsForResource on connections, hosts and repository links."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from connections_env import ACCOUNT, REGION, SERVICES, Bench

from codeconn.service.connections.tags import MAX_TAGS
from codeconn.service.errors import (
    LimitExceededException,
    ResourceNotFoundException,
    ValidationException,
)

Make = Callable[[Bench], str]

RESOURCES = [
    pytest.param(lambda bench: bench.connection(), id="connection"),
    pytest.param(lambda bench: bench.host(), id="host"),
    pytest.param(lambda bench: bench.link(bench.connection(available=True))["RepositoryLinkArn"], id="repository link"),
    pytest.param(lambda bench: bench.connection(service="codeconnections"), id="codeconnections connection"),
]


def tags(**values: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in values.items()]


def listed(bench: Bench, arn: str, service: str = "codestar-connections") -> list[dict[str, str]]:
    return list(bench.invoke("ListTagsForResource", service, ResourceArn=arn)["Tags"])


@pytest.mark.parametrize("make", RESOURCES)
@pytest.mark.parametrize("service", SERVICES)
def test_tag_list_untag(bench: Bench, make: Make, service: str) -> None:
    arn = make(bench)
    assert listed(bench, arn, service) == []
    assert bench.invoke("TagResource", service, ResourceArn=arn, Tags=tags(team="ci", env="dev")) == {}
    bench.invoke("TagResource", service, ResourceArn=arn, Tags=tags(env="prod"))
    assert listed(bench, arn, service) == tags(env="prod", team="ci")
    assert bench.invoke("UntagResource", service, ResourceArn=arn, TagKeys=["team", "absent"]) == {}
    assert listed(bench, arn, service) == tags(env="prod")


@pytest.mark.parametrize("operation", ["TagResource", "UntagResource", "ListTagsForResource"])
@pytest.mark.parametrize("arn", [
    pytest.param(f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:connection/00000000-0000-0000-0000-000000000000",
                 id="missing connection"),
    pytest.param(f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:host/gone-00000000", id="missing host"),
    pytest.param(f"arn:aws:s3:::{ACCOUNT}:bucket/x", id="another service's ARN"),
])
def test_an_arn_that_names_nothing_is_not_found(bench: Bench, operation: str, arn: str) -> None:
    extra: dict[str, dict[str, Any]] = {"TagResource": {"Tags": tags(a="b")}, "UntagResource": {"TagKeys": ["a"]}}
    params = extra.get(operation, {})
    with pytest.raises(ResourceNotFoundException):
        bench.invoke(operation, ResourceArn=arn, **params)


def test_at_most_fifty_tags_and_nothing_changes_beyond(bench: Bench) -> None:
    arn = bench.connection()
    bench.invoke("TagResource", ResourceArn=arn, Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(MAX_TAGS)])
    bench.invoke("TagResource", ResourceArn=arn, Tags=tags(k0="overwritten"))  # replacing a value adds none
    with pytest.raises(LimitExceededException):
        bench.invoke("TagResource", ResourceArn=arn, Tags=tags(one_more="x"))
    assert len(listed(bench, arn)) == MAX_TAGS
    with pytest.raises(LimitExceededException):
        bench.connection("c2", Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(MAX_TAGS + 1)])


@pytest.mark.parametrize("bad", [
    pytest.param(tags(**{"aws:cloudformation:stack-name": "x"}), id="aws: keys are reserved"),
    pytest.param(tags(**{"AWS:Team": "x"}), id="in any case"),
    pytest.param([{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}], id="a key given twice"),
])
def test_tags_aws_refuses(bench: Bench, bad: list[dict[str, str]]) -> None:
    arn = bench.connection()
    with pytest.raises(ValidationException):
        bench.invoke("TagResource", ResourceArn=arn, Tags=bad)
    with pytest.raises(ValidationException):
        bench.invoke("CreateHost", Name="h", ProviderType="GitHubEnterpriseServer",
                     ProviderEndpoint="https://ghes.example.com", Tags=bad)
    assert listed(bench, arn) == [] and bench.count("host") == 0


def test_tags_of_an_arn_are_found_only_in_its_region(bench: Bench) -> None:
    host = bench.host(Tags=tags(env="prod"))
    connection = bench.connection(Tags=tags(team="ci"))
    for arn in (host, connection):
        with pytest.raises(ResourceNotFoundException):
            bench.invoke("ListTagsForResource", region="eu-west-1", ResourceArn=arn)
    assert bench.invoke("ListTagsForResource", ResourceArn=connection) == {"Tags": tags(team="ci")}
