"""CreateHost, GetHost, ListHosts, UpdateHost, DeleteHost: statuses, VPC set-up, Regions, quota."""

from __future__ import annotations

import re

import pytest
from connections_env import ACCOUNT, REGION, SERVICES, Bench

from codeconn.domain.lifecycle import VPC_SETUP_TIME
from codeconn.domain.quotas import QUOTAS
from codeconn.service.errors import (
    ConflictException,
    LimitExceededException,
    ResourceNotFoundException,
    ResourceUnavailableException,
    ValidationException,
)

VPC = {"VpcId": "vpc-0123456789abcdef0", "SubnetIds": ["subnet-0123456789abcdef0"],
       "SecurityGroupIds": ["sg-0123456789abcdef0"], "TlsCertificate": "-----BEGIN CERTIFICATE-----"}


def status(bench: Bench, host: str, service: str = "codestar-connections") -> str:
    return str(bench.invoke("GetHost", service, HostArn=host)["Status"])


@pytest.mark.parametrize("service", SERVICES)
def test_a_new_host_is_pending_and_named_like_aws_names_hosts(bench: Bench, service: str) -> None:
    host = bench.host("My Host", service)
    assert re.fullmatch(rf"arn:aws:{service}:{REGION}:{ACCOUNT}:host/My-Host-[0-9a-f]{{8}}", host)
    assert bench.invoke("GetHost", service, HostArn=host) == {
        "Name": "My Host", "Status": "PENDING", "ProviderType": "GitHubEnterpriseServer",
        "ProviderEndpoint": "https://ghes.example.com"}


def test_a_host_is_only_for_installed_providers(bench: Bench) -> None:
    with pytest.raises(ValidationException):
        bench.host(ProviderType="GitHub")
    assert bench.count("host") == 0


def test_a_vpc_host_initializes_then_settles_into_pending(bench: Bench) -> None:
    host = bench.host(VpcConfiguration=VPC)
    assert status(bench, host) == "VPC_CONFIG_INITIALIZING"
    assert bench.invoke("GetHost", HostArn=host)["VpcConfiguration"] == VPC
    with pytest.raises(ResourceUnavailableException):
        bench.invoke("DeleteHost", HostArn=host)
    with pytest.raises(ConflictException):
        bench.invoke("UpdateHost", HostArn=host, ProviderEndpoint="https://other.example.com")
    with pytest.raises(ResourceUnavailableException):
        bench.connection("too-early", HostArn=host)
    bench.now += VPC_SETUP_TIME
    assert status(bench, host) == "PENDING"
    bench.connection("in-time", HostArn=host)


def test_changing_an_available_hosts_endpoint_asks_for_set_up_again(bench: Bench) -> None:
    host = bench.host()
    bench.set_data("host", host, Status="AVAILABLE")
    bench.invoke("UpdateHost", HostArn=host, ProviderEndpoint="https://ghes.example.com")
    assert status(bench, host) == "AVAILABLE"  # the same endpoint changes nothing
    bench.invoke("UpdateHost", "codeconnections", HostArn=host, ProviderEndpoint="https://new.example.com")
    assert bench.invoke("GetHost", HostArn=host)["ProviderEndpoint"] == "https://new.example.com"
    assert status(bench, host) == "PENDING"


def test_a_new_vpc_configuration_initializes_again(bench: Bench) -> None:
    host = bench.host()
    bench.invoke("UpdateHost", HostArn=host, VpcConfiguration=VPC)
    assert status(bench, host) == "VPC_CONFIG_INITIALIZING"
    bench.now += VPC_SETUP_TIME
    assert status(bench, host) == "PENDING"


def test_a_host_in_use_cannot_be_deleted(bench: Bench) -> None:
    host = bench.host()
    connection = bench.connection("ghes", HostArn=host)
    with pytest.raises(ResourceUnavailableException):
        bench.invoke("DeleteHost", HostArn=host)
    bench.invoke("DeleteConnection", ConnectionArn=connection)
    assert bench.invoke("DeleteHost", "codeconnections", HostArn=host) == {}
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetHost", HostArn=host)


@pytest.mark.parametrize("operation", ["GetHost", "DeleteHost", "UpdateHost"])
def test_a_missing_host_is_not_found(bench: Bench, operation: str) -> None:
    missing = f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:host/gone-00000000"
    with pytest.raises(ResourceNotFoundException):
        bench.invoke(operation, HostArn=missing)


def test_hosts_are_regional(bench: Bench) -> None:
    host = bench.host()
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetHost", region="eu-west-1", HostArn=host)
    assert bench.invoke("ListHosts", region="eu-west-1") == {"Hosts": []}
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("CreateConnection", region="eu-west-1", ConnectionName="far", HostArn=host)


def test_list_hosts_answers_arns_and_live_statuses(bench: Bench) -> None:
    plain = bench.host("plain")
    vpc = bench.host("vpc", "codeconnections", VpcConfiguration=VPC)
    bench.set_data("host", plain, StatusMessage="Set up the host in the console")
    hosts = bench.invoke("ListHosts", "codeconnections")["Hosts"]
    assert [(h["HostArn"], h["Status"]) for h in hosts] == [(plain, "PENDING"), (vpc, "VPC_CONFIG_INITIALIZING")]
    assert hosts[0]["StatusMessage"] == "Set up the host in the console"


def test_the_51st_host_in_a_region_exceeds_the_quota(bench: Bench) -> None:
    limit = QUOTAS["host"].limit
    for number in range(limit):
        bench.host(f"h{number}")
    with pytest.raises(LimitExceededException):
        bench.host("one-too-many")
    assert bench.count("host") == limit
    bench.invoke("CreateHost", region="eu-west-1", Name="elsewhere", ProviderType="GitLabSelfManaged",
                 ProviderEndpoint="https://gitlab.example.com")
