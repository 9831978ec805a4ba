"""Issue 23 in a real browser: the join page in headless Chromium (Debian's package).

The page is opened as a Telegram app opens a ``web_app`` button (signed ``initData`` after
``#``; Telegram's script answered by a stand-in), and joins with a stand-in for Kavenegar's
browser SDK served by the sandbox, whose join is a join of the sandbox's call. Screenshots of
each state go to ``$JOIN_PAGE_SCREENSHOTS`` (default: the test's tmp dir).

Without a browser these tests skip and say why; ``KCB_REQUIRE_BROWSER=1`` (set by ``.ci/run``)
turns that into a failure, so CI always runs them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.core.clock import ManualClock, unix_time
from bot.core.records import CallOutcome
from bot.simulator import TelegramSimulator
from bot.simulator.browser import chromium, missing_browser
from bot.simulator.webapp import launch_url, sign_init_data
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, BOB, BOT_TOKEN, GROUP, visible
from ..conftest import Bot, bot_running
from .test_follow_up import reads, wait_closed
from .test_join_page import CAROL, join_button, join_settings

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page

_why = missing_browser()
if _why is not None and os.environ.get("KCB_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"KCB_REQUIRE_BROWSER=1 but {_why}")
pytestmark = pytest.mark.skipif(_why is not None, reason=f"JOIN PAGE BROWSER TESTS NOT RUN: {_why}")


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("JOIN_PAGE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[BrowserContext]:
    async with chromium() as context:
        yield context


@pytest.fixture
async def webapp_bot(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    async with bot_running(tg, kv, sqlite_url, clock=clock, **join_settings(kv)) as bot:
        await bot.onboard(ALICE, "Alice", "alice_k")
        await bot.onboard(BOB, "Bob", "bob_k")
        await bot.onboard(CAROL, "کارول", "carol_k", language_code="fa")
        yield bot


def auth_date(clock: ManualClock) -> int:
    return int(unix_time(clock.now()))


async def open_page(browser: BrowserContext, url: str) -> Page:
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(url)
    return page


async def state_of(page: Page, state: str) -> str:
    """Wait for the page to reach ``state``; its status line."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.wait_for_selector(f'body[data-state="{state}"]', timeout=15_000)
    except PlaywrightTimeout:
        now = await page.evaluate("document.body.dataset.state")
        status = await page.inner_text("#status")
        errors = page.errors  # type: ignore[attr-defined]
        raise AssertionError(
            f"page {now!r} ({status!r}), not {state!r}; errors: {errors}"
        ) from None
    return await page.inner_text("#status")


async def test_bob_joins_from_his_button_and_the_chat_shows_the_outcome(
    webapp_bot: Bot, clock: ManualClock, browser: BrowserContext, shots: Path
) -> None:
    bot = webapp_bot
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (call,) = bot.kv.state.calls.values()
    bob_message = bot.last(BOB)
    url = bot.tg.open_web_app(BOB, bob_message.message_id, auth_date=auth_date(clock))

    page = await open_page(browser, url)
    assert "Tap Join" in await state_of(page, "ready")
    await page.screenshot(path=shots / "1-ready.png")
    await page.click("#join")
    assert "Ringing" in await state_of(page, "ringing")
    await page.screenshot(path=shots / "2-ringing.png")
    # the stand-in SDK joined with exactly Bob's call id and token, as Bob's side
    assert bot.kv.web_sdk_joins == [
        {"callId": call.id, "accessToken": call.receptor.access_token, "side": "receptor"}
    ]
    (init,) = await page.evaluate("window.__kavenegarSdk.initCalls")
    assert init == {
        "callId": call.id,
        "accessToken": call.receptor.access_token,
        "hasLocalStream": True,  # the (fake) microphone, asked for on the tap
        "hasRemoteElement": True,
    }
    assert await page.evaluate("Telegram.WebApp.isClosingConfirmationEnabled")

    bot.kv.state.join(call.id, "caller")  # Alice's app joins: they talk
    assert await state_of(page, "connected") == "Connected."
    clock.advance(65)  # the sandbox's call is 65 s old; the page's timer runs on real time
    for _ in range(100):  # the talk time runs (the page's own clock)
        if await page.inner_text("#timer") >= "00:01":
            break
        await asyncio.sleep(0.05)
    assert await page.inner_text("#timer") >= "00:01"
    await page.screenshot(path=shots / "3-connected.png")
    await page.click("#hangup")
    assert "The call has ended" in await state_of(page, "ended")
    await page.screenshot(path=shots / "4-ended.png")
    assert not await page.evaluate("Telegram.WebApp.isClosingConfirmationEnabled")
    assert page.errors == []  # type: ignore[attr-defined]

    record = await wait_closed(bot, clock)
    assert record.outcome is CallOutcome.ANSWERED
    assert reads(bot, GROUP, record.notice_message_id) == "✅ Alice called Bob: talked for 1:05."
    assert bot.kv.state.calls[call.id].finish_reason == "hangup"


async def test_someone_elses_page_forged_data_and_an_ended_call_are_refused(
    webapp_bot: Bot, clock: ManualClock, browser: BrowserContext, shots: Path
) -> None:
    bot = webapp_bot
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (call,) = bot.kv.state.calls.values()
    button = join_button(bot, BOB)

    # Alice opening the same page gets her own token: never Bob's
    alice = bot.tg.open_web_app(ALICE, bot.last(ALICE).message_id, auth_date=auth_date(clock))
    page = await open_page(browser, alice)
    await state_of(page, "ready")
    await page.click("#join")
    await state_of(page, "ringing")
    assert [j["accessToken"] for j in bot.kv.web_sdk_joins] == [call.caller.access_token]
    await page.close()

    # Carol (in Persian, right to left) has Bob's link: not her call
    carol = bot.tg.state.users[CAROL].as_json()
    signed = sign_init_data(BOT_TOKEN, carol, auth_date=auth_date(clock))
    page = await open_page(browser, launch_url(button, signed))
    status = await state_of(page, "refused")
    assert status == "این تماس مال شما نیست: فقط دو طرف تماس می‌توانند وارد شوند."
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    await page.screenshot(path=shots / "5-not-yours-fa.png")
    await page.close()

    # initData with a forged hash: Telegram did not sign it
    bob = bot.tg.state.users[BOB].as_json()
    forged = sign_init_data(BOT_TOKEN, bob, auth_date=auth_date(clock))[:-4] + "0000"
    page = await open_page(browser, launch_url(button, forged))
    assert "could not confirm who you are" in await state_of(page, "refused")
    await page.close()

    # after the end the Join button is gone, and a page still open (or reloaded) says so
    bot.kv.state.hangup(call.id)
    await wait_closed(bot, clock)
    assert not [b for b in bot.last(BOB).keyboard if "web_app" in b]
    signed = sign_init_data(BOT_TOKEN, bob, auth_date=auth_date(clock))
    page = await open_page(browser, launch_url(button, signed))
    assert "has ended" in await state_of(page, "ended")
    await page.screenshot(path=shots / "6-ended-before-joining.png")
    assert not await page.is_visible("#join")


@pytest.mark.parametrize("failure", ["microphone", "sdk"])
async def test_without_microphone_or_sdk_the_page_offers_the_token_for_the_app(
    tg: TelegramSimulator,
    kv: KavenegarSandbox,
    sqlite_url: str,
    clock: ManualClock,
    browser: BrowserContext,
    shots: Path,
    failure: str,
) -> None:
    settings: dict[str, Any] = join_settings(kv)
    if failure == "sdk":  # Kavenegar's CDN does not answer with the script
        settings["kavenegar_web_sdk_url"] = kv.root_url + "/_sandbox/no-such-sdk.js"
    async with bot_running(tg, kv, sqlite_url, clock=clock, **settings) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        (call,) = bot.kv.state.calls.values()
        url = bot.tg.open_web_app(BOB, bot.last(BOB).message_id, auth_date=auth_date(clock))
        if failure == "microphone":  # the person taps "Deny"
            await browser.add_init_script(
                "navigator.mediaDevices.getUserMedia = () => "
                "Promise.reject(new DOMException('denied', 'NotAllowedError'));"
            )
        page = await open_page(browser, url)
        await state_of(page, "ready")
        await page.click("#join")
        status = await state_of(page, "fallback")
        expected = (
            "microphone was not allowed" if failure == "microphone" else "could not be loaded"
        )
        assert expected in status
        assert await page.inner_text("#fallback-token") == call.receptor.access_token
        assert await page.inner_text("#fallback-call") == call.id
        assert bot.kv.web_sdk_joins == []  # nothing joined
        assert not await page.evaluate("Telegram.WebApp.isClosingConfirmationEnabled")
        await page.screenshot(path=shots / f"7-fallback-{failure}.png")
        assert "Join in Telegram" in visible(bot.last(BOB).text)


async def test_a_persian_speaker_gets_the_page_right_to_left(
    webapp_bot: Bot, clock: ManualClock, browser: BrowserContext, shots: Path
) -> None:
    bot = webapp_bot
    await bot.say(ALICE, "/call @carol_k", chat_id=GROUP)
    (call,) = bot.kv.state.calls.values()
    message = bot.last(CAROL)
    assert "ورود در تلگرام" in visible(message.text)  # her message is in Persian too
    page = await open_page(
        browser, bot.tg.open_web_app(CAROL, message.message_id, auth_date=auth_date(clock))
    )
    assert await state_of(page, "ready") == (
        "«ورود به تماس» را بزنید: یک بار اجازهٔ میکروفون را می‌خواهم."
    )
    assert await page.evaluate("[document.documentElement.dir, document.documentElement.lang]") == [
        "rtl",
        "fa",
    ]
    assert await page.inner_text("#join") == "ورود به تماس"
    await page.screenshot(path=shots / "1-ready-fa.png")
    await page.click("#join")
    await state_of(page, "ringing")
    bot.kv.state.join(call.id, "caller")
    assert await state_of(page, "connected") == "وصل شد."
    await asyncio.sleep(1.1)
    assert (await page.inner_text("#timer")).startswith("۰۰:۰")  # Persian digits
    await page.screenshot(path=shots / "3-connected-fa.png")
    assert bot.kv.web_sdk_joins[-1]["accessToken"] == call.receptor.access_token
