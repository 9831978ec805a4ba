"""The composition: every domain service of one running bot, wired once.

:func:`build_services` is the only place the features are put together; the application, the
domain tests and the benchmarks all call it, so what they test is what runs. It opens nothing:
:func:`open_services` opens the store and the Kavenegar clients a running bot needs (those not
handed in), builds the services and closes what it opened.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.calls.history import CallHistory
from bot.calls.joins import JoinService
from bot.calls.outcomes import Announcer
from bot.calls.presses import PressService
from bot.calls.service import CallService, CallSettings
from bot.calls.watcher import CallWatcher, replica_name
from bot.config import Settings
from bot.core.clock import Clock, SystemClock
from bot.core.logs import SecretRedactor
from bot.core.messages import Messenger
from bot.core.metrics import MeasuredTransport, Metrics
from bot.core.people import UserProfile
from bot.core.records import Quota
from bot.core.work import LeasedWorker, Scheduler
from bot.onboarding.access import Access
from bot.onboarding.people import People
from bot.onboarding.phones import PhoneNaming
from bot.onboarding.verification import PhoneService
from bot.oncall.call_now import CallNowService
from bot.oncall.handovers import HandoverWorker
from bot.oncall.invites import InviteService
from bot.oncall.paging import PageService, PageSettings
from bot.oncall.service import OnCallService
from bot.oncall.swaps import SwapService
from bot.storage import Store, leases
from bot.support_lines.service import LineService, LineSettings
from kavenegar import KavenegarClient
from kavenegar.aiohttp_transport import AiohttpTransport

__all__ = ["Services", "build_services", "call_settings", "open_services"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """Settings, store, Kavenegar client, messenger and the domain services of one bot."""

    settings: Settings
    clock: Clock
    store: Store
    kavenegar: KavenegarClient
    messenger: Messenger
    redactor: SecretRedactor
    bot_username: str
    access: Access
    people: People
    calls: CallService
    history: CallHistory
    presses: PressService
    watcher: CallWatcher
    oncall: OnCallService
    pages: PageService
    call_now: CallNowService
    swaps: SwapService
    invites: InviteService
    handovers: HandoverWorker
    phones: PhoneService
    lines: LineService
    scheduler: Scheduler
    metrics: Metrics
    #: The join page's lookups (WEBAPP_URL).
    joins: JoinService

    @property
    def owner(self) -> str:
        """This replica's name in every lease it takes."""
        return self.watcher.owner

    async def health(self) -> str | None:
        """None when the store is healthy; else one word why not (see ``Store.health``)."""
        return await self.store.health()

    async def after_verification(self, person: UserProfile) -> None:
        """What a person's newly verified number lets go on: support lines waiting for it."""
        record = await self.people.get(person.telegram_id)
        if record is not None:
            await self.lines.release_held(record)


def call_settings(settings: Settings) -> CallSettings:
    """What the call service needs of the settings."""
    return CallSettings(
        default_max_duration=settings.default_max_duration,
        max_duration_limit=settings.max_duration_limit,
        join_url_template=settings.join_url_template,
        calls_per_minute=settings.calls_per_minute,
        calls_per_day=settings.calls_per_day,
        flow=settings.call_flow,
        ring_timeout=settings.ring_timeout,
        phones_required=settings.phones_required,
        webapp_url=settings.webapp_url,
        join_mode=settings.effective_join_mode,
    )


def quotas(settings: Settings) -> tuple[Quota, ...]:
    return call_settings(settings).quotas


def build_services(
    settings: Settings,
    *,
    store: Store,
    kavenegar: KavenegarClient,
    messenger: Messenger,
    bot_username: str,
    clock: Clock | None = None,
    redactor: SecretRedactor | None = None,
    poller: KavenegarClient | None = None,
    owner: str | None = None,
    metrics: Metrics | None = None,
) -> Services:
    """Wire the services over an open ``store`` and ``kavenegar`` client.

    ``poller``: the client the watcher polls with (one try each, paced by its own budget);
    ``kavenegar`` by default. ``owner``: this replica's name in leases (a fresh one by default).
    """
    clock = clock or SystemClock()
    redactor = redactor or SecretRedactor()
    owner = owner or replica_name()
    metrics = metrics or Metrics()
    store.name_by_phone = _name_by_phone(settings)
    access = Access(
        store,
        allowed_users=settings.allowed_user_ids,
        allowed_chats=settings.allowed_chat_ids,
        admins=settings.admin_user_ids,
    )
    calls = CallService(
        store=store,
        kavenegar=kavenegar,
        messenger=messenger,
        settings=call_settings(settings),
        bot_username=bot_username,
        remember_secret=redactor.add,
        clock=clock,
        access=access,
        owner=owner,
        metrics=metrics,
    )
    announcer = Announcer(store, messenger, metrics)
    presses = PressService(calls, announcer)
    watcher = CallWatcher(
        store=store,
        kavenegar=poller or kavenegar,
        announcer=announcer,
        clock=clock,
        polls_per_second=settings.kavenegar_poll_rps,
        sweep_from=settings.kavenegar_sweep_from,
        list_size=settings.kavenegar_list_size,
        ring_ended=presses,
        resumer=calls,
        owner=owner,
    )
    oncall = OnCallService(
        store,
        messenger,
        clock,
        default_zone=settings.default_timezone,
        admins=settings.admin_user_ids,
        allowed_chats=settings.allowed_chat_ids,
        # /team NAME marks as ready exactly whom a page would ring (one rule: why_not_ready)
        phones_required=settings.phones_required,
        left_out=access.left_out,  # a person the admins left out takes no shift
    )
    invites = InviteService(store, oncall, clock)
    pages = PageService(
        store,
        calls,
        oncall,
        clock,
        PageSettings(
            retries=settings.page_retries,
            rounds=settings.page_rounds,
            max_attempts=settings.page_max_attempts,
            max_duration=settings.default_max_duration,
            quotas=quotas(settings),
            phones_required=settings.phones_required,
        ),
        owner=owner,
    )
    handovers = HandoverWorker(
        store,
        oncall,
        messenger,
        clock,
        owner=owner,
        notice_minutes=settings.handoff_notice_minutes,
    )
    phones = PhoneService(
        store,
        kavenegar,
        messenger,
        clock,
        required=settings.phones_required,
        admins=settings.admin_user_ids,
        owner=owner,
        mobile_format=PhoneNaming(settings.phone_username_format, settings.phone_region),
    )
    lines = LineService(
        store,
        calls,
        oncall,
        clock,
        LineSettings(
            offer_timeout=settings.offer_timeout,
            calls_per_hour=settings.line_calls_per_hour,
            max_duration=settings.default_max_duration,
            phones_required=settings.phones_required,
            longest_call=settings.max_duration_limit,
        ),
        owner=owner,
        contact_request=phones.request,
        denied=access.denied,
    )
    metrics.counted_elsewhere(
        "kcb_lease_takeovers",
        "Leases taken over from another replica whose lease lapsed, by table.",
        "table",
        lambda: dict(leases.TAKEOVERS),
    )
    swaps = SwapService(store, oncall, messenger, clock, owner=owner)
    workers: list[LeasedWorker[Any]] = [watcher, pages, handovers, phones, lines, swaps]
    for worker in workers:
        worker.on_unavailable = metrics.unavailable
    scheduler = Scheduler(workers, clock, on_unavailable=metrics.unavailable)
    return Services(
        settings=settings,
        clock=clock,
        store=store,
        kavenegar=kavenegar,
        messenger=messenger,
        redactor=redactor,
        bot_username=bot_username,
        access=access,
        people=People(store),
        calls=calls,
        history=CallHistory(store, clock),
        presses=presses,
        watcher=watcher,
        oncall=oncall,
        pages=pages,
        call_now=CallNowService(store, calls, oncall),
        swaps=swaps,
        invites=invites,
        handovers=handovers,
        phones=phones,
        lines=lines,
        scheduler=scheduler,
        metrics=metrics,
        joins=JoinService(store, kavenegar, remember_secret=redactor.add, clock=clock),
    )


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    messenger: Messenger,
    bot_username: str,
    redactor: SecretRedactor | None = None,
    store: Store | None = None,
    kavenegar: KavenegarClient | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[Services]:
    """The services of a running bot: the store and the Kavenegar clients opened (those not
    handed in, which are used as they are and left open) and closed again when the block ends."""
    async with AsyncExitStack() as stack:
        if store is None:
            store = await Store.open(
                settings.database_url,
                username_prefix=settings.kavenegar_username_prefix,
                name_by_phone=_name_by_phone(settings),
            )
            stack.push_async_callback(store.close)
        poller = None
        metrics = Metrics()
        if kavenegar is None:
            token = settings.kavenegar_api_token.get_secret_value()
            base_path = urlsplit(settings.kavenegar_base_url).path

            def measured() -> MeasuredTransport:
                return MeasuredTransport(AiohttpTransport(), metrics, base_path=base_path)

            kavenegar = KavenegarClient(
                api_token=token, base_url=settings.kavenegar_base_url, transport=measured()
            )
            stack.push_async_callback(kavenegar.aclose)
            # Polls are paced by the watcher's own budget: one try each, no retries of its own.
            poller = KavenegarClient(
                api_token=token,
                base_url=settings.kavenegar_base_url,
                max_retries=0,
                total_timeout=10.0,
                transport=measured(),
            )
            stack.push_async_callback(poller.aclose)
        services = build_services(
            settings,
            store=store,
            kavenegar=kavenegar,
            poller=poller,
            messenger=messenger,
            bot_username=bot_username,
            clock=clock,
            redactor=redactor,
            metrics=metrics,
        )
        # (LIFO) the records still being retried are given their last chance before the store closes
        stack.push_async_callback(services.calls.records.close)
        yield services


def _name_by_phone(settings: Settings) -> Callable[[str], str] | None:
    naming = settings.phone_naming
    return naming.username if naming is not None else None
