"""Connections ARNs: made from values (endpoint, Region, account), read back, refused when foreign."""

from __future__ import annotations

import pytest

from codeconn.domain.arns import (
    CONNECTION,
    CONNECTIONS_SERVICES,
    HOST,
    REPOSITORY_LINK,
    TAGGABLE,
    Arn,
    ResourceKind,
    internal_arn,
    parse_arn,
    partition_of,
    resource_arn,
    resource_id,
)

ACCOUNT = "111122223333"


@pytest.mark.parametrize("service", CONNECTIONS_SERVICES)
@pytest.mark.parametrize("kind", [CONNECTION, HOST, REPOSITORY_LINK], ids=lambda kind: kind.kind)
def test_a_made_arn_parses_back_into_its_parts(service: str, kind: ResourceKind) -> None:
    assert TAGGABLE[kind.arn_type] is kind
    arn = resource_arn(service, "eu-west-1", ACCOUNT, kind, "abc-123")
    parsed = parse_arn(arn)
    assert parsed == Arn("aws", service, "eu-west-1", ACCOUNT, kind.arn_type, "abc-123")
    assert str(parsed) == arn and resource_id(arn) == "abc-123"


def test_the_documented_shapes() -> None:
    assert resource_arn("codeconnections", "us-east-1", ACCOUNT, CONNECTION, "u-1") == \
        "arn:aws:codeconnections:us-east-1:111122223333:connection/u-1"
    assert resource_arn("codestar-connections", "us-west-2", ACCOUNT, HOST, "My-Host-28aef605") == \
        "arn:aws:codestar-connections:us-west-2:111122223333:host/My-Host-28aef605"
    assert resource_arn("codeconnections", "eu-west-1", ACCOUNT, REPOSITORY_LINK, "u-2") == \
        "arn:aws:codeconnections:eu-west-1:111122223333:repository-link/u-2"
    assert resource_arn("codeconnections", "us-east-1", ACCOUNT, CONNECTION, "*").endswith(":connection/*")


@pytest.mark.parametrize(("region", "partition"), [
    pytest.param("us-east-1", "aws", id="commercial"),
    pytest.param("cn-north-1", "aws-cn", id="China"),
    pytest.param("us-gov-west-1", "aws-us-gov", id="GovCloud"),
])
def test_the_partition_follows_the_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition
    assert resource_arn("codeconnections", region, ACCOUNT, HOST, "h").startswith(f"arn:{partition}:")


@pytest.mark.parametrize("value", [
    pytest.param("arn:aws:iam::111122223333:user/alice", id="another service"),
    pytest.param("arn:aws:codeconnections:us-east-1:1111:connection/x", id="account not 12 digits"),
    pytest.param("arn:aws:codeconnections:us-east-1:111122223333:connection", id="no resource id"),
    pytest.param("not an arn", id="not an ARN"),
])
def test_what_is_not_a_connections_arn_parses_to_none(value: str) -> None:
    assert parse_arn(value) is None


def test_records_without_an_aws_arn_get_an_internal_name() -> None:
    assert internal_arn(ACCOUNT, "sync_configuration", "r|t|n") == "urn:codeconn:111122223333:sync_configuration:r|t|n"
