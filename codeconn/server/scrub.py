"""Request parameters with every secret removed, fit for the audit log.

Two nets, because either alone misses something. The model's `sensitive` trait
marks what AWS itself hides (IAM's passwords and private keys, STS's SAML
assertions and web identity tokens), wherever the shape is used. Member names
catch what a model forgot to mark, and values reached without a shape (a
document, a map of strings): text under a name that says password, secret,
private key or one of the token kinds that grant access. Pagination and
idempotency tokens (`NextToken`, `ClientToken`) are not secrets and stay, and
neither are flags and numbers (`PasswordResetRequired`).

Leaves become JSON: datetimes as ISO 8601, blobs as their length only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape

REDACTED = "***"

SECRET_NAME_PARTS: tuple[str, ...] = (
    "password",
    "secret",
    "privatekey",
    "sessiontoken",
    "securitytoken",
    "accesstoken",
    "refreshtoken",
    "providertoken",
    "oauthtoken",
    "bearertoken",
    "webidentitytoken",
    "tradeintoken",
    "tokencode",
    "samlassertion",
    "authorizationcode",
    "authcode",
    "apikey",
)
"""A member or key whose lower-cased name contains one of these is a secret."""

SECRET_NAMES: frozenset[str] = frozenset({"token", "authorization", "credentials"})
"""Whole names (lower-cased) that are secrets although too short to match as parts."""


def is_secret_name(name: object) -> bool:
    """Whether a member or key called `name` holds a secret."""
    if not isinstance(name, str):
        return False
    lowered = name.lower().replace("_", "").replace("-", "")
    return lowered in SECRET_NAMES or any(part in lowered for part in SECRET_NAME_PARTS)


def scrub(shape: Shape | None, value: Any) -> Any:
    """`value` (read along `shape`, which may be None) as JSON with every secret replaced by `***`."""
    if shape is not None and shape.metadata.get("sensitive"):
        return REDACTED
    if isinstance(value, Mapping):
        return _scrub_mapping(shape, value)
    if isinstance(value, (list, tuple)):
        member = getattr(shape, "member", None) if shape is not None and shape.type_name == "list" else None
        return [scrub(member, item) for item in value]
    return _leaf(value)


def _scrub_mapping(shape: Shape | None, value: Mapping[Any, Any]) -> dict[str, Any]:
    kind = shape.type_name if shape is not None else None
    members: Mapping[str, Shape] = getattr(shape, "members", {}) if kind == "structure" else {}
    map_value: Shape | None = getattr(shape, "value", None) if kind == "map" else None
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = str(key)
        member = members.get(name, map_value)
        out[name] = REDACTED if is_secret_name(name) and _may_hold_secret(member, item) else scrub(member, item)
    return out


def _may_hold_secret(shape: Shape | None, value: Any) -> bool:
    """Whether a value under a secret-sounding name is hidden whole.

    Text and bytes are; so is anything nested that no shape explains. A flag or a
    number (`PasswordResetRequired`, `MaxPasswordAge`) is not a secret, and a
    modelled structure, list or map is walked so its members decide for themselves.
    """
    if isinstance(value, (int, float)):  # bool included
        return False
    if isinstance(value, (Mapping, list, tuple)):
        return shape is None
    return True


def _leaf(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return f"<{type(value).__name__}>"


__all__ = ["REDACTED", "SECRET_NAMES", "SECRET_NAME_PARTS", "is_secret_name", "scrub"]
