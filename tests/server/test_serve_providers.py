"""`codeconn serve --providers / --repositories / --secret-key-file` reach the components."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeconn.server.components import build_components, secret_box
from codeconn.server.config import ServeConfig
from codeconn.server.errors import ConfigError
from codeconn.store import SecretBox


def test_replicas_share_a_key_file_without_sharing_a_data_dir(tmp_path: Path) -> None:
    key = tmp_path / "shared.key"
    first = secret_box(ServeConfig(data_dir=tmp_path / "a", secret_key_file=key))
    second = secret_box(ServeConfig(data_dir=tmp_path / "b", secret_key_file=key))
    assert key.stat().st_mode & 0o777 == 0o600
    assert second.decrypt(first.encrypt("token")) == "token"
    assert not (tmp_path / "a" / "secret.key").exists()
    assert isinstance(secret_box(ServeConfig(data_dir=tmp_path / "c")), SecretBox)


def test_the_repositories_root_defaults_to_the_data_dir(tmp_path: Path) -> None:
    assert ServeConfig(data_dir=tmp_path).repositories_root == tmp_path / "repositories"
    assert ServeConfig(data_dir=tmp_path, repositories=tmp_path / "r").repositories_root == tmp_path / "r"
    assert ServeConfig(port=5000).callback_url == "http://127.0.0.1:5000/oauth/callback"


def test_a_bad_providers_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text("providers:\n  GitHub:\n    mode: remote\n    client_secret_env: NOT_SET_ANYWHERE_42\n")
    assert ServeConfig(providers_file=tmp_path / "missing.yaml").problems() == [
        f"--providers {tmp_path / 'missing.yaml'} is not a file"]
    with pytest.raises(ConfigError) as caught:
        build_components(ServeConfig(data_dir=tmp_path / "data", providers_file=path))
    assert "NOT_SET_ANYWHERE_42" in str(caught.value)
