"""A headless Chromium standing in for a Telegram app's web view (tests and the demo).

Debian's ``chromium`` package (``/usr/bin/chromium``), driven by Playwright for Python with
``executable_path`` (never ``playwright install``). Fake media devices stand in for a
microphone, and Telegram's ``telegram-web-app.js`` is answered by the stand-in of
:mod:`bot.simulator.webapp`, so a page opened with :func:`bot.simulator.webapp.launch_url`
sees ``Telegram.WebApp`` as it would inside Telegram.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot.simulator.webapp import WEB_APP_SCRIPT

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Route

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "TELEGRAM_SCRIPT", "chromium", "missing_browser"]

CHROMIUM = os.environ.get("KCB_CHROMIUM", "/usr/bin/chromium")
#: What works headless as root on a machine without a display or internet.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
)
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"


def missing_browser() -> str | None:
    """Why no browser can be driven here (None: one can)."""
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: pip install -e '.[dev]'"
    return None


@asynccontextmanager
async def chromium(*, locale: str = "en-US") -> AsyncIterator[BrowserContext]:
    """A fresh headless browser (its own profile directory) until the block ends."""
    from playwright.async_api import async_playwright

    profile = tempfile.mkdtemp(prefix="kcb-chromium-")
    try:
        async with async_playwright() as driver:
            context = await driver.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=list(CHROMIUM_FLAGS),
                locale=locale,
                viewport={"width": 420, "height": 640},
            )
            try:
                await context.route(TELEGRAM_SCRIPT, _telegram_script)
                yield context
            finally:
                await context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


async def _telegram_script(route: Route) -> None:
    await route.fulfill(status=200, content_type="text/javascript", body=WEB_APP_SCRIPT)
