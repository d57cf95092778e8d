"""The artifact store seam: where an action's output artifacts are kept.

A pipeline's `artifactStore.location` is a bucket name; an artifact is an object in
it. Two implementations exist: a directory per bucket under the data directory (the
default) and an S3-compatible endpoint (`codeconn serve --artifact-store-endpoint`).
The worker only sees this protocol, so the two are interchangeable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ArtifactLocation:
    """An object in the artifact store, as ListActionExecutions reports it (s3location)."""

    bucket: str
    key: str


class ArtifactNotFound(LookupError):
    """The object does not exist (the bucket or the key)."""


class ArtifactStore(Protocol):
    """Keeps artifacts whole: a reader sees an object entirely or not at all."""

    def put(self, location: ArtifactLocation, source: Path) -> None:
        """Store the file `source` as the object `location`, replacing any object there."""
        ...

    def get(self, location: ArtifactLocation, destination: Path) -> None:
        """Write the object to the file `destination`; ArtifactNotFound if there is none."""
        ...

    def exists(self, location: ArtifactLocation) -> bool:
        """Whether the object is there."""
        ...


__all__ = ["ArtifactLocation", "ArtifactNotFound", "ArtifactStore"]
