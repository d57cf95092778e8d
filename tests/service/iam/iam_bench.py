"""A test bench for the IAM and STS handlers: a store, the real directory and authorizer, botocore's view.

`Bench.iam(operation, as_=caller, **params)` runs one operation as the server edge
would: the parameters are checked against the model's input shape (Query family),
the handler runs with a `Call` for the caller (the account root by default), and
its output is serialized with codeconn's Query writer and parsed back with
botocore's parser. The two must be equal, and every member the output shape
requires must be present, so each call is also a test of the response shape.

Callers are made the way the server makes them: `StoreDirectory.caller` of an
access key that IAM handlers created, decided by `PolicyAuthorizer`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser

from codeconn.auth import OrgPolicies, PolicyAuthorizer, StoreDirectory
from codeconn.iam import parse_principal
from codeconn.iam.catalog import IamCatalog
from codeconn.service import iam, sts
from codeconn.service.call import Call, Caller, IamMode
from codeconn.service.registry import Registry
from codeconn.store import SecretBox, Store
from codeconn.store.sql import open_store
from codeconn.wire.protocols.query import serialize_response
from codeconn.wire.validate import validate

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
CATALOG = IamCatalog.load()

_SESSION = botocore.session.get_session()
MODELS = {name: _SESSION.get_service_model(name) for name in ("iam", "sts")}


def document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trust(principal: Any, **extra: Any) -> str:
    return document({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Bench:
    store: Store
    secrets: SecretBox
    mode: IamMode = IamMode.ENFORCE
    org: OrgPolicies | None = None
    clock: Clock = field(default_factory=Clock)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.directory = StoreDirectory(self.store, self.secrets, root_credentials=("test", "test"),
                                        default_account=ACCOUNT, clock=self.clock)
        self.authorizer = PolicyAuthorizer(mode=self.mode, org=self.org, catalog=CATALOG)
        self.registry = Registry()
        iam.register(self.registry)
        sts.register(self.registry)

    # --- callers ----------------------------------------------------------------------

    @property
    def root(self) -> Caller:
        credentials = self.directory.credentials("test")
        assert credentials is not None
        return self.directory.caller(credentials)

    def root_of(self, account: str) -> Caller:
        """The root of another account (the directory knows only the default account's root key)."""
        return replace(self.root, principal=parse_principal(f"arn:aws:iam::{account}:root"), account_id=account,
                       userid=account, policy_version=f"{account}:root")

    def caller_of(self, access_key_id: str) -> Caller:
        credentials = self.directory.credentials(access_key_id)
        assert credentials is not None, f"{access_key_id} is unknown to the directory"
        return self.directory.caller(credentials)

    def user(self, name: str, *statements: Mapping[str, Any], as_: Caller | None = None, **create: Any) -> Caller:
        """A new user with an inline policy of `statements` (none if empty), signed in with a fresh key."""
        self.iam("CreateUser", as_=as_, UserName=name, **create)
        if statements:
            self.iam("PutUserPolicy", as_=as_, UserName=name, PolicyName="inline", PolicyDocument=document(*statements))
        key = self.iam("CreateAccessKey", as_=as_, UserName=name)["AccessKey"]
        return self.caller_of(key["AccessKeyId"])

    def role(self, name: str, trust_document: str, *statements: Mapping[str, Any], as_: Caller | None = None,
             **create: Any) -> str:
        """A new role with this trust policy and an inline policy of `statements`; its ARN."""
        arn = self.iam("CreateRole", as_=as_, RoleName=name, AssumeRolePolicyDocument=trust_document,
                       **create)["Role"]["Arn"]
        if statements:
            self.iam("PutRolePolicy", as_=as_, RoleName=name, PolicyName="inline", PolicyDocument=document(*statements))
        return str(arn)

    def assume(self, caller: Caller, role_arn: str, session: str = "session", **params: Any) -> Caller:
        """The session caller of AssumeRole by `caller`."""
        out = self.sts("AssumeRole", as_=caller, RoleArn=role_arn, RoleSessionName=session, **params)
        return self.caller_of(out["Credentials"]["AccessKeyId"])

    # --- operations -------------------------------------------------------------------

    def iam(self, operation: str, *, as_: Caller | None = None, **params: Any) -> dict[str, Any]:
        return self.invoke("iam", operation, params, as_)

    def sts(self, operation: str, *, as_: Caller | None = None, **params: Any) -> dict[str, Any]:
        return self.invoke("sts", operation, params, as_)

    def invoke(self, service: str, operation: str, params: dict[str, Any], caller: Caller | None) -> dict[str, Any]:
        model = MODELS[service].operation_model(operation)
        validate(model.input_shape, params, "query")
        handler = self.registry.get(service, operation)
        assert handler is not None, f"{service}:{operation} is not registered"
        call = Call(service=service, operation=operation, region="us-east-1", caller=caller or self.root,
                    now=self.clock.now, request_id="req-1", store=self.store, secrets=self.secrets,
                    authorizer=self.authorizer, iam_catalog=CATALOG, source_ip="192.0.2.10", secure_transport=True,
                    user_agent="pytest")
        self.calls.append(call)
        output = handler(call, params)
        assert_round_trip(model, output)
        return output

    @property
    def last(self) -> Call:
        return self.calls[-1]


def assert_round_trip(model: OperationModel, output: dict[str, Any]) -> None:
    """Serialize with codeconn's Query writer, parse with botocore's: equal, and every required member present."""
    status, headers, body = serialize_response(model, output, "req-1")
    assert status == 200
    parsed = create_parser("query").parse({"body": body, "headers": headers, "status_code": status},
                                          model.output_shape)
    parsed.pop("ResponseMetadata", None)
    assert _plain(parsed) == _plain(output)
    if model.output_shape is not None:
        _check_required(model.output_shape, output, model.name)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


AWS_OMITS = frozenset({"GetUser.User.UserName", "GetUser.User.Path"})
"""Required members AWS itself leaves out: GetUser of the account root has no name and no path."""


def _check_required(shape: Shape, value: Any, path: str) -> None:
    if shape.type_name == "structure":
        assert isinstance(value, Mapping), path
        for name in getattr(shape, "required_members", ()):
            if f"{path}.{name}" not in AWS_OMITS:
                assert value.get(name) is not None, f"{path}.{name} is required by the model"
        for name, member in shape.members.items():  # type: ignore[attr-defined]
            if value.get(name) is not None:
                _check_required(member, value[name], f"{path}.{name}")
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            _check_required(shape.member, item, f"{path}[{i}]")  # type: ignore[attr-defined]


@contextmanager
def fresh_bench(mode: IamMode = IamMode.ENFORCE) -> Iterator[Bench]:
    """A bench over a new in-memory store and a new secret key, closed afterwards."""
    store = open_store("sqlite://")
    try:
        yield Bench(store, SecretBox(SecretBox.generate_key()), mode)
    finally:
        store.close()
