"""A push's ref update commands are read alone, before the pack; a refusal is receive-pack's own report."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from codeconn.server.git_pktline import FLUSH, PktLineError, RefUpdate, pkt, read_commands, refusal_report

OLD, NEW = "1" * 40, "2" * 40


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def _read(data: bytes, size: int = 3) -> tuple[object, bytes]:
    async def run() -> tuple[object, bytes]:
        return await read_commands(_chunks(data, size))
    return anyio.run(run)


def test_commands_are_read_up_to_the_flush_whatever_the_chunking() -> None:
    commands = (pkt(f"{OLD} {NEW} refs/heads/main\0report-status side-band-64k agent=git/2\n".encode())
                + pkt(f"{'0' * 40} {NEW} refs/tags/v1\n".encode()) + FLUSH)
    for size in (1, 3, 1000):
        read, rest = _read(commands + b"PACK....", size)
        assert read.updates == (RefUpdate(OLD, NEW, "refs/heads/main"), RefUpdate("0" * 40, NEW, "refs/tags/v1"))
        assert read.capabilities >= {"report-status", "side-band-64k"}
        assert read.raw + rest == commands + b"PACK...."[:len(read.raw) + len(rest) - len(commands)]
        assert read.raw == commands


def test_a_lone_flush_is_gits_probe_before_a_large_push() -> None:
    read, rest = _read(FLUSH)
    assert read.updates == () and read.raw == FLUSH and rest == b""


def test_branch_name_is_the_branch_or_the_tag_name() -> None:
    assert RefUpdate(OLD, NEW, "refs/heads/feature/x").branch_name == "feature/x"
    assert RefUpdate(OLD, NEW, "refs/tags/v1.0").branch_name == "v1.0"
    assert RefUpdate(OLD, NEW, "refs/notes/commits").branch_name == "refs/notes/commits"


@pytest.mark.parametrize("data", [b"", b"00", b"zzzz", pkt(b"not a command\n") + FLUSH, b"0002"])
def test_what_is_not_a_push_is_refused(data: bytes) -> None:
    with pytest.raises(PktLineError):
        _read(data)


def test_a_refusal_rejects_every_ref_and_carries_the_message_on_band_2() -> None:
    commands, _ = _read(pkt(f"{OLD} {NEW} refs/heads/main\0report-status side-band-64k\n".encode())
                        + pkt(f"{OLD} {NEW} refs/heads/feature/x\n".encode()) + FLUSH)
    report = refusal_report(commands, {"refs/heads/main": "AccessDeniedException"}, "denied: main")  # type: ignore[arg-type]
    assert report.startswith(pkt(b"\2denied: main\n"))
    assert b"ng refs/heads/main AccessDeniedException\n" in report
    assert b"ng refs/heads/feature/x refused with the rest of the push\n" in report
    assert report.endswith(FLUSH)
