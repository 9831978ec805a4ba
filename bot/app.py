"""Build the bot: the one factory used by ``__main__``, tests, the demo and the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import AIORateLimiter, ApplicationBuilder

from kavenegar import KavenegarClient

from . import commands
from .clock import Clock
from .config import Settings
from .logs import SecretRedactor
from .messages import Messenger
from .ptb import PTBApp
from .services import Services
from .storage import Store

__all__ = ["CallBot", "build_bot", "redactor_for"]

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


@dataclass(frozen=True)
class CallBot:
    """The python-telegram-bot application and the services its handlers were given."""

    app: PTBApp
    services: Services

    @property
    def settings(self) -> Settings:
        return self.services.settings


def build_bot(
    settings: Settings,
    *,
    store: Store | None = None,
    kavenegar: KavenegarClient | None = None,
    messenger: Messenger | None = None,
    redactor: SecretRedactor | None = None,
    clock: Clock | None = None,
) -> CallBot:
    """The bot, ready for :func:`bot.runtime.running`; the store and client open at start.

    A ``store``, ``kavenegar`` client or ``messenger`` passed in is used as is and left open.
    """
    services = Services(
        settings,
        redactor or redactor_for(settings),
        store=store,
        kavenegar=kavenegar,
        messenger=messenger,
        clock=clock,
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
        .build()
    )
    commands.register(app, services)
    return CallBot(app=app, services=services)
