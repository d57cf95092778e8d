"""Connection moves and host statuses: the table of moves, and a VPC set-up settling with the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from codeconn.domain.lifecycle import (
    CONNECTION_MOVES,
    HOST_BUSY,
    HOST_USABLE,
    VPC_SETUP_TIME,
    ConnectionStatus,
    HostStatus,
    host_status,
    move_connection,
    vpc_settles_at,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("current", list(ConnectionStatus))
@pytest.mark.parametrize("new", list(ConnectionStatus))
def test_a_connection_moves_only_as_the_table_says(current: ConnectionStatus, new: ConnectionStatus) -> None:
    if new in CONNECTION_MOVES[current]:
        assert move_connection(current.value, new) is new
    else:
        with pytest.raises(ValueError, match=f"from {current} to {new}"):
            move_connection(current.value, new)


def test_a_pending_connection_may_become_available_but_not_stay_pending() -> None:
    assert move_connection("PENDING", ConnectionStatus.AVAILABLE) is ConnectionStatus.AVAILABLE
    with pytest.raises(ValueError):
        move_connection("PENDING", ConnectionStatus.PENDING)


def test_a_vpc_set_up_settles_into_pending_when_its_time_comes() -> None:
    settles = vpc_settles_at(NOW)
    assert settles == NOW + VPC_SETUP_TIME
    initializing = HostStatus.VPC_CONFIG_INITIALIZING
    assert host_status(initializing, settles, NOW) is initializing
    assert host_status(initializing, settles, settles - timedelta(microseconds=1)) is initializing
    assert host_status(initializing, settles, settles) is HostStatus.PENDING
    assert host_status(initializing, None, NOW + timedelta(days=1)) is initializing


@pytest.mark.parametrize("status", [s for s in HostStatus if s is not HostStatus.VPC_CONFIG_INITIALIZING])
def test_other_host_statuses_do_not_move_with_the_clock(status: HostStatus) -> None:
    assert host_status(status, NOW, NOW + timedelta(days=1)) is status


def test_a_busy_host_is_not_usable() -> None:
    assert not HOST_BUSY & HOST_USABLE
