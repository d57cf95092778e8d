"""A real browser for the console's tests: Playwright driving Debian's chromium, never a downloaded one.

`browser(profile_dir)` launches /usr/bin/chromium headless with a fresh profile
and without any of its own network traffic (no sync, no component updates, no
QUIC), so it reaches only the loopback servers a test starts. `shot(page, name)`
writes a full-page screenshot under `test-output/screenshots/` (gitignored): the
test run's output, one PNG per page visited. `pipeline_definition` is the pipeline
the console's tests show (tests/console imports this module too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
TIMEOUT_MS = 30_000


@contextmanager
def browser(profile_dir: Path) -> Iterator[BrowserContext]:
    """Chromium with a fresh user-data-dir until the block ends."""
    assert CHROMIUM.exists(), "Debian's chromium is missing: scripts/test installs it when run as root"
    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1280, "height": 800})
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


INSTALLER_POLICY: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Resource": "*", "Action": [
        "codestar-connections:GetConnection", "codestar-connections:GetIndividualAccessToken",
        "codestar-connections:GetInstallationUrl", "codestar-connections:ListInstallationTargets",
        "codestar-connections:ListTagsForResource", "codeconnections:ListConnections"]},
    {"Sid": "OnlyAcme", "Effect": "Allow", "Action": "codestar-connections:UpdateConnectionInstallation",
     "Resource": "*", "Condition": {"StringEquals": {"codestar-connections:InstallationId": "acme"}}}]}
"""A user who may do every handshake step, but bind a connection to the installation `acme` only."""


def pipeline_definition(connection_arn: str, name: str = "api") -> dict[str, Any]:
    """A two-stage pipeline whose source is `connection_arn` (acme/api, main), as the README's."""
    return {
        "name": name, "roleArn": "arn:aws:iam::000000000000:role/PipelineRole",
        "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [
            {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {
                "category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection", "version": "1"},
                "configuration": {"ConnectionArn": connection_arn, "FullRepositoryId": "acme/api",
                                  "BranchName": "main"},
                "outputArtifacts": [{"name": "SourceOutput"}]}]},
            {"name": "Approve", "actions": [{"name": "Approve", "actionTypeId": {
                "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]}]}


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot of `page` as `test-output/screenshots/<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
