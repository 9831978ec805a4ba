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
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from .config import Settings
from .services import Services

__all__ = ["SECRET_HEADER", "serving_webhook"]

logger = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
APP_KEY = web.AppKey("ptb_app", object)


def build_web_app(
    app: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> web.Application:
    assert settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value().encode()
    services: Services = app.bot_data["services"]

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
async def serving_webhook(
    app: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> AsyncIterator[web.AppRunner]:
    """Start the bot in webhook mode; on exit, stop taking updates, then finish the ones taken."""
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        runner = web.AppRunner(build_web_app(app, settings), access_log=None, shutdown_timeout=5)
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
            if app.running:
                await app.stop()  # waits for the updates already taken
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
