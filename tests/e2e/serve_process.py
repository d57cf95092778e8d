"""`codeconn serve` as a real process on a free loopback port: started, read, always stopped.

(A module of its own, not conftest.py, so that test modules import it by name.)
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@dataclass
class ServeProcess:
    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)
    pending: queue.Queue[str | None] | None = None  # what the server printed after its banner

    def all_output(self) -> str:
        """Everything the server printed, once it has stopped (call `stop` first)."""
        while self.pending is not None:
            line = self.pending.get(timeout=STOP_TIMEOUT)
            if line is None:
                self.pending = None
            else:
                self.output.append(line)
        return "".join(self.output)

    def client(self, service: str, key: str = "test", secret: str = "test", token: str | None = None) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1", aws_access_key_id=key,
                            aws_secret_access_key=secret, aws_session_token=token, config=NO_RETRIES)

    def stop(self) -> int:
        """SIGTERM, as a user's Ctrl+C or a service manager would; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)
            raise AssertionError("codeconn serve did not stop on SIGTERM") from None


@contextmanager
def serve(data_dir: Path, *args: str) -> Iterator[ServeProcess]:
    """`codeconn serve --port 0 --data-dir DATA_DIR ARGS...` until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "codeconn", "serve", "--port", "0", "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    output: list[str] = []
    url = None
    deadline = time.monotonic() + START_TIMEOUT
    try:
        # The banner: where it listens first, and last the line saying how to stop it.
        while not (output and output[-1].startswith("Stop with")):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("codeconn serve did not say where it listens:\n" + "".join(output))
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("codeconn serve exited:\n" + "".join(output))
            output.append(line)
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                url = match.group(1)
        server = ServeProcess(process, url, output, lines)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
