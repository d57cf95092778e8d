"""The handshake handlers on the bench: the authorization table, State and TokenId rules, ERROR on auth failure.

A fake provider stands in for a code host (OAuth with PKCE, installations, a
current user); the directory hands it out as the composition root hands out real
adapters. The handlers are called as the registry holds them (bound to the
directory, retried on tag changes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from connections_env import ACCOUNT, SERVICES, Bench

from codeconn.domain.connections import Connection
from codeconn.domain.handshake import PROVIDER_TOKEN, STATE_LIFETIME
from codeconn.providers.base import (
    Credential,
    CredentialKind,
    InstallationTarget,
    OwnerType,
    Provider,
    ProviderAuthFailed,
    ProviderUser,
)
from codeconn.providers.hosts import HostEndpoint, RegisteredApp
from codeconn.service import connections
from codeconn.service.connections.handshake_tokens import through_connection
from codeconn.service.registry import Registry
from codeconn.service.errors import InvalidInputException, ResourceNotFoundException, ResourceUnavailableException
from codeconn.store import Secret

TOKEN = "fake-token-never-shown"


@dataclass
class FakeProvider:
    provider_type: str = "GitHub"
    supports_pkce: bool = True
    has_installations: bool = True
    exchanged: list[dict[str, Any]] = field(default_factory=list)
    revoked: bool = False

    def authorization_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        return f"https://host.example/authorize?state={state}&code_challenge={code_challenge}"

    def installation_url(self) -> str:
        return "https://host.example/apps/codeconn/installations/new"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> Credential:
        self.exchanged.append({"code": code, "redirect_uri": redirect_uri, "verifier": code_verifier})
        return Credential(kind=CredentialKind.OAUTH, token=Secret(TOKEN))

    def current_user(self, credential: Credential) -> ProviderUser:
        if credential.kind is CredentialKind.LOCAL:
            raise ProviderAuthFailed("no token")
        return ProviderUser(id="1", login="octo")

    def installation_targets(self, credential: Credential) -> Sequence[InstallationTarget]:
        if self.revoked:
            raise ProviderAuthFailed("Bad credentials")
        return [InstallationTarget("9001", "1", OwnerType.USER, "octo"),
                InstallationTarget("9002", "100", OwnerType.ORGANIZATION, "org0")]


@dataclass
class FakeDirectory:
    provider: FakeProvider = field(default_factory=FakeProvider)
    redirect_uri: str = "http://127.0.0.1:4599/oauth/callback"

    def for_type(self, provider_type: str) -> Provider:
        return self.provider  # type: ignore[return-value]

    def for_host(self, host: HostEndpoint) -> Provider:
        return self.provider  # type: ignore[return-value]

    def host_ready(self, host: HostEndpoint) -> bool:
        return False

    def app_registration_url(self, host: HostEndpoint, *, state: str, name: str) -> str:
        return f"{host.endpoint}/settings/apps/new?state={state}"

    def register_app(self, host: HostEndpoint, code: str) -> RegisteredApp:
        raise NotImplementedError


@pytest.fixture
def directory(bench: Bench) -> FakeDirectory:
    found = FakeDirectory()
    bench.registry = Registry()  # the bench's own handshake reaches local mode: this one the fake host
    connections.register(bench.registry)
    connections.register_handshake(bench.registry, found)
    return found


def run(bench: Bench, operation: str, service: str = "codestar-connections", **params: Any) -> dict[str, Any]:
    handler = bench.registry.get(service, operation)
    assert handler is not None
    return handler(bench.call(operation, service), params)


def oauth_token(bench: Bench, service: str = "codestar-connections") -> str:
    started = run(bench, "StartOAuthHandshake", service, ProviderType="GitHub")
    return str(run(bench, "GetIndividualAccessToken", service, ProviderType="GitHub", Code="c0de",
                   State=started["State"])["TokenId"])


@pytest.mark.parametrize("service", SERVICES)
def test_each_operation_is_authorized_as_the_table_says(bench: Bench, directory: FakeDirectory,
                                                        service: str) -> None:
    arn = bench.connection(service=service)
    start = len(bench.authorizer.asked)
    token = oauth_token(bench, service)
    run(bench, "GetInstallationUrl", service, ProviderType="GitHub")
    run(bench, "ListInstallationTargets", service, TokenId=token)
    bench.invoke("TagResource", service, ResourceArn=arn, Tags=[{"Key": "team", "Value": "ci"}])
    tagged = len(bench.authorizer.asked)
    run(bench, "UpdateConnectionInstallation", service, ConnectionArn=arn, InstallationId="9002", TokenId=token)
    host = bench.host(service=service)
    run(bench, "StartAppRegistrationHandshake", service, HostArn=host)
    asked = [(a.action, a.resource, a.context) for a in bench.authorizer.asked[start:tagged - 1]]
    asked += [(a.action, a.resource, a.context) for a in bench.authorizer.asked[tagged:]]
    p = service
    assert [(action, resource) for action, resource, _ in asked][:4] == [
        (f"{p}:StartOAuthHandshake", "*"), (f"{p}:GetIndividualAccessToken", "*"),
        (f"{p}:GetInstallationUrl", "*"), (f"{p}:ListInstallationTargets", "*")]
    assert asked[0][2] == {f"{p}:ProviderType": "GitHub"} and asked[3][2] == {}
    update = next(item for item in asked if item[0] == f"{p}:UpdateConnectionInstallation")
    assert update[1] == arn and update[2] == {f"{p}:InstallationId": "9002", "aws:ResourceTag/team": "ci"}
    register = next(item for item in asked if item[0] == f"{p}:StartAppRegistrationHandshake")
    assert register[1:] == ("*", {f"{p}:HostArn": host})


def test_the_code_exchange_gets_the_pkce_verifier_and_the_connection_its_owner(bench: Bench,
                                                                              directory: FakeDirectory) -> None:
    arn = bench.connection()
    token = oauth_token(bench)
    assert directory.provider.exchanged[0]["verifier"] and directory.provider.exchanged[0]["code"] == "c0de"
    connection = run(bench, "UpdateConnectionInstallation", ConnectionArn=arn, InstallationId="9002",
                     TokenId=token)["Connection"]
    assert (connection["ConnectionStatus"], connection["OwnerAccountId"]) == ("AVAILABLE", "100")
    record = bench.record("connection", arn)
    assert record is not None and TOKEN not in str(record.data)
    with bench.store.read(ACCOUNT) as reader:
        assert all(TOKEN not in str(r.data) for r in reader.list(PROVIDER_TOKEN))


def test_a_state_expires_after_ten_minutes_and_is_single_use(bench: Bench, directory: FakeDirectory) -> None:
    started = run(bench, "StartOAuthHandshake", ProviderType="GitHub")
    bench.now += STATE_LIFETIME + timedelta(seconds=1)
    with pytest.raises(ResourceNotFoundException):
        run(bench, "GetIndividualAccessToken", ProviderType="GitHub", Code="c", State=started["State"])
    fresh = run(bench, "StartOAuthHandshake", ProviderType="GitHub")
    run(bench, "GetIndividualAccessToken", ProviderType="GitHub", Code="c", State=fresh["State"])
    with pytest.raises(ResourceNotFoundException):
        run(bench, "GetIndividualAccessToken", ProviderType="GitHub", Code="c", State=fresh["State"])


def test_a_remote_provider_needs_a_code_or_a_token(bench: Bench, directory: FakeDirectory) -> None:
    with pytest.raises(InvalidInputException):
        run(bench, "GetIndividualAccessToken", ProviderType="GitHub")
    with pytest.raises(InvalidInputException):
        run(bench, "GetIndividualAccessToken", ProviderType="GitHub", Code="c")


def test_an_unreachable_installation_leaves_the_connection_pending(bench: Bench, directory: FakeDirectory) -> None:
    arn = bench.connection()
    token = oauth_token(bench)
    with pytest.raises(InvalidInputException):
        run(bench, "UpdateConnectionInstallation", ConnectionArn=arn, InstallationId="1234", TokenId=token)
    record = bench.record("connection", arn)
    assert record is not None and record.data["ConnectionStatus"] == "PENDING"


def test_a_refused_credential_puts_the_connection_in_error_with_the_reason(bench: Bench,
                                                                          directory: FakeDirectory) -> None:
    arn = bench.connection()
    token = oauth_token(bench)
    run(bench, "UpdateConnectionInstallation", ConnectionArn=arn, InstallationId="9001", TokenId=token)
    record = bench.record("connection", arn)
    assert record is not None
    directory.provider.revoked = True
    call = bench.call("GetConnection")
    with pytest.raises(ResourceUnavailableException):
        through_connection(call, directory, Connection.from_record(record),
                           lambda provider, credential: provider.installation_targets(credential))
    after = bench.record("connection", arn)
    assert after is not None
    assert (after.data["ConnectionStatus"], after.data["StatusReason"]) == ("ERROR", "Bad credentials")
    assert bench.invoke("GetConnection", ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "ERROR"
    directory.provider.revoked = False
    token = oauth_token(bench)
    run(bench, "UpdateConnectionInstallation", ConnectionArn=arn, InstallationId="9001", TokenId=token)
    healed = bench.record("connection", arn)
    assert healed is not None and healed.data["ConnectionStatus"] == "AVAILABLE" and "StatusReason" not in healed.data
