"""Webhook mode: Telegram posts updates to ``WEBHOOK_URL``; this serves them and ``/healthz``.

One aiohttp server (the same server library as the simulators) on ``WEBHOOK_LISTEN:WEBHOOK_PORT``
takes updates at the path of ``WEBHOOK_URL`` and answers ``GET /healthz``. Several replicas
behind a load balancer can serve the same URL: updates are de-duplicated in the shared database.

The port is open to anyone, so nothing a client sends is trusted:

- Every update request must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to
  ``WEBHOOK_SECRET`` (compared in constant time, before the body is read); anything else gets
  403. The secret is never logged; wrong-secret requests are not logged one by one either: the
  first of a minute is, the rest are counted and reported in one line a minute.
- A connection must finish each request's headers within ``HEADER_TIMEOUT`` of opening (or of
  the previous response), else it is closed; this is also the keep-alive idle timeout. aiohttp
  has no header timeout of its own, so a small protocol wrapper around its protocol factory
  keeps one (:class:`_Gate`), and refuses (closes at once) connections above
  ``MAX_CONNECTIONS``, so clients cannot hold every file descriptor.
- The body must arrive within ``BODY_TIMEOUT`` (else 408) and be at most ``MAX_BODY_BYTES``
  (else 413).
- Only a valid update is queued: a UTF-8 JSON object whose ``update_id`` is a non-negative
  64-bit int and that ``telegram.Update.de_json`` accepts. Anything else (a list, a string,
  ``null``, JSON nested too deep, bad UTF-8...) gets 400 and reaches no handler.
- ``/healthz`` is 200 ``{"status": "ok"}`` when the database answers, has this release's schema
  and takes a write (``Store.health``); else 503 with the problem: ``{"status": "unreachable"}``,
  ``"schema"`` or ``"readonly"``.

Tests lower the limits by passing :class:`Limits` or by setting the module constants, which
:class:`Limits` reads when it is made.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import NoReturn

from aiohttp import web
from aiohttp.typedefs import Handler
from telegram import Bot, Update

from bot.config import Settings
from bot.services import Services
from bot.telegram.join_page import add_join_page
from bot.telegram.probes import Readiness, add_probes
from bot.telegram.ptb import PTBApp

__all__ = [
    "BODY_TIMEOUT",
    "HEADER_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_CONNECTIONS",
    "REPORT_WINDOW",
    "SECRET_HEADER",
    "Limits",
    "build_web_app",
    "webhook_server",
]

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

#: Seconds a connection has to send a request's headers (from connecting or the last response).
HEADER_TIMEOUT = 10.0
#: Seconds a request has to send its body once its headers are in.
BODY_TIMEOUT = 10.0
#: Connections open at once; more are closed as soon as they are accepted.
MAX_CONNECTIONS = 256
#: Largest update body accepted (Telegram's are a few kilobytes).
MAX_BODY_BYTES = 1024 * 1024
#: Seconds over which repeated warnings (wrong secret, refused connections) are counted.
REPORT_WINDOW = 60.0
#: Largest ``update_id`` (the database keeps it as a signed 64-bit integer).
MAX_UPDATE_ID = 2**63 - 1


@dataclass(frozen=True)
class Limits:
    """What one client may take of the server; each default is the module constant at creation."""

    header_timeout: float = field(default_factory=lambda: HEADER_TIMEOUT)
    body_timeout: float = field(default_factory=lambda: BODY_TIMEOUT)
    max_connections: int = field(default_factory=lambda: MAX_CONNECTIONS)
    max_body_bytes: int = field(default_factory=lambda: MAX_BODY_BYTES)


class _Tally:
    """One WARNING for the first event of a window; the rest counted, reported in one line."""

    def __init__(self, first: str, summary: str, now: Callable[[], float]) -> None:
        self._first, self._summary, self._now = first, summary, now
        self._since: float | None = None
        self._count = 0

    def hit(self, *args: object) -> None:
        self.report()
        if self._since is None:
            self._since = self._now()
            logger.warning(self._first, *args)
        else:
            self._count += 1

    def report(self, *, final: bool = False) -> None:
        """Report the count once the window is over (or now, when ``final``)."""
        if self._since is None or (not final and self._now() - self._since < REPORT_WINDOW):
            return
        if self._count:
            logger.warning(self._summary, self._count)
        self._since, self._count = None, 0


_TALLIES = web.AppKey("tallies", list[_Tally])


class _NotAnUpdate(Exception):
    """The body of an authenticated request is not a Telegram update (400)."""


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _parse_update(body: bytes, bot: Bot) -> Update:
    """The update in ``body``, or :class:`_NotAnUpdate` saying why not."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise _NotAnUpdate(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise _NotAnUpdate(f"a JSON {type(data).__name__}, not an object")
    update_id = data.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
        raise _NotAnUpdate("no valid update_id")
    try:
        update = Update.de_json(data, bot)
    except Exception as exc:  # whatever de_json trips on, the body is not an update
        raise _NotAnUpdate(f"not an update ({type(exc).__name__})") from None
    if not isinstance(update, Update):
        raise _NotAnUpdate("not an update")
    return update


def build_web_app(
    app: PTBApp,
    services: Services,
    settings: Settings,
    *,
    limits: Limits | None = None,
    now: Callable[[], float] = time.monotonic,
    readiness: Readiness | None = None,
) -> web.Application:
    """The aiohttp app: ``POST <webhook path>`` for updates, and the probes and metrics
    (:mod:`bot.telegram.probes`). Without ``readiness`` it counts as started."""
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value().encode()
    limits = limits or Limits()
    wrong_secret = _Tally(
        "webhook request without the right secret from %s",
        "%d webhook requests without the right secret in the last minute",
        now,
    )

    async def take_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            wrong_secret.hit(request.remote)
            return web.Response(status=403, text="forbidden")
        if (request.content_length or 0) > limits.max_body_bytes:
            return _closing(413, "too large")
        try:
            async with asyncio.timeout(limits.body_timeout):
                body = await request.read()
        except TimeoutError:
            return _closing(408, "body too slow")
        except web.HTTPRequestEntityTooLarge:
            return _closing(413, "too large")
        try:
            update = _parse_update(body, app.bot)
        except _NotAnUpdate as exc:
            logger.warning("webhook request with the right secret but %s", exc)
            return web.Response(status=400, text="not an update")
        await app.update_queue.put(update)
        return web.Response(status=200, text="ok")

    web_app = web.Application(client_max_size=limits.max_body_bytes, middlewares=[_header_deadline])
    web_app[_TALLIES] = [wrong_secret]
    web_app.router.add_post(settings.webhook_path, take_update)
    if readiness is None:
        readiness = Readiness()
        readiness.started = True
    add_probes(web_app, services, readiness)
    if settings.webapp_url:  # the join page, on the same server
        add_join_page(web_app, services, settings)
    web_app.cleanup_ctx.append(_reporting)
    return web_app


def _closing(status: int, text: str) -> web.Response:
    response = web.Response(status=status, text=text)
    response.force_close()
    return response


async def _reporting(web_app: web.Application) -> AsyncIterator[None]:
    """Report the counted warnings once a window, and what is left when the server stops."""

    async def every_window() -> None:
        while True:
            await asyncio.sleep(REPORT_WINDOW)
            for tally in web_app[_TALLIES]:
                tally.report()

    task = asyncio.create_task(every_window())
    yield
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
    for tally in web_app[_TALLIES]:
        tally.report(final=True)


@web.middleware
async def _header_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request being handled has its headers in: the connection's header clock stops, and
    starts again for the next request once this one is answered."""
    transport = request.transport
    connection = transport.get_protocol() if transport is not None else None
    if not isinstance(connection, _Connection):
        return await handler(request)
    connection.headers_arrived()
    try:
        return await handler(request)
    finally:
        connection.expect_headers()


class _Gate:
    """Protocol factory for ``loop.create_server``: aiohttp's, with a header timeout and a cap."""

    def __init__(
        self, inner: Callable[[], asyncio.Protocol], limits: Limits, refused: _Tally
    ) -> None:
        self.inner, self.limits, self.refused = inner, limits, refused
        self.open = 0

    def __call__(self) -> _Connection:
        return _Connection(self)


class _Connection(asyncio.Protocol):
    """One connection: forwards to aiohttp's protocol, closes it when headers are late."""

    def __init__(self, gate: _Gate) -> None:
        self._gate = gate
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.BaseTransport | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        gate = self._gate
        if gate.open >= gate.limits.max_connections:
            gate.refused.hit(gate.open)
            transport.close()
            return
        gate.open += 1
        self._transport = transport
        self.expect_headers()
        self._inner = gate.inner()
        self._inner.connection_made(transport)

    def expect_headers(self) -> None:
        """Start the header clock: the next request's headers must be in before it runs out."""
        self.headers_arrived()
        if self._transport is not None and not self._transport.is_closing():
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(self._gate.limits.header_timeout, self._expire)

    def headers_arrived(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is None:
            return
        self.headers_arrived()
        self._transport = None
        self._gate.open -= 1
        inner, self._inner = self._inner, None
        inner.connection_lost(exc)


class _GuardedSite(web.BaseSite):
    """A TCP site like ``web.TCPSite``, whose connections go through a :class:`_Gate`."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, gate: _Gate) -> None:
        super().__init__(runner)
        self._host, self._port, self._gate = host, port, gate

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        self._server = await asyncio.get_running_loop().create_server(
            self._gate, self._host, self._port, backlog=self._backlog
        )


@asynccontextmanager
async def webhook_server(
    app: PTBApp,
    services: Services,
    settings: Settings,
    *,
    limits: Limits | None = None,
    now: Callable[[], float] = time.monotonic,
    readiness: Readiness | None = None,
) -> AsyncIterator[web.AppRunner]:
    """Serve the webhook and register it with Telegram; on exit, stop taking updates."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    limits = limits or Limits()
    web_app = build_web_app(app, services, settings, limits=limits, now=now, readiness=readiness)
    refused = _Tally(
        "webhook connection refused: %d connections are open",
        "%d webhook connections refused in the last minute: too many open",
        now,
    )
    web_app[_TALLIES].append(refused)
    runner = web.AppRunner(
        web_app,
        access_log=None,
        shutdown_timeout=5,
        keepalive_timeout=limits.header_timeout,
    )
    await runner.setup()
    try:
        assert runner.server is not None
        gate = _Gate(runner.server, limits, refused)
        await _GuardedSite(runner, settings.webhook_listen, settings.webhook_port, gate).start()
        await app.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
        logger.info(
            "webhook mode: listening on %s:%s", settings.webhook_listen, settings.webhook_port
        )
        yield runner
    finally:
        await runner.cleanup()
