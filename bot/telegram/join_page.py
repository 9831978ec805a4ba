"""The join page (``WEBAPP_URL``): a Telegram Mini App that joins a call in the browser.

Served by the bot's own aiohttp server: the webhook's in webhook mode, a listener of its own
(``WEBAPP_LISTEN:WEBAPP_PORT``) in polling mode. At the path of ``WEBAPP_URL``:

- ``GET <path>``: the static page (``join_static/``), with a Content-Security-Policy that lets
  scripts come only from the bot, Telegram (``telegram-web-app.js``) and the origin of
  ``KAVENEGAR_WEB_SDK_URL``, and ``Referrer-Policy: no-referrer`` (the URL holds the handle);
- ``POST <path>/token``: ``{"initData": ..., "call": <handle>}``. ``initData`` is checked the way
  Telegram documents (HMAC-SHA256 keyed with ``HMAC_SHA256("WebAppData", bot token)`` over the
  sorted ``key=value`` lines, compared in constant time) and must be at most
  ``INIT_DATA_MAX_AGE`` old; then :meth:`bot.calls.joins.JoinService.lookup` says whether this
  Telegram user may have a token. 200 ``{callId, accessToken}`` for a participant of a joinable
  call; 401 bad or stale ``initData``; 403 someone else's call; 404 no such handle; 410 the
  call ended; 429 too many requests from this user (``Retry-After``: see
  :mod:`bot.calls.joins` for the per-user budget and the short cache of Kavenegar's answers);
  503 try again. Every answer is ``Cache-Control: no-store`` and logged, never
  with the token, the handle or ``initData``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlparse

from aiohttp import web

from bot.calls.joins import JoinStatus
from bot.config import Settings
from bot.core.clock import unix_time
from bot.services import Services

__all__ = [
    "INIT_DATA_MAX_AGE",
    "InitDataError",
    "WebAppUser",
    "add_join_page",
    "check_init_data",
    "content_security_policy",
    "join_page_server",
]

logger = logging.getLogger(__name__)

#: Seconds a Mini App's ``initData`` is accepted after Telegram signed it (``auth_date``).
INIT_DATA_MAX_AGE = 600
#: ``auth_date`` may be this far in the future (the clocks of Telegram and the bot differ).
CLOCK_SKEW = 60
#: The largest token request taken (``initData`` is well under 4 KB).
MAX_REQUEST_BYTES = 16 * 1024
#: Telegram's Mini App script, which the page loads.
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
#: Where Kavenegar's browser SDK signals (its samples: ``wss://messaging.kavenegar.io/v1``).
KAVENEGAR_SIGNALLING = "wss://*.kavenegar.io https://*.kavenegar.io"
_STATUS = {
    JoinStatus.READY: 200,
    JoinStatus.NOT_YOURS: 403,
    JoinStatus.UNKNOWN: 404,
    JoinStatus.ENDED: 410,
    JoinStatus.UNAVAILABLE: 503,
    JoinStatus.TOO_MANY: 429,
}
_NO_STORE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_ASSETS = {"join.js": "text/javascript", "join.css": "text/css"}


class InitDataError(Exception):
    """``initData`` that does not prove a Telegram user (why, in a few words: no data shown)."""


@dataclass(frozen=True)
class WebAppUser:
    """The Telegram user ``initData`` vouches for."""

    id: int
    language_code: str | None


def check_init_data(init_data: str, bot_token: str, *, now: float) -> WebAppUser:
    """The user of a Mini App's ``initData``, signed by Telegram for this bot's token and at
    most :data:`INIT_DATA_MAX_AGE` seconds old at ``now`` (a Unix time).

    Raises:
        InitDataError: not signed with this token, stale, or malformed.
    """
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field given twice")
    given = fields.pop("hash", "")
    check_string = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise InitDataError("wrong hash")
    try:
        signed_at = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = user["id"]
    except (ValueError, TypeError, KeyError):
        raise InitDataError("no auth_date or user") from None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise InitDataError("no user id")
    if not now - INIT_DATA_MAX_AGE <= signed_at <= now + CLOCK_SKEW:
        raise InitDataError("stale")
    language = user.get("language_code")
    return WebAppUser(user_id, language if isinstance(language, str) else None)


def content_security_policy(sdk_url: str) -> str:
    """The page's policy: its own files, Telegram's script and the SDK's origin, nothing else."""
    parsed = urlparse(sdk_url)
    sdk_origin = f"{parsed.scheme}://{parsed.netloc}"
    telegram = urlparse(TELEGRAM_SCRIPT)
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {telegram.scheme}://{telegram.netloc} {sdk_origin}",
            "style-src 'self'",
            "img-src 'self' data:",
            "media-src 'self' blob: mediastream:",
            f"connect-src 'self' {sdk_origin} {KAVENEGAR_SIGNALLING}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self' https://web.telegram.org",
        ]
    )


def _page_html(settings: Settings) -> str:
    """The page, with its own path and the SDK's URL filled in (as HTML attributes)."""
    template = resources.files("bot.telegram").joinpath("join_static/index.html").read_text()
    base = settings.webapp_path
    return template.replace("{{BASE}}", _attribute(base)).replace(
        "{{SDK_URL}}", _attribute(settings.kavenegar_web_sdk_url)
    )


def _attribute(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def add_join_page(
    web_app: web.Application,
    services: Services,
    settings: Settings,
    *,
    now: Callable[[], float] | None = None,
) -> None:
    """Add the page, its two assets and its token endpoint at the path of ``WEBAPP_URL``.

    ``now``: Unix time for the age of ``initData`` (the services' clock by default).
    """
    assert settings.webapp_url is not None
    base = settings.webapp_path
    bot_token = settings.telegram_bot_token.get_secret_value()
    page = _page_html(settings)
    policy = content_security_policy(settings.kavenegar_web_sdk_url)
    clock = now or (lambda: unix_time(services.clock.now()))
    static = resources.files("bot.telegram").joinpath("join_static")
    assets = {name: static.joinpath(name).read_text() for name in _ASSETS}
    answers = services.metrics.join_page_answers

    async def show_page(request: web.Request) -> web.Response:
        headers = dict(_NO_STORE, **{"Content-Security-Policy": policy})
        return web.Response(text=page, content_type="text/html", headers=headers)

    async def asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in assets:
            raise web.HTTPNotFound()
        return web.Response(
            text=assets[name],
            content_type=_ASSETS[name],
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"},
        )

    async def token(request: web.Request) -> web.Response:
        body = await _request_json(request)
        init_data, handle = (body or {}).get("initData"), (body or {}).get("call")
        if not isinstance(init_data, str) or not isinstance(handle, str) or not handle:
            logger.info("join page: 400, not the page's request")
            answers.labels("bad_request").inc()
            return _answer(400, "bad_request")
        try:
            user = check_init_data(init_data, bot_token, now=clock())
        except InitDataError as exc:
            logger.info("join page: 401, initData refused (%s)", exc)
            answers.labels("unauthorized").inc()
            return _answer(401, "unauthorized")
        answer = await services.joins.lookup(handle, user.id)
        status = _STATUS[answer.status]
        logger.info(
            "join page: %d %s for user %s, call %s",
            status,
            answer.status.value,
            user.id,
            answer.call_row_id,
            extra={"call_id": answer.call_row_id},
        )
        answers.labels(answer.status.value).inc()
        if answer.status is JoinStatus.TOO_MANY:
            wait = {"Retry-After": str(answer.retry_after or 60)}
            return _answer(status, answer.status.value, headers=wait)
        if answer.status is not JoinStatus.READY:
            return _answer(status, answer.status.value)
        return _answer(
            200,
            "ready",
            callId=answer.call_id,
            accessToken=answer.access_token,
            role=answer.role,
        )

    web_app.router.add_get(base or "/", show_page)
    if base:
        web_app.router.add_get(base + "/", show_page)
    web_app.router.add_get(base + "/static/{name}", asset)
    web_app.router.add_post(base + "/token", token)


async def _request_json(request: web.Request) -> dict[str, Any] | None:
    """The request's JSON object, or None (too large, not JSON, not an object)."""
    if (request.content_length or 0) > MAX_REQUEST_BYTES:
        return None
    try:
        raw = await request.read()  # (the server's client_max_size bounds it)
        if len(raw) > MAX_REQUEST_BYTES:
            return None
        data = json.loads(raw)
    except (ValueError, RecursionError, web.HTTPRequestEntityTooLarge):
        # (UnicodeDecodeError is a ValueError; thousands of nested [ are a RecursionError)
        return None
    return data if isinstance(data, dict) else None


def _answer(
    status: int, word: str, headers: dict[str, str] | None = None, **fields: Any
) -> web.Response:
    return web.json_response(
        {"status": word, **fields}, status=status, headers={**_NO_STORE, **(headers or {})}
    )


@asynccontextmanager
async def join_page_server(services: Services, settings: Settings) -> AsyncIterator[web.AppRunner]:
    """The join page on its own listener (polling mode), until the block ends."""
    web_app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    add_join_page(web_app, services, settings)
    # no access log: the page's URL holds the join handle
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=2)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webapp_listen, settings.webapp_port).start()
        logger.info("join page on %s:%s", settings.webapp_listen, settings.webapp_port)
        yield runner
    finally:
        await runner.cleanup()
