"""Every operation of both models is answered, by the same handler on both endpoints."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest
from connections_env import SERVICES

from codeconn.service import connections
from codeconn.service.connections.resources import TagsChanged
from codeconn.service.operations import build_registry
from codeconn.service.registry import Registry


@pytest.mark.parametrize("service", SERVICES)
def test_every_model_operation_is_registered(service: str) -> None:
    model = botocore.session.get_session().get_service_model(service)
    registry = Registry()
    connections.register(registry)
    assert registry.names(service) == sorted(model.operation_names)
    assert len(registry.names(service)) == 27


def test_both_endpoints_share_one_handler_per_operation() -> None:
    registry = build_registry()
    for name, handler in connections.OPERATIONS.items():
        registered = registry.get("codestar-connections", name)
        assert registered is registry.get("codeconnections", name)
        assert registered.__wrapped__ is handler  # type: ignore[union-attr]


def test_public_names_are_complete() -> None:
    modules = [connections.connections, connections.hosts, connections.repository_links,
               connections.sync_configurations, connections.sync_status, connections.tags]
    for module in modules:
        handlers = {name for name in vars(module) if callable(vars(module)[name]) and not name.startswith("_")
                    and getattr(vars(module)[name], "__module__", None) == module.__name__}
        assert handlers <= set(module.__all__), module.__name__


def test_a_call_whose_tags_changed_under_it_runs_again_with_fresh_decisions() -> None:
    runs: list[int] = []
    call = SimpleNamespace(decisions=[])

    def racing(call: Any, params: dict[str, Any]) -> dict[str, Any]:
        runs.append(len(runs))
        call.decisions.append(f"decision {len(runs)}")
        if len(runs) < connections.ATTEMPTS:
            raise TagsChanged("tags changed")
        return {"ok": True}

    assert connections.retrying(racing)(call, {}) == {"ok": True}
    assert len(runs) == connections.ATTEMPTS and call.decisions == [f"decision {connections.ATTEMPTS}"]

    def always(call: Any, params: dict[str, Any]) -> dict[str, Any]:
        raise TagsChanged("tags changed")

    with pytest.raises(TagsChanged):
        connections.retrying(always)(call, {})
