"""`codeconn serve`: the AWS endpoint (CodeStar Connections, CodeConnections, IAM, STS) on one port.

The default account's root has the well-known key `test` / `test`, so that the AWS
CLI and boto3 work with no setup; while it is enabled the server only listens on
a loopback address. To listen elsewhere, disable it and, if a root key is still
wanted, give one through the environment (never on the command line, where `ps`
would show the secret):

    CODECONN_ROOT_ACCESS_KEY_ID=AKIA... CODECONN_ROOT_SECRET_ACCESS_KEY=... \\
        codeconn serve --host 0.0.0.0 --disable-default-credentials \\
            --allowed-host codeconn.internal

Off loopback, that secret must have at least 32 characters and 128 bits of
estimated entropy (`openssl rand -base64 32` gives one). The server answers only
requests whose Host header is a loopback name, the --host address or an
--allowed-host name, and refuses cross-site browser requests. The audit log
(audit.jsonl in the data directory) is rotated past --audit-max-bytes, keeping
--audit-keep older files (audit.jsonl.1 is the newest); `codeconn audit` reads them all.

Code hosts: every provider type is served in local mode by default, from bare
repositories <ProviderType>/<owner>/<name>.git under the data directory's
`repositories` (or --repositories); --providers FILE sets types to remote mode with
their URLs and OAuth app (secrets from environment variables the file names).
Provider tokens and client secrets are encrypted with the key in --secret-key-file.

Pipelines: a push through the git endpoint, or a new commit that the branch watcher
sees in a local repository (every --trigger-poll-seconds), starts the pipelines that
watch that branch (docs/pipelines.md, "Triggers"). Artifacts go to the data
directory, or to the S3-compatible --artifact-store-endpoint (credentials from the
standard AWS chain: AWS_ACCESS_KEY_ID, ~/.aws/credentials, ...).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from codeconn.cli.exit_codes import ExitCode
from codeconn.cli.help_text import epilog
from codeconn.server.config import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_AUDIT_KEEP,
    DEFAULT_AUDIT_MAX_BYTES,
    DEFAULT_DATA_DIR,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_REGION,
    DEFAULT_TRIGGER_POLL_SECONDS,
    WELL_KNOWN_CREDENTIALS,
    ServeConfig,
)
from codeconn.server.errors import ConfigError, ServerError
from codeconn.service.call import IamMode

ROOT_KEY_ENV = "CODECONN_ROOT_ACCESS_KEY_ID"
ROOT_SECRET_ENV = "CODECONN_ROOT_SECRET_ACCESS_KEY"


def register(app: typer.Typer) -> None:
    """Add `serve` to the top-level app."""
    app.command("serve", help="Serve the AWS endpoint (CodeStar Connections, CodeConnections, IAM, STS) on one port.",
                epilog=epilog(__doc__.split("\n\n", 1)[1]))(serve)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback only while the default key is enabled).")]
    = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port, printed at start).")] = DEFAULT_PORT,
    data_dir: Annotated[Path, typer.Option(help="Directory for the database, the secret key and the audit log.")]
    = DEFAULT_DATA_DIR,
    database_url: Annotated[str | None, typer.Option(
        help="sqlite:///path or postgresql://user@host/db (several replicas share one). "
             "Default: a SQLite file in the data directory.", show_default=False)] = None,
    iam: Annotated[IamMode, typer.Option(
        help="enforce: a denial is AccessDenied; audit: allow, but log would-be denials; off: no checks.")]
    = IamMode.ENFORCE,
    account_id: Annotated[str, typer.Option(help="The default account (its root owns the default key).")]
    = DEFAULT_ACCOUNT_ID,
    region: Annotated[str, typer.Option(
        help="The default Region (every Region of the connections services is served).")] = DEFAULT_REGION,
    org_policies: Annotated[Path | None, typer.Option(
        help="Directory of the organization's SCPs and RCPs.", show_default=False)] = None,
    disable_default_credentials: Annotated[bool, typer.Option(
        "--disable-default-credentials",
        help=f"Turn off the well-known root key {WELL_KNOWN_CREDENTIALS[0]}/{WELL_KNOWN_CREDENTIALS[1]}; "
             f"{ROOT_KEY_ENV} and {ROOT_SECRET_ENV} may give another.")] = False,
    allowed_host: Annotated[list[str] | None, typer.Option(
        "--allowed-host",
        help="A Host name to answer besides the loopback names and --host (repeatable), e.g. the name "
             "clients use to reach a non-loopback listener.", show_default=False)] = None,
    audit_max_bytes: Annotated[int, typer.Option(
        help="Rotate the audit log when it would pass this many bytes.")] = DEFAULT_AUDIT_MAX_BYTES,
    audit_keep: Annotated[int, typer.Option(
        help="How many rotated audit logs to keep (audit.jsonl.1 is the newest).")] = DEFAULT_AUDIT_KEEP,
    providers: Annotated[Path | None, typer.Option(
        "--providers", help="YAML or JSON file configuring the code hosts (docs/providers.md). "
                            "Default: every provider type in local mode.", show_default=False)] = None,
    repositories: Annotated[Path | None, typer.Option(
        help="Root of local mode's bare repositories, <ProviderType>/<owner>/<name>.git. "
             "Default: <data-dir>/repositories.", show_default=False)] = None,
    secret_key_file: Annotated[Path | None, typer.Option(
        help="Key file encrypting tokens and client secrets at rest (created 0600 if missing); "
             "replicas share it. Default: secret.key in the data directory.", show_default=False)] = None,
    trigger_poll_seconds: Annotated[float, typer.Option(
        help="How often the branch watcher reads the heads of local repositories that pipelines watch.")]
    = DEFAULT_TRIGGER_POLL_SECONDS,
    artifact_store_endpoint: Annotated[str | None, typer.Option(
        help="S3-compatible endpoint URL for pipeline artifacts (the pipeline's artifact store location is "
             "the bucket; credentials from the standard AWS chain). Default: <data-dir>/artifacts.",
        show_default=False)] = None,
) -> None:
    key, secret = os.environ.get(ROOT_KEY_ENV, ""), os.environ.get(ROOT_SECRET_ENV, "")
    if bool(key) != bool(secret):
        typer.echo(f"codeconn serve: set both {ROOT_KEY_ENV} and {ROOT_SECRET_ENV}, or neither", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT)
    root = (key, secret) if key else (None if disable_default_credentials else WELL_KNOWN_CREDENTIALS)
    config = ServeConfig(host=host, port=port, data_dir=data_dir, database_url=database_url, iam=iam,
                         account_id=account_id, region=region, org_policies=org_policies, root_credentials=root,
                         allowed_hosts=tuple(allowed_host or ()), audit_max_bytes=audit_max_bytes,
                         audit_keep=audit_keep, providers_file=providers, repositories=repositories,
                         secret_key_file=secret_key_file, trigger_poll_seconds=trigger_poll_seconds,
                         artifact_store_endpoint=artifact_store_endpoint)
    problems = config.problems()
    if problems:
        for problem in problems:
            typer.echo(f"codeconn serve: {problem}", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT)
    # Imported here: only a starting server needs the service layer and the concrete parts.
    from codeconn.server.components import build_components
    from codeconn.server.runner import run

    try:
        run(config, build_components)
    except ConfigError as error:  # bad options or files: nothing started
        typer.echo(f"codeconn serve: {error}", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    except ServerError as error:  # e.g. the port is taken
        typer.echo(f"codeconn serve: {error}", err=True)
        raise typer.Exit(ExitCode.FAILED) from None

