"""Connection and host statuses, and the moves between them.

A connection is PENDING from creation until its handshake with the provider
completes (AVAILABLE); ERROR when the provider side breaks. A host is PENDING
until it is set up in the console (AVAILABLE). A host with a VPC configuration
first spends VPC_SETUP_TIME in VPC_CONFIG_INITIALIZING while AWS would provision
the network; codeconn has no network to provision, so the status is derived
from the clock (`host_status`): the store keeps when it settles, and every
reader, at any replica, sees the same status at the same time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class ConnectionStatus(StrEnum):
    PENDING = "PENDING"
    AVAILABLE = "AVAILABLE"
    ERROR = "ERROR"


class HostStatus(StrEnum):
    PENDING = "PENDING"
    AVAILABLE = "AVAILABLE"
    VPC_CONFIG_INITIALIZING = "VPC_CONFIG_INITIALIZING"
    VPC_CONFIG_FAILED_INITIALIZATION = "VPC_CONFIG_FAILED_INITIALIZATION"
    VPC_CONFIG_DELETING = "VPC_CONFIG_DELETING"


CONNECTION_MOVES: dict[ConnectionStatus, frozenset[ConnectionStatus]] = {
    ConnectionStatus.PENDING: frozenset({ConnectionStatus.AVAILABLE, ConnectionStatus.ERROR}),
    ConnectionStatus.AVAILABLE: frozenset({ConnectionStatus.ERROR}),
    ConnectionStatus.ERROR: frozenset({ConnectionStatus.AVAILABLE}),
}
"""Where a connection may go from each status (the handshake and the providers move it)."""

HOST_BUSY = frozenset({HostStatus.VPC_CONFIG_INITIALIZING, HostStatus.VPC_CONFIG_DELETING})
"""A host in these statuses can be neither updated nor deleted."""

HOST_USABLE = frozenset({HostStatus.PENDING, HostStatus.AVAILABLE})
"""A connection may be created on a host in these statuses (it stays PENDING until set up)."""

VPC_SETUP_TIME = timedelta(seconds=5)
"""How long a host stays VPC_CONFIG_INITIALIZING after its VPC configuration is set."""


def move_connection(current: str, new: ConnectionStatus) -> ConnectionStatus:
    """`new`, if a connection may move there from `current`; ValueError otherwise."""
    if new not in CONNECTION_MOVES[ConnectionStatus(current)]:
        raise ValueError(f"a connection cannot move from {current} to {new}")
    return new


def host_status(stored: HostStatus, settles_at: datetime | None, now: datetime) -> HostStatus:
    """A host's status at `now`: VPC_CONFIG_INITIALIZING settles into PENDING once its time has come."""
    if stored is HostStatus.VPC_CONFIG_INITIALIZING and settles_at is not None and now >= settles_at:
        return HostStatus.PENDING
    return stored


def vpc_settles_at(now: datetime) -> datetime:
    """When a VPC configuration that starts initializing at `now` is done (the host turns PENDING)."""
    return now + VPC_SETUP_TIME


__all__ = [
    "CONNECTION_MOVES",
    "HOST_BUSY",
    "HOST_USABLE",
    "VPC_SETUP_TIME",
    "ConnectionStatus",
    "HostStatus",
    "host_status",
    "move_connection",
    "vpc_settles_at",
]
