"""Issue 7, item 4: the audit log is bounded: each value capped (saying so), the file rotated by size.

An unsigned CreateConnection with a 5 MiB name added 5 MiB to audit.jsonl; a
fuzzing run grew it to 186 MB.
"""

from __future__ import annotations

import json
from pathlib import Path

from hardening_wire import CODECONNECTIONS_TARGET, aws_error, json_call, send
from real_server import real_server
from typer.testing import CliRunner

from codeconn.cli import app
from codeconn.server.audit import MAX_VALUE_CHARS, read_audit
from codeconn.wire.limits import BODY_LIMITS


def test_a_huge_name_is_recorded_capped_with_a_marker(tmp_path: Path) -> None:
    name = "n" * (BODY_LIMITS["json"] - 100)
    with real_server(tmp_path / "data") as server:
        for sign in (False, True):
            response = send(json_call(server.url, f"{CODECONNECTIONS_TARGET}.CreateConnection",
                                      {"ConnectionName": name, "ProviderType": "GitHub"}, sign=sign))
            assert response.status_code == 400, response.text[:200]
            assert aws_error(response) in ("MissingAuthenticationTokenException", "ValidationException")
        audit = server.config.audit_path
        lines = audit.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    for line in lines:
        assert len(line.encode()) < 8 * MAX_VALUE_CHARS
        recorded = json.loads(line)["requestParameters"]["ConnectionName"]
        assert recorded.startswith("n" * MAX_VALUE_CHARS)
        assert recorded.endswith(f"[truncated: {len(name)} characters in all]")


def test_the_log_rotates_by_size_and_codeconn_audit_reads_every_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with real_server(data, audit_max_bytes=4096, audit_keep=2) as server:
        for _ in range(60):
            send(json_call(server.url, f"{CODECONNECTIONS_TARGET}.ListConnections", {}))
        audit = server.config.audit_path
    files = sorted(path.name for path in data.glob("audit.jsonl*"))
    assert files == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    for name in files:
        assert (data / name).stat().st_size <= 4096
    kept = sum(len((data / name).read_text().splitlines()) for name in files)
    assert 0 < kept < 60  # the oldest went with the files past --audit-keep
    assert len(read_audit(audit).records) == kept
    result = CliRunner().invoke(app, ["audit", "--data-dir", str(data), "--json"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == kept
    times = [json.loads(line)["time"] for line in result.stdout.splitlines()]
    assert times == sorted(times)  # oldest file first
