"""Both wire protocols of codeconnections, and codestar-connections, against the real `codeconn serve`.

A boto3 client forced to Smithy RPC v2 CBOR (botocore ranks JSON first when a
model lists both: the ranking is patched while the client is made, as SDKs that
prefer CBOR rank it) and one on JSON 1.0 (boto3's default) each create, read,
list, tag and delete a connection and a host; errors surface as botocore's
modelled exception classes; a resource made through one endpoint is usable
through the other; a JSON request with the short `X-Amz-Target` form (what the
Go and JavaScript SDKs send), signed by botocore's SigV4Auth, is answered too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import botocore.model
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from serve_process import ServeProcess, serve

pytestmark = pytest.mark.slow

ACCOUNT = "000000000000"
JSON_10 = "application/x-amz-json-1.0"
CBOR = "smithy-rpc-v2-cbor"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve(tmp_path_factory.mktemp("protocols") / "data") as running:
        yield running


def protocol_client(server: ServeProcess, protocol: str) -> tuple[Any, list[dict[str, str]]]:
    """A codeconnections client speaking `protocol` ("cbor" or "json"), and the headers of every request it sends."""
    if protocol == "cbor":
        ranked = (CBOR, *(name for name in botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS if name != CBOR))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ranked)
            client = server.client("codeconnections")
    else:
        client = server.client("codeconnections")
    sent: list[dict[str, str]] = []
    client.meta.events.register("before-send", lambda request, **_: sent.append(
        {name.lower(): value.decode() if isinstance(value, bytes) else value
         for name, value in request.headers.items()}))
    return client, sent


def assert_spoke(sent: list[dict[str, str]], protocol: str) -> None:
    assert sent, "the client sent nothing"
    for headers in sent:
        if protocol == "cbor":
            assert (headers.get("smithy-protocol"), headers.get("content-type")) == ("rpc-v2-cbor",
                                                                                     "application/cbor")
            assert "x-amz-target" not in headers
        else:
            assert headers["content-type"] == JSON_10 and "smithy-protocol" not in headers


PROTOCOLS = [pytest.param("cbor", id="rpc-v2-cbor"), pytest.param("json", id="json-1.0")]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_connections_life(server: ServeProcess, protocol: str) -> None:
    client, sent = protocol_client(server, protocol)
    name = f"life-{protocol}"
    created = client.create_connection(ProviderType="GitLab", ConnectionName=name,
                                       Tags=[{"Key": "team", "Value": "infra"}])
    arn = created["ConnectionArn"]
    assert arn.startswith(f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/")
    assert created["Tags"] == [{"Key": "team", "Value": "infra"}]
    assert client.get_connection(ConnectionArn=arn)["Connection"] == {
        "ConnectionName": name, "ConnectionArn": arn, "ProviderType": "GitLab", "OwnerAccountId": ACCOUNT,
        "ConnectionStatus": "PENDING"}
    listed = client.list_connections(ProviderTypeFilter="GitLab")["Connections"]
    assert arn in [c["ConnectionArn"] for c in listed]
    assert all(c["ProviderType"] == "GitLab" for c in listed)
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}]
    client.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    client.delete_connection(ConnectionArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_connection(ConnectionArn=arn)
    assert_spoke(sent, protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_hosts_life(server: ServeProcess, protocol: str) -> None:
    client, sent = protocol_client(server, protocol)
    arn = client.create_host(Name=f"ghe-{protocol}", ProviderType="GitHubEnterpriseServer",
                             ProviderEndpoint="https://ghe.example.com")["HostArn"]
    assert arn.startswith(f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:host/ghe-{protocol}-")
    host = client.get_host(HostArn=arn)
    assert (host["Name"], host["Status"], host["ProviderType"], host["ProviderEndpoint"]) == (
        f"ghe-{protocol}", "PENDING", "GitHubEnterpriseServer", "https://ghe.example.com")
    assert arn in [h["HostArn"] for h in client.list_hosts()["Hosts"]]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "site", "Value": "dc1"}])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "site", "Value": "dc1"}]
    client.delete_host(HostArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_host(HostArn=arn)
    assert arn not in [h["HostArn"] for h in client.list_hosts()["Hosts"]]
    assert_spoke(sent, protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_errors_surface_as_their_modelled_classes(server: ServeProcess, protocol: str) -> None:
    client, sent = protocol_client(server, protocol)
    missing = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/00000000-0000-0000-0000-000000000000"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as not_found:
        client.get_connection(ConnectionArn=missing)
    assert missing in not_found.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_tags_for_resource(ResourceArn=missing)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_host(HostArn=f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:host/nope-0123abcd")

    # ValidationException is not among the models' error shapes: a ClientError with its code
    with pytest.raises(ClientError) as too_long:
        client.create_connection(ProviderType="GitHub", ConnectionName="x" * 33)
    error = too_long.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("ValidationException", 400)
    assert "32" in error["Error"]["Message"]

    name = f"taken-{protocol}"
    client.create_connection(ProviderType="GitHub", ConnectionName=name)
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_connection(ProviderType="Bitbucket", ConnectionName=name)
    with pytest.raises(client.exceptions.UnsupportedProviderTypeException):
        client.create_connection(ProviderType="GitHubEnterpriseServer", ConnectionName=f"ghes-{protocol}")
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_connection(ProviderType="GitHub", ConnectionName=f"endpoint-{protocol}",
                                 ProviderEndpoint="https://github.example.com")
    assert_spoke(sent, protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_resources_cross_between_the_two_endpoints(server: ServeProcess, protocol: str) -> None:
    new, _ = protocol_client(server, protocol)
    old = server.client("codestar-connections")

    old_arn = old.create_connection(ProviderType="Bitbucket", ConnectionName=f"old-{protocol}")["ConnectionArn"]
    assert old_arn.startswith(f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/")
    assert new.get_connection(ConnectionArn=old_arn)["Connection"]["ConnectionName"] == f"old-{protocol}"
    new.tag_resource(ResourceArn=old_arn, Tags=[{"Key": "via", "Value": "new"}])
    assert old.list_tags_for_resource(ResourceArn=old_arn)["Tags"] == [{"Key": "via", "Value": "new"}]
    assert old_arn in [c["ConnectionArn"] for c in new.list_connections()["Connections"]]
    new.delete_connection(ConnectionArn=old_arn)
    with pytest.raises(old.exceptions.ResourceNotFoundException):
        old.get_connection(ConnectionArn=old_arn)

    new_arn = new.create_connection(ProviderType="GitHub", ConnectionName=f"new-{protocol}")["ConnectionArn"]
    assert old.get_connection(ConnectionArn=new_arn)["Connection"]["ConnectionName"] == f"new-{protocol}"
    old.tag_resource(ResourceArn=new_arn, Tags=[{"Key": "via", "Value": "old"}])
    assert new.list_tags_for_resource(ResourceArn=new_arn)["Tags"] == [{"Key": "via", "Value": "old"}]
    host_arn = old.create_host(Name=f"gl-{protocol}", ProviderType="GitLabSelfManaged",
                               ProviderEndpoint="https://gitlab.example.com")["HostArn"]
    assert new.get_host(HostArn=host_arn)["Name"] == f"gl-{protocol}"
    new.delete_host(HostArn=host_arn)
    with pytest.raises(old.exceptions.ResourceNotFoundException):
        old.get_host(HostArn=host_arn)
    # the other way round, codestar-connections' model allows only its own host ARNs (pattern on HostArn)
    new_host = new.create_host(Name=f"gh-{protocol}", ProviderType="GitHubEnterpriseServer",
                               ProviderEndpoint="https://ghe.example.com")["HostArn"]
    with pytest.raises(ClientError) as refused:
        old.get_host(HostArn=new_host)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "hostArn" in refused.value.response["Error"]["Message"]
    new.delete_host(HostArn=new_host)
    old.delete_connection(ConnectionArn=new_arn)
    with pytest.raises(new.exceptions.ResourceNotFoundException):
        new.get_connection(ConnectionArn=new_arn)


def signed_json(server: ServeProcess, service: str, target: str, body: dict[str, Any]) -> httpx.Response:
    """A JSON 1.0 request with `target`, signed by botocore's SigV4Auth with the default key."""
    content = json.dumps(body).encode()
    request = AWSRequest(method="POST", url=server.url + "/", data=content,
                         headers={"X-Amz-Target": target, "Content-Type": JSON_10})
    SigV4Auth(Credentials("test", "test"), service, "us-east-1").add_auth(request)
    with httpx.Client(timeout=30) as http:
        return http.post(server.url + "/", headers=dict(request.headers.items()), content=content)


@pytest.mark.parametrize(("service", "prefix", "not_found_status"), [
    pytest.param("codestar-connections", "CodeStar_connections_20191201", 400, id="codestar-connections"),
    pytest.param("codeconnections", "CodeConnections_20231201", 404, id="codeconnections"),  # the model says 404
])
def test_the_short_target_form_is_answered(server: ServeProcess, service: str, prefix: str,
                                           not_found_status: int) -> None:
    created = signed_json(server, service, f"{prefix}.CreateConnection",
                          {"ProviderType": "GitHub", "ConnectionName": f"short-{service}"})
    assert created.status_code == 200, created.text
    assert created.headers["content-type"] == JSON_10
    arn = created.json()["ConnectionArn"]
    got = signed_json(server, service, f"{prefix}.GetConnection", {"ConnectionArn": arn})
    assert (got.status_code, got.json()["Connection"]["ConnectionName"]) == (200, f"short-{service}")
    listed = signed_json(server, service, f"{prefix}.ListConnections", {})
    assert arn in [c["ConnectionArn"] for c in listed.json()["Connections"]]
    assert signed_json(server, service, f"{prefix}.DeleteConnection", {"ConnectionArn": arn}).status_code == 200
    gone = signed_json(server, service, f"{prefix}.GetConnection", {"ConnectionArn": arn})
    assert gone.status_code == not_found_status
    assert gone.json()["__type"].rsplit("#", 1)[-1] == "ResourceNotFoundException"
    unknown = signed_json(server, service, f"{prefix}.NoSuchOperation", {})
    assert (unknown.status_code, unknown.json()["__type"].rsplit("#", 1)[-1]) == (400, "UnknownOperationException")

