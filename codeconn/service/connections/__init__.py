"""CodeStar Connections / CodeConnections operations."""

from __future__ import annotations

from codeconn.service.registry import Registry


def register(registry: Registry) -> None:
    """Add the connections operations (both endpoints) to `registry`."""
