"""IAM operations (users, groups, roles, policies, access keys, simulation)."""

from __future__ import annotations

from codeconn.service.registry import Registry


def register(registry: Registry) -> None:
    """Add the IAM operations to `registry`."""
