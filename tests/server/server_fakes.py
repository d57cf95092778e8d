"""Stand-ins for the parts the server edge receives: a caller directory, an authorizer, a few handlers.

They are small but honest: the directory knows the default root key `test`/`test`,
an IAM user with a policy, a live session and an expired one; the authorizer
decides with the real IAM engine and records every decision on the call, as the
`Authorize` protocol asks; the handlers authorize like the real ones will (a
CreateRepositoryLink also checks PassConnection) and raise the service's errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from codeconn.auth.errors import ExpiredCredentials
from codeconn.iam import (
    ALLOWED,
    Decision,
    Policy,
    PolicySet,
    evaluate,
    make_request,
    parse_policy,
    parse_principal,
)
from codeconn.iam.catalog import IamCatalog
from codeconn.server.runner import Components
from codeconn.service.call import Call, Caller, DecisionRecord, IamMode
from codeconn.service.errors import AccessDenied, IamError, ResourceNotFoundException
from codeconn.service.registry import CONNECTIONS_SERVICES, Registry
from codeconn.store import SecretBox
from codeconn.store.sql import open_store
from codeconn.wire.model import default_service_models
from codeconn.wire.sigv4 import Credentials

ACCOUNT = "000000000000"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/PipelineRole"
SESSION_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/PipelineRole/build"

ROOT_KEY, ROOT_SECRET = "test", "test"
USER_KEY, USER_SECRET = "AKIAALICEEXAMPLE0001", "alice/secret+EXAMPLEKEY0000000000000000"
SESSION_KEY, SESSION_SECRET = "ASIASESSIONEXAMPLE01", "session/secret+EXAMPLEKEY00000000000000"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//session+token=="
EXPIRED_KEY, EXPIRED_SECRET = "ASIAEXPIREDEXAMPLE01", "expired/secret+EXAMPLEKEY00000000000000"
EXPIRED_TOKEN = "IQoJb3JpZ2luX2VjEXPIRED//session+token=="
# A key whose signature checks out but that the directory rejects when asked for the caller:
# it expired (or was deleted) between the two look-ups.
REVOKED_KEY, REVOKED_SECRET = "AKIAREVOKEDEXAMPLE01", "revoked/secret+EXAMPLEKEY00000000000000"

CONNECTION_ARN = f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/aEXAMPLE-8aad-4d5d-8878-dfcab0bc441f"

ALICE_POLICY = parse_policy({"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadConnections", "Effect": "Allow", "Resource": "*",
     "Action": ["codestar-connections:Get*", "codestar-connections:List*", "codeconnections:Get*",
                "codeconnections:List*", "codestar-connections:CreateRepositoryLink", "iam:GetUser"]},
    {"Sid": "NoPassing", "Effect": "Deny", "Action": "codestar-connections:PassConnection", "Resource": "*"},
]}, name="alice-policy")
PIPELINE_POLICY = parse_policy({"Version": "2012-10-17", "Statement": [
    {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"},
]}, name="pipeline-role")


class FakeDirectory:
    """Access keys to callers: the root key, alice's key, a session of PipelineRole, an expired session."""

    def __init__(self, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        self._keys = {
            ROOT_KEY: Credentials(ROOT_KEY, ROOT_SECRET),
            USER_KEY: Credentials(USER_KEY, USER_SECRET),
            SESSION_KEY: Credentials(SESSION_KEY, SESSION_SECRET, SESSION_TOKEN, now + timedelta(hours=12)),
            EXPIRED_KEY: Credentials(EXPIRED_KEY, EXPIRED_SECRET, EXPIRED_TOKEN, now - timedelta(minutes=1)),
            REVOKED_KEY: Credentials(REVOKED_KEY, REVOKED_SECRET),
        }

    def credentials(self, access_key_id: str) -> Credentials | None:
        return self._keys.get(access_key_id)

    def caller(self, credentials: Credentials) -> Caller:
        key = credentials.access_key_id
        if key == REVOKED_KEY:
            raise ExpiredCredentials()
        if key == ROOT_KEY:
            return Caller(parse_principal(ROOT_ARN), ACCOUNT, key, ACCOUNT, PolicySet(), is_root=True)
        if key == USER_KEY:
            return Caller(parse_principal(USER_ARN), ACCOUNT, key, "AIDAALICE", PolicySet(identity=(ALICE_POLICY,)))
        return Caller(parse_principal(SESSION_ARN), ACCOUNT, key, "AROAPIPELINE:build",
                      PolicySet(identity=(PIPELINE_POLICY,)))


class FakeAuthorizer:
    """Decides with the real engine (root is always allowed), records the decision, raises AccessDenied."""

    def __init__(self, mode: IamMode = IamMode.ENFORCE) -> None:
        self.mode = mode

    def __call__(self, call: Call, action: str, resource: str, *, context: Mapping[str, Any] | None = None,
                 resource_tags: Mapping[str, str] | None = None, resource_account: str | None = None,
                 resource_policy: Policy | None = None) -> Decision:
        caller = call.caller
        if caller.is_root or self.mode is IamMode.OFF:
            decision = Decision(ALLOWED)
        else:
            decision = evaluate(caller.policies, make_request(
                principal=caller.principal, action=action, resource=resource, context=context,
                resource_account=resource_account))
        enforced = self.mode is IamMode.ENFORCE
        call.decisions.append(DecisionRecord(action, resource, decision, enforced=enforced or decision.allowed))
        if not decision.allowed and enforced:
            raise AccessDenied(principal_arn=caller.principal.session_arn or caller.principal.arn, action=action,
                               resource=resource, decision=decision)
        return decision

    def organization(self) -> tuple[tuple[tuple[Policy, ...], ...], tuple[tuple[Policy, ...], ...]]:
        return (), ()


# --- handlers ---------------------------------------------------------------------------


def _connection(call: Call, arn: str) -> dict[str, Any]:
    return {"ConnectionName": "my-connection", "ConnectionArn": arn, "ProviderType": "GitHub",
            "OwnerAccountId": call.account_id, "ConnectionStatus": "AVAILABLE"}


def list_connections(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    call.authorize()
    return {"Connections": [_connection(call, CONNECTION_ARN)]}


def get_connection(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["ConnectionArn"]
    call.authorize(resource=arn)
    if "missing" in arn:
        raise ResourceNotFoundException(f"Connection {arn} does not exist")
    return {"Connection": _connection(call, arn)}


def create_repository_link(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    call.authorize()
    arn = params["ConnectionArn"]
    call.authorize("PassConnection", arn, context={f"{call.service}:PassedToService": "codeconnections.amazonaws.com"})
    return {"RepositoryLinkInfo": {
        "ConnectionArn": arn, "OwnerId": params["OwnerId"], "ProviderType": "GitHub", "RepositoryName":
        params["RepositoryName"], "RepositoryLinkId": "6053346f-8a33-4edb-9397-10394d8c1e8c",
        "RepositoryLinkArn": f"arn:aws:{call.service}:{call.region}:{call.account_id}:repository-link/6053346f"}}


def delete_connection(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("the database password is hunter2")  # an unexpected failure whose text must not leak


def _user(name: str, now: datetime) -> dict[str, Any]:
    return {"Path": "/", "UserName": name, "UserId": "AIDAEXAMPLE", "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
            "CreateDate": now}


def get_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("UserName", "alice")
    call.authorize(resource=f"arn:aws:iam::{ACCOUNT}:user/{name}")
    return {"User": _user(name, call.now)}


def create_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    call.authorize(resource=f"arn:aws:iam::{ACCOUNT}:user/{name}")
    if name == "taken":
        raise IamError("EntityAlreadyExists", f"User with name {name} already exists.")
    return {"User": _user(name, call.now)}


def create_login_profile(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("UserName", "alice")
    call.authorize(resource=f"arn:aws:iam::{ACCOUNT}:user/{name}")
    return {"LoginProfile": {"UserName": name, "CreateDate": call.now, "PasswordResetRequired": False}}


def get_caller_identity(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    principal = call.caller.principal
    return {"UserId": call.caller.userid, "Account": call.account_id, "Arn": principal.session_arn or principal.arn}


def fake_registry() -> Registry:
    """A registry with a handful of operations of every hosted service (others answer NotImplemented)."""
    registry = Registry()
    registry.add(CONNECTIONS_SERVICES, "ListConnections", list_connections)
    registry.add(CONNECTIONS_SERVICES, "GetConnection", get_connection)
    registry.add(CONNECTIONS_SERVICES, "CreateRepositoryLink", create_repository_link)
    registry.add(CONNECTIONS_SERVICES, "DeleteConnection", delete_connection)
    registry.add(["iam"], "GetUser", get_user)
    registry.add(["iam"], "CreateUser", create_user)
    registry.add(["iam"], "CreateLoginProfile", create_login_profile)
    registry.add(["sts"], "GetCallerIdentity", get_caller_identity)
    return registry


def fake_components(mode: IamMode = IamMode.ENFORCE) -> Components:
    """In-memory store, a fresh secret key, the fakes above."""
    return Components(open_store("sqlite://"), SecretBox(SecretBox.generate_key()), FakeDirectory(),
                      FakeAuthorizer(mode), fake_registry(), default_service_models(), IamCatalog.load())
