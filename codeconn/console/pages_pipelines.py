"""Pipelines: ListPipelines, and one pipeline (GetPipeline) with its stages, actions and
executions (ListPipelineExecutions, each with the source revisions it ran on).

Each is the API operation, run as the signed-in principal: a principal who may get a
pipeline but not list its executions sees the denial's explanation, as boto3 would.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from codeconn.console.web import Page

SERVICE = "codepipeline"
MAX_PAGES = 20


def pipelines(page: Page) -> Response:
    found: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        answer = page.run(SERVICE, "ListPipelines", {"nextToken": token})
        found.extend(answer.get("pipelines", []))
        token = answer.get("nextToken")
        if not token:
            break
    return page.render("pipelines.html", pipelines=found)


def pipeline(page: Page) -> Response:
    name = page.arg("name")
    answer = page.run(SERVICE, "GetPipeline", {"name": name})
    return page.render("pipeline.html", pipeline=answer.get("pipeline", {}), metadata=answer.get("metadata", {}),
                       executions=executions_of(page, name))


def executions_of(page: Page, name: str) -> list[dict[str, Any]]:
    """The pipeline's latest executions (AWS's first page, newest first) with their source revisions."""
    answer = page.run(SERVICE, "ListPipelineExecutions", {"pipelineName": name})
    summaries: list[dict[str, Any]] = answer.get("pipelineExecutionSummaries", [])
    return summaries


__all__ = ["SERVICE", "executions_of", "pipeline", "pipelines"]
