"""`codeconn policy lint`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the command to the `policy` group (placeholder until implemented)."""
