"""The default artifact store: a directory per bucket, `<data-dir>/artifacts/<bucket>/<key>`.

An object is written to a temporary file beside its final path and renamed into
place, so a reader (the next action, `unzip -l` by hand) sees the whole object or
none of it. Bucket names and keys are checked so that no location reaches outside
the root (no `..`, no absolute key, no empty segment).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from codeconn.pipelines.artifact_store import ArtifactLocation, ArtifactNotFound


class UnsafeLocation(ValueError):
    """A bucket or key that would leave the artifact directory."""


def copy_atomically(source: Path, target: Path) -> None:
    """Copy `source` to a temporary file beside `target`, then rename it into place."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as out, open(source, "rb") as data:
            shutil.copyfileobj(data, out, 1024 * 1024)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class DirectoryArtifactStore:
    """The ArtifactStore over a local directory (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"DirectoryArtifactStore({str(self.root)!r})"

    def path(self, location: ArtifactLocation) -> Path:
        """Where the object lives on disk; UnsafeLocation for a bucket or key that would leave the root."""
        key = PurePosixPath(location.key)
        bad_bucket = not location.bucket or "/" in location.bucket or location.bucket in (".", "..")
        bad_key = (not location.key or key.is_absolute() or any(part in ("", ".", "..")
                                                                for part in location.key.split("/"))
                   or "\\" in location.key or location.key.endswith("/"))
        if bad_bucket or bad_key:
            raise UnsafeLocation(f"artifact location s3://{location.bucket}/{location.key} is not a safe path")
        return self.root.joinpath(location.bucket, *key.parts)

    def put(self, location: ArtifactLocation, source: Path) -> None:
        target = self.path(location)
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_atomically(Path(source), target)

    def get(self, location: ArtifactLocation, destination: Path) -> None:
        source = self.path(location)
        if not source.is_file():
            raise ArtifactNotFound(f"s3://{location.bucket}/{location.key}")
        copy_atomically(source, Path(destination))

    def exists(self, location: ArtifactLocation) -> bool:
        return self.path(location).is_file()


__all__ = ["DirectoryArtifactStore", "UnsafeLocation", "copy_atomically"]
