"""A real headless Chromium (Debian's ``chromium``) driven by Playwright, and what the tests
watch through it: every request's host, console errors, WebSocket frames, screenshots.

Under CI (``CI=true``) a missing browser fails the tests; elsewhere they skip, saying why.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from detalka.seed.population import DEMO_MSISDN, DEMO_PASSWORD
from tests.client import GraphQL
from tests.conftest import UNDER_CI
from tests.polling import eventually

CHROMIUM = os.environ.get("DETALKA_TEST_CHROMIUM", "/usr/bin/chromium")
# Headless, and nothing of Chromium's own traffic (updates, sync, QUIC probes) on the wire.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


def require_chromium() -> None:
    reason = None
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        reason = "Playwright is not installed: pip install -e '.[test]'"
    if reason is None and not os.access(CHROMIUM, os.X_OK):
        reason = f"no Chromium at {CHROMIUM}: apt-get install chromium (or DETALKA_TEST_CHROMIUM)"
    if reason is None:
        return
    if UNDER_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests may not skip)")
    pytest.skip(reason)


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """One browser; Playwright gives it a fresh, temporary user-data dir."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Watch:
    """What a browser context did: every URL it asked for, errors, socket frames received."""

    urls: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", self._socket)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._console)

    def _socket(self, ws: Any) -> None:
        self.urls.append(ws.url)
        ws.on("framereceived", lambda payload: self.frames.append(str(payload)))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def foreign_hosts(self) -> list[str]:
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
            and urlsplit(url).hostname not in LOOPBACK
        ]

    def assert_clean(self) -> None:
        assert self.urls, "the page made no requests at all"
        assert self.foreign_hosts() == [], "requests left the machine"
        assert self.errors == []


async def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


def shown_money(text: str) -> Decimal:
    """What the page shows, "−1 234,50 ₽", as the API's exact decimal."""
    cleaned = re.sub(r"[\s\u00a0\u202f₽]", "", text).replace("−", "-").replace(",", ".")
    return Decimal(cleaned)


# -- the cabinet's server and pages ----------------------------------------------------------


class Server(GraphQL):
    """The live server's address, the API on it (no bearer by default), its data dir (outbox)."""

    def __init__(self, base: str, http: httpx.AsyncClient, data_dir: Path) -> None:
        super().__init__(http)
        self.base, self.data_dir = base, data_dir

    async def session_token(self, msisdn: str = DEMO_MSISDN, password: str = DEMO_PASSWORD) -> str:
        return await self.sign_in(msisdn, password)


@asynccontextmanager
async def page_in(
    browser: Any, now: datetime, viewport: dict[str, int] = DESKTOP
) -> AsyncIterator[tuple[Any, Watch]]:
    """A fresh context (its own sessionStorage) whose clock stands at ``now``, watched."""
    phone = viewport == PHONE
    context = await browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    await context.clock.set_fixed_time(now)
    try:
        page = await context.new_page()
        watch = Watch()
        watch.attach(page)
        yield page, watch
    finally:
        await context.close()


async def sign_in(
    page: Any,
    server: Server,
    msisdn: str = DEMO_MSISDN,
    password: str = DEMO_PASSWORD,
    region: str = "MOW",
) -> None:
    if "#/signin" not in page.url:
        await page.goto(f"{server.base}/app/")
    await page.wait_for_selector(f"#signin option[value={region}]", state="attached")
    await page.fill("#signin input[name=msisdn]", msisdn)
    await page.fill("#signin input[name=password]", password)
    await page.select_option("#signin select[name=regionCode]", region)
    await page.click("#signin button[type=submit]")
    await page.wait_for_selector("#overview #main-balance")


async def open_tab(page: Any, label: str, ready: str) -> None:
    await page.click(f"nav.tabs a:text-is('{label}')")
    await page.wait_for_selector(ready)


async def money_at(page: Any, selector: str) -> Decimal:
    return shown_money(await page.inner_text(selector))


async def wait_for_rows(page: Any, ids: list[str], timeout_s: float = 10) -> None:
    """The usage table shows exactly these records, in this order (polled with a deadline)."""
    shown: list[str] = []

    async def matches() -> bool:
        shown[:] = await page.locator("#usage tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.id)"
        )
        return shown == ids

    await eventually(matches, timeout_s=timeout_s, explain=lambda _: (shown, ids))
