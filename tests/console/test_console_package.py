"""The console's templates and static files ship with the package, and each route has its template."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from codeconn.console import routes

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "codeconn" / "console"


def test_package_data_covers_every_template_and_static_file() -> None:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "codeconn.console"]
    shipped = [p.relative_to(CONSOLE).as_posix() for folder in ("templates", "static")
               for p in (CONSOLE / folder).iterdir()]
    assert shipped and all(any(fnmatch(name, glob) for glob in globs) for name in shipped), shipped


def test_the_static_table_names_exactly_the_static_files() -> None:
    assert set(routes.STATIC) == {p.name for p in (CONSOLE / "static").iterdir()}


def test_templates_have_no_inline_script_or_style() -> None:
    for template in (CONSOLE / "templates").glob("*.html"):
        text = template.read_text()
        assert "<script" not in text and "<style" not in text and " style=" not in text, template.name
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, template.name
