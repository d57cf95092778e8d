"""An ArtifactStore on an S3-compatible endpoint (`codeconn serve --artifact-store-endpoint URL`).

botocore's S3 client, as any AWS SDK would call S3: credentials from the standard
AWS chain (environment, shared files, ...), SigV4, path-style addressing (a local
S3-compatible server has no per-bucket host names). The pipeline's
`artifactStore.location` is the bucket, which must exist, as in AWS; a missing
bucket or key is ArtifactNotFound. An object is written with one PutObject (S3
stores it whole or not at all: objects up to 5 GB, far above a source zip) and read
into a temporary file beside the destination, renamed into place once complete, so
a reader never sees part of it. Any other failure of the endpoint is
ArtifactStoreUnavailable, naming the endpoint and S3's error code.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from codeconn.pipelines.artifact_store import ArtifactLocation, ArtifactNotFound

CHUNK = 1024 * 1024
_MISSING = frozenset({"NoSuchKey", "NoSuchBucket", "404", "NotFound"})
_CLIENT_CONFIG = Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "total_max_attempts": 3},
                        connect_timeout=10, read_timeout=60)


class ArtifactStoreUnavailable(OSError):
    """The endpoint failed for a reason other than a missing object (unreachable, denied, ...)."""


class S3ArtifactStore:
    """Artifacts as objects of an S3-compatible endpoint (see the module docstring)."""

    def __init__(self, client: Any, *, endpoint: str) -> None:
        self._client = client
        self.endpoint = endpoint

    @classmethod
    def connect(cls, endpoint: str, *, region: str) -> S3ArtifactStore:
        """A store on `endpoint`, signing for `region` with the AWS credential chain's credentials."""
        session = botocore.session.get_session()
        return cls(session.create_client("s3", endpoint_url=endpoint, region_name=region, config=_CLIENT_CONFIG),
                   endpoint=endpoint)

    def put(self, location: ArtifactLocation, source: Path) -> None:
        with open(source, "rb") as body:
            self._call(location, "put_object", Bucket=location.bucket, Key=location.key, Body=body)

    def get(self, location: ArtifactLocation, destination: Path) -> None:
        answer = self._call(location, "get_object", Bucket=location.bucket, Key=location.key)
        stream = answer["Body"]
        handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in stream.iter_chunks(CHUNK):
                    out.write(chunk)
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        finally:
            stream.close()

    def exists(self, location: ArtifactLocation) -> bool:
        try:
            self._call(location, "head_object", Bucket=location.bucket, Key=location.key)
        except ArtifactNotFound:
            return False
        return True

    def _call(self, location: ArtifactLocation, operation: str, **params: Any) -> Any:
        try:
            return getattr(self._client, operation)(**params)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise ArtifactNotFound(f"s3://{location.bucket}/{location.key} does not exist at {self.endpoint} "
                                       f"({code})") from None
            raise ArtifactStoreUnavailable(f"the artifact store {self.endpoint} refused {operation} of "
                                           f"s3://{location.bucket}/{location.key}: {code}") from None
        except BotoCoreError as error:
            raise ArtifactStoreUnavailable(f"the artifact store {self.endpoint} failed: {error}") from None


__all__ = ["ArtifactStoreUnavailable", "S3ArtifactStore"]
