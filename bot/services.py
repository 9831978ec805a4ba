"""The long-lived objects handlers need, opened when the bot starts and closed when it stops."""

from __future__ import annotations

import logging

from telegram import Bot

from bot.calls.outcomes import Announcer
from bot.calls.presses import PressService
from bot.calls.service import CallService, CallSettings
from bot.calls.watcher import CallWatcher
from bot.config import Settings
from bot.core.clock import Clock, SystemClock
from bot.core.logs import SecretRedactor
from bot.core.messages import Messenger
from bot.core.people import UserProfile
from bot.core.work import Scheduler
from bot.onboarding.access import Access
from bot.onboarding.phones import PhoneNaming
from bot.onboarding.verification import PhoneService
from bot.oncall.handovers import HandoverWorker
from bot.oncall.invites import InviteService
from bot.oncall.paging import PageService, PageSettings
from bot.oncall.service import OnCallService
from bot.storage import Store
from bot.support_lines.service import LineService, LineSettings
from bot.telegram.census import ReplicaCensus
from bot.telegram.delivery import TelegramMessenger
from kavenegar import KavenegarClient
from kavenegar.aiohttp_transport import AiohttpTransport

__all__ = ["Services"]

logger = logging.getLogger(__name__)


class Services:
    """Settings, store, Kavenegar client, messenger and domain services of one running bot.

    A ``store``, ``kavenegar`` client or ``messenger`` passed in is used as is and left open.
    """

    def __init__(
        self,
        settings: Settings,
        redactor: SecretRedactor,
        *,
        store: Store | None = None,
        kavenegar: KavenegarClient | None = None,
        messenger: Messenger | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.redactor = redactor
        self.clock: Clock = clock or SystemClock()
        self._store = store
        self._kavenegar = kavenegar
        self._poller: KavenegarClient | None = None
        self._messenger = messenger
        self._owns_store = store is None
        self._owns_kavenegar = kavenegar is None
        self._calls: CallService | None = None
        self._access: Access | None = None
        self._presses: PressService | None = None
        self._watcher: CallWatcher | None = None
        self._oncall: OnCallService | None = None
        self._pages: PageService | None = None
        self._scheduler: Scheduler | None = None
        self._invites: InviteService | None = None
        self._phones: PhoneService | None = None
        self._lines: LineService | None = None
        self._census: ReplicaCensus | None = None
        self.bot_username = ""

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store is opened when the bot starts")
        return self._store

    @property
    def access(self) -> Access:
        if self._access is None:
            raise RuntimeError("access control is built when the bot starts")
        return self._access

    @property
    def calls(self) -> CallService:
        if self._calls is None:
            raise RuntimeError("the call service is built when the bot starts")
        return self._calls

    @property
    def presses(self) -> PressService:
        if self._presses is None:
            raise RuntimeError("the press service is built when the bot starts")
        return self._presses

    @property
    def watcher(self) -> CallWatcher:
        if self._watcher is None:
            raise RuntimeError("the call watcher is built when the bot starts")
        return self._watcher

    @property
    def oncall(self) -> OnCallService:
        if self._oncall is None:
            raise RuntimeError("the on-call service is built when the bot starts")
        return self._oncall

    @property
    def pages(self) -> PageService:
        if self._pages is None:
            raise RuntimeError("the page service is built when the bot starts")
        return self._pages

    @property
    def phones(self) -> PhoneService:
        if self._phones is None:
            raise RuntimeError("services are built when the bot starts")
        return self._phones

    @property
    def lines(self) -> LineService:
        if self._lines is None:
            raise RuntimeError("services are built when the bot starts")
        return self._lines

    @property
    def invites(self) -> InviteService:
        if self._invites is None:
            raise RuntimeError("the invite service is built when the bot starts")
        return self._invites

    @property
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            raise RuntimeError("the scheduler is built when the bot starts")
        return self._scheduler

    @property
    def census(self) -> ReplicaCensus:
        """How many replicas share the bot's message budget (bot.telegram.census)."""
        if self._census is None:
            raise RuntimeError("the census is built when the bot starts")
        return self._census

    @property
    def messenger(self) -> Messenger:
        if self._messenger is None:
            raise RuntimeError("the messenger is built when the bot starts")
        return self._messenger

    async def open(self, bot: Bot) -> None:
        """Open the store and the Kavenegar client; build the domain services for ``bot``."""
        settings = self.settings
        self.bot_username = bot.username
        if self._store is None:
            self._store = await Store.open(
                settings.database_url,
                username_prefix=settings.kavenegar_username_prefix,
                phone_naming=settings.phone_naming,
            )
        else:  # a store handed in (tests, benchmarks) names people as these settings say
            self._store.phone_naming = settings.phone_naming
        if self._kavenegar is None:
            self._kavenegar = KavenegarClient(
                api_token=settings.kavenegar_api_token.get_secret_value(),
                base_url=settings.kavenegar_base_url,
                transport=AiohttpTransport(),
            )
        if self._messenger is None:
            self._messenger = TelegramMessenger(bot)
        if self._owns_kavenegar:
            # Polls are paced by the watcher's own budget: one try each, no retries of its own.
            self._poller = KavenegarClient(
                api_token=settings.kavenegar_api_token.get_secret_value(),
                base_url=settings.kavenegar_base_url,
                max_retries=0,
                total_timeout=10.0,
                transport=AiohttpTransport(),
            )
        self._access = Access(
            self._store,
            allowed_users=settings.allowed_user_ids,
            allowed_chats=settings.allowed_chat_ids,
            admins=settings.admin_user_ids,
        )
        self._calls = CallService(
            store=self._store,
            kavenegar=self._kavenegar,
            messenger=self._messenger,
            settings=CallSettings.from_settings(settings),
            bot_username=bot.username,
            remember_secret=self.redactor.add,
            clock=self.clock,
        )
        announcer = Announcer(self._store, self._messenger)
        self._presses = PressService(self._calls, announcer)
        self._watcher = CallWatcher(
            store=self._store,
            kavenegar=self._poller or self._kavenegar,
            announcer=announcer,
            clock=self.clock,
            polls_per_second=settings.kavenegar_poll_rps,
            ring_ended=self._presses,
        )
        owner = self._watcher.owner
        self._oncall = OnCallService(
            self._store,
            self._messenger,
            self.clock,
            default_zone=settings.default_timezone,
            admins=settings.admin_user_ids,
        )
        self._invites = InviteService(self._store, self._oncall, self.clock)
        self._pages = PageService(
            self._store,
            self._calls,
            self._oncall,
            self.clock,
            PageSettings(
                retries=settings.page_retries,
                rounds=settings.page_rounds,
                max_attempts=settings.page_max_attempts,
                max_duration=settings.default_max_duration,
                quotas=CallSettings.from_settings(settings).quotas,
                phones_required=settings.phones_required,
            ),
            owner=owner,
        )
        handovers = HandoverWorker(
            self._store,
            self._oncall,
            self._messenger,
            self.clock,
            owner=owner,
            notice_minutes=settings.handoff_notice_minutes,
        )
        self._phones = PhoneService(
            self._store,
            self._kavenegar,
            self._messenger,
            self.clock,
            required=settings.phones_required,
            admins=settings.admin_user_ids,
            owner=owner,
            mobile_format=PhoneNaming(settings.phone_username_format, settings.phone_region),
        )
        self._lines = LineService(
            self._store,
            self._calls,
            self._oncall,
            self.clock,
            LineSettings(
                offer_timeout=settings.offer_timeout,
                calls_per_hour=settings.line_calls_per_hour,
                max_duration=settings.default_max_duration,
                phones_required=settings.phones_required,
                longest_call=settings.max_duration_limit,
            ),
            owner=owner,
            contact_request=self._phones.request,
            denied=self._access.denied,
        )
        pacer = self._messenger.pacer if isinstance(self._messenger, TelegramMessenger) else None
        self._census = ReplicaCensus(self._store, pacer, owner=owner)
        self._scheduler = Scheduler(
            [self._watcher, self._pages, handovers, self._phones, self._lines], self.clock
        )

    async def after_verification(self, person: UserProfile) -> None:
        """What a person's newly verified number lets go on: support lines waiting for it."""
        record = await self.store.get_user(person.telegram_id)
        if record is not None:
            await self.lines.release_held(record)

    async def close(self) -> None:
        if self._calls is not None:
            await self._calls.records.close()
        if self._owns_kavenegar and self._kavenegar is not None:
            await self._kavenegar.aclose()
            self._kavenegar = None
        if self._poller is not None:
            await self._poller.aclose()
            self._poller = None
        if self._owns_store and self._store is not None:
            await self._store.close()
            self._store = None
