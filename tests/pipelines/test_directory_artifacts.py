"""The directory artifact store: objects whole at `<root>/<bucket>/<key>`, nothing outside the root."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeconn.pipelines.artifact_store import ArtifactLocation, ArtifactNotFound, ArtifactStore
from codeconn.pipelines.directory_artifacts import DirectoryArtifactStore, UnsafeLocation


def test_put_get_exists(tmp_path: Path) -> None:
    store: ArtifactStore = DirectoryArtifactStore(tmp_path / "artifacts")
    source = tmp_path / "a.zip"
    source.write_bytes(b"zip bytes")
    location = ArtifactLocation("bucket", "api/SourceOutput/abc1234")
    assert not store.exists(location)
    store.put(location, source)
    assert store.exists(location)
    assert (tmp_path / "artifacts" / "bucket" / "api" / "SourceOutput" / "abc1234").read_bytes() == b"zip bytes"
    out = tmp_path / "out.zip"
    store.get(location, out)
    assert out.read_bytes() == b"zip bytes"
    assert [p.name for p in (tmp_path / "artifacts" / "bucket" / "api" / "SourceOutput").iterdir()] == ["abc1234"]
    with pytest.raises(ArtifactNotFound):
        store.get(ArtifactLocation("bucket", "missing"), out)


@pytest.mark.parametrize(("bucket", "key"), [
    ("..", "k"), ("a/b", "k"), ("", "k"), ("b", "../k"), ("b", "/etc/passwd"), ("b", "a//k"), ("b", "a/./k"),
    ("b", ""), ("b", "dir/"), ("b", "a\\\\b"),
])
def test_locations_outside_the_root_are_refused(tmp_path: Path, bucket: str, key: str) -> None:
    with pytest.raises(UnsafeLocation):
        DirectoryArtifactStore(tmp_path).path(ArtifactLocation(bucket, key))
