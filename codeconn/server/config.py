"""What `codeconn serve` was asked to do, as one frozen value, and the checks it must pass.

`ServeConfig` is built by the CLI (or a test) and read by the runner and the app
factory; nothing below the server edge sees it. The one rule it enforces is a
safety rule: the default account's root has the well-known key `test` / `test`
(what LocalStack and the AWS tutorials use), so anyone who can reach the port can
act as root. The server therefore listens only on a loopback address while that
key is enabled.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path

from codeconn.server.errors import ConfigError
from codeconn.service.call import IamMode

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4599
DEFAULT_DATA_DIR = Path(".codeconn")
DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_REGION = "us-east-1"
AUDIT_FILE_NAME = "audit.jsonl"

WELL_KNOWN_CREDENTIALS: tuple[str, str] = ("test", "test")
"""The default account root's access key id and secret: public knowledge, loopback only."""

_ACCOUNT_ID = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")


@dataclass(frozen=True)
class ServeConfig:
    """Everything the server is told at start; defaults are `codeconn serve`'s defaults.

    `database_url` None means a SQLite file in `data_dir`. `root_credentials` is the
    (access key id, secret) of the default account's root, None for no root key;
    it is kept out of `repr` so a logged config never shows the secret.
    `region` is the region this endpoint serves: requests to a regional service
    (CodeStar Connections, CodeConnections) must be signed for it; IAM and STS,
    whose models have a global endpoint, accept any region.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    iam: IamMode = IamMode.ENFORCE
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    org_policies: Path | None = None
    root_credentials: tuple[str, str] | None = field(default=WELL_KNOWN_CREDENTIALS, repr=False)

    @property
    def audit_path(self) -> Path:
        """Where the audit log lives: one JSON line per call, in the data directory."""
        return self.data_dir / AUDIT_FILE_NAME

    @property
    def well_known_key_enabled(self) -> bool:
        return self.root_credentials == WELL_KNOWN_CREDENTIALS

    def problems(self) -> list[str]:
        """Every reason this configuration must not start, one line each (empty when fine)."""
        found = []
        if not 0 <= self.port <= 65535:
            found.append(f"--port must be between 0 and 65535, not {self.port}")
        if not _ACCOUNT_ID.fullmatch(self.account_id):
            found.append(f"--account-id must be 12 digits, not {self.account_id!r}")
        if not _REGION.fullmatch(self.region):
            found.append(f"--region must look like us-east-1, not {self.region!r}")
        if self.org_policies is not None and not self.org_policies.is_dir():
            found.append(f"--org-policies {self.org_policies} is not a directory")
        if self.root_credentials is not None and not all(self.root_credentials):
            found.append("the root access key id and secret must both be non-empty")
        if self.well_known_key_enabled and not is_loopback(self.host):
            found.append(
                f"refusing to listen on {self.host}: the well-known root key "
                f"{WELL_KNOWN_CREDENTIALS[0]}/{WELL_KNOWN_CREDENTIALS[1]} is enabled, so anyone who can reach "
                "this address could act as the account root. Listen on 127.0.0.1, or pass "
                "--disable-default-credentials (and set CODECONN_ROOT_ACCESS_KEY_ID and "
                "CODECONN_ROOT_SECRET_ACCESS_KEY for a root key of your own)")
        return found

    def check(self) -> None:
        """Raise ConfigError listing every problem, or return quietly."""
        found = self.problems()
        if found:
            raise ConfigError(found)


def is_loopback(host: str) -> bool:
    """Whether `host` can only be reached from this machine: localhost, 127.0.0.0/8, ::1.

    Any other name is treated as reachable from elsewhere, since it may resolve
    to anything; the wildcard addresses (0.0.0.0, ::, "") listen everywhere.
    """
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


__all__ = [
    "AUDIT_FILE_NAME",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_DATA_DIR",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_REGION",
    "WELL_KNOWN_CREDENTIALS",
    "ServeConfig",
    "is_loopback",
]
