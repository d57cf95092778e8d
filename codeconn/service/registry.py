"""The table of operations: (service, operation) -> handler.

Both connections endpoints (`codestar-connections`, `codeconnections`) register
the same handlers: a handler learns which one was called from `call.service`,
and makes ARNs and authorizes actions with that prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from codeconn.domain.arns import CONNECTIONS_SERVICES
from codeconn.service.call import Call

Handler = Callable[[Call, dict[str, Any]], dict[str, Any]]


class Registry:
    """Handlers by (service, operation); a missing entry is an error, never a silent pass."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._remote: set[tuple[str, str]] = set()

    def add(self, services: Iterable[str], operation: str, handler: Handler, *, remote: bool = False) -> None:
        """`remote`: the handler reaches outside the process (a code host's API), so its call may wait
        on the network for as long as the host takes; the server never runs it on its event loop."""
        for service in services:
            key = (service, operation)
            if key in self._handlers:
                raise ValueError(f"{service}:{operation} is registered twice")
            self._handlers[key] = handler
            if remote:
                self._remote.add(key)

    def operation(self, services: Iterable[str], name: str) -> Callable[[Handler], Handler]:
        """Decorator form of `add`."""
        services = tuple(services)

        def register(handler: Handler) -> Handler:
            self.add(services, name, handler)
            return handler

        return register

    def get(self, service: str, operation: str) -> Handler | None:
        return self._handlers.get((service, operation))

    def is_remote(self, service: str, operation: str) -> bool:
        return (service, operation) in self._remote

    def names(self, service: str) -> list[str]:
        return sorted(op for (svc, op) in self._handlers if svc == service)


__all__ = ["CONNECTIONS_SERVICES", "Handler", "Registry"]
