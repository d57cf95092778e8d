"""The audit log: every call the edge answers, as one JSON line, and the means to read it back.

A line records who called (principal, key, address), what (service, operation,
the IAM action and its resource, the request parameters with secrets removed),
every authorization decided during the call (a CreateRepositoryLink that also
checks PassConnection lists both, with the statements that decided) and how it
ended (HTTP status, error code). Calls that never reached a decision (a bad
signature, an unknown key) are written too, with no principal. Keys are
camelCase, as CloudTrail spells its own.

Writers share one file descriptor opened O_APPEND and write whole lines with
one `write(2)` under a lock, so lines from the server's worker threads never
interleave (and neither do lines from processes appending to the same file).
A line is in the file when `write` returns (nothing is buffered in the process,
so SIGTERM or SIGKILL loses no answered call's line); no write is fsynced.

The log is bounded (issue 7): each recorded value is capped (`bounded`: a string
past `MAX_VALUE_CHARS`, a list or map past `MAX_ITEMS`, say so in the value;
lone surrogates become `?`), and
a log about to pass `max_bytes` is rotated: `audit.jsonl` becomes `audit.jsonl.1`,
`.1` becomes `.2`, ..., keeping `keep` older files. `read_audit` reads them all,
oldest first. (Rotation is per process: replicas sharing one data directory
should each have their own log.)
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self

import orjson

DECISIONS = ("allowed", "explicitDeny", "implicitDeny")
MAX_VALUE_CHARS = 1024
MAX_ITEMS = 100
MAX_NESTING = 12
TRUNCATED = "...[truncated: {} characters in all]"
# What json.dumps(default=str) writes as str(value), orjson must too (a datetime as "2026-01-02 03:04:05+00:00").
_ORJSON_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _plain(text: str) -> bool:
    """Whether a string needs nothing done: short enough, and ASCII (so no lone surrogate)."""
    return len(text) <= MAX_VALUE_CHARS and text.isascii()


def bounded(value: Any, depth: int = 0) -> Any:
    """`value` with every string, list and map capped, saying where; lone surrogates become `?`.

    What a caller sent is recorded, but never more than a few kilobytes of it: an
    unsigned request with a 5 MiB name adds a line of about 1 KB. Every call's line
    goes through here, so the usual types are told apart by exact type first (an
    isinstance test against `Mapping` costs more than the rest of a string's work).
    """
    kind = type(value)
    if kind is str:
        if _plain(value):  # most values: nothing to cap or replace
            return value
        text = value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + TRUNCATED.format(len(value))
        return text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes "?"
    if value is None or kind is bool or kind is int or kind is float:
        return value
    if isinstance(value, str):  # a str subclass
        return bounded(str(value), depth)
    mapping = kind is dict or isinstance(value, Mapping)
    sequence = not mapping and (kind is list or kind is tuple or isinstance(value, (list, tuple)))
    if not mapping and not sequence:  # bool/int/float subclasses, and what json.dumps turns into text
        return value
    if depth >= MAX_NESTING:
        return "...[truncated: nested too deep]"
    if mapping:
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index == MAX_ITEMS:
                out["..."] = f"[truncated: {len(value)} entries in all]"
                break
            if type(key) is not str or not _plain(key):
                key = bounded(key if type(key) is str else str(key), depth + 1)
            out[key] = item if item is None or (type(item) is str and _plain(item)) else bounded(item, depth + 1)
        return out
    shown = [item if type(item) is str and _plain(item) else bounded(item, depth + 1) for item in value[:MAX_ITEMS]]
    return shown + ([f"...[truncated: {len(value)} items in all]"] if len(value) > MAX_ITEMS else [])


@dataclass(frozen=True)
class AuditDecision:
    """One authorization decided during a call; `enforced` is False when --iam audit let a denial through."""

    action: str
    resource: str
    decision: str
    enforced: bool = True
    matched_statements: tuple[Mapping[str, Any], ...] = ()
    near_misses: tuple[Mapping[str, Any], ...] = ()  # an implicit deny's nearly matching statements
    # A UseConnection of the git endpoint: what it was for (the connection is `resource`).
    provider_action: str | None = None
    repository: str | None = None  # FullRepositoryId
    branch: str | None = None  # BranchName (a push's ref: the branch's or the tag's name)
    # A PassConnection of CreatePipeline / UpdatePipeline, or a UseConnection of the pipeline worker:
    pipeline: str | None = None  # the pipeline's name
    execution_id: str | None = None  # pipelineExecutionId
    action_name: str | None = None  # the pipeline action the connection is passed to or used by

    @property
    def missing_context_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(key for miss in self.near_misses for key in miss.get("missingContextKeys", ())))

    def to_json(self) -> dict[str, Any]:
        out = {"action": self.action, "resource": self.resource, "decision": self.decision,
               "enforced": self.enforced, "matchedStatements": [dict(m) for m in self.matched_statements]}
        if self.near_misses:
            out["missingContextKeys"] = list(self.missing_context_keys)
            out["nearMisses"] = [dict(m) for m in self.near_misses]
        for name, value in (("providerAction", self.provider_action), ("repository", self.repository),
                            ("branch", self.branch), ("pipeline", self.pipeline),
                            ("pipelineExecutionId", self.execution_id), ("actionName", self.action_name)):
            if value is not None:
                out[name] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuditDecision:
        return cls(str(data.get("action", "")), str(data.get("resource", "")), str(data.get("decision", "")),
                   bool(data.get("enforced", True)), tuple(data.get("matchedStatements") or ()),
                   tuple(data.get("nearMisses") or ()), data.get("providerAction"), data.get("repository"),
                   data.get("branch"), data.get("pipeline"), data.get("pipelineExecutionId"), data.get("actionName"))


PIPELINE_DETAILS = {"pipeline": "pipeline", "pipelineExecutionId": "execution_id", "actionName": "action_name"}
"""`Call.decision_details` keys -> AuditDecision fields."""


def pipeline_details(details: Mapping[str, str]) -> dict[str, str]:
    """A decision's `Call.decision_details` as AuditDecision keyword arguments (unknown keys are dropped)."""
    return {PIPELINE_DETAILS[key]: value for key, value in details.items() if key in PIPELINE_DETAILS}


@dataclass(frozen=True)
class AuditRecord:
    """One call as the audit log keeps it."""

    time: str
    request_id: str
    status: int
    service: str | None = None
    operation: str | None = None
    action: str | None = None
    resource: str | None = None
    principal: str | None = None
    account_id: str | None = None
    access_key_id: str | None = None
    region: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    request_parameters: Mapping[str, Any] | None = None
    decisions: tuple[AuditDecision, ...] = ()
    error_code: str | None = None

    @property
    def decision(self) -> str | None:
        """The call's outcome in IAM's words: any explicit deny, else any implicit deny, else allowed.

        None when no decision was reached (the call failed before authorization).
        """
        found = {d.decision for d in self.decisions}
        return next((name for name in ("explicitDeny", "implicitDeny", "allowed") if name in found), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time, "requestId": self.request_id, "service": self.service, "operation": self.operation,
            "action": self.action, "resource": self.resource, "principal": self.principal,
            "accountId": self.account_id, "accessKeyId": self.access_key_id, "region": self.region,
            "sourceIp": self.source_ip, "userAgent": self.user_agent,
            "requestParameters": self.request_parameters, "decision": self.decision,
            "decisions": [d.to_json() for d in self.decisions], "errorCode": self.error_code,
            "status": self.status,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuditRecord:
        """Read a line back; missing keys (an older line) become None."""
        return cls(
            time=str(data.get("time", "")), request_id=str(data.get("requestId", "")),
            status=int(data.get("status") or 0), service=data.get("service"), operation=data.get("operation"),
            action=data.get("action"), resource=data.get("resource"), principal=data.get("principal"),
            account_id=data.get("accountId"), access_key_id=data.get("accessKeyId"), region=data.get("region"),
            source_ip=data.get("sourceIp"), user_agent=data.get("userAgent"),
            request_parameters=data.get("requestParameters"),
            decisions=tuple(AuditDecision.from_json(d) for d in data.get("decisions") or ()),
            error_code=data.get("errorCode"),
        )

    def to_line(self) -> str:
        """The record as one bounded JSON line (`bounded`): the form the log keeps."""
        return self.to_bytes().decode("utf-8")

    def to_bytes(self) -> bytes:
        """`to_line`, UTF-8 encoded: written by orjson (7 of a GetConnection's 8 us of JSON, issue 13),
        or by the json module for what orjson refuses (an integer past 64 bits), to the same text."""
        document = bounded(self.to_json())
        try:
            return orjson.dumps(document, default=str, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError:
            return (json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str) + "\n").encode()


class AuditSink(Protocol):
    """Where the edge sends one record per call."""

    def write(self, record: AuditRecord) -> None: ...


DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_KEEP = 5


class AuditLog:
    """Appends records to a JSON-lines file (created 0600, parents created), one write per line.

    Past `max_bytes` the file is rotated, keeping `keep` older ones (`rotated_paths`).
    """

    def __init__(self, path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES, keep: int = DEFAULT_KEEP) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.keep = keep
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # the file: writing, rotating, closing
        self._queue_lock = threading.Lock()  # the lines waiting for the next writer
        self._queue: list[bytes] = []
        self._fd: int | None = None
        self._size = 0
        self._open()

    def _open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._size = os.fstat(self._fd).st_size

    def write(self, record: AuditRecord) -> None:
        """Append the record's line; it is in the file (not fsynced: the OS has it) when this returns.

        Group commit: a line waits in a queue while another thread writes, and whoever
        takes the file lock next writes every queued line, so under load one write(2)
        carries many lines and threads wait on the file lock far less (issue 13).
        """
        data = record.to_bytes()
        with self._queue_lock:
            self._queue.append(data)
        with self._lock:
            if self._fd is None:
                raise ValueError(f"the audit log {self.path} is closed")
            with self._queue_lock:
                lines, self._queue = self._queue, []
            if lines:  # else a thread before us wrote our line with its own
                self._append(lines)

    def _append(self, lines: list[bytes]) -> None:
        """Write `lines` in as few writes as rotation allows (each write(2) holds whole lines)."""
        batch: list[bytes] = []
        size = self._size
        for line in lines:
            if size and size + len(line) > self.max_bytes:
                self._write_out(batch)
                batch = []
                self._rotate()
                size = self._size
            batch.append(line)
            size += len(line)
        self._write_out(batch)

    def _write_out(self, batch: list[bytes]) -> None:
        if not batch:
            return
        assert self._fd is not None
        data = b"".join(batch)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._size += len(data)

    def _rotate(self) -> None:
        """audit.jsonl -> .1 -> .2 ... -> .keep (the oldest dropped); a new empty audit.jsonl."""
        assert self._fd is not None
        os.close(self._fd)
        self._fd = None
        paths = rotated_paths(self.path, self.keep)
        paths[-1].unlink(missing_ok=True)
        for older, newer in zip(reversed(paths), reversed(paths[:-1]), strict=False):
            if newer.exists():
                newer.rename(older)
        self.path.rename(paths[0])
        self._open()

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass
class MemoryAudit:
    """The in-memory twin of `AuditLog`, for tests."""

    records: list[AuditRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def write(self, record: AuditRecord) -> None:
        with self._lock:
            self.records.append(record)


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditReading:
    """The records of a log, and how many lines could not be read (a line cut short by a crash)."""

    records: tuple[AuditRecord, ...]
    unreadable: int = 0


def rotated_paths(path: Path | str, keep: int) -> list[Path]:
    """The rotated files of the log at `path`, newest first: `audit.jsonl.1` ... `audit.jsonl.<keep>`."""
    base = Path(path)
    return [base.with_name(f"{base.name}.{number}") for number in range(1, keep + 1)]


def read_audit(path: Path | str) -> AuditReading:
    """Every record in the log at `path` and its rotated files, oldest first; FileNotFoundError when there is none."""
    base = Path(path)
    rotated = sorted((p for p in base.parent.glob(f"{base.name}.*") if p.suffix[1:].isdigit()),
                     key=lambda p: int(p.suffix[1:]), reverse=True)
    files = [p for p in [*rotated, base] if p.exists()]
    if not files:
        raise FileNotFoundError(str(base))
    records, unreadable = [], 0
    for file in files:
        with open(file, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    records.append(AuditRecord.from_json(data))
                except (ValueError, TypeError, AttributeError):
                    unreadable += 1
    return AuditReading(tuple(records), unreadable)


def _wildcard(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    """IAM-style wildcards: `*` any run of characters, `?` one character."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


@dataclass(frozen=True)
class AuditFilter:
    """Which records `codeconn audit` shows; every filter given must hold.

    `principal` and `action` take IAM wildcards (actions ignore case, as IAM does).
    `decision` alone is the call's overall decision. With `action`, a record fits
    when its own action, or one of its decided actions, fits `action` and has that
    decision: `--action '*:PassConnection' --decision explicitDeny` finds the calls
    whose PassConnection was denied, whatever else they decided.
    """

    principal: str | None = None
    action: str | None = None
    decision: str | None = None
    connection: str | None = None
    repository: str | None = None
    branch: str | None = None
    provider_action: str | None = None
    pipeline: str | None = None
    execution: str | None = None

    def __post_init__(self) -> None:
        if self.decision is not None and self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {self.decision!r}")

    def matches(self, record: AuditRecord) -> bool:
        if self.principal is not None:
            pattern = _wildcard(self.principal, ignore_case=False)
            if record.principal is None or not pattern.fullmatch(record.principal):
                return False
        if (self.connection, self.repository, self.branch, self.provider_action, self.pipeline,
                self.execution) != (None,) * 6:
            return any(self._use_fits(d) for d in record.decisions)
        if self.action is None and self.decision is None:
            return True
        action = _wildcard(self.action, ignore_case=True) if self.action is not None else None
        rows = [(record.action, record.decision)]
        if action is not None:
            rows.extend((d.action, d.decision) for d in record.decisions)
        return any((action is None or (name is not None and action.fullmatch(name)))
                   and (self.decision is None or decided == self.decision) for name, decided in rows)

    def _use_fits(self, decided: AuditDecision) -> bool:
        """Whether one decision fits the UseConnection and pipeline filters (and the action and decision, if given)."""
        if self.connection is not None:
            pattern = _wildcard(self.connection, ignore_case=False)
            if not (pattern.fullmatch(decided.resource) or pattern.fullmatch(decided.resource.rsplit("/", 1)[-1])):
                return False
        for wanted, value, ignore_case in ((self.repository, decided.repository, True),
                                           (self.branch, decided.branch, False),
                                           (self.provider_action, decided.provider_action, True),
                                           (self.pipeline, decided.pipeline, False),
                                           (self.execution, decided.execution_id, True),
                                           (self.action, decided.action, True)):
            if wanted is not None and (value is None or not _wildcard(wanted, ignore_case=ignore_case).fullmatch(value)):
                return False
        return self.decision is None or decided.decision == self.decision

    def select(self, records: Iterable[AuditRecord]) -> Iterator[AuditRecord]:
        return (record for record in records if self.matches(record))


def tail(records: Sequence[AuditRecord], count: int | None) -> Sequence[AuditRecord]:
    """The last `count` records (all of them for None)."""
    return records if count is None else records[max(0, len(records) - count):]


__all__ = [
    "DECISIONS",
    "DEFAULT_KEEP",
    "DEFAULT_MAX_BYTES",
    "MAX_ITEMS",
    "MAX_NESTING",
    "MAX_VALUE_CHARS",
    "TRUNCATED",
    "AuditDecision",
    "AuditFilter",
    "AuditLog",
    "AuditReading",
    "AuditRecord",
    "AuditSink",
    "MemoryAudit",
    "PIPELINE_DETAILS",
    "bounded",
    "pipeline_details",
    "read_audit",
    "rotated_paths",
    "tail",
]
