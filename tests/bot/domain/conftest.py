"""The fast layer: domain services without Telegram, on a real store and the real sandbox.

The call service runs against a recording messenger (what would be sent, to whom), a real
database (SQLite here, and the throwaway PostgreSQL server where a test asks for both), and the
Kavenegar client over HTTP to the sandbox in this event loop. No bot, no polling: a test takes
milliseconds, so the refusal and fault tables live here; the end-to-end tests over both
simulators keep one example of each kind.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.calls.record_keeper import RecordKeeper
from bot.calls.service import CallReport, CallRequest, CallService, CallSettings
from bot.core.messages import Delivery, OutgoingMessage, Receipt
from bot.core.people import UserProfile, UserRecord
from bot.core.texts import plain
from bot.storage import Store
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import migrated_sqlite_template
from ..conftest import ALICE, BOB, GROUP, quick_client, visible

BOT_USERNAME = "KavenegarCallBot"


class RecordingMessenger:
    """A :class:`~bot.core.messages.Messenger` that records each message; deliveries are settable.

    Messages get ids as Telegram gives them (per chat, from 1); edits replace the text of the
    message they name, as a chat would show it, and are recorded too.
    """

    def __init__(self) -> None:
        self.sent: list[tuple[int, OutgoingMessage]] = []
        self.deliveries: dict[int, Delivery] = {}
        self.current: dict[tuple[int, int], OutgoingMessage] = {}
        self.edits: list[tuple[int, int, OutgoingMessage]] = []
        self.callback_answers: list[tuple[str, str | None, bool]] = []

    async def send(self, chat_id: int, message: OutgoingMessage) -> Receipt:
        self.sent.append((chat_id, message))
        delivery = self.deliveries.get(chat_id, Delivery.SENT)
        if delivery is not Delivery.SENT:
            return Receipt(delivery)
        message_id = sum(1 for c, _ in self.sent if c == chat_id)
        self.current[(chat_id, message_id)] = message
        return Receipt(delivery, message_id)

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage) -> Delivery:
        self.edits.append((chat_id, message_id, message))
        if (chat_id, message_id) not in self.current:
            return Delivery.GONE
        self.current[(chat_id, message_id)] = message
        return Delivery.SENT

    async def answer_callback(
        self, callback_id: str, text: str | None = None, *, alert: bool = False
    ) -> None:
        self.callback_answers.append((callback_id, text, alert))

    def now_reads(self, chat_id: int, message_id: int) -> str:
        """What a message reads now, after any edits."""
        return visible(plain(self.current[(chat_id, message_id)].html))

    def to(self, chat_id: int) -> list[OutgoingMessage]:
        return [m for c, m in self.sent if c == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        """What ``chat_id`` would read: visible text, without markup."""
        return [visible(plain(m.html)) for m in self.to(chat_id)]


@dataclass
class World:
    """A call service and everything around it."""

    service: CallService
    store: Store
    messenger: RecordingMessenger
    kv: KavenegarSandbox
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def person(
        self,
        telegram_id: int,
        first_name: str,
        username: str | None = None,
        *,
        started: bool = True,
        language_code: str = "en",
        **profile: Any,
    ) -> UserRecord:
        """Someone the bot knows; ``started``: they pressed Start in a private chat."""
        return await self.store.upsert_user(
            UserProfile(
                telegram_id,
                first_name,
                username=username,
                language_code=language_code,
                **profile,
            ),
            dm_open=started,
            started=started,
        )

    async def pair(self) -> None:
        await self.person(ALICE, "Alice", "alice_k")
        await self.person(BOB, "Bob", "bob_k")

    async def call(
        self, text: str, *, caller: int = ALICE, chat_id: int = GROUP, **extra: Any
    ) -> CallReport:
        """``caller`` types ``/call <text>`` in ``chat_id``."""
        record = await self.store.get_user(caller)
        profile = record.profile if record else UserProfile(caller, f"User {caller}")
        request = CallRequest(
            chat_id=chat_id,
            message_id=next(self.message_ids),
            caller=profile,
            args_text=f" {text}" if text else "",
            **extra,
        )
        return await self.service.handle(request)

    def answers(self, chat_id: int = GROUP) -> list[str]:
        return self.messenger.texts(chat_id)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on SQLite, then on the throwaway PostgreSQL server."""
    if request.param == "sqlite":
        return sqlite_copy(tmp_path)
    return str(request.getfixturevalue("migrated_postgres_url"))


def sqlite_copy(tmp_path: Path) -> str:
    path = tmp_path / "domain.db"
    shutil.copyfile(migrated_sqlite_template(), path)
    return f"sqlite+aiosqlite:///{path}"


async def make_world(
    db_url: str, kv: KavenegarSandbox, *, store_timeout: float = 1.0, **settings: Any
) -> AsyncIterator[World]:
    store = await Store.open(db_url, timeout=store_timeout)
    messenger = RecordingMessenger()
    records = RecordKeeper(store, delays=(0.05, 0.1, 0.2, 0.4), give_up_after=10)
    call_settings = CallSettings(
        **{"default_max_duration": 600, "max_duration_limit": 3600, **settings}
    )
    async with quick_client(kv) as client:
        service = CallService(
            store=store,
            kavenegar=client,
            messenger=messenger,
            settings=call_settings,
            bot_username=BOT_USERNAME,
            records=records,
        )
        try:
            yield World(service=service, store=store, messenger=messenger, kv=kv)
        finally:
            await records.close(timeout=2)
            await store.close()


@pytest.fixture
async def world(tmp_path: Path, kv: KavenegarSandbox) -> AsyncIterator[World]:
    """The call service on SQLite."""
    async for made in make_world(sqlite_copy(tmp_path), kv):
        yield made


@pytest.fixture
async def any_world(any_db_url: str, kv: KavenegarSandbox) -> AsyncIterator[World]:
    """The call service on SQLite, then on PostgreSQL."""
    async for made in make_world(any_db_url, kv):
        yield made
