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
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated, TextIO

import typer

from codeconn.wire.git_password import git_password, git_username

DEFAULT_REGION = "us-east-1"


def register(app: typer.Typer) -> None:
    """Add `git-credential` to the top-level app."""
    app.command("git-credential", help="git's credential helper for codeconn's git endpoint "
                "(git config credential.helper '!codeconn git-credential'; credential.useHttpPath true).")(
        git_credential)


def git_credential(
    operation: Annotated[str, typer.Argument(help="What git asks: get (store and erase do nothing).")] = "get",
    profile: Annotated[str | None, typer.Option(help="The AWS profile (default: the AWS chain's).",
                                                show_default=False)] = None,
) -> None:
    fields = read_credential_request(sys.stdin)
    if operation != "get":
        return
    answer = credential_answer(fields, profile=profile, now=datetime.now(UTC))
    if answer is None:
        return
    sys.stdout.write("".join(f"{name}={value}\n" for name, value in answer.items()))


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


def credential_answer(fields: dict[str, str], *, profile: str | None, now: datetime) -> dict[str, str] | None:
    """username and password for git's request, or None when it lacks a host or path, or there are no keys."""
    host, path = fields.get("host"), fields.get("path")
    if not host or path is None:
        return None
    import botocore.session  # only here: the rest of the command never loads botocore for this

    session = botocore.session.Session(profile=profile)
    credentials = session.get_credentials()
    if credentials is None:
        return None
    frozen = credentials.get_frozen_credentials()
    region = session.get_config_variable("region") or DEFAULT_REGION
    password = git_password(secret_key=frozen.secret_key, path="/" + path.lstrip("/"), host=host,
                            region=region, now=now)
    return {"username": git_username(frozen.access_key, frozen.token), "password": password}


__all__ = ["credential_answer", "git_credential", "read_credential_request", "register"]
