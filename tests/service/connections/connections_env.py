"""A test bench for the connections handlers: a store, a real IAM decision, botocore's view of outputs.

`Bench.invoke` runs one operation as the server edge would (the request checked
against the model's constraints first), then serializes the output with
codeconn's JSON 1.0 writer and parses it back with botocore's parser, and
requires the two to be equal: a member the model does not have, or a value of
the wrong type, fails the test that produced it.

`RecordingAuthorizer` decides with codeconn's IAM engine against the bench's
policy (the catalog checks every context value's type) and records what it was
asked, so tests can assert the authorization map itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
from botocore.model import ServiceModel
from botocore.parsers import create_parser

from codeconn.iam import (
    Decision,
    Policy,
    PolicySet,
    evaluate,
    make_request,
    parse_policy,
    parse_principal,
)
from codeconn.iam.catalog import IamCatalog
from codeconn.providers.config import Providers, load_providers_file
from codeconn.service import connections
from codeconn.service.call import Call, Caller, DecisionRecord
from codeconn.service.errors import AccessDenied
from codeconn.service.registry import Registry
from codeconn.store import Record, SecretBox, Store
from codeconn.wire.protocols.json10 import serialize_response
from codeconn.wire.validate import validate

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/tester"
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/git-sync"
SERVICES = ("codestar-connections", "codeconnections")
CATALOG = IamCatalog.load()
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}

_SESSION = botocore.session.get_session()
_MODELS: dict[str, ServiceModel] = {name: _SESSION.get_service_model(name) for name in SERVICES}


@dataclass(frozen=True)
class Asked:
    """One question put to the authorizer: the action, the resource, every context key it carried."""

    action: str
    resource: str
    context: dict[str, Any]


@dataclass
class RecordingAuthorizer:
    """The `Authorize` protocol over codeconn.iam, recording every question."""

    asked: list[Asked] = field(default_factory=list)

    def __call__(self, call: Call, action: str, resource: str, *, context: Mapping[str, Any] | None = None,
                 resource_tags: Mapping[str, str] | None = None, resource_account: str | None = None,
                 resource_policy: Policy | None = None) -> Decision:
        full = {**(context or {}), **{f"aws:ResourceTag/{k}": v for k, v in (resource_tags or {}).items()}}
        self.asked.append(Asked(action, resource, full))
        request = make_request(principal=call.caller.principal, action=action, resource=resource, context=full,
                               resource_account=resource_account, catalog=CATALOG)
        policies = call.caller.policies
        if resource_policy is not None:
            policies = replace(policies, resource=resource_policy)
        decision = evaluate(policies, request)
        call.decisions.append(DecisionRecord(action, resource, decision, enforced=True))
        if not decision.allowed:
            raise AccessDenied(principal_arn=call.caller.principal.arn, action=action, resource=resource,
                               decision=decision)
        return decision

    def organization(self) -> tuple[tuple[tuple[Policy, ...], ...], tuple[tuple[Policy, ...], ...]]:
        return (), ()


def policy(*statements: Mapping[str, Any]) -> Policy:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name="test-policy")


def roundtrip(service: str, operation: str, output: dict[str, Any]) -> dict[str, Any]:
    """`output` as boto3 would read it off the wire from codeconn."""
    model = _MODELS[service].operation_model(operation)
    status, headers, body = serialize_response(model, output, "test-request")
    parsed = create_parser("json").parse({"status_code": status, "headers": headers, "body": body},
                                         model.output_shape)
    parsed.pop("ResponseMetadata", None)
    return dict(parsed)


class Bench:
    """Handlers, a store and an authorizer; one caller whose policy tests may change."""

    def __init__(self, store: Store, secrets: SecretBox, repositories: Path) -> None:
        self.store = store
        self.secrets = secrets
        self.authorizer = RecordingAuthorizer()
        self.policies = PolicySet(identity=(policy(ALLOW_ALL),))
        self.registry = Registry()
        connections.register(self.registry)
        self.repositories = repositories  # local mode's root: the handshake of `connection(available=True)`
        self.providers = Providers(load_providers_file(None, repositories=repositories),
                                   default_redirect_uri="http://127.0.0.1:4599/oauth/callback")
        connections.register_handshake(self.registry, self.providers)
        self.now = NOW
        self.account = ACCOUNT

    # --- calling ----------------------------------------------------------------------

    def allow_only(self, *statements: Mapping[str, Any]) -> None:
        self.policies = PolicySet(identity=(policy(*statements),))

    def invoke(self, operation: str, service: str = "codestar-connections", region: str = REGION,
               **params: Any) -> dict[str, Any]:
        """Run `operation` on `service`; its output must survive the trip through botocore unchanged."""
        model = _MODELS[service].operation_model(operation)
        validate(model.input_shape, params)
        handler = self.registry.get(service, operation)
        assert handler is not None, f"{service}:{operation} is not registered"
        output = handler(self.call(operation, service, region), params)
        assert roundtrip(service, operation, output) == output
        return output

    def call(self, operation: str, service: str = "codestar-connections", region: str = REGION) -> Call:
        caller = Caller(parse_principal(f"arn:aws:iam::{self.account}:user/tester"), self.account,
                        "AKIATESTEXAMPLE00001", "AIDATESTER", self.policies)
        return Call(service=service, operation=operation, region=region, caller=caller, now=self.now,
                    request_id="test-request", store=self.store, secrets=self.secrets, authorizer=self.authorizer,
                    iam_catalog=CATALOG)

    def asked_since(self, start: int) -> list[Asked]:
        return self.authorizer.asked[start:]

    # --- shortcuts --------------------------------------------------------------------

    def connection(self, name: str = "my-github", service: str = "codestar-connections", *,
                   available: bool = False, **params: Any) -> str:
        params.setdefault("ProviderType", None if "HostArn" in params else "GitHub")
        params = {key: value for key, value in params.items() if value is not None}
        arn = self.invoke("CreateConnection", service, ConnectionName=name, **params)["ConnectionArn"]
        if available:
            self.complete_handshake(arn, service)
        return str(arn)

    def complete_handshake(self, arn: str, service: str = "codestar-connections", owner: str = "octo") -> None:
        """The real handshake in local mode (an owner directory under the root): the connection is AVAILABLE."""
        record = self.record("connection", arn)
        assert record is not None
        provider_type = record.data["ProviderType"]
        (self.repositories / provider_type / owner).mkdir(parents=True, exist_ok=True)

        def run(operation: str, **params: Any) -> dict[str, Any]:
            handler = self.registry.get(service, operation)
            assert handler is not None
            return handler(self.call(operation, service), params)

        token = run("GetIndividualAccessToken", ProviderType=provider_type)["TokenId"]
        connection = run("UpdateConnectionInstallation", ConnectionArn=arn, InstallationId=owner, TokenId=token)
        assert connection["Connection"]["ConnectionStatus"] == "AVAILABLE"

    def host(self, name: str = "my-ghes", service: str = "codestar-connections", **params: Any) -> str:
        params.setdefault("ProviderType", "GitHubEnterpriseServer")
        params.setdefault("ProviderEndpoint", "https://ghes.example.com")
        return str(self.invoke("CreateHost", service, Name=name, **params)["HostArn"])

    def link(self, connection_arn: str, owner: str = "octo", repository: str = "app",
             service: str = "codestar-connections", **params: Any) -> dict[str, Any]:
        info = self.invoke("CreateRepositoryLink", service, ConnectionArn=connection_arn, OwnerId=owner,
                           RepositoryName=repository, **params)["RepositoryLinkInfo"]
        return dict(info)

    def sync_configuration(self, link_id: str, resource: str = "my-stack", service: str = "codestar-connections",
                           **params: Any) -> dict[str, Any]:
        params.setdefault("Branch", "main")
        params.setdefault("ConfigFile", "deployment.yaml")
        params.setdefault("RoleArn", ROLE_ARN)
        output = self.invoke("CreateSyncConfiguration", service, RepositoryLinkId=link_id, ResourceName=resource,
                             SyncType="CFN_STACK_SYNC", **params)
        return dict(output["SyncConfiguration"])

    # --- the store, directly (what the handshake or a sync engine would write) ---------------

    def record(self, kind: str, arn_or_id: str) -> Record | None:
        with self.store.read(self.account) as reader:
            found = reader.get_by_arn(arn_or_id)
            return found if found is not None else reader.get(kind, arn_or_id.rsplit("/", 1)[-1])

    def set_data(self, kind: str, arn_or_id: str, **fields: Any) -> None:
        record = self.record(kind, arn_or_id)
        assert record is not None
        with self.store.transaction(self.account) as tx:
            tx.update(replace(record, data={**record.data, **fields}))

    def put(self, record: Record) -> None:
        with self.store.transaction(record.account_id) as tx:
            tx.insert(record)

    def count(self, kind: str) -> int:
        with self.store.read(self.account) as reader:
            return reader.count(kind)


__all__ = [
    "ACCOUNT", "ALLOW_ALL", "CATALOG", "NOW", "OTHER_ACCOUNT", "REGION", "ROLE_ARN", "SERVICES", "USER_ARN",
    "Asked", "Bench", "RecordingAuthorizer", "policy", "roundtrip",
]
