"""Every operation the server answers, gathered into one Registry."""

from __future__ import annotations

from codeconn.service import codepipeline, connections, iam, sts
from codeconn.service.registry import Registry


def build_registry() -> Registry:
    registry = Registry()
    connections.register(registry)
    iam.register(registry)
    sts.register(registry)
    codepipeline.register(registry)  # issue 11: pipelines
    return registry
