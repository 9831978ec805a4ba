"""Webhook mode: Telegram posts updates to ``WEBHOOK_URL``; this serves them and ``/healthz``.

One aiohttp server (the same server library as the simulators) on ``WEBHOOK_LISTEN:WEBHOOK_PORT``
takes updates at the path of ``WEBHOOK_URL`` and answers ``GET /healthz``. Every update request
must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to ``WEBHOOK_SECRET`` (compared in constant
time); anything else gets 403, and the secret is never logged. Several replicas behind a load
balancer can serve the same URL: updates are de-duplicated in the shared database.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from telegram import Update

from .config import Settings
from .ptb import PTBApp
from .services import Services

__all__ = ["SECRET_HEADER", "build_web_app", "webhook_server"]

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def build_web_app(app: PTBApp, services: Services, settings: Settings) -> web.Application:
    """The aiohttp app: ``POST <webhook path>`` for updates, ``GET /healthz`` for probes."""
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value().encode()

    async def take_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, secret):
            logger.warning("webhook request without the right secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.text())
            update = Update.de_json(data, app.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        await app.update_queue.put(update)
        return web.Response(status=200, text="ok")

    async def health(request: web.Request) -> web.Response:
        if await services.store.ping():
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "database unavailable"}, status=503)

    web_app = web.Application()
    web_app.router.add_post(settings.webhook_path, take_update)
    web_app.router.add_get("/healthz", health)
    return web_app


@asynccontextmanager
async def webhook_server(
    app: PTBApp, services: Services, settings: Settings
) -> AsyncIterator[web.AppRunner]:
    """Serve the webhook and register it with Telegram; on exit, stop taking updates."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    runner = web.AppRunner(
        build_web_app(app, services, settings), access_log=None, shutdown_timeout=5
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
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
