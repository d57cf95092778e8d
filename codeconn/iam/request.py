"""A request to decide: who, which action, on what, with which context.

`make_request` normalises once what every statement will look at: the action
split and lower-cased, the principal classified (root, IAM user, role session,
federated user, AWS service), and the context keyed case-insensitively with
every value a tuple of strings (a list is a multivalued key). Context keys that
AWS derives from the principal (aws:PrincipalArn, aws:PrincipalAccount,
aws:PrincipalType, aws:username, aws:PrincipalIsAWSService, ...) are added when
the caller did not give them, so that `${aws:username}` works in tests.

A server deciding several actions for one call normalises the shared part once
with `request_base` (the principal and the keys of the caller and the request),
then asks the `RequestBase` for each action's `Request`, adding only that
decision's keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from codeconn.iam.errors import RequestError

if TYPE_CHECKING:
    from codeconn.iam.catalog import IamCatalog


class PrincipalType(str, Enum):
    ROOT = "Account"
    USER = "User"
    ROLE_SESSION = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    SERVICE = "Service"
    WEB_IDENTITY = "WebIdentityUser"
    CANONICAL_USER = "CanonicalUser"
    ANONYMOUS = "Anonymous"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, with every ARN by which a policy may name them.

    `names` lists, from most to least specific, the identifiers a Principal
    element can use for this caller: the session ARN, the role or user ARN, the
    account root. `arn` is what aws:PrincipalArn holds (a role, not its session).
    """

    type: PrincipalType
    arn: str
    account: str | None
    session_arn: str | None = None
    role_arn: str | None = None
    name: str | None = None
    service_linked: bool = False

    @property
    def root_arn(self) -> str | None:
        return f"arn:{self.partition}:iam::{self.account}:root" if self.account else None

    @property
    def chain(self) -> tuple[str, ...]:
        """Every identifier of this caller, account first: what NotPrincipal must list to exclude it."""
        names = [n for n in (self.root_arn, self.role_arn, self.session_arn) if n]
        if self.arn not in names:
            names.append(self.arn)
        return tuple(names)

    @property
    def partition(self) -> str:
        return self.arn.split(":", 2)[1] if self.arn.startswith("arn:") else "aws"


_IAM = re.compile(r"^arn:(?P<p>[\w-]+):iam::(?P<acct>\d{12}):(?P<kind>user|role|root|saml-provider|oidc-provider)(?:/(?P<rest>.*))?$")
_STS = re.compile(r"^arn:(?P<p>[\w-]+):sts::(?P<acct>\d{12}):(?P<kind>assumed-role|federated-user)/(?P<rest>.+)$")


def parse_principal(value: str) -> Principal:
    """Classify a caller given as an ARN, an account ID, a service name or `*` (anonymous)."""
    if value in ("*", "anonymous"):
        return Principal(PrincipalType.ANONYMOUS, "*", None)
    if re.fullmatch(r"\d{12}", value):
        value = f"arn:aws:iam::{value}:root"
    if value.endswith(".amazonaws.com") or value.endswith(".amazonaws.com.cn"):
        return Principal(PrincipalType.SERVICE, value, None, name=value)
    if re.fullmatch(r"[0-9a-f]{64}", value):
        return Principal(PrincipalType.CANONICAL_USER, value, None)
    if ":" not in value and "." in value:  # accounts.google.com, www.amazon.com, ...
        return Principal(PrincipalType.WEB_IDENTITY, value, None)
    m = _IAM.match(value)
    if m:
        p, acct, kind, rest = m.group("p"), m.group("acct"), m.group("kind"), m.group("rest") or ""
        if kind == "root":
            return Principal(PrincipalType.ROOT, value, acct)
        if kind in ("saml-provider", "oidc-provider"):
            return Principal(PrincipalType.WEB_IDENTITY, value, acct)
        name = rest.rsplit("/", 1)[-1]
        if not name:
            raise RequestError(f"principal {value!r} names no {kind}")
        if kind == "user":
            return Principal(PrincipalType.USER, value, acct, name=name)
        # A role given as the caller stands for a session of that role.
        return Principal(PrincipalType.ROLE_SESSION, value, acct, role_arn=value, name=name,
                         service_linked=rest.startswith("aws-service-role/"))
    m = _STS.match(value)
    if m:
        p, acct, kind, rest = m.group("p"), m.group("acct"), m.group("kind"), m.group("rest")
        if kind == "federated-user":
            return Principal(PrincipalType.FEDERATED_USER, value, acct, session_arn=value, name=rest)
        role, _, session = rest.partition("/")
        if not session:
            raise RequestError(f"principal {value!r}: an assumed-role ARN is assumed-role/ROLE/SESSION")
        role_arn = f"arn:{p}:iam::{acct}:role/{role}"
        return Principal(PrincipalType.ROLE_SESSION, role_arn, acct, session_arn=value, role_arn=role_arn,
                         name=session)
    raise RequestError(f"principal {value!r} is not an IAM or STS ARN, an account ID or a service principal")


@dataclass(frozen=True, slots=True)
class Request:
    """A normalised request; build it with `make_request`."""

    principal: Principal
    action: str  # as given, e.g. "codestar-connections:UseConnection"
    action_key: str  # lower-cased, the index key
    service: str  # lower-cased prefix
    resource: str
    resource_account: str | None
    context: Mapping[str, tuple[str, ...]]
    cross_account: bool  # the caller's account and the resource's are both known and differ


def context_value(value: Any, key: str) -> tuple[str, ...]:
    """A context value as IAM compares it: a tuple of strings."""
    kind = type(value)
    if kind is str:  # most values, told apart by exact type first
        return (value,)
    if kind is bool:
        return ("true" if value else "false",)
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(_scalar(v, key) for v in value)
    return (_scalar(value, key),)


def _scalar(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return value if isinstance(value, str) else repr(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise RequestError(f"context key {key!r}: {type(value).__name__} is not a string, number, boolean or list")


@dataclass(frozen=True, slots=True)
class RequestBase:
    """What every request of one call shares, normalised once: who is calling, and the keys that do not
    depend on the action (the caller's, the time, where the request came from).

    Build it with `request_base`; `request` then adds only what one decision brings (the
    service's keys, the request and resource tags), so a call that decides several
    actions converts and checks its common keys once.
    """

    principal: Principal
    context: Mapping[str, tuple[str, ...]]  # lower-cased keys; the principal's derived keys included

    def extended(self, context: Mapping[str, Any], catalog: IamCatalog | None = None) -> RequestBase:
        """This base with `context`'s keys (normalised as `request_base` does) put over its own.

        So the keys of one caller are normalised once for all its calls, and each call
        adds only its own (the time, where the request came from).
        """
        ctx = dict(self.context)
        ctx.update(_normalised(context, catalog))
        return RequestBase(self.principal, ctx)

    def request(self, action: str, resource: str = "*", *, context: Mapping[str, Any] | None = None,
                resource_account: str | None = None, catalog: IamCatalog | None = None) -> Request:
        """The request for one action: the base's keys, then `context`'s over them.

        `context` is normalised (and, with a catalog, type-checked) as `make_request`
        does; aws:ResourceAccount is added from `resource_account`, or from the
        resource ARN's account, when no key gave it.
        """
        service, action_key = _split_action(action)
        if resource_account is None:
            parts = resource.split(":", 5)
            if len(parts) == 6 and parts[0] == "arn" and parts[4]:
                resource_account = parts[4]
        ctx = dict(self.context)
        ctx.update(_normalised(context, catalog))
        if resource_account:
            ctx.setdefault("aws:resourceaccount", (resource_account,))
        principal = self.principal
        cross_account = (principal.account is not None and resource_account is not None
                         and principal.account != resource_account)
        return Request(principal=principal, action=action, action_key=action_key, service=service,
                       resource=resource, resource_account=resource_account, context=ctx, cross_account=cross_account)


def request_base(*, principal: str | Principal, context: Mapping[str, Any] | None = None,
                 catalog: IamCatalog | None = None) -> RequestBase:
    """Normalise the keys every request of one caller shares; see `RequestBase`.

    Context keys that AWS derives from the principal (aws:PrincipalArn,
    aws:PrincipalAccount, aws:PrincipalType, aws:username, aws:PrincipalIsAWSService,
    ...) are added when `context` does not give them.
    """
    if not isinstance(principal, Principal):
        principal = parse_principal(principal)
    ctx = _normalised(context, catalog)
    for key, value in _derived_keys(principal):
        ctx.setdefault(key, (value,))
    return RequestBase(principal, ctx)


def make_request(*, principal: str | Principal, action: str, resource: str = "*",
                 context: Mapping[str, Any] | None = None, resource_account: str | None = None,
                 catalog: IamCatalog | None = None) -> Request:
    """Normalise a request once; evaluating it against many policy sets reuses the work.

    With a catalog, each context value is checked against its key's declared type
    (a Date key holds a date, a Bool key true or false, a single-valued key one value)
    and a RequestError names the key that does not fit.
    """
    _split_action(action)  # a malformed action is reported before any context key
    return request_base(principal=principal, context=context, catalog=catalog).request(
        action, resource, resource_account=resource_account)


def _split_action(action: str) -> tuple[str, str]:
    """(service prefix, the whole action), both lower-cased; RequestError unless it is service:action."""
    service, sep, name = action.partition(":")
    if not sep or not service or not name:
        raise RequestError(f"action {action!r} is not of the form service:action")
    return service.lower(), action.lower()


def _normalised(context: Mapping[str, Any] | None, catalog: IamCatalog | None) -> dict[str, tuple[str, ...]]:
    ctx: dict[str, tuple[str, ...]] = {}
    for key, value in (context or {}).items():
        values = context_value(value, key)
        if catalog is not None:
            check_typed_value(key, values, catalog)
        ctx[key.lower()] = values
    return ctx


def _derived_keys(principal: Principal) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    is_service = principal.type is PrincipalType.SERVICE
    keys.append(("aws:principalisawsservice", "true" if is_service else "false"))
    if is_service:
        keys.append(("aws:principalservicename", principal.arn))
    elif principal.type is not PrincipalType.ANONYMOUS:
        keys.append(("aws:principalarn", principal.arn))
        if principal.account:
            keys.append(("aws:principalaccount", principal.account))
        keys.append(("aws:principaltype", principal.type.value))
        if principal.type is PrincipalType.USER and principal.name:
            keys.append(("aws:username", principal.name))
    return keys


def check_typed_value(key: str, values: tuple[str, ...], catalog: IamCatalog) -> None:
    """Raise RequestError when `values` do not fit the type the catalog declares for `key`."""
    from codeconn.iam.conditions import read_bool, read_date, read_ip, read_number

    declared = catalog.condition_key(key)
    if declared is None:
        return
    if not declared.multivalued and len(values) > 1:
        raise RequestError(f"context key {key!r} is single-valued ({declared.type}) but has {len(values)} values")
    readers: dict[str, Callable[[str], object]] = {
        "Bool": read_bool, "Date": read_date, "Numeric": read_number, "IPAddress": read_ip,
        "ARN": lambda v: v if len(v.split(":", 5)) == 6 and v.startswith("arn:") else None}
    reader = readers.get(declared.scalar_type)
    if reader is None:
        return
    for value in values:
        if reader(value) is None:
            raise RequestError(f"context key {key!r} is of type {declared.type}: {value!r} is not a valid value")
