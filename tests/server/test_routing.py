"""Every path a route claims reaches that route; every other path reaches the AWS endpoint directly
(the guard skips the router for those, issue 13): the answers are the router's own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from server_fakes import fake_components
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from codeconn.server.app import HEALTH_PATH, create_app
from codeconn.server.audit import AuditLog
from codeconn.server.config import ServeConfig


async def extra(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"extra {request.path_params['name']}")


def test_routes_keep_their_paths_and_the_rest_is_the_aws_endpoint(tmp_path: Path) -> None:
    config = ServeConfig(host="127.0.0.1", port=0, data_dir=tmp_path)
    components = fake_components()
    audit = AuditLog(config.audit_path)
    app = create_app(config, store=components.store, secrets=components.secrets, directory=components.directory,
                     authorizer=components.authorizer, registry=components.registry, audit=audit,
                     service_models=components.service_models, iam_catalog=components.iam_catalog,
                     routes=[Route("/extra/{name}", extra)])

    async def fetch() -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return {
                "extra": await client.get("/extra/abc"),
                "health": await client.get(HEALTH_PATH),
                "near health": await client.get(HEALTH_PATH + "z"),
                "root": await client.post("/", content=b"{}",
                                          headers={"Content-Type": "application/x-amz-json-1.0"}),
                "console": await client.get("/console/"),
            }

    try:
        answers = asyncio.run(fetch())
    finally:
        audit.close()
        components.close()
    assert answers["extra"].text == "extra abc"
    assert answers["health"].json()["status"] == "ok"
    for name in ("near health", "root"):  # AWS-shaped refusals of an unsigned request, from the edge
        assert answers[name].status_code in (400, 403)
        assert answers[name].headers["x-amzn-requestid"]
    assert answers["console"].status_code in (200, 303) and "x-amzn-requestid" not in answers["console"].headers
