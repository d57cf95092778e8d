"""The health check reads the database for real: a replica whose PostgreSQL is gone reports 503."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from postgres import PostgresUnavailable, start_postgres
from server_fakes import fake_components

from codeconn.server.app import HEALTH_PATH, create_app
from codeconn.server.audit import AuditLog
from codeconn.server.config import ServeConfig
from codeconn.server.runner import serving_in_thread
from codeconn.store.sql import open_store

pytestmark = pytest.mark.slow


def test_health_turns_503_when_postgresql_stops(tmp_path: Path) -> None:
    cluster = start_postgres()  # a cluster of its own, since this test stops it
    try:
        server = cluster.__enter__()
    except PostgresUnavailable as reason:
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    stopped = False
    store = open_store(server.url(server.create_database()))
    components = replace(fake_components(), store=store)
    config = ServeConfig(host="127.0.0.1", port=0, data_dir=tmp_path)
    audit = AuditLog(config.audit_path)
    try:
        app = create_app(config, store=store, secrets=components.secrets, directory=components.directory,
                         authorizer=components.authorizer, registry=components.registry, audit=audit,
                         service_models=components.service_models, iam_catalog=components.iam_catalog)
        with serving_in_thread(app, config.host) as url:
            healthy = httpx.get(url + HEALTH_PATH, timeout=10)
            assert (healthy.status_code, healthy.json()["status"]) == (200, "ok")
            cluster.__exit__(None, None, None)
            stopped = True
            gone = httpx.get(url + HEALTH_PATH, timeout=30)
            assert (gone.status_code, gone.json()["status"]) == (503, "unavailable")
    finally:
        audit.close()
        components.close()
        if not stopped:
            cluster.__exit__(None, None, None)
