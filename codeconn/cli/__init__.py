"""The `codeconn` command: the only place (with the server edge) that touches files and terminals.

`app` (the typer app, `codeconn.cli.commands`) is loaded on first use, not on
import: git runs `codeconn git-credential` for every clone, fetch and push (and
again to `store`), so `main` answers that one from `codeconn.cli.git_credential`
alone, without loading typer, rich or the other commands.
"""

from __future__ import annotations

import sys
from typing import Any

GIT_CREDENTIAL = "git-credential"


def main() -> None:
    if sys.argv[1:2] == [GIT_CREDENTIAL]:
        from codeconn.cli.git_credential import helper_main

        sys.exit(helper_main(sys.argv[2:]))
    from codeconn.cli.commands import app

    app()


def __getattr__(name: str) -> Any:
    if name == "app":
        from codeconn.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
