"""Pages in a real browser: Debian's chromium driven by Playwright, against the app on a loopback port.

Chromium comes from Debian (``apt-get install chromium fonts-noto-cjk``, done by .ci/run); Playwright
is pinned to the release whose bundled Chromium has the same major version, and never downloads a
browser of its own. Every request to a host other than this server is refused and recorded, so a
page that needs the internet fails here as it would on a government intranet. Screenshots go to
test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"
# As the machine's own probe starts it: no sandbox as root, no background calls to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("浏览器测试需要 Debian 的 chromium：apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


class OfflinePage:
    """A page that may only talk to the live server; ``outside`` lists what it tried to reach."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base, self.outside = page, base, []
        page.route("**/*", self._only_local)

    def _only_local(self, route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def offline_page(browser, live_server) -> Iterator[OfflinePage]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield OfflinePage(page, live_server)
    context.close()
