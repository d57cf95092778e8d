"""What `codeconn serve` was asked to do, as one frozen value, and the checks it must pass.

`ServeConfig` is built by the CLI (or a test) and read by the runner and the app
factory; nothing below the server edge sees it. The one rule it enforces is a
safety rule: the default account's root has the well-known key `test` / `test`
(what LocalStack and the AWS tutorials use), so anyone who can reach the port can
act as root. The server therefore listens only on a loopback address while that
key is enabled; and off loopback, a root key of one's own must have a strong
secret (`STRONG_SECRET_RULE`).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from codeconn.server.audit import DEFAULT_KEEP, DEFAULT_MAX_BYTES
from codeconn.server.errors import ConfigError
from codeconn.server.limits import Limits, OnLoop
from codeconn.service.call import IamMode

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4599
DEFAULT_DATA_DIR = Path(".codeconn")
DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_REGION = "us-east-1"
AUDIT_FILE_NAME = "audit.jsonl"
REPOSITORIES_DIR_NAME = "repositories"
DEFAULT_AUDIT_MAX_BYTES = DEFAULT_MAX_BYTES
DEFAULT_AUDIT_KEEP = DEFAULT_KEEP
DEFAULT_TRIGGER_POLL_SECONDS = 5.0

STRONG_SECRET_LENGTH = 32
STRONG_SECRET_BITS = 128
STRONG_SECRET_RULE = (
    f"at least {STRONG_SECRET_LENGTH} characters and at least {STRONG_SECRET_BITS} bits of entropy, "
    "estimated from how often each character occurs (e.g. the 40 characters of an AWS secret key, "
    "or `openssl rand -base64 32`)")

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
    Every Region that botocore's endpoint data lists for the connections services
    is served at once, each kept apart; IAM and STS are global and accept any
    Region. `region` is the default Region, shown in the banner and the health
    check. `allowed_hosts` are
    Host names answered besides the loopback names and `host` (`server.origin`).
    The audit log is rotated past `audit_max_bytes`, keeping `audit_keep` older
    files. `limits` are the HTTP layer's timeouts and caps (`server.limits`).
    `providers_file` configures the code hosts (`codeconn.providers.config`; None:
    every type in local mode under `repositories_root`); `secret_key_file` holds the
    secret box's key (None: `secret.key` in the data directory), so that replicas
    can share a key without sharing a data directory. The branch watcher polls
    local repositories every `trigger_poll_seconds` (pipeline triggers);
    `artifact_store_endpoint` is an S3-compatible endpoint for pipeline artifacts
    (None: the data directory).
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
    allowed_hosts: tuple[str, ...] = ()
    audit_max_bytes: int = DEFAULT_AUDIT_MAX_BYTES
    audit_keep: int = DEFAULT_AUDIT_KEEP
    limits: Limits = Limits()
    providers_file: Path | None = None
    repositories: Path | None = None
    secret_key_file: Path | None = None
    trigger_poll_seconds: float = DEFAULT_TRIGGER_POLL_SECONDS
    artifact_store_endpoint: str | None = None

    @property
    def repositories_root(self) -> Path:
        """Where local-mode providers keep bare repositories: `--repositories`, else `<data-dir>/repositories`."""
        return self.repositories if self.repositories is not None else self.data_dir / REPOSITORIES_DIR_NAME

    @property
    def callback_url(self) -> str:
        """codeconn's own OAuth callback as a browser on this machine reaches it (the providers file may override)."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/oauth/callback"

    @property
    def running_requests(self) -> int:
        """API requests worked on at once (`server.workers`): `limits.running_requests` when set; else 1
        with SQLite, whose reads are in-process work, and 3 with PostgreSQL, whose round trips a
        request waits through while another works (measured in benchmarks/server.py, issue 13)."""
        if self.limits.running_requests is not None:
            return self.limits.running_requests
        scheme = (self.database_url or "").split(":", 1)[0].split("+", 1)[0].lower()
        return 3 if scheme in ("postgresql", "postgres") else 1

    @property
    def on_loop(self) -> OnLoop:
        """What is answered on the event loop (`server.workers`): `limits.on_loop` when set; else
        every request that only uses the store with PostgreSQL, whose waits the loop awaits
        (psycopg's AsyncConnection); with a SQLite file, every one whose store work does not wait
        (a WAL read never does; a write finding another writer at work goes to a thread); nothing
        with the in-memory twin, whose one connection every thread shares."""
        if self.limits.on_loop is not None:
            return self.limits.on_loop
        if self.database_url is None:
            return OnLoop.NO_WAIT  # the default SQLite file in the data directory
        try:
            url = make_url(self.database_url)
        except ArgumentError:  # the store refuses it when it opens
            return OnLoop.NOTHING
        if url.get_backend_name() in ("postgresql", "postgres"):
            return OnLoop.STORE
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return OnLoop.NO_WAIT
        return OnLoop.NOTHING

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
        if self.providers_file is not None and not self.providers_file.is_file():
            found.append(f"--providers {self.providers_file} is not a file")
        if self.secret_key_file is not None and self.secret_key_file.is_dir():
            found.append(f"--secret-key-file {self.secret_key_file} is a directory")
        if self.audit_max_bytes < 4096:
            found.append(f"--audit-max-bytes must be at least 4096, not {self.audit_max_bytes}")
        if not 0.1 <= self.trigger_poll_seconds <= 3600:
            found.append(f"--trigger-poll-seconds must be between 0.1 and 3600, not {self.trigger_poll_seconds}")
        endpoint = urlsplit(self.artifact_store_endpoint or "http://x")
        if endpoint.scheme not in ("http", "https") or not endpoint.hostname:
            found.append(f"--artifact-store-endpoint must be an http:// or https:// URL, "
                         f"not {self.artifact_store_endpoint!r}")
        if self.audit_keep < 1:
            found.append(f"--audit-keep must be at least 1, not {self.audit_keep}")
        if (self.root_credentials is not None and not self.well_known_key_enabled and not is_loopback(self.host)
                and not is_strong_secret(self.root_credentials[1])):
            found.append(
                f"refusing to listen on {self.host} with a weak root secret: anyone who can reach this address "
                f"could guess it. CODECONN_ROOT_SECRET_ACCESS_KEY must have {STRONG_SECRET_RULE}")
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


def secret_bits(secret: str) -> float:
    """An estimate of a secret's entropy: its length times the Shannon entropy of its characters' frequencies.

    A conservative guess (a repeated pattern scores low, `"a" * 64` scores 0); it
    cannot prove a secret random, only catch the ones that are plainly not.
    """
    if not secret:
        return 0.0
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_char * len(secret)


def is_strong_secret(secret: str) -> bool:
    """Whether `secret` meets STRONG_SECRET_RULE (required of a custom root secret off loopback)."""
    return len(secret) >= STRONG_SECRET_LENGTH and secret_bits(secret) >= STRONG_SECRET_BITS


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
    "DEFAULT_AUDIT_KEEP",
    "DEFAULT_AUDIT_MAX_BYTES",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_DATA_DIR",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_REGION",
    "DEFAULT_TRIGGER_POLL_SECONDS",
    "REPOSITORIES_DIR_NAME",
    "STRONG_SECRET_BITS",
    "STRONG_SECRET_LENGTH",
    "STRONG_SECRET_RULE",
    "WELL_KNOWN_CREDENTIALS",
    "ServeConfig",
    "is_loopback",
    "is_strong_secret",
    "secret_bits",
]
