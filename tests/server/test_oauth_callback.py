"""`GET /oauth/callback`: shows the code and State (escaped, never cached), or the provider's error.

A provider's redirect is a cross-site navigation, so this one GET passes the
cross-site check (the Host check still applies); every other path still refuses
cross-site requests.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from server_harness import live_server


def test_the_callback_shows_code_and_state_and_only_it_accepts_cross_site_navigation(tmp_path: Path) -> None:
    cross_site = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    with live_server(tmp_path) as server:
        page = httpx.get(f"{server.url}/oauth/callback", params={"code": "abc<script>", "state": "s" * 43},
                         headers=cross_site)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "abc&lt;script&gt;" in page.text and "<script>" not in page.text and "s" * 43 in page.text
        refused = httpx.get(f"{server.url}/oauth/callback", params={"error": "access_denied",
                                                                    "error_description": "The user denied"})
        assert refused.status_code == 400 and "access_denied" in refused.text
        assert httpx.get(f"{server.url}/oauth/callback").status_code == 400
        foreign = httpx.get(f"{server.url}/oauth/callback", params={"code": "c", "state": "s"},
                            headers={**cross_site, "Host": "evil.example"})
        assert foreign.status_code == 403
        elsewhere = httpx.get(f"{server.url}/_codeconn/health", headers=cross_site)
        assert elsewhere.status_code == 403
