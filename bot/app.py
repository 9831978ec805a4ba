"""Build the bot: the one factory used by ``__main__``, tests, the demo and the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import ApplicationBuilder

from bot.config import Settings
from bot.core.clock import Clock
from bot.core.logs import SecretRedactor
from bot.core.messages import Messenger
from bot.services import Services
from bot.storage import Store
from bot.telegram.delivery import TelegramMessenger
from bot.telegram.http import AiohttpRequest
from bot.telegram.intake import CONCURRENT_UPDATES, FairUpdateProcessor, UpdateQueue
from bot.telegram.pacing import TELEGRAM_LIMITS, Limits, Pacer
from bot.telegram.probes import Readiness
from bot.telegram.ptb import PTBApp
from kavenegar import KavenegarClient

__all__ = ["CONCURRENT_UPDATES", "OVERALL_PER_SECOND", "CallBot", "build_bot", "redactor_for"]

#: Messages a second the bot sends at most, all chats together (paced by bot.telegram.pacing, which
#: counts each one from its request to its answer and a second after: network jitter cannot
#: push a burst over Telegram's line).
OVERALL_PER_SECOND = TELEGRAM_LIMITS.overall[0].count


def redactor_for(settings: Settings) -> SecretRedactor:
    """A log redactor that knows this bot's secrets: both tokens and the webhook secret."""
    secrets = (settings.telegram_bot_token, settings.kavenegar_api_token, settings.webhook_secret)
    return SecretRedactor([secret.get_secret_value() for secret in secrets if secret is not None])


@dataclass
class CallBot:
    """The python-telegram-bot application, and what its services are built from when it starts.

    The services exist while the bot runs (:func:`bot.runtime.running`): the store and the
    Kavenegar client are opened then, and the bot's username is known only after ``getMe``.
    """

    app: PTBApp
    settings: Settings
    messenger: Messenger
    redactor: SecretRedactor
    #: A store, Kavenegar client or clock handed in: used as they are and left open.
    store: Store | None = None
    kavenegar: KavenegarClient | None = None
    clock: Clock | None = None
    #: The Bot API connections, closed by :func:`bot.runtime.running` even when the start
    #: failed (python-telegram-bot closes them only after a start that succeeded).
    requests: tuple[AiohttpRequest, ...] = ()
    running_services: Services | None = None
    #: Whether this replica takes traffic (/readyz): set by the runtime as it starts and stops.
    readiness: Readiness = field(default_factory=Readiness)

    @property
    def services(self) -> Services:
        """The services of the running bot."""
        if self.running_services is None:
            raise RuntimeError("the services are built when the bot starts")
        return self.running_services


def build_bot(
    settings: Settings,
    *,
    store: Store | None = None,
    kavenegar: KavenegarClient | None = None,
    messenger: Messenger | None = None,
    redactor: SecretRedactor | None = None,
    clock: Clock | None = None,
    pacing: Limits = TELEGRAM_LIMITS,
) -> CallBot:
    """The bot, ready for :func:`bot.runtime.running`; the store and client open at start.

    A ``store``, ``kavenegar`` client or ``messenger`` passed in is used as is and left open.
    ``pacing`` is the flood limits messages are paced under: Telegram's unless a test that runs
    simulated hours in seconds needs :data:`~bot.telegram.pacing.NO_LIMITS`.
    """
    # Updates come in only as fast as they are handled (a bounded number in hand), and each
    # chat's wait in its own line (bot.telegram.intake). Flood limits are kept by the messenger's
    # pacer
    # (bot.telegram.pacing), not by a rate limiter here: no second layer of retries.
    builder = ApplicationBuilder().update_queue(UpdateQueue())
    if settings.webhook_url:
        builder = builder.updater(None)  # updates arrive through bot.telegram.webhook instead
    # Requests go over aiohttp (bot.telegram.http): a fraction of httpx's CPU per request.
    # getUpdates has a connection of its own, as python-telegram-bot does it.
    requests = (AiohttpRequest(), AiohttpRequest(connections=1))
    app = (
        builder.token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .concurrent_updates(FairUpdateProcessor())
        .request(requests[0])
        .get_updates_request(requests[1])
        .build()
    )
    if messenger is None:
        messenger = TelegramMessenger(app.bot, pacer=Pacer(pacing))
    return CallBot(
        app=app,
        settings=settings,
        messenger=messenger,
        redactor=redactor or redactor_for(settings),
        store=store,
        kavenegar=kavenegar,
        clock=clock,
        requests=requests,
    )
