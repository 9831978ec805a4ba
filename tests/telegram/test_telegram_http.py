"""python-telegram-bot over aiohttp (``bot.telegram.http``), against the Telegram simulator:
Telegram's answers become python-telegram-bot's exceptions as with its own transport, a
timeout is ``TimedOut``, and no failure's text holds the bot token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from aiohttp import web
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.simulator import TelegramSimulator
from bot.telegram.http import AiohttpRequest

from ..helpers import free_port, tls_server

TOKEN = "123456:SECRET-token-for-the-http-tests-0000"
ALICE = 5001


@pytest.fixture
async def tg() -> AsyncIterator[TelegramSimulator]:
    async with TelegramSimulator(token=TOKEN) as sim:
        sim.add_user(ALICE, "Alice", username="alice")
        await sim.user_sends(ALICE, "/start")
        yield sim


def bot_on(base_url: str, read_timeout: float = 10.0) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=AiohttpRequest(read_timeout=read_timeout))


async def test_a_message_goes_out_and_its_answer_comes_back(tg: TelegramSimulator) -> None:
    async with bot_on(tg.base_url) as bot:
        assert bot.username  # getMe, on initialize
        sent = await bot.send_message(ALICE, "<b>hello</b>", parse_mode="HTML")
    assert sent.text == "hello"
    assert tg.sent_to(ALICE)[-1].text == "hello"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 429, "description": "Too Many Requests", "retry_after": 7}, RetryAfter),
        ({"status": 403, "description": "Forbidden: bot was blocked by the user"}, Forbidden),
        ({"status": 400, "description": "Bad Request: chat not found"}, BadRequest),
        ({"kind": "bad_gateway"}, NetworkError),
    ],
    ids=["429", "403", "400", "502 page"],
)
async def test_telegram_errors_become_the_usual_exceptions(
    tg: TelegramSimulator, fault: dict[str, object], error: type[Exception]
) -> None:
    tg.add_fault(method="sendMessage", times=1, **fault)
    async with bot_on(tg.base_url) as bot:
        with pytest.raises(error) as info:
            await bot.send_message(ALICE, "hi")
    if isinstance(info.value, RetryAfter):
        assert info.value.retry_after.total_seconds() == 7  # type: ignore[union-attr]


async def test_no_answer_in_time_is_timed_out(tg: TelegramSimulator) -> None:
    tg.add_fault(method="sendMessage", kind="hang", times=1)
    async with bot_on(tg.base_url, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut) as info:
            await bot.send_message(ALICE, "hi")
        assert info.value.__cause__ is None  # (aiohttp's timeouts name the URL)
        await bot.send_message(ALICE, "again")  # the connection pool is not poisoned
    assert tg.sent_to(ALICE)[-1].text == "again"


async def test_nobody_listening_is_a_network_error_without_the_token() -> None:
    request = AiohttpRequest(connect_timeout=1)
    await request.initialize()
    try:
        url = f"http://127.0.0.1:{free_port()}/bot{TOKEN}/sendMessage"
        with pytest.raises(NetworkError) as info:
            await request.post(url, RequestData([RequestParameter("chat_id", 1, None)]))
    finally:
        await request.shutdown()
    assert not isinstance(info.value, TimedOut)
    assert "SECRET" not in str(info.value) and "SECRET" not in repr(info.value)
    # aiohttp's own exception names the URL: it is not kept as the cause either
    assert info.value.__cause__ is None and info.value.__suppress_context__


async def test_a_request_before_initialize_or_after_shutdown_is_refused() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # twice is fine (the runtime closes it after a failed start too)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="connections"):
        AiohttpRequest(connections=0)


async def test_tls_trusts_what_httpx_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A certificate from an unknown authority is a NetworkError (before anything is sent);
    ``SSL_CERT_FILE`` names the authorities to trust instead, as with httpx."""
    authority, seen = trustme.CA(), list[str]()

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    async with tls_server(app, authority) as root:
        url = f"{root}/bot{TOKEN}/deleteWebhook"
        request = AiohttpRequest()
        await request.initialize()
        try:
            with pytest.raises(NetworkError) as info:
                await request.post(url)
        finally:
            await request.shutdown()
        assert "SECRET" not in str(info.value) and seen == []
        authority.cert_pem.write_to_path(str(tmp_path / "authority.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "authority.pem"))
        request = AiohttpRequest()
        await request.initialize()
        try:
            assert await request.post(url) is True
        finally:
            await request.shutdown()
    assert seen == [f"/bot{TOKEN}/deleteWebhook"]
