"""STS operations: AssumeRole, GetCallerIdentity."""

from __future__ import annotations

from codeconn.service.registry import Registry


def register(registry: Registry) -> None:
    """Add the STS operations to `registry`."""
