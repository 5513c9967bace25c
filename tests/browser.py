"""A real headless Chromium (Debian's package, driven by Playwright) for the HTML outputs.

Playwright never downloads a browser here: it drives the executable at $GRAPHGOV_CHROMIUM, else
/usr/bin/chromium (`apt-get install chromium`, as .ci/run does). A missing browser fails the test
loudly; a silently skipped page test could never fail.

`offline_page` opens pages with every network request refused except file:// and the hosts a test
allows, and records the refused ones, so a test can assert that a page needed nothing from the network.

`readme_screenshot` takes the README's pictures (docs/img/) at a fixed 1280x800 viewport: it rewrites
docs/img/ only when GRAPHGOV_UPDATE_SCREENSHOTS=1, and otherwise writes under test-artifacts/, so an
ordinary test run never dirties the checkout.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("GRAPHGOV_TEST_ARTIFACTS", ROOT / "test-artifacts"))
README_IMAGES = ROOT / "docs" / "img"
README_VIEWPORT = (1280, 800)
README_IMAGE_LIMIT = 300_000  # bytes: pictures in the repository stay small


def chromium_path() -> str:
    path = os.environ.get("GRAPHGOV_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"No Chromium at {path}: install Debian's chromium (`apt-get install chromium`) or set "
                    "GRAPHGOV_CHROMIUM; the HTML tests need a real browser.")
    return path


@dataclass
class PageLog:
    """What a page asked the network for and what it printed to its console."""

    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.fail("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(),
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


def open_offline(browser, url: str, allow_hosts: tuple[str, ...] = (), viewport=(1400, 1000)):
    """A new page at `url` with the network cut off (except `allow_hosts`); returns (page, log)."""
    log = PageLog()
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=1)
    page = context.new_page()

    def route(route) -> None:
        request_url = route.request.url
        if request_url.startswith(("file://", "data:", "blob:", "about:")) or any(
                request_url.startswith((f"http://{h}", f"https://{h}", f"ws://{h}")) for h in allow_hosts):
            route.continue_()
        else:
            log.refused.append(request_url)
            route.abort()

    context.route("**/*", route)
    page.on("console", lambda message: log.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    page.goto(url)
    return page, log


def screenshot(page, name: str) -> Path:
    """Keep a full-page screenshot under test-artifacts/ (or $GRAPHGOV_TEST_ARTIFACTS) for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def readme_screenshot(page, name: str) -> Path:
    """What the window shows now, as docs/img/<name>.png when GRAPHGOV_UPDATE_SCREENSHOTS=1 (the README's
    pictures, refreshed on purpose), else under test-artifacts/readme/."""
    assert (page.viewport_size["width"], page.viewport_size["height"]) == README_VIEWPORT, page.viewport_size
    folder = README_IMAGES if os.environ.get("GRAPHGOV_UPDATE_SCREENSHOTS") == "1" else ARTIFACTS / "readme"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size < README_IMAGE_LIMIT, f"{path} is {path.stat().st_size} bytes"
    return path
