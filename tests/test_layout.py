"""The tests' own layout: folders have no __init__.py (siblings import helpers by name), so
two test modules with one basename would collide at collection; keep basenames unique."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).parent


def test_module_basenames_are_unique() -> None:
    names = Counter(p.name for p in TESTS.rglob("*.py") if p.name != "conftest.py")
    assert [name for name, count in names.items() if count > 1] == []
