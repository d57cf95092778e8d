"""Every Region at once, each kept apart: boto3 in eu-west-1 and ap-southeast-2 against one server.

The ARN carries the Region the resource was created in; a connection of one
Region is not found, listed or counted from another, and its name is free there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from real_server import ACCOUNT, NO_RETRIES, RealServer, real_server

pytestmark = pytest.mark.slow

EUROPE, SYDNEY = "eu-west-1", "ap-southeast-2"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with real_server(tmp_path_factory.mktemp("regions") / "data") as live:
        yield live


def client(server: RealServer, service: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=server.url, region_name=region, aws_access_key_id="test",
                        aws_secret_access_key="test", config=NO_RETRIES)


@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_a_connection_lives_in_its_region(server: RealServer, service: str) -> None:
    europe, sydney = client(server, service, EUROPE), client(server, service, SYDNEY)
    arn = europe.create_connection(ProviderType="GitHub", ConnectionName=f"app-{service}")["ConnectionArn"]
    assert arn.startswith(f"arn:aws:{service}:{EUROPE}:{ACCOUNT}:connection/")
    assert europe.get_connection(ConnectionArn=arn)["Connection"]["ConnectionName"] == f"app-{service}"
    with pytest.raises(ClientError) as missing:
        sydney.get_connection(ConnectionArn=arn)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert arn not in [c["ConnectionArn"] for c in sydney.list_connections()["Connections"]]
    twin = sydney.create_connection(ProviderType="GitHub", ConnectionName=f"app-{service}")["ConnectionArn"]
    assert twin.startswith(f"arn:aws:{service}:{SYDNEY}:{ACCOUNT}:connection/")
    with pytest.raises(ClientError) as taken:
        europe.create_connection(ProviderType="GitHub", ConnectionName=f"app-{service}")
    assert taken.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"


def test_quotas_count_per_region(server: RealServer) -> None:
    europe, sydney = client(server, "codeconnections", EUROPE), client(server, "codeconnections", SYDNEY)
    existing = len(europe.list_connections(MaxResults=100)["Connections"])
    for number in range(250 - existing):
        europe.create_connection(ProviderType="GitLab", ConnectionName=f"q-{number}")
    with pytest.raises(ClientError) as full:
        europe.create_connection(ProviderType="GitLab", ConnectionName="one-too-many")
    assert full.value.response["Error"]["Code"] == "LimitExceededException"
    assert f"in {EUROPE}" in full.value.response["Error"]["Message"]
    assert sydney.create_connection(ProviderType="GitLab", ConnectionName="one-too-many")["ConnectionArn"]


def test_iam_is_global(server: RealServer) -> None:
    client(server, "iam", EUROPE).create_user(UserName="everywhere")
    assert client(server, "iam", SYDNEY).get_user(UserName="everywhere")["User"]["UserName"] == "everywhere"
