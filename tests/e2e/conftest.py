"""Fixtures for the end-to-end tests: the throwaway PostgreSQL server (see tests/postgres.py).

Where PostgreSQL binaries are absent its tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

from postgres import postgres_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
