"""`codeconn git-credential`: git's credential helper for codeconn's git endpoint.

    git config --global credential.helper '!codeconn git-credential'
    git config --global credential.useHttpPath true

git runs `codeconn git-credential get` and writes its credential protocol on stdin
(`protocol=`, `host=`, `path=`, ... one per line, then a blank line); the helper
answers `username=` and `password=` as AWS's CodeCommit helper does
(`codeconn.wire.git_password`): the access key id (with `%<SessionToken>` for
temporary credentials) and a signature over `/<path>` and the host, good for 15
minutes. The keys come from the standard AWS chain, through botocore: environment
variables, `AWS_PROFILE` / `--profile`, shared credentials and config files, assumed
roles. The Region signed for is the chain's (`us-east-1` when none is configured):
the endpoint accepts every Region it serves.

`store` and `erase` do nothing: a password is made anew for every request and must
never be cached. Without a `path` (credential.useHttpPath off) the helper answers
nothing, and git reports that it could not get a password.

git runs the helper at least twice per clone or push (`get`, then `store`), so
`codeconn.cli.main` calls `helper_main` without loading the typer app, and keys in
the environment (the chain's first source, so the answer is the same) are read
without loading botocore. The typer command (`register`) is the same helper, for
`--help` and for tests that drive the app.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from codeconn.wire.git_password import git_password, git_username

if TYPE_CHECKING:
    import typer

DEFAULT_REGION = "us-east-1"
HELP = ("git's credential helper for codeconn's git endpoint "
        "(git config credential.helper '!codeconn git-credential'; credential.useHttpPath true).")
USAGE = """\
Usage: codeconn git-credential [--profile NAME] [get|store|erase]

  """ + HELP + """

  Reads git's credential protocol on stdin; for `get`, prints username= and
  password= signed with the AWS chain's keys (environment, profile, config).
"""


def register(app: typer.Typer) -> None:
    """Add `git-credential` to the top-level app."""
    import typer

    def git_credential(
        operation: str = typer.Argument("get", help="What git asks: get (store and erase do nothing)."),
        profile: str | None = typer.Option(None, help="The AWS profile (default: the AWS chain's).",
                                           show_default=False),
    ) -> None:
        code = helper_main([*(["--profile", profile] if profile else []), operation])
        if code:
            raise typer.Exit(code)

    app.command("git-credential", help=HELP)(git_credential)


def helper_main(argv: Sequence[str], *, stdin: TextIO | None = None, stdout: TextIO | None = None,
                environ: Mapping[str, str] | None = None) -> int:
    """The helper: `[--profile NAME] [get|store|erase]`; 0, or 2 for arguments it does not take."""
    out = stdout or sys.stdout
    profile: str | None = None
    operation = "get"
    args = list(argv)
    while args:
        word = args.pop(0)
        if word in ("-h", "--help"):
            out.write(USAGE)
            return 0
        if word == "--profile" and args:
            profile = args.pop(0)
        elif word.startswith("--profile="):
            profile = word.split("=", 1)[1]
        elif word in ("get", "store", "erase"):
            operation = word
        else:
            sys.stderr.write(f"codeconn git-credential: unexpected argument {word!r}\n{USAGE}")
            return 2
    fields = read_credential_request(stdin or sys.stdin)
    if operation != "get":
        return 0
    answer = credential_answer(fields, profile=profile, now=datetime.now(UTC),
                               environ=os.environ if environ is None else environ)
    if answer is not None:
        out.write("".join(f"{name}={value}\n" for name, value in answer.items()))
        out.flush()
    return 0


def read_credential_request(stream: TextIO) -> dict[str, str]:
    """git's credential protocol: `key=value` lines up to a blank line or the end."""
    fields: dict[str, str] = {}
    for line in stream:
        line = line.rstrip("\n")
        if not line:
            break
        name, _, value = line.partition("=")
        fields[name] = value
    return fields


def credential_answer(fields: Mapping[str, str], *, profile: str | None, now: datetime,
                      environ: Mapping[str, str]) -> dict[str, str] | None:
    """username and password for git's request, or None when it lacks a host or path, or there are no keys."""
    host, path = fields.get("host"), fields.get("path")
    if not host or path is None:
        return None
    keys = _keys(profile, environ)
    if keys is None:
        return None
    access_key, secret_key, token, region = keys
    password = git_password(secret_key=secret_key, path="/" + path.lstrip("/"), host=host, region=region, now=now)
    return {"username": git_username(access_key, token), "password": password}


def _keys(profile: str | None, environ: Mapping[str, str]) -> tuple[str, str, str | None, str] | None:
    """(access key, secret key, session token, Region) from the AWS chain; None when it has no keys."""
    region_env = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if profile is None and environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY") and region_env:
        # the chain's first source, as botocore reads it (and its Region from the environment too)
        return (environ["AWS_ACCESS_KEY_ID"], environ["AWS_SECRET_ACCESS_KEY"],
                environ.get("AWS_SESSION_TOKEN") or environ.get("AWS_SECURITY_TOKEN") or None, region_env)
    import botocore.session  # the rest of the chain: profiles, config files, assumed roles, SSO

    session = botocore.session.Session(profile=profile)
    credentials = session.get_credentials()
    if credentials is None:
        return None
    frozen = credentials.get_frozen_credentials()
    region = session.get_config_variable("region") or DEFAULT_REGION
    return frozen.access_key, frozen.secret_key, frozen.token, region


__all__ = ["credential_answer", "helper_main", "read_credential_request", "register"]
