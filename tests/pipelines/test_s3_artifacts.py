"""S3ArtifactStore against a local S3-compatible server (moto's, in-process on loopback).

Put, get and exists round-trip a file whole; a missing key or bucket is
ArtifactNotFound; an endpoint that refuses for another reason (a bad credential is
not checked by moto, so an unreachable endpoint stands in) is ArtifactStoreUnavailable;
a failed get leaves no partial destination. `artifact_store_for` builds the store for
`--artifact-store-endpoint`, credentials from the standard AWS chain (here the
environment), and None without one.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from codeconn.pipelines.artifact_store import ArtifactLocation, ArtifactNotFound, ArtifactStore
from codeconn.pipelines.s3_artifacts import ArtifactStoreUnavailable, S3ArtifactStore
from codeconn.server.config import ServeConfig
from codeconn.server.pipeline_wiring import artifact_store_for

moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def bucket(endpoint: str, credentials: None, tmp_path: Path) -> str:
    name = f"artifacts-{tmp_path.name.lower().replace('_', '-')}"[:63]
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture
def store(endpoint: str, credentials: None, tmp_path: Path) -> ArtifactStore:
    made = artifact_store_for(ServeConfig(data_dir=tmp_path, artifact_store_endpoint=endpoint))
    assert isinstance(made, S3ArtifactStore)
    return made


def test_put_get_exists_round_trip(store: ArtifactStore, bucket: str, tmp_path: Path) -> None:
    location = ArtifactLocation(bucket, "pipe/SourceArti/abc.zip")
    assert not store.exists(location)
    source = tmp_path / "in.zip"
    source.write_bytes(bytes(range(256)) * 5000)
    store.put(location, source)
    assert store.exists(location)
    out = tmp_path / "out.zip"
    store.get(location, out)
    assert out.read_bytes() == source.read_bytes()
    source.write_bytes(b"replaced")
    store.put(location, source)
    store.get(location, out)
    assert out.read_bytes() == b"replaced"


def test_missing_key_and_bucket_are_not_found(store: ArtifactStore, bucket: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for location in (ArtifactLocation(bucket, "nothing"), ArtifactLocation("no-such-bucket-x", "k")):
        assert not store.exists(location)
        with pytest.raises(ArtifactNotFound):
            store.get(location, out)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    source = tmp_path / "f"
    source.write_bytes(b"x")
    with pytest.raises(ArtifactNotFound):
        store.put(ArtifactLocation("no-such-bucket-x", "k"), source)


def test_an_unreachable_endpoint_is_unavailable(credentials: None, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = S3ArtifactStore.connect(f"http://127.0.0.1:{port}", region="us-east-1")
    with pytest.raises(ArtifactStoreUnavailable, match=f"127.0.0.1:{port}"):
        store.exists(ArtifactLocation("b", "k"))


def test_no_endpoint_means_the_directory_store(tmp_path: Path) -> None:
    assert artifact_store_for(ServeConfig(data_dir=tmp_path)) is None


def test_the_endpoint_must_be_a_url() -> None:
    assert any("--artifact-store-endpoint" in p for p in ServeConfig(artifact_store_endpoint="s3:bucket").problems())
