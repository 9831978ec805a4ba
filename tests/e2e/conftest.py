"""The bot, for real, over HTTP against the Telegram simulator and the Kavenegar sandbox.

The bot runs on the ``sqlite_url`` database unless a test names another (``db_url``: SQLite,
then PostgreSQL), and on the real time unless it is handed the ``clock`` (``clocked/``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app import CallBot, build_bot
from bot.config import Settings
from bot.core.clock import Clock
from bot.runtime import running
from bot.services import Services
from bot.simulator import SentMessage, TelegramSimulator
from bot.storage import Store
from bot.telegram.pacing import NO_LIMITS, TELEGRAM_LIMITS, Limits
from kavenegar import KavenegarClient
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, BOB, BOT_TOKEN, GROUP, KV_TOKEN, free_port, visible


def make_settings(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "kavenegar_api_token": KV_TOKEN,
        "telegram_base_url": tg.base_url,
        "kavenegar_base_url": kv.base_url,
        "database_url": db_url,
    }
    values.update(extra)
    return Settings(_env_file=None, **values)


@dataclass
class Bot:
    """A running bot plus handles on both simulators."""

    tg: TelegramSimulator
    kv: KavenegarSandbox
    call_bot: CallBot
    db_url: str
    stack: AsyncExitStack

    async def stop(self) -> None:
        """Stop the bot now (the end of its ``bot_running`` block then does nothing)."""
        await self.stack.aclose()

    @property
    def app(self) -> Any:
        return self.call_bot.app

    @property
    def services(self) -> Services:
        return self.call_bot.services

    async def onboard(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        *,
        language_code: str = "en",
        last_name: str | None = None,
    ) -> None:
        """A person creates their account and presses Start in a private chat."""
        self.tg.add_user(
            user_id,
            first_name,
            username=username,
            language_code=language_code,
            last_name=last_name,
        )
        before = len(self.tg.sent_to(user_id))
        await self.tg.user_sends(user_id, "/start")
        await self.tg.wait_until(
            lambda: len(self.tg.sent_to(user_id)) > before, what=f"welcome for {first_name}"
        )

    async def onboard_pair(self) -> None:
        """Alice (@alice_k) and Bob (@bob_k), both signed up."""
        await self.onboard(ALICE, "Alice", "alice_k")
        await self.onboard(BOB, "Bob", "bob_k")

    async def say(
        self, user_id: int, text: str, *, chat_id: int | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Send a message and wait until the bot has answered everything it will answer."""
        message = await self.tg.user_sends(user_id, text, chat_id=chat_id, **kwargs)
        await self.settle()
        return message

    async def settle(self) -> None:
        """Wait until every update was taken and every handler finished."""
        await self.tg.wait_idle()
        await self.tg.wait_until(
            lambda: self.app.update_queue.empty() and not self._busy(), what="handlers to finish"
        )

    def _busy(self) -> bool:
        processor = self.app.update_processor
        return processor.current_concurrent_updates > 0  # type: ignore[no-any-return]

    def last(self, chat_id: int) -> SentMessage:
        sent = self.tg.sent_to(chat_id)
        assert sent, f"nothing was sent to {chat_id}"
        return sent[-1]

    def last_text(self, chat_id: int) -> str:
        """The visible text of the last message sent to ``chat_id``."""
        return visible(self.last(chat_id).text)


@pytest.fixture
async def tg() -> AsyncIterator[TelegramSimulator]:
    async with TelegramSimulator(token=BOT_TOKEN, bot_username="KavenegarCallBot") as sim:
        sim.add_group(GROUP, "Ops team")
        yield sim


@asynccontextmanager
async def bot_running(
    tg: TelegramSimulator,
    kv: KavenegarSandbox,
    db_url: str,
    *,
    kavenegar: KavenegarClient | None = None,
    store: Store | None = None,
    clock: Clock | None = None,
    pacing: Limits = NO_LIMITS,
    **extra: Any,
) -> AsyncIterator[Bot]:
    """The real bot, long polling the simulator, until the block ends.

    A ``kavenegar`` client or ``store`` passed in is used as is (and left open); a ``clock``
    drives its schedules (the call watcher, rings). ``pacing``: the bot's flood limits. Tests
    about other things run without them (the simulator enforces none unless told to), so a
    test that says ten things to one person does not wait ten seconds; the tests of pacing
    itself, and the load test, use Telegram's (the ``bot_at_telegram_pace`` fixture).
    """
    settings = make_settings(tg, kv, db_url, **extra)
    call_bot = build_bot(settings, kavenegar=kavenegar, store=store, clock=clock, pacing=pacing)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(call_bot, poll_timeout=1.0))
        yield Bot(tg=tg, kv=kv, call_bot=call_bot, db_url=db_url, stack=stack)


@pytest.fixture
async def bot(tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str) -> AsyncIterator[Bot]:
    async with bot_running(tg, kv, sqlite_url) as running_bot:
        yield running_bot


@pytest.fixture
async def bot_at_telegram_pace(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> AsyncIterator[Bot]:
    """The bot paced under Telegram's flood limits, as in production."""
    async with bot_running(tg, kv, sqlite_url, pacing=TELEGRAM_LIMITS) as running_bot:
        yield running_bot


SECRET = "w" * 20 + "-SECRET_0123456789abcdef"


def webhook_settings(port: int) -> dict[str, Any]:
    return {
        "webhook_url": f"http://127.0.0.1:{port}/telegram/updates",
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
        "webhook_secret": SECRET,
        "stop_drain_seconds": 0,  # (the test of draining asks for it)
    }


@asynccontextmanager
async def webhook_bot_running(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, **extra: Any
) -> AsyncIterator[tuple[Bot, str]]:
    """The bot in webhook mode on a free loopback port; yields it and its webhook URL."""
    port = free_port()
    settings = webhook_settings(port)
    async with bot_running(tg, kv, db_url, **settings, **extra) as bot:
        yield bot, settings["webhook_url"]


@pytest.fixture
async def hooked(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> AsyncIterator[tuple[Bot, str]]:
    async with webhook_bot_running(tg, kv, sqlite_url) as running:
        yield running
