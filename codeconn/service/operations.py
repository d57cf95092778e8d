"""Every operation the server answers, gathered into one Registry."""

from __future__ import annotations

from codeconn.service import codepipeline, connections, iam, sts
from codeconn.service.registry import Registry


def build_registry(providers: connections.ProviderDirectory | None = None) -> Registry:
    """Every operation; the handshake's too when `providers` says how code hosts are reached."""
    registry = Registry()
    connections.register(registry)
    if providers is not None:
        connections.register_handshake(registry, providers)
    iam.register(registry)
    sts.register(registry)
    codepipeline.register(registry)  # issue 11: pipelines
    return registry
