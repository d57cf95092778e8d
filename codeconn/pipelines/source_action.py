"""The CodeStarSourceConnection source action, every provider call decided as the pipeline's role.

The action's configuration names the connection (`ConnectionArn`), the repository
(`FullRepositoryId`), the branch (`BranchName`) and the artifact's format
(`OutputArtifactFormat`, CODE_ZIP by default). Each provider call is preceded by its
UseConnection decision, under the connection ARN's own prefix, with the seed's keys
(ProviderAction, ProviderPermissionsRequired, FullRepositoryId, OwnerId,
RepositoryName, BranchName), as the role's session:

    GetBranch                    the branch's commit (skipped when sourceRevisions pins a COMMIT_ID)
    StartUploadArchiveToS3       CODE_ZIP: the commit's tree as a zip, through the provider adapter
    GetUploadArchiveToS3Status   CODE_ZIP: the archive is in the artifact store
    GitPull                      CODEBUILD_CLONE_REF: the clone reference

A denied decision fails the action with the AccessDenied message (it names the
session of the role, UseConnection and the connection ARN) and the role's ARN. The
provider is reached through `through_connection`, so a credential the provider
refuses puts the connection in ERROR, as for any other use.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from codeconn.domain.arns import CONNECTION, parse_arn
from codeconn.domain.connections import Connection
from codeconn.domain.pipeline_executions import ActionRun, ActionStatus, Execution, OutputArtifact, Revision
from codeconn.pipelines.artifact_store import ArtifactLocation
from codeconn.pipelines.runtime import ActionScope, Runtime
from codeconn.pipelines.role_session import service_call
from codeconn.providers.base import ProviderAction
from codeconn.service.call import Call, Caller
from codeconn.service.connections.handshake_tokens import through_connection
from codeconn.service.errors import AccessDenied, ServiceError

CODE_ZIP = "CODE_ZIP"
CODEBUILD_CLONE_REF = "CODEBUILD_CLONE_REF"
CLONE_REF_FILE = "codeconn-clone-ref.json"


class ActionFailed(Exception):
    """The action failed; `code` is its errorDetails code, the message its errorDetails message."""

    def __init__(self, message: str, code: str = "JobFailed") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """What a finished source action produced: its artifact, the revision, a summary."""

    outputs: tuple[OutputArtifact, ...]
    revision: Revision
    summary: str


def artifact_bucket(declaration: Mapping[str, Any], region: str) -> str:
    """The artifact store's bucket: `artifactStore.location`, or the Region's entry of `artifactStores`."""
    store = declaration.get("artifactStore") or (declaration.get("artifactStores") or {}).get(region) or {}
    return str(store.get("location") or "")


def artifact_key(pipeline: str, artifact: str, execution_id: str, action: str) -> str:
    """AWS's shape of an artifact key, `<pipeline[:20]>/<artifact[:20]>/<7 characters>`; the last part is
    derived from the execution and action, so a resumed action writes the same object again."""
    suffix = hashlib.sha256(f"{execution_id}/{action}".encode()).hexdigest()[:7]
    return f"{pipeline[:20]}/{artifact[:20]}/{suffix}"


@dataclass
class _Decider:
    """The UseConnection decisions of one action, as the role's session; kept for the audit line."""

    call: Call
    connection: Connection
    tags: Mapping[str, str]
    owner: str
    repository: str
    branch: str
    role_arn: str
    details: dict[int, dict[str, str]]

    def use(self, action: ProviderAction) -> None:
        prefix = self.call.service
        context = {f"{prefix}:ProviderAction": action.value,
                   f"{prefix}:ProviderPermissionsRequired": action.permissions_required,
                   f"{prefix}:FullRepositoryId": f"{self.owner}/{self.repository}", f"{prefix}:OwnerId": self.owner,
                   f"{prefix}:RepositoryName": self.repository, f"{prefix}:BranchName": self.branch}
        self.details[len(self.call.decisions)] = {"providerAction": action.value,
                                                   "repository": f"{self.owner}/{self.repository}",
                                                   "branch": self.branch}
        try:
            self.call.authorize("UseConnection", self.connection.arn, context=context, resource_tags=self.tags)
        except AccessDenied as denied:
            raise ActionFailed(f"{denied.message} (ProviderAction {action.value}, as the pipeline's role "
                               f"{self.role_arn})", code="AccessDeniedException") from None


def _connection(runtime: Runtime, account: str, arn: str) -> tuple[Connection, dict[str, str]]:
    parsed = parse_arn(arn)
    if parsed is None or parsed.resource_type != CONNECTION.arn_type:
        raise ActionFailed(f"ConnectionArn {arn} is not a connection ARN.", code="ConfigurationError")
    with runtime.store.read(account) as reader:
        record = reader.get_by_arn(arn)
        if record is None or record.kind != CONNECTION.kind:
            # the ARN's other prefix names the same connection
            record = reader.get(CONNECTION.kind, parsed.resource_id)
        if record is None or record.account_id != account:
            raise ActionFailed(f"Connection {arn} does not exist.", code="ConfigurationError")
        return Connection.from_record(record), reader.tags(record.arn)


def run_source_action(runtime: Runtime, execution: Execution, run: ActionRun, session: Caller,
                      scope: ActionScope, output_names: tuple[str, ...]) -> SourceOutcome:
    """Fetch the source as `session`; ActionFailed with AWS's kind of message when anything refuses."""
    config = run.configuration
    arn, full_id, branch = config.get("ConnectionArn"), config.get("FullRepositoryId"), config.get("BranchName")
    if not arn or not full_id or "/" not in str(full_id) or not branch:
        raise ActionFailed("The action's configuration needs ConnectionArn, FullRepositoryId (owner/name) and "
                           "BranchName.", code="ConfigurationError")
    owner, _, repository = str(full_id).partition("/")
    output_format = str(config.get("OutputArtifactFormat") or CODE_ZIP)
    if output_format not in (CODE_ZIP, CODEBUILD_CLONE_REF):
        raise ActionFailed(f"OutputArtifactFormat {output_format} is not CODE_ZIP or CODEBUILD_CLONE_REF.",
                           code="ConfigurationError")
    connection, tags = _connection(runtime, execution.account_id, str(arn))
    prefix = parse_arn(str(arn)).service  # type: ignore[union-attr]  # checked by _connection
    call = service_call(runtime, session, service=prefix, operation="UseConnection", region=connection.region,
                        now=runtime.clock())
    decider = _Decider(call, replace(connection, arn=str(arn)), tags, owner, repository, str(branch),
                       str(execution.declaration.get("roleArn")), {})
    error: str | None = None
    try:
        return _fetch(runtime, execution, run, decider, connection, output_format, output_names)
    except ActionFailed as failed:
        error = failed.code
        raise
    except ServiceError as failed:  # the connection is not AVAILABLE, its credential was refused, throttled
        error = failed.code
        raise ActionFailed(f"{failed.code}: {failed.message}", code=failed.code) from None
    finally:
        runtime.log.record(call, scope, decider.details, error)


def _fetch(runtime: Runtime, execution: Execution, run: ActionRun, decider: _Decider, connection: Connection,
           output_format: str, output_names: tuple[str, ...]) -> SourceOutcome:
    call, owner, repository, branch = decider.call, decider.owner, decider.repository, decider.branch
    override = execution.override_for(run.action)
    if override is not None:
        commit = override.revision_value
    else:
        decider.use(ProviderAction.GET_BRANCH)
        commit = through_connection(call, runtime.providers, connection,
                                    lambda provider, credential: provider.get_branch(
                                        credential, owner, repository, branch)).commit
    bucket = artifact_bucket(execution.declaration, execution.region)
    outputs: list[OutputArtifact] = []
    with tempfile.TemporaryDirectory(prefix="codeconn-source-") as scratch:
        produced = Path(scratch) / "artifact.zip"
        if output_format == CODE_ZIP:
            decider.use(ProviderAction.START_UPLOAD_ARCHIVE_TO_S3)
            through_connection(call, runtime.providers, connection,
                               lambda provider, credential: provider.archive(
                                   credential, owner, repository, commit, produced))
            decider.use(ProviderAction.GET_UPLOAD_ARCHIVE_TO_S3_STATUS)
        else:
            decider.use(ProviderAction.GIT_PULL)
            remote = through_connection(call, runtime.providers, connection,
                                        lambda provider, credential: provider.git_remote(
                                            credential, owner, repository))
            _clone_reference(produced, decider, commit, remote.url if remote.local_path is None else None)
        for name in output_names:
            location = ArtifactLocation(bucket, artifact_key(execution.pipeline_name, name, execution.execution_id,
                                                             run.action))
            runtime.artifacts.put(location, produced)
            outputs.append(OutputArtifact(name, location.bucket, location.key))
    full_id = f"{owner}/{repository}"
    summary = f"{full_id} {branch} at {commit}"
    revision = Revision(run.action, output_names[0] if output_names else "", commit,
                        json.dumps({"ProviderType": connection.provider_type, "FullRepositoryId": full_id,
                                    "BranchName": branch, "CommitId": commit}), None, runtime.clock())
    return SourceOutcome(tuple(outputs), revision, summary)


def _clone_reference(destination: Path, decider: _Decider, commit: str, url: str | None) -> None:
    """CODEBUILD_CLONE_REF's artifact: a zip with one JSON file saying what to clone, through what, at what commit."""
    connection = decider.connection
    reference = {"ConnectionArn": connection.arn, "FullRepositoryId": f"{decider.owner}/{decider.repository}",
                 "BranchName": decider.branch, "CommitId": commit,
                 "GitPath": f"/git/{connection.id}/{decider.owner}/{decider.repository}.git",
                 **({"ProviderUrl": url} if url else {})}
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CLONE_REF_FILE, json.dumps(reference, indent=2) + "\n")


def succeeded(run: ActionRun, outcome: SourceOutcome, now: Any) -> ActionRun:
    return replace(run, status=ActionStatus.SUCCEEDED, updated=now, outputs=outcome.outputs,
                   summary=outcome.summary, variables={"CommitId": outcome.revision.revision_id,
                                                       "BranchName": str(run.configuration.get("BranchName")),
                                                       "FullRepositoryId": str(run.configuration.get(
                                                           "FullRepositoryId")),
                                                       "ConnectionArn": str(run.configuration.get("ConnectionArn"))})


__all__ = [
    "CODEBUILD_CLONE_REF",
    "CODE_ZIP",
    "ActionFailed",
    "SourceOutcome",
    "artifact_bucket",
    "artifact_key",
    "run_source_action",
    "succeeded",
]
