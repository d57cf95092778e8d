"""boto3 clients that know the handshake operations, and the local-mode handshake they complete.

The operations live in codeconn's model extras (`codeconn.wire.model.MODEL_EXTRAS`),
so a client is made from a botocore session whose data path holds them, as
`AWS_DATA_PATH` would give. `local_handshake` is what a person does in local mode:
GetIndividualAccessToken (no code, no token) -> ListInstallationTargets ->
UpdateConnectionInstallation.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import boto3
import botocore.model
import botocore.session
import pytest
from botocore.config import Config

from codeconn.wire.model import MODEL_EXTRAS

NO_RETRIES = Config(retries={"total_max_attempts": 1})
CBOR = "smithy-rpc-v2-cbor"


def handshake_client(url: str, service: str, *, key: str = "test", secret: str = "test", token: str | None = None,
                     cbor: bool = False) -> Any:
    """A client of `service` at `url` with the handshake operations (over RPC v2 CBOR when `cbor`)."""
    session = botocore.session.get_session()
    session.set_config_variable("data_path", MODEL_EXTRAS)
    factory = boto3.Session(botocore_session=session)

    def make() -> Any:
        return factory.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                              aws_secret_access_key=secret, aws_session_token=token, config=NO_RETRIES)

    if not cbor:
        return make()
    ranked = (CBOR, *(name for name in botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS if name != CBOR))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ranked)
        return make()


def bare_repository(root: Path, owner: str, name: str) -> Path:
    """`git init --bare <root>/<owner>/<name>.git` with one commit on main, made with the real git."""
    path = root / owner / f"{name}.git"
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "--bare", "--quiet", "--initial-branch=main", str(path)], check=True)
    work = path.parent / f".{name}-work"
    subprocess.run(["git", "clone", "--quiet", str(path), str(work)], check=True, capture_output=True)
    (work / "README.md").write_text(f"# {name}\n")
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "first"], check=True)
    subprocess.run([*git, "push", "--quiet", "origin", "HEAD:main"], check=True, capture_output=True)
    subprocess.run(["rm", "-rf", str(work)], check=True)
    return path


def local_handshake(client: Any, connection_arn: str, provider_type: str, owner: str) -> dict[str, Any]:
    """The handshake in local mode; the connection as UpdateConnectionInstallation answers it."""
    token = client.get_individual_access_token(ProviderType=provider_type)["TokenId"]
    targets = client.list_installation_targets(TokenId=token)["InstallationTargets"]
    assert owner in [target["InstallationId"] for target in targets], targets
    return dict(client.update_connection_installation(ConnectionArn=connection_arn, InstallationId=owner,
                                                      TokenId=token)["Connection"])
