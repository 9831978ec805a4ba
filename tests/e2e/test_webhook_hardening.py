"""Issue 8: the webhook port is open to anyone; what strangers (and odd bodies) cannot do to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Update

from bot.simulator import TelegramSimulator
from bot.telegram import webhook
from bot.telegram.webhook import SECRET_HEADER, build_web_app
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import MonotonicClock, free_port
from .conftest import SECRET, Bot, webhook_bot_running

ALICE = 6101
QUICK = 0.3  # the lowered header and body timeouts, in seconds
CLOSED_WITHIN = 5.0
MIB = 1024 * 1024  # how long the server may take to close a connection it should close

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _host_port(url: str) -> tuple[str, int]:
    parsed = httpx.URL(url)
    assert parsed.host and parsed.port
    return parsed.host, parsed.port


async def _connect(url: str, first: bytes = b"") -> Stream:
    reader, writer = await asyncio.open_connection(*_host_port(url))
    if first:
        writer.write(first)
        await writer.drain()
    return reader, writer


async def _closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (fails if it does not)."""
    received = b""
    async with asyncio.timeout(CLOSED_WITHIN):
        with contextlib.suppress(ConnectionError):  # a reset after the last byte
            while chunk := await reader.read(65536):
                received += chunk
    return received


async def _still_open(reader: asyncio.StreamReader) -> bool:
    try:
        async with asyncio.timeout(0.2):
            await reader.read(1)
    except TimeoutError:
        return True
    return False


async def _trickle(writer: asyncio.StreamWriter) -> None:
    """One body byte every 50 ms, until the server closes the connection."""
    with contextlib.suppress(ConnectionError):
        while not writer.is_closing():
            writer.write(b"1")
            await writer.drain()
            await asyncio.sleep(0.05)


def _close_all(streams: list[Stream]) -> None:
    for _reader, writer in streams:
        writer.close()


def _request_head(url: str, *, length: int, secret: str | None) -> bytes:
    parsed = httpx.URL(url)
    lines = [
        f"POST {parsed.path} HTTP/1.1",
        f"Host: {parsed.host}:{parsed.port}",
        "Content-Type: application/json",
        f"Content-Length: {length}",
    ]
    if secret is not None:
        lines.append(f"{SECRET_HEADER}: {secret}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture
def quick_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "HEADER_TIMEOUT", QUICK, raising=False)
    monkeypatch.setattr(webhook, "BODY_TIMEOUT", QUICK, raising=False)


async def _answers_normally(bot: Bot) -> None:
    """The bot still takes an update from the simulator and answers it."""
    await bot.onboard(ALICE, "Alice", "alice_k")
    assert bot.tg.sent_to(ALICE)


# -- item 9: connections time out, and there is a cap --------------------------------------------


@pytest.mark.usefixtures("quick_timeouts")
async def test_idle_half_header_and_slow_body_connections_are_closed(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    """Item 9: idle, half-sent-header and slow-body connections are closed by the server."""
    async with webhook_bot_running(tg, kv, sqlite_url) as (bot, url):
        head = _request_head(url, length=1000, secret=SECRET)
        idle = [await _connect(url) for _ in range(5)]
        half = [await _connect(url, head[: len(head) // 2]) for _ in range(5)]
        slow = [await _connect(url, head + b"1") for _ in range(5)]
        slow_stranger = [
            await _connect(url, _request_head(url, length=1000, secret="wrong") + b"1")
            for _ in range(5)
        ]
        trickles = [asyncio.create_task(_trickle(w)) for _, w in slow + slow_stranger]
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            everything = idle + half + slow + slow_stranger
            got = await asyncio.gather(*(_closed_by_server(reader) for reader, _ in everything))
            assert loop.time() - started < CLOSED_WITHIN
            assert got[:10] == [b""] * 10  # idle and half a header: closed without a word
            assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in got[10:15])
            assert all(answer.startswith(b"HTTP/1.1 403 ") for answer in got[15:])
        finally:
            for task in trickles:
                task.cancel()
            await asyncio.gather(*trickles, return_exceptions=True)
            _close_all(idle + half + slow + slow_stranger)
        await _answers_normally(bot)


async def test_connections_above_the_cap_are_closed_at_once(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 9: connections above the cap are refused at once; normal requests work after."""
    monkeypatch.setattr(webhook, "MAX_CONNECTIONS", 5, raising=False)
    async with webhook_bot_running(tg, kv, sqlite_url) as (bot, url):
        held = [await _connect(url) for _ in range(5)]
        try:
            for reader, _ in held:
                assert await _still_open(reader)
            over = [await _connect(url) for _ in range(3)]
            loop = asyncio.get_running_loop()
            started = loop.time()
            for reader, _ in over:
                assert await _closed_by_server(reader) == b""
            assert loop.time() - started < 1.0
            _close_all(over)
            for reader, _ in held:
                assert await _still_open(reader)
        finally:
            _close_all(held)
        health = url.replace("/telegram/updates", "/healthz")
        async with asyncio.timeout(CLOSED_WITHIN):
            while True:  # the server notices the closed connections a moment later
                with contextlib.suppress(httpx.TransportError):
                    async with httpx.AsyncClient() as http:
                        if (await http.get(health)).status_code == 200:
                            break
                await asyncio.sleep(0.05)
        await _answers_normally(bot)


async def test_large_bodies_get_413(hooked: tuple[Bot, str]) -> None:
    """Item 9: a body larger than the cap is refused with 413, whether announced or chunked."""
    bot, url = hooked
    big = b'{"update_id": 1, "x": "' + b"a" * MIB + b'"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    async with httpx.AsyncClient() as http:
        announced = await http.post(url, content=big, headers={SECRET_HEADER: SECRET})
        chunked = await http.post(url, content=chunks(), headers={SECRET_HEADER: SECRET})
    assert (announced.status_code, chunked.status_code) == (413, 413)
    await _answers_normally(bot)


# -- item 10: only valid updates are queued ------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000  # json.loads: RecursionError
NOT_UPDATES: dict[str, bytes] = {
    "list": b"[1,2]",
    "string": b'"abc"',
    "null": b"null",
    "number": b"5",
    "deeply nested": DEEP,
    "deeply nested object": b'{"update_id": 1, "message": ' + DEEP + b"}",
    "no update_id": b'{"message":"x"}',
    "not UTF-8": b'{"update_id": 1, "message": "\xff\xfe"}',
    "update_id a string": b'{"update_id":"abc"}',
    "update_id negative": b'{"update_id": -1}',
    "update_id a bool": b'{"update_id": true}',
    "update_id a float": b'{"update_id": 1.0}',
    "update_id too big": b'{"update_id": 18446744073709551616}',
    "NaN": b'{"update_id": 1, "x": NaN}',
    "message a string": b'{"update_id": 1, "message": "x"}',
    "message empty": b'{"update_id": 1, "message": {}}',
    "message a list": b'{"update_id": 1, "message": [1]}',
    "bad date": json.dumps(
        {
            "update_id": 1,
            "message": {"message_id": 1, "date": "zz", "chat": {"id": 7, "type": "private"}},
        }
    ).encode(),
}


@pytest.mark.parametrize("body", NOT_UPDATES.values(), ids=NOT_UPDATES.keys())
async def test_bodies_that_are_not_updates_get_400(
    hooked: tuple[Bot, str],
    body: bytes,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Item 10: odd bodies with the right secret are a 400, never queued, never handled."""
    bot, url = hooked
    queued: list[object] = []
    real_put = bot.app.update_queue.put

    async def spy(item: object) -> None:
        queued.append(item)
        await real_put(item)

    monkeypatch.setattr(bot.app.update_queue, "put", spy)
    async with httpx.AsyncClient() as http:
        response = await http.post(url, content=body, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400
    await bot.settle()
    assert queued == []
    assert bot.tg.calls_of("sendMessage") == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    await _answers_normally(bot)
    assert [type(item) for item in queued] == [Update]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


# -- item 12: wrong-secret requests are counted, not logged one by one ---------------------------


@contextlib.asynccontextmanager
async def serving(web_app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    port = free_port()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield f"http://127.0.0.1:{port}/telegram/updates"
    finally:
        await runner.cleanup()


async def test_wrong_secret_requests_are_counted_not_logged_each(
    hooked: tuple[Bot, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Item 12: 500 wrong-secret requests make at most 2 lines; the count comes a minute on."""
    bot, _url = hooked
    clock = MonotonicClock()
    web_app = build_web_app(bot.app, bot.services, bot.call_bot.settings, now=clock)
    caplog.set_level(logging.INFO, logger="bot.telegram.webhook")

    def warnings() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "bot.telegram.webhook" and r.levelno == logging.WARNING
        ]

    update: dict[str, Any] = {"update_id": 5}
    async with serving(web_app) as url, httpx.AsyncClient() as http:
        for i in range(500):
            headers = {SECRET_HEADER: f"wrong-{i}"} if i % 2 else {}
            assert (await http.post(url, json=update, headers=headers)).status_code == 403
        assert 1 <= len(warnings()) <= 2
        clock.now += 30
        assert (await http.post(url, json=update)).status_code == 403
        assert 1 <= len(warnings()) <= 2
        clock.now += 31
        assert (await http.post(url, json=update)).status_code == 403
        assert "500 webhook requests without the right secret in the last minute" in warnings()
        lines = len(warnings())
        for _ in range(3):
            assert (await http.post(url, json=update)).status_code == 403
        assert len(warnings()) == lines
    assert warnings()[-1] == "3 webhook requests without the right secret in the last minute"
    assert SECRET not in caplog.text
