"""A real browser for the console's tests: Playwright driving Debian's chromium, never a downloaded one.

`browser(profile_dir)` launches /usr/bin/chromium headless with a fresh profile
and without any of its own network traffic (no sync, no component updates, no
QUIC), so it reaches only the loopback servers a test starts. `shot(page, name)`
writes a full-page screenshot under `test-output/screenshots/` (gitignored): the
test run's output, one PNG per page visited.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot of `page` as `test-output/screenshots/<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
