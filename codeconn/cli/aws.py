"""`codeconn aws ...`: the AWS CLI, aimed at a codeconn server, as LocalStack's `awslocal` is.

    codeconn aws codestar-connections list-connections
    codeconn aws codestar-connections create-host --name ghes --provider-type GitHubEnterpriseServer \\
        --provider-endpoint https://ghes.example.com

It runs the AWS CLI from PyPI in this process with, unless given:

- `--endpoint-url`: $CODECONN_ENDPOINT_URL, else the server's default address; the
  same for every client the CLI makes (AWS_ENDPOINT_URL), so that a profile with
  `role_arn` assumes its role at the server, never at AWS;
- a region: the configured one, else the server's default Region;
- credentials: the configured chain (environment, profile, session), else the
  default account's root key; the instance metadata service is never asked,
  since a local tool should not reach for the network to find keys;
- the handshake operations (`get-individual-access-token`, `list-installation-targets`,
  `update-connection-installation`, ...: docs/handshake-api.md), from the model extras
  codeconn ships (`codeconn.wire.model.MODEL_EXTRAS`, put first on AWS_DATA_PATH);
- parameter values that start with `http://` or `https://` passed as they are.
  AWS CLI v1 fetches such a value and sends the page instead (its
  `cli_follow_urlparam` setting, on by default), so `--provider-endpoint
  https://ghes.example.com` would fail on the client; `file://` and `fileb://`
  still read files.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import typer

from codeconn.server.config import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_REGION, WELL_KNOWN_CREDENTIALS
from codeconn.wire.model import MODEL_EXTRAS

ENDPOINT_ENV = "CODECONN_ENDPOINT_URL"
DEFAULT_ENDPOINT = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def register(app: typer.Typer) -> None:
    """Add `aws` to the top-level app: every argument after it goes to the AWS CLI."""
    app.command("aws", help="Run the AWS CLI against a codeconn server (endpoint, region and default key set).",
                context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                  "help_option_names": []},
                add_help_option=False)(aws)


def aws(ctx: typer.Context) -> None:
    raise typer.Exit(run_aws_cli(list(ctx.args)))


def run_aws_cli(args: list[str]) -> int:
    """Run `aws ARGS` against codeconn; the AWS CLI's exit code. Sets this process's environment:
    the command is the whole process."""
    from awscli.clidriver import create_clidriver  # the CLI loads in about a second: only when asked for

    env = os.environ
    env.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    env["AWS_DATA_PATH"] = os.pathsep.join(p for p in (MODEL_EXTRAS, env.get("AWS_DATA_PATH")) if p)
    driver = create_clidriver()
    session = driver.session
    _pass_url_values_as_given(session)
    if not (session.get_config_variable("region") or _option(args, "--region")):
        env["AWS_DEFAULT_REGION"] = DEFAULT_REGION
    if not _has_credentials(session, args):
        env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = WELL_KNOWN_CREDENTIALS
    given = _option(args, "--endpoint-url")
    endpoint = given or env.get(ENDPOINT_ENV, DEFAULT_ENDPOINT)
    # Every client the CLI makes uses it, the STS client behind a role profile's credentials too;
    # otherwise `--profile` with `role_arn` would ask the real STS.
    env["AWS_ENDPOINT_URL"] = endpoint
    env.pop("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", None)
    if given is None:
        args = ["--endpoint-url", endpoint, *args]
    return int(driver.main(args))


def _option(args: list[str], name: str) -> str | None:
    """The value of a global option among the CLI's arguments (`--name VALUE` or `--name=VALUE`)."""
    for i, arg in enumerate(args):
        if arg.startswith(name + "="):
            return arg.partition("=")[2]
        if arg == name and i + 1 < len(args):
            return args[i + 1]
    return None


def _pass_url_values_as_given(session: Any) -> None:
    """Swap the CLI's parameter-file handler for one that reads file:// and fileb:// only."""
    from awscli.paramfile import LOCAL_PREFIX_MAP, URIArgumentHandler, register_uri_param_handler

    def local_files_only(session: Any, **_: Any) -> None:
        session.register("load-cli-arg", URIArgumentHandler(copy.deepcopy(LOCAL_PREFIX_MAP)))

    session.unregister("session-initialized", register_uri_param_handler)
    session.register("session-initialized", local_files_only)


def _has_credentials(session: Any, args: list[str]) -> bool:
    """Whether the standard chain (or a --profile argument) gives keys; a broken profile counts as given,
    so that the AWS CLI reports it itself."""
    if _option(args, "--profile"):
        return True
    try:
        return session.get_credentials() is not None
    except Exception:  # noqa: BLE001 - botocore raises many kinds for a half-configured profile
        return True


__all__ = ["ENDPOINT_ENV", "register", "run_aws_cli"]
