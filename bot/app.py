"""Build the python-telegram-bot Application: the one factory used by ``__main__``, tests, demo."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from kavenegar import KavenegarClient

from . import handlers
from .config import Settings
from .logs import SecretRedactor
from .services import Services
from .storage import Store

__all__ = ["build_application", "redactor_for", "started"]

#: Updates handled at once: a slow Kavenegar answer for one user never stalls the others.
CONCURRENT_UPDATES = 64
#: Telegram publishes 30 messages/s overall and 20/min per group; sending a little under both
#: keeps network jitter from pushing a burst over the line.
OVERALL_PER_SECOND = 25
GROUP_PER_MINUTE = 18


def redactor_for(settings: Settings) -> SecretRedactor:
    """A log redactor that knows this bot's secrets: both tokens and the webhook secret."""
    secrets = (settings.telegram_bot_token, settings.kavenegar_api_token, settings.webhook_secret)
    return SecretRedactor([secret.get_secret_value() for secret in secrets if secret is not None])


def build_application(
    settings: Settings,
    *,
    store: Store | None = None,
    kavenegar: KavenegarClient | None = None,
    redactor: SecretRedactor | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot, ready for ``run_polling`` or manual start; store and client open in post_init.

    A ``store`` or ``kavenegar`` passed in is used as is and left open at shutdown.
    """
    services = Services(
        settings, redactor or redactor_for(settings), store=store, kavenegar=kavenegar
    )
    builder = ApplicationBuilder()
    if settings.webhook_url:
        builder = builder.updater(None)  # updates arrive through bot.webhook instead
    app = (
        builder.token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .concurrent_updates(CONCURRENT_UPDATES)
        # Flood limits: paced under Telegram's; a 429 is waited out and retried, never dropped.
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=OVERALL_PER_SECOND,
                group_max_rate=GROUP_PER_MINUTE,
                max_retries=3,
            )
        )
        .connect_timeout(5)
        .read_timeout(10)
        .write_timeout(10)
        .pool_timeout(5)
        .post_init(services.post_init)
        .post_shutdown(services.post_shutdown)
        .build()
    )
    app.bot_data["services"] = services
    handlers.register(app, services)
    return app


@asynccontextmanager
async def started(
    app: Application[Any, Any, Any, Any, Any, Any], *, poll_timeout: float = 1.0
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Run ``app`` with long polling inside the current event loop (tests, the demo).

    ``run_polling`` owns its event loop and signals; this does the same steps by hand, in the
    same order, including the ``post_init``/``post_shutdown`` hooks ``run_polling`` would call.
    """
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=poll_timeout))
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
