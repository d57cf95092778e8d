"""git's pkt-line framing, as far as the endpoint reads and writes it itself.

A push (`POST .../git-receive-pack`) begins with its ref update commands, each a
pkt-line `<old-id> SP <new-id> SP <refname>` (the first followed by NUL and the
client's capabilities), ended by a flush-pkt `0000`; the pack follows. The
endpoint reads the commands alone (`read_commands`), decides every ref, and only
then lets the bytes it read, and the rest, reach git. A refused push is answered
as receive-pack itself would answer one (`refusal_report`): `unpack ok`, then
`ng <ref> <reason>` for every ref, with the AccessDenied message on side-band 2
when the client asked for side-band, so that stock git prints it as `remote: ...`
and lists each ref as `[remote rejected]`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
import re
from dataclasses import dataclass

FLUSH = b"0000"
MAX_COMMAND_BYTES = 4 * 1024 * 1024  # the commands of a push: thousands of refs fit; a pack does not belong here
ZERO_ID = "0" * 40
_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256
_SIDEBAND_DATA = 65515  # side-band-64k: 65520 per pkt-line minus length and band


class PktLineError(ValueError):
    """The request is not the pkt-lines git sends."""


@dataclass(frozen=True, slots=True)
class RefUpdate:
    old: str
    new: str
    ref: str

    @property
    def branch_name(self) -> str:
        """codestar-connections:BranchName for this ref: a branch's or a tag's short name, else the full ref."""
        for prefix in ("refs/heads/", "refs/tags/"):
            if self.ref.startswith(prefix):
                return self.ref[len(prefix):]
        return self.ref


@dataclass(frozen=True, slots=True)
class PushCommands:
    updates: tuple[RefUpdate, ...]
    capabilities: frozenset[str]
    raw: bytes  # every byte read, to hand on to git unchanged
    # No updates: git's probe before a large push (a lone flush-pkt, to check the credentials first).


def pkt(data: bytes) -> bytes:
    return b"%04x" % (len(data) + 4) + data


async def read_commands(chunks: AsyncIterator[bytes]) -> tuple[PushCommands, bytes]:
    """The push's commands, and the bytes already read past them (the pack's start)."""
    buffer = b""
    offset = 0
    lines: list[bytes] = []
    iterator = chunks.__aiter__()
    while True:
        while len(buffer) - offset >= 4:
            size = _length(buffer[offset:offset + 4])
            if size == 0:
                offset += 4
                return _commands(lines, buffer[:offset]), buffer[offset:]
            if size < 4:
                raise PktLineError("a push's commands hold no special packets but the flush")
            if len(buffer) - offset < size:
                break
            lines.append(buffer[offset + 4:offset + size])
            offset += size
        if len(buffer) > MAX_COMMAND_BYTES:
            raise PktLineError("the push's commands are too long")
        try:
            buffer += await iterator.__anext__()
        except StopAsyncIteration:
            raise PktLineError("the push ended before its commands did") from None


def _length(header: bytes) -> int:
    try:
        return int(header.decode("ascii"), 16)
    except (UnicodeDecodeError, ValueError):
        raise PktLineError("not a pkt-line length") from None


def _commands(lines: Sequence[bytes], raw: bytes) -> PushCommands:
    updates: list[RefUpdate] = []
    capabilities: frozenset[str] = frozenset()
    for line in lines:
        text, _, caps = line.rstrip(b"\n").partition(b"\0")
        if caps:
            capabilities = frozenset(caps.decode("ascii", "replace").split())
        words = text.decode("utf-8", "replace").split(" ")
        if words[0] == "shallow":
            continue
        if len(words) != 3 or not all(_OBJECT_ID.fullmatch(w) for w in words[:2]) or not words[2].startswith("refs/"):
            raise PktLineError("not a ref update command")
        updates.append(RefUpdate(*words))
    return PushCommands(tuple(updates), capabilities, raw)


def refusal_report(commands: PushCommands, reasons: dict[str, str], message: str) -> bytes:
    """receive-pack's answer refusing every ref: `reasons` per denied ref, the others refused with them."""
    report = pkt(b"unpack ok\n") + b"".join(
        pkt(f"ng {u.ref} {reasons.get(u.ref, 'refused with the rest of the push')}\n".encode())
        for u in commands.updates) + FLUSH
    sideband = "side-band-64k" in commands.capabilities or "side-band" in commands.capabilities
    if not sideband:
        return report
    size = _SIDEBAND_DATA if "side-band-64k" in commands.capabilities else 995
    text = b"".join(f"{line}\n".encode() for line in message.splitlines())
    progress = b"".join(pkt(b"\2" + text[i:i + size]) for i in range(0, len(text), size))
    data = b"".join(pkt(b"\1" + report[i:i + size]) for i in range(0, len(report), size))
    return progress + data + FLUSH


__all__ = ["FLUSH", "PktLineError", "PushCommands", "RefUpdate", "ZERO_ID", "pkt", "read_commands",
           "refusal_report"]
