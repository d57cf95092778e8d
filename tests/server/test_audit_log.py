"""The audit log: one line per call, every decision, secrets removed, lines never interleaved."""

from __future__ import annotations

import functools
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from server_fakes import (
    CONNECTION_ARN,
    ROOT_ARN,
    SESSION_KEY,
    SESSION_SECRET,
    SESSION_TOKEN,
    USER_ARN,
    USER_KEY,
    USER_SECRET,
)
from server_harness import LiveServer, live_server

from codeconn.server.audit import (
    MAX_ITEMS,
    MAX_NESTING,
    MAX_VALUE_CHARS,
    AuditDecision,
    AuditFilter,
    AuditLog,
    AuditRecord,
    bounded,
    read_audit,
)
from codeconn.service.call import IamMode

PASSWORD = "hunter2-Pa55word!"


def test_every_decision_of_a_call_is_one_line(server: LiveServer) -> None:
    client = server.client("codestar-connections", key=USER_KEY, secret=USER_SECRET)
    with pytest.raises(ClientError) as raised:
        client.create_repository_link(ConnectionArn=CONNECTION_ARN, OwnerId="acme", RepositoryName="api")
    record = server.record(raised.value.response["ResponseMetadata"]["RequestId"])
    assert (record.principal, record.account_id, record.access_key_id) == (USER_ARN, "000000000000", USER_KEY)
    assert (record.action, record.resource) == ("codestar-connections:CreateRepositoryLink", "*")
    assert (record.decision, record.error_code, record.status) == ("explicitDeny", "AccessDeniedException", 400)
    assert [(d.action, d.resource, d.decision) for d in record.decisions] == [
        ("codestar-connections:CreateRepositoryLink", "*", "allowed"),
        ("codestar-connections:PassConnection", CONNECTION_ARN, "explicitDeny"),
    ]
    assert record.decisions[1].matched_statements == (
        {"policy": "alice-policy", "sid": "NoPassing", "effect": "Deny", "kind": "identity"},)
    assert record.request_parameters == {"ConnectionArn": CONNECTION_ARN, "OwnerId": "acme", "RepositoryName": "api"}
    assert record.source_ip == "127.0.0.1" and "Boto3" in (record.user_agent or "")


def test_calls_that_never_reached_a_decision_are_logged(server: LiveServer) -> None:
    client = server.client("codeconnections", key=USER_KEY, secret="not-the-secret")
    with pytest.raises(ClientError) as raised:
        client.list_connections()
    record = server.record(raised.value.response["ResponseMetadata"]["RequestId"])
    assert (record.principal, record.decision, record.decisions) == (None, None, ())
    assert (record.error_code, record.status) == ("InvalidSignatureException", 400)
    assert (record.access_key_id, record.action, record.region) == (
        USER_KEY, "codeconnections:ListConnections", "us-east-1")


def test_successful_calls_are_logged_with_their_status(server: LiveServer) -> None:
    response = server.client("codeconnections").list_connections(ProviderTypeFilter="GitHub")
    record = server.record(response["ResponseMetadata"]["RequestId"])
    assert (record.principal, record.decision, record.error_code, record.status) == (ROOT_ARN, "allowed", None, 200)
    assert record.request_parameters == {"ProviderTypeFilter": "GitHub"}
    assert record.time.endswith("Z") and record.time[:2] == "20"


def test_secrets_never_reach_the_log(server: LiveServer) -> None:
    iam = server.client("iam")
    response = iam.create_login_profile(UserName="alice", Password=PASSWORD, PasswordResetRequired=True)
    record = server.record(response["ResponseMetadata"]["RequestId"])
    assert record.request_parameters == {"UserName": "alice", "Password": "***", "PasswordResetRequired": True}
    sts = server.client("sts", key=SESSION_KEY, secret=SESSION_SECRET, token=SESSION_TOKEN)
    sts.get_caller_identity()
    with pytest.raises(ClientError):
        server.client("iam", key=USER_KEY, secret=USER_SECRET).create_login_profile(UserName="x", Password=PASSWORD)
    text = server.config.audit_path.read_text()
    for secret in (PASSWORD, SESSION_SECRET, SESSION_TOKEN, USER_SECRET):
        assert secret not in text


def test_audit_mode_lets_denials_through_and_logs_them(tmp_path: Path) -> None:
    with live_server(tmp_path, mode=IamMode.AUDIT) as running:
        client = running.client("codestar-connections", key=USER_KEY, secret=USER_SECRET)
        response = client.create_repository_link(ConnectionArn=CONNECTION_ARN, OwnerId="acme", RepositoryName="api")
        record = running.record(response["ResponseMetadata"]["RequestId"])
    assert (record.status, record.error_code, record.decision) == (200, None, "explicitDeny")
    assert [(d.decision, d.enforced) for d in record.decisions] == [("allowed", True), ("explicitDeny", False)]


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    logs = [AuditLog(path), AuditLog(path)]  # two descriptors, as two processes would hold
    big = {"Description": "x" * 20_000}

    def write(writer: int) -> None:
        for index in range(150):
            logs[writer % 2].write(AuditRecord(time="t", request_id=f"{writer}-{index}", status=200,
                                               request_parameters=big))

    threads = [threading.Thread(target=write, args=(writer,)) for writer in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for log in logs:
        log.close()
    reading = read_audit(path)
    assert reading.unreadable == 0
    assert sorted(r.request_id for r in reading.records) == sorted(f"{w}-{i}" for w in range(8) for i in range(150))
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_line_cut_short_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog(path) as log:
        log.write(AuditRecord(time="t", request_id="kept", status=200))
    with open(path, "a") as file:
        file.write('{"time": "t", "requestId": "cut')
    reading = read_audit(path)
    assert ([r.request_id for r in reading.records], reading.unreadable) == (["kept"], 1)


def test_records_read_back_as_written() -> None:
    record = AuditRecord(time="2024-05-17T12:34:56.789Z", request_id="r", status=403, service="iam",
                         operation="CreateUser", action="iam:CreateUser", resource="arn:aws:iam::1:user/x",
                         principal=USER_ARN, request_parameters={"UserName": "x"}, error_code="AccessDenied",
                         decisions=(AuditDecision("iam:CreateUser", "arn:aws:iam::1:user/x", "implicitDeny"),))
    line = record.to_line()
    assert line.endswith("\n") and "\n" not in line[:-1]
    assert json.loads(line)["decision"] == "implicitDeny"
    assert AuditRecord.from_json(json.loads(line)) == record


def _record(principal: str | None, action: str, *decided: tuple[str, str]) -> AuditRecord:
    return AuditRecord(time="t", request_id=action, status=200, principal=principal, action=action,
                       decisions=tuple(AuditDecision(name, "*", decision) for name, decision in decided))


LINK = _record(USER_ARN, "codestar-connections:CreateRepositoryLink",
               ("codestar-connections:CreateRepositoryLink", "allowed"),
               ("codestar-connections:PassConnection", "explicitDeny"))
LIST = _record(ROOT_ARN, "codeconnections:ListConnections", ("codeconnections:ListConnections", "allowed"))
UNSIGNED = _record(None, "iam:GetUser")


@pytest.mark.parametrize(("chosen", "expected"), [
    pytest.param(AuditFilter(), [LINK, LIST, UNSIGNED], id="no filter keeps all"),
    pytest.param(AuditFilter(principal=USER_ARN), [LINK], id="principal exact"),
    pytest.param(AuditFilter(principal="arn:aws:iam::000000000000:*"), [LINK, LIST], id="principal wildcard"),
    pytest.param(AuditFilter(action="codeconnections:*"), [LIST], id="action wildcard"),
    pytest.param(AuditFilter(action="*:passconnection"), [LINK], id="actions ignore case; decisions count"),
    pytest.param(AuditFilter(action="IAM:GetUser"), [UNSIGNED], id="the call's own action without decisions"),
    pytest.param(AuditFilter(decision="explicitDeny"), [LINK], id="overall decision"),
    pytest.param(AuditFilter(decision="allowed"), [LIST], id="alone, the decision is the call's"),
    pytest.param(AuditFilter(action="*:CreateRepositoryLink", decision="allowed"), [LINK],
                 id="action and decision from the same decision"),
    pytest.param(AuditFilter(action="*:ListConnections", decision="explicitDeny"), [],
                 id="action and decision must fit together"),
])
def test_filters(chosen: AuditFilter, expected: list[AuditRecord]) -> None:
    assert list(chosen.select([LINK, LIST, UNSIGNED])) == expected


def test_an_unknown_decision_is_refused() -> None:
    with pytest.raises(ValueError, match="decision must be one of"):
        AuditFilter(decision="maybe")


LINE_PARAMETERS = [
    pytest.param({"Name": "ünïcode ✓", "Tags": [{"Key": "k", "Value": "v"}]}, id="unicode, nested"),
    pytest.param({"When": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}, id="a datetime, as str() writes it"),
    pytest.param({"Count": 2**70, "Ratio": 0.5, "On": True, "Off": None}, id="an integer past 64 bits"),
    pytest.param({"Bad": "a\udcffb", "\udcfe": "key"}, id="lone surrogates"),
    pytest.param({"Long": "é" * (MAX_VALUE_CHARS + 5), "Many": list(range(MAX_ITEMS + 3))}, id="capped"),
    pytest.param({"Deep": functools.reduce(lambda inner, _: {"d": inner}, range(MAX_NESTING + 2), {})},
                 id="nested too deep"),
]


@pytest.mark.parametrize("parameters", LINE_PARAMETERS)
def test_a_line_is_the_json_module_would_write_of_the_bounded_record(parameters: dict[str, Any]) -> None:
    """orjson writes the line (`to_bytes`); it must be the text json.dumps gives, whatever was sent."""
    record = AuditRecord(time="t", request_id="r", status=400, request_parameters=parameters)
    expected = json.dumps(bounded(record.to_json()), separators=(",", ":"), ensure_ascii=False, default=str) + "\n"
    assert record.to_bytes() == expected.encode("utf-8")
    assert record.to_line() == expected
    assert json.loads(expected)["requestParameters"] is not None  # a real line, not the fallback's placeholder


def test_bounded_caps_strings_in_keys_lists_and_maps_alike() -> None:
    long = "x" * (MAX_VALUE_CHARS + 1)
    capped = bounded({long: [long, {"k": long}], "ok": ["short", None, 7]})
    marker = f"[truncated: {MAX_VALUE_CHARS + 1} characters in all]"
    (key, (first, inner)), ok = capped.items()
    assert key.endswith(marker) and first.endswith(marker) and inner["k"].endswith(marker)
    assert ok == ("ok", ["short", None, 7])
