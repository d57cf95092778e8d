"""Durability: `codeconn serve` killed with SIGKILL mid-write loses no acknowledged write.

Writers create IAM users as fast as the server answers; the process is killed
with SIGKILL while they write; every user whose CreateUser was answered 200 must
exist after a restart on the same data directory, and SQLite's
`PRAGMA integrity_check` must say ok. Three rounds on one data directory.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from serve_process import serve

from codeconn.store.engines import DEFAULT_SQLITE_NAME

pytestmark = pytest.mark.slow

ROUNDS = 3
WRITERS = 4
WRITE_SECONDS = 1.5


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    acknowledged: list[str] = []
    for round_number in range(ROUNDS):
        with serve(data) as server:
            stop = threading.Event()
            lock = threading.Lock()

            def write(writer: int) -> None:
                iam = server.client("iam")
                count = 0
                while not stop.is_set():
                    name = f"r{round_number}-w{writer}-{count}"
                    count += 1
                    try:
                        iam.create_user(UserName=name)
                    except (BotoCoreError, ClientError, ResponseParserError):
                        return  # the server died under the request (maybe mid-answer): not acknowledged
                    with lock:
                        acknowledged.append(name)

            threads = [threading.Thread(target=write, args=(n,), daemon=True) for n in range(WRITERS)]
            for thread in threads:
                thread.start()
            time.sleep(WRITE_SECONDS)
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(30)
            stop.set()
            for thread in threads:
                thread.join(60)
    assert len(acknowledged) > ROUNDS * WRITERS
    with serve(data) as server:
        iam = server.client("iam")
        present = {user["UserName"] for page in iam.get_paginator("list_users").paginate() for user in page["Users"]}
    assert set(acknowledged) <= present
    assert (data / DEFAULT_SQLITE_NAME).is_file()
    with sqlite3.connect(data / DEFAULT_SQLITE_NAME) as database:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
