"""pyproject.toml in the form current setuptools builds without deprecation warnings."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_the_license_is_an_spdx_expression_not_a_table() -> None:
    # PEP 639: `license = {text = ...}` is deprecated by setuptools (builds stop in February 2027).
    assert PYPROJECT["project"]["license"] == "Apache-2.0"


def test_the_build_backend_understands_spdx_license_expressions() -> None:
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]  # the first setuptools with PEP 639
