"""Issue 23 over HTTP: the Join button, the join page's token endpoint, JOIN_MODE=webapp.

The real bot long polls the Telegram simulator, with its join page on a listener of its own;
the page's endpoint is asked the way the page asks it, with ``initData`` signed as Telegram
signs it (:mod:`bot.simulator.webapp`). The bot's clock and the sandbox's are one
:class:`ManualClock`, so ``auth_date`` ages with it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from sqlalchemy import text

from bot.calls.joins import handle_hash
from bot.core.clock import ManualClock, unix_time
from bot.simulator import TelegramSimulator
from bot.simulator.webapp import sign_init_data
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, BOB, BOT_TOKEN, GROUP, free_port, until, visible
from ..conftest import Bot, bot_running, webhook_settings
from .test_follow_up import wait_closed

CAROL = 1003


def join_settings(kv: KavenegarSandbox, mode: str = "webapp") -> dict[str, Any]:
    port = free_port()
    return {
        "webapp_url": f"http://127.0.0.1:{port}/join",
        "webapp_listen": "127.0.0.1",
        "webapp_port": port,
        "join_mode": mode,
        "kavenegar_web_sdk_url": kv.web_sdk_url,
    }


@pytest.fixture
async def webapp_bot(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    async with bot_running(tg, kv, sqlite_url, clock=clock, **join_settings(kv)) as bot:
        await bot.onboard_pair()
        await bot.onboard(CAROL, "Carol", "carol_k")
        yield bot


def join_button(bot: Bot, user_id: int) -> str:
    """The URL of the Join button under the person's latest message."""
    (button,) = [b for b in bot.last(user_id).keyboard if "web_app" in b]
    assert button["text"] == "📞 Join in Telegram"
    return str(button["web_app"]["url"])


def init_data(bot: Bot, user_id: int, clock: ManualClock, *, age: float = 0) -> str:
    user = bot.tg.state.users[user_id].as_json()
    return sign_init_data(BOT_TOKEN, user, auth_date=int(unix_time(clock.now()) - age))


async def ask(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], Any]:
    """POST the page's request to ``<page>/token``: (status, JSON, headers)."""
    page = urlsplit(url)
    endpoint = f"{page.scheme}://{page.netloc}{page.path}/token"
    async with aiohttp.ClientSession() as http, http.post(endpoint, json=body) as response:
        return response.status, await response.json(), response.headers


def handle_of(url: str) -> str:
    (handle,) = parse_qs(urlsplit(url).query)["call"]
    return handle


async def test_webapp_mode_puts_no_token_in_any_message_and_the_button_opens_the_page(
    webapp_bot: Bot, clock: ManualClock
) -> None:
    bot = webapp_bot
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (call,) = bot.kv.state.calls.values()
    secrets = [call.caller.access_token, call.receptor.access_token]

    # each private message has the Join button, and says to tap it; no token, anywhere
    for person in (ALICE, BOB):
        message = bot.last(person)
        assert "Join in Telegram" in visible(message.text)
        assert join_button(bot, person).startswith(f"{bot.call_bot.settings.webapp_url}?call=")
    url = join_button(bot, BOB)
    assert join_button(bot, ALICE) == url  # one handle per call; initData says who is asking
    assert call.id not in url and not any(s in url for s in secrets)
    bot.kv.state.answer(call.id)
    bot.kv.state.hangup(call.id)
    await wait_closed(bot, clock)
    assert len(bot.tg.calls_of("editMessageText")) >= 3  # the outcome reached both, and the group
    everything = json.dumps(bot.tg.state.api_calls, ensure_ascii=False)
    for secret in secrets:
        assert secret not in everything  # not in any request the bot made to Telegram

    # the database keeps the handle's hash only
    async with bot.services.store.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT handle_hash, call_id FROM join_handles"))).all()
    (record,) = await bot.services.store.list_calls()
    assert [tuple(r) for r in rows] == [(handle_hash(handle_of(url)), record.id)]


async def test_the_endpoint_gives_each_participant_their_own_token_and_no_one_else(
    webapp_bot: Bot, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    bot = webapp_bot
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (call,) = bot.kv.state.calls.values()
    url = join_button(bot, BOB)
    handle = handle_of(url)
    caplog.set_level(logging.INFO, logger="bot.telegram.join_page")

    status, body, headers = await ask(url, {"initData": init_data(bot, BOB, clock), "call": handle})
    assert status == 200
    assert body == {
        "status": "ready",
        "callId": call.id,
        "accessToken": call.receptor.access_token,
        "role": "callee",
    }
    assert headers["Cache-Control"] == "no-store"

    # Alice's initData gets Alice's token, never Bob's
    status, body, _ = await ask(url, {"initData": init_data(bot, ALICE, clock), "call": handle})
    assert (status, body["accessToken"]) == (200, call.caller.access_token)

    # someone else: 403, and nothing of the call
    status, body, headers = await ask(
        url, {"initData": init_data(bot, CAROL, clock), "call": handle}
    )
    assert (status, body) == (403, {"status": "not_yours"})
    assert headers["Cache-Control"] == "no-store"

    # a forged hash, another bot's signature, or initData older than ten minutes: 401
    forged = init_data(bot, CAROL, clock).replace(f"%22id%22%3A{CAROL}", f"%22id%22%3A{BOB}")
    assert forged != init_data(bot, CAROL, clock)
    other_bot = sign_init_data(
        "111:another-bot-token", bot.tg.state.users[BOB].as_json(), auth_date=0
    )
    for refused in (forged, other_bot, init_data(bot, BOB, clock, age=601), "", "hash=00"):
        status, body, _ = await ask(url, {"initData": refused, "call": handle})
        assert (status, body) == (401, {"status": "unauthorized"}), refused
    assert (await ask(url, {"initData": init_data(bot, BOB, clock, age=599), "call": handle}))[
        0
    ] == 200
    # an unknown handle: 404; a request that is not the page's: 400
    status, _, _ = await ask(url, {"initData": init_data(bot, BOB, clock), "call": "x" * 43})
    assert status == 404
    assert (await ask(url, {"call": handle}))[0] == 400

    # each answer is counted by status, and logged, never with a token, the handle or initData
    registry = bot.services.metrics.registry
    counted = {
        word: registry.get_sample_value("kcb_join_page_answers_total", {"status": word})
        for word in ("ready", "not_yours", "unauthorized", "unknown", "bad_request")
    }
    assert counted == {
        "ready": 3,
        "not_yours": 1,
        "unauthorized": 5,
        "unknown": 1,
        "bad_request": 1,
    }
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.join_page"]
    assert any("200 ready for user" in line for line in lines)
    assert any("403 not_yours for user 1003" in line for line in lines)
    assert any("401" in line for line in lines)
    logged = "\n".join(lines)
    for secret in (call.caller.access_token, call.receptor.access_token, handle, "hash="):
        assert secret not in logged


async def test_an_ended_call_is_gone_for_its_participants(
    webapp_bot: Bot, clock: ManualClock
) -> None:
    bot = webapp_bot
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (call,) = bot.kv.state.calls.values()
    url = join_button(bot, BOB)
    bot.kv.state.hangup(call.id)  # Kavenegar says it is over before the bot has seen it
    status, body, _ = await ask(
        url, {"initData": init_data(bot, BOB, clock), "call": handle_of(url)}
    )
    assert (status, body) == (410, {"status": "ended"})
    await wait_closed(bot, clock)  # and once the bot has recorded the end
    status, body, _ = await ask(
        url, {"initData": init_data(bot, BOB, clock), "call": handle_of(url)}
    )
    assert (status, body) == (410, {"status": "ended"})


async def test_both_mode_keeps_the_token_and_adds_the_button(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    settings = join_settings(kv, mode="both")
    async with bot_running(tg, kv, sqlite_url, clock=clock, **settings) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        (call,) = bot.kv.state.calls.values()
        message = bot.last(BOB)
        assert f"<code>{call.receptor.access_token}</code>" in message.raw_text
        assert "or join from the app" in visible(message.text)
        assert join_button(bot, BOB).startswith(settings["webapp_url"])


async def test_the_page_is_served_with_a_strict_policy(webapp_bot: Bot) -> None:
    bot = webapp_bot
    page_url = bot.call_bot.settings.webapp_url
    assert page_url is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(page_url + "?call=abc") as response:
            assert response.status == 200
            html = await response.text()
            policy = response.headers["Content-Security-Policy"]
            assert response.headers["Referrer-Policy"] == "no-referrer"
        async with http.get(page_url + "/static/join.js") as script:
            assert script.status == 200
            assert script.content_type == "text/javascript"
        async with http.get(page_url + "/static/../config.py") as escape:
            assert escape.status == 404
    sdk_origin = bot.kv.root_url
    assert f"script-src 'self' https://telegram.org {sdk_origin}" in policy
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert f'data-sdk="{bot.kv.web_sdk_url}"' in html
    assert "https://telegram.org/js/telegram-web-app.js" in html


async def test_webhook_mode_serves_the_page_on_the_webhooks_server(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    port = free_port()
    settings = {
        **webhook_settings(port),
        "webapp_url": f"http://127.0.0.1:{port}/join",
        "join_mode": "webapp",
    }
    async with bot_running(tg, kv, sqlite_url, clock=clock, **settings) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        (call,) = bot.kv.state.calls.values()
        url = join_button(bot, BOB)
        assert urlsplit(url).port == port
        status, body, _ = await ask(
            url, {"initData": init_data(bot, BOB, clock), "call": handle_of(url)}
        )
        assert (status, body["accessToken"]) == (200, call.receptor.access_token)


async def test_requests_that_are_not_the_pages_are_refused_plainly(
    webapp_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    page_url = webapp_bot.call_bot.settings.webapp_url
    assert page_url is not None
    caplog.set_level(logging.INFO, logger="bot.telegram.join_page")
    async with aiohttp.ClientSession() as http:
        for body in (b"not json", b"[1, 2]", b'{"initData": "x", "call": ""}', b"{" * 20_000):
            async with http.post(page_url + "/token", data=body) as response:
                assert (response.status, await response.json()) == (
                    400,
                    {"status": "bad_request"},
                )
                assert response.headers["Cache-Control"] == "no-store"
    assert sum("400" in r.getMessage() for r in caplog.records) == 4


async def test_a_page_in_webapp_mode_rings_with_the_button_and_no_token(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    """/page's attempts deliver like /call: Bob's and Carol's messages have the button beside
    "I'm on it", and no Bot API request carries a token."""
    from ...helpers import until

    settings = {**join_settings(kv), "page_retries": 0}
    async with bot_running(tg, kv, sqlite_url, clock=clock, **settings) as bot:
        await bot.onboard_pair()
        await bot.onboard(CAROL, "Carol", "carol_k")
        await bot.say(ALICE, "/team new ops", chat_id=GROUP)
        await bot.say(ALICE, "/team add ops @bob_k @carol_k", chat_id=GROUP)
        await bot.say(ALICE, "/page ops disk full", chat_id=GROUP)
        await until(
            bot,
            clock,
            lambda: any("web_app" in b for b in bot.last(BOB).keyboard),
            what="Bob rung",
            step=2,
        )
        texts = [b["text"] for b in bot.last(BOB).keyboard]
        assert texts[0] == "📞 Join in Telegram" and len(texts) == 2  # and "I'm on it"
        await until(bot, clock, lambda: len(bot.kv.state.calls) == 2, what="Carol rung", step=5)
        carol_call = list(bot.kv.state.calls.values())[-1]
        bot.kv.state.answer(carol_call.id)
        notice = next(m for m in bot.tg.sent_to(GROUP) if "paged" in m.text).message_id
        await until(
            bot,
            clock,
            lambda: "Answered by Carol" in visible(bot.tg.current(GROUP, notice).text),
            what="the page answered",
            step=2,
        )
        everything = json.dumps(bot.tg.state.api_calls, ensure_ascii=False)
        for call in bot.kv.state.calls.values():
            for token in (call.caller.access_token, call.receptor.access_token):
                assert token not in everything


@pytest.fixture
def local_time_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The host's local time zone for the test (TZ, then time.tzset), restored after."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.parametrize(
    "local_time_zone", ["UTC", "Asia/Tehran", "America/New_York"], indirect=True
)
async def test_fresh_init_data_opens_the_page_whatever_the_hosts_time_zone(
    local_time_zone: str, tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    """On a host whose local time is Tehran's (or New York's), Bob taps Join and the page gets
    his token: initData signed by Telegram this second is fresh, not hours off by the host's
    UTC offset. (The bot runs on the real clock here, as in production.)"""
    async with bot_running(tg, kv, sqlite_url, **join_settings(kv)) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        url = join_button(bot, BOB)
        user = bot.tg.state.users[BOB].as_json()
        signed = sign_init_data(BOT_TOKEN, user, auth_date=int(time.time()))
        status, body, _ = await ask(url, {"initData": signed, "call": handle_of(url)})
        assert status == 200, (status, body)


async def test_a_deeply_nested_body_is_refused_plainly(webapp_bot: Bot) -> None:
    """10,000 nested [ (under the size limit) get the page's plain 400, no-store, counted, as
    any request that is not the page's, never a 500 with a traceback in the log."""
    page_url = webapp_bot.call_bot.settings.webapp_url
    assert page_url is not None
    async with aiohttp.ClientSession() as http:
        for body in (b"[" * 10_000, b'{"initData": ' + b"[" * 10_000):
            async with http.post(page_url + "/token", data=body) as response:
                assert response.status == 400, (response.status, await response.text())
                assert response.headers["Cache-Control"] == "no-store"
    registry = webapp_bot.services.metrics.registry
    assert registry is not None
    counted = registry.get_sample_value("kcb_join_page_answers_total", {"status": "bad_request"})
    assert counted == 2


def web_app_urls(message: Any) -> list[str]:
    return [b["web_app"]["url"] for b in message.keyboard if "web_app" in b]


async def test_the_join_handle_is_not_in_the_debug_log(
    tg: TelegramSimulator,
    kv: KavenegarSandbox,
    sqlite_url: str,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """LOG_LEVEL=DEBUG, where python-telegram-bot logs each Bot API request with its
    parameters (the Join button's URL among them): the log shows no join handle."""
    caplog.set_level(logging.DEBUG)
    async with bot_running(tg, kv, sqlite_url, clock=clock, **join_settings(kv)) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        handle = handle_of(join_button(bot, BOB))
        redactor = bot.call_bot.redactor
        assert any("web_app" in r.getMessage() for r in caplog.records)  # it was logged
        leaked = [r.name for r in caplog.records if handle in redactor.redact(r.getMessage())]
    assert not leaked, f"the join handle is in {len(leaked)} log records: {sorted(set(leaked))}"


async def test_im_on_it_keeps_the_join_button_of_the_call_that_goes_on(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    """/page in JOIN_MODE=webapp rings Bob with "📞 Join in Telegram" and "🙋 I'm on it". He
    presses "I'm on it": that button goes, the Join button stays (a new handle of the same
    call: the page still gives him his token) while the call goes on, and goes when it ends."""
    settings = {**join_settings(kv), "page_retries": 0}
    async with bot_running(tg, kv, sqlite_url, clock=clock, **settings) as bot:
        await bot.onboard_pair()
        await bot.onboard(CAROL, "Carol", "carol_k")
        await bot.say(ALICE, "/team new ops", chat_id=GROUP)
        await bot.say(ALICE, "/team add ops @bob_k @carol_k", chat_id=GROUP)
        await bot.say(ALICE, "/page ops disk full", chat_id=GROUP)
        await until(bot, clock, lambda: bool(web_app_urls(bot.last(BOB))), what="Bob rung", step=2)
        message = bot.last(BOB)
        assert [b["text"] for b in message.keyboard] == ["📞 Join in Telegram", "🙋 I'm on it"]
        (call,) = bot.kv.state.calls.values()
        await tg.press_button(BOB, BOB, message.message_id, text="🙋 I'm on it")
        await bot.settle()
        now = bot.tg.current(BOB, message.message_id)
        assert [b["text"] for b in now.keyboard] == ["📞 Join in Telegram"], now.keyboard
        (url,) = web_app_urls(now)
        status, body, _ = await ask(url, {"initData": init_data(bot, BOB, clock),
                                          "call": handle_of(url)})  # fmt: skip
        assert (status, body["callId"]) == (200, call.id)
        everything = json.dumps(bot.tg.state.api_calls, ensure_ascii=False)
        assert call.receptor.access_token not in everything
        bot.kv.state.answer(call.id)
        bot.kv.state.hangup(call.id)
        await wait_closed(bot, clock)
        assert not bot.tg.current(BOB, message.message_id).keyboard


async def test_a_replayed_token_request_is_bounded(
    webapp_bot: Bot, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Bob's page replays its request 40 times in a row: Kavenegar is asked once (its answer
    serves a few seconds), and past his budget of the minute Bob is told to wait (429,
    Retry-After, no-store, logged and counted) while Alice is still answered; a minute later
    Bob is answered again, and Kavenegar asked again."""
    bot = webapp_bot
    caplog.set_level(logging.INFO, logger="bot.telegram.join_page")
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (call,) = bot.kv.state.calls.values()
    bot.kv.state.answer(call.id)  # they talk: the call goes on past the minute
    url = join_button(bot, BOB)
    body = {"initData": init_data(bot, BOB, clock), "call": handle_of(url)}

    def gets() -> int:
        return sum(1 for r in bot.kv.requests if r["method"] == "GET")

    before = gets()
    statuses = []
    for _ in range(40):
        status, _answer, headers = await ask(url, body)
        statuses.append(status)
        assert headers["Cache-Control"] == "no-store"
        if status == 429:
            assert 1 <= int(headers["Retry-After"]) <= 60
    assert gets() - before == 1
    assert statuses == [200] * 20 + [429] * 20
    status, _, _ = await ask(url, {"initData": init_data(bot, ALICE, clock), "call": body["call"]})
    assert status == 200
    registry = bot.services.metrics.registry
    assert registry is not None
    assert registry.get_sample_value("kcb_join_page_answers_total", {"status": "too_many"}) == 20
    assert any("429 too_many" in r.getMessage() for r in caplog.records)

    clock.advance(61)
    body["initData"] = init_data(bot, BOB, clock)
    assert (await ask(url, body))[0] == 200
    assert gets() - before >= 2


@pytest.mark.parametrize(
    ("mode", "says", "never"),
    [
        ("webapp", "a Join in Telegram button: tap it", "access token"),
        ("both", "a Join in Telegram button and your own access token", None),
        ("token", "your own access token: join from the app", "Join in Telegram"),
    ],
)
async def test_the_welcome_says_how_people_join_in_each_mode(
    tg: TelegramSimulator,
    kv: KavenegarSandbox,
    sqlite_url: str,
    clock: ManualClock,
    mode: str,
    says: str,
    never: str | None,
) -> None:
    """/start explains joining the way this bot's calls are joined: with JOIN_MODE=webapp no
    one is told to expect an access token that never comes."""
    async with bot_running(tg, kv, sqlite_url, clock=clock, **join_settings(kv, mode)) as bot:
        await bot.onboard(ALICE, "Alice", "alice_k")
        (welcome,) = [m for m in tg.sent_to(ALICE) if "Hi Alice" in m.text]
        shown = " ".join(visible(welcome.text).split())
        assert says in shown
        assert never is None or never not in shown


def call_posts(bot: Bot) -> int:
    return sum(1 for r in bot.kv.requests if r["method"] == "POST" and "calls" in r["path"])


async def test_join_page_posts_never_create_calls(webapp_bot: Bot, clock: ManualClock) -> None:
    """Whatever is posted to the join page (the right person, someone else, an unknown handle,
    extra fields, no initData; while Kavenegar fails, and after the call ended), it only reads:
    Kavenegar is never asked to create a call, so nothing is paid through it."""
    bot = webapp_bot
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert call_posts(bot) == 1
    url = join_button(bot, BOB)
    handle = handle_of(url)
    bodies: list[dict[str, Any]] = [
        {"initData": init_data(bot, BOB, clock), "call": handle},
        {"initData": init_data(bot, ALICE, clock), "call": handle},
        {"initData": init_data(bot, BOB, clock), "call": "y" * 43},
        {"initData": init_data(bot, BOB, clock), "call": handle, "create": True},
        {"call": handle},
    ]
    bot.kv.add_fault(kind="status", status=500, method="GET", times=2)
    for body in bodies * 2:
        await ask(url, body)
    (call,) = bot.kv.state.calls.values()
    bot.kv.state.hangup(call.id)
    clock.advance(30)
    for body in bodies:
        await ask(url, body)
    await bot.settle()
    assert call_posts(bot) == 1
    assert len(bot.kv.state.calls) == 1
