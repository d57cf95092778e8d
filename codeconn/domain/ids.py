"""Identifiers in AWS's formats: unique ids, access key ids, secrets, session tokens, ARNs.

Unique ids are a four-letter prefix that says what the entity is (AIDA user, AGPA
group, AROA role, ANPA managed policy) and 17 characters of upper-case letters and
digits; access key ids are AKIA (long-term) or ASIA (temporary) and 16 characters
of base32 (A-Z, 2-7), as AWS's are. Tools recognise credentials by these shapes, so
codeconn keeps them. Everything random comes from `secrets`.
"""

from __future__ import annotations

import base64
import re
import secrets
import string

USER_ID_PREFIX = "AIDA"
GROUP_ID_PREFIX = "AGPA"
ROLE_ID_PREFIX = "AROA"
POLICY_ID_PREFIX = "ANPA"
ACCESS_KEY_PREFIX = "AKIA"
SESSION_KEY_PREFIX = "ASIA"

_ID_ALPHABET = string.ascii_uppercase + string.digits
_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
_ARN = re.compile(r"^arn:(?P<partition>aws[\w-]*):(?P<service>[\w-]+):(?P<region>[\w-]*):(?P<account>\d{12}|aws)?"
                  r":(?P<resource>.+)$")


def unique_id(prefix: str) -> str:
    """A unique id such as AIDAJQABLZS4A3QDU576Q: the prefix and 17 upper-case letters and digits."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def access_key_id(prefix: str = ACCESS_KEY_PREFIX) -> str:
    """AKIA... (an IAM user's key) or ASIA... (a session's): the prefix and 16 base32 characters."""
    return prefix + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def secret_access_key() -> str:
    """40 characters of letters, digits, + and /, as AWS's secret access keys are."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def session_token() -> str:
    """An opaque token for temporary credentials (AWS's are a few hundred base64 characters)."""
    return "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(240)).decode("ascii")


def iam_arn(account: str, noun: str, path: str, name: str) -> str:
    """arn:aws:iam::ACCOUNT:<noun><path><name>: a user, group, role or policy ARN with its path."""
    return f"arn:aws:iam::{account}:{noun}{path}{name}"


def assumed_role_arn(account: str, role_name: str, session_name: str) -> str:
    """The ARN of a role session: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION (the role's path is not in it)."""
    return f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"


def split_arn(arn: str) -> tuple[str, str, str] | None:
    """(service, account, resource) of an ARN, or None when `arn` is not one."""
    match = _ARN.match(arn)
    if match is None:
        return None
    return match.group("service"), match.group("account") or "", match.group("resource")


def split_iam_arn(arn: str, noun: str) -> tuple[str, str, str] | None:
    """(account, path, name) of an IAM ARN of `noun` ("policy", "role", ...), or None."""
    parts = split_arn(arn)
    if parts is None or parts[0] != "iam" or not parts[2].startswith(noun + "/"):
        return None
    rest = parts[2][len(noun):]
    path, _, name = rest.rpartition("/")
    if not name:
        return None
    return parts[1], path + "/", name
