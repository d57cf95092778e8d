"""Pipelines: ListPipelines, and one pipeline (GetPipeline) with its stages and actions.

Executions and their source revisions are served by another part (issue 11 part B).
Their one place here is `executions_of` and the `executions` block of
pipeline.html: once ListPipelineExecutions exists, `executions_of` runs it as the
signed-in principal (as every page does) and returns its `pipelineExecutionSummaries`
(each with `sourceRevisions`); the block already lists them. Until then it returns
None and the page says executions are not served yet.
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


def executions_of(page: Page, name: str) -> list[dict[str, Any]] | None:
    """The pipeline's executions with their source revisions; None while executions are not served.

    To fill in (issue 11 part B): `page.run(SERVICE, "ListPipelineExecutions",
    {"pipelineName": name}).get("pipelineExecutionSummaries", [])`.
    """
    if page.web.parts.registry.get(SERVICE, "ListPipelineExecutions") is None:
        return None
    answer = page.run(SERVICE, "ListPipelineExecutions", {"pipelineName": name})
    summaries: list[dict[str, Any]] = answer.get("pipelineExecutionSummaries", [])
    return summaries


__all__ = ["SERVICE", "executions_of", "pipeline", "pipelines"]
