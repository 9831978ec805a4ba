"""The fast layer: the domain services without Telegram, on a real store and the real sandbox.

The services are built as the bot builds them (:func:`bot.services.build_services`), with a
recording messenger (what would be sent, to whom), a real database (SQLite, and the throwaway
PostgreSQL server where a test asks for both), and the Kavenegar client over HTTP to the sandbox
in this event loop. No bot, no polling: a test takes milliseconds, so the refusal and fault tables
live here; the end-to-end tests over both simulators keep one example of each kind.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from bot.calls.presses import PressService
from bot.calls.service import CallReport, CallRequest, CallService
from bot.calls.watcher import CallWatcher
from bot.config import Settings
from bot.core.clock import Clock, ManualClock
from bot.core.messages import Button, Delivery, OutgoingMessage, Receipt
from bot.core.people import UserProfile, UserRecord
from bot.core.texts import plain
from bot.services import Services, build_services
from bot.storage import Store
from kavenegar import KavenegarClient
from kavenegar.sandbox import KavenegarSandbox

from .helpers import ALICE, BOB, BOT_TOKEN, GROUP, KV_TOKEN, quick_client, visible

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
        self.documents: list[tuple[int, str, bytes]] = []

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

    async def send_document(
        self, chat_id: int, file_name: str, data: bytes, message: OutgoingMessage
    ) -> Receipt:
        self.documents.append((chat_id, file_name, data))
        return await self.send(chat_id, message)

    async def edit_buttons(
        self, chat_id: int, message_id: int, buttons: tuple[Button, ...] = ()
    ) -> Delivery:
        current = self.current.get((chat_id, message_id))
        if current is None:
            return Delivery.GONE
        edited = replace(current, buttons=buttons)
        self.edits.append((chat_id, message_id, edited))
        self.current[(chat_id, message_id)] = edited
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


def domain_settings(db_url: str, **overrides: Any) -> Settings:
    """The bot's settings for the domain layer: the defaults, but no call quotas unless a test
    sets one (``CALLS_PER_MINUTE`` / ``CALLS_PER_DAY``), and ``overrides``, named as in
    :class:`~bot.config.Settings`."""
    values: dict[str, Any] = {
        "telegram_bot_token": BOT_TOKEN,
        "kavenegar_api_token": KV_TOKEN,
        "database_url": db_url,
        "calls_per_minute": 0,
        "calls_per_day": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class World:
    """The services of one bot (as :func:`~bot.services.build_services` makes them), and what
    they talk to: the store, the recording messenger and the sandbox."""

    services: Services
    messenger: RecordingMessenger
    kv: KavenegarSandbox
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def service(self) -> CallService:
        """The call service."""
        return self.services.calls

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def watcher(self) -> CallWatcher:
        return self.services.watcher

    @property
    def presses(self) -> PressService:
        return self.services.presses

    @property
    def clock(self) -> ManualClock:
        """The bot's clock, where the test handed one in to move."""
        clock = self.services.clock
        assert isinstance(clock, ManualClock), "this world runs on the real time"
        return clock

    async def settle(self) -> None:
        """What a running bot's scheduler does at each turn: one tick of every worker."""
        await self.services.scheduler.tick()

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

    def replica(self, owner: str, **settings: Any) -> Services:
        """The services of another replica on the same database, Kavenegar and Telegram, built
        with the default settings but ``settings``."""
        return build_services(
            domain_settings(self.services.settings.database_url, **settings),
            store=self.store,
            kavenegar=self.services.kavenegar,
            messenger=self.messenger,
            bot_username=BOT_USERNAME,
            clock=self.services.clock,
            owner=owner,
        )


async def make_world(
    db_url: str,
    kv: KavenegarSandbox,
    *,
    store_timeout: float = 1.0,
    clock: Clock | None = None,
    client: KavenegarClient | None = None,
    owner: str | None = None,
    **settings: Any,
) -> AsyncIterator[World]:
    """The services on ``db_url`` with ``settings`` (named as in :class:`~bot.config.Settings`),
    calling Kavenegar through ``client`` (a :func:`quick_client` of ``kv`` by default), on
    ``clock`` (the real time by default); ``owner``: the replica's name in leases."""
    store = await Store.open(db_url, timeout=store_timeout)
    messenger = RecordingMessenger()
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(quick_client(kv))
        services = build_services(
            domain_settings(db_url, **settings),
            store=store,
            kavenegar=client,
            messenger=messenger,
            bot_username=BOT_USERNAME,
            clock=clock,
            owner=owner,
        )
        try:
            yield World(services=services, messenger=messenger, kv=kv)
        finally:
            await services.calls.records.close(timeout=2)
            await store.close()
