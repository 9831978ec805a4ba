"""The bot, for real, over HTTP against the Telegram simulator and the Kavenegar sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application, started
from bot.config import Settings
from bot.services import Services
from bot.simulator import SentMessage, TelegramSimulator
from kavenegar import KavenegarClient
from kavenegar.sandbox import KavenegarSandbox, SandboxClock

BOT_TOKEN = "987654321:TEST-secret-bot-token-0123456789abcdef"
KV_TOKEN = "kv-secret-api-token-7a1f3c"
GROUP = -100123


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
    app: Any
    db_url: str
    stack: AsyncExitStack

    @property
    def services(self) -> Services:
        return self.app.bot_data["services"]  # type: ignore[no-any-return]

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


@pytest.fixture
async def tg() -> AsyncIterator[TelegramSimulator]:
    async with TelegramSimulator(token=BOT_TOKEN, bot_username="KavenegarCallBot") as sim:
        sim.add_group(GROUP, "Ops team")
        yield sim


@pytest.fixture
async def kv() -> AsyncIterator[KavenegarSandbox]:
    clock = SandboxClock(now=lambda: datetime(2026, 11, 28, 9, 0, 0))
    async with KavenegarSandbox(api_token=KV_TOKEN, clock=clock) as sandbox:
        yield sandbox


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def start_bot(
    tg: TelegramSimulator,
    kv: KavenegarSandbox,
    db_url: str,
    *,
    kavenegar: KavenegarClient | None = None,
    **extra: Any,
) -> Bot:
    app = build_application(make_settings(tg, kv, db_url, **extra), kavenegar=kavenegar)
    stack = AsyncExitStack()
    await stack.enter_async_context(started(app))
    return Bot(tg=tg, kv=kv, app=app, db_url=db_url, stack=stack)


async def stop_bot(bot: Bot) -> None:
    await bot.stack.aclose()


@pytest.fixture
async def bot(tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str) -> AsyncIterator[Bot]:
    running = await start_bot(tg, kv, db_url)
    yield running
    await stop_bot(running)
