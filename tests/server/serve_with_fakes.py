"""`codeconn serve` with the fakes of server_fakes.py in place of the real components.

Run as a script: `python serve_with_fakes.py serve --port 0 ...`. Everything but
`build_components` is the real command: options, checks, banner, uvicorn,
signals, audit log.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from server_fakes import fake_components

components = types.ModuleType("codeconn.server.components")
components.build_components = lambda config: fake_components(config.iam)  # type: ignore[attr-defined]
sys.modules["codeconn.server.components"] = components

from codeconn.cli import main

sys.argv = ["codeconn", *sys.argv[1:]]
main()
