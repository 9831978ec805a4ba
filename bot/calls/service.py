"""Placing a call: the whole ``/call`` flow as a plain domain service, free of Telegram types.

Order of work, chosen so a refusal costs nothing and a failure never doubles a paid call:
understand the command, resolve both people from our registry, refuse anything we can refuse
without Kavenegar, claim the (chat, message) key in the database, create the call once, deliver
each access token to its owner's private chat concurrently, then record and post a token-free
notice.

The rule: a call that Kavenegar may have created is never lost, never doubled, and never
reported as "try again". So a failure after the request may have reached Kavenegar (no answer,
5xx, a dropped connection, an unreadable answer) is recorded as ``unknown``, counts against the
quota, and the reply says to wait; and once Kavenegar answered with a call, its tokens are
delivered even when the database cannot record it at that moment (the record is retried in the
background, see :class:`RecordKeeper`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Concatenate, Literal, ParamSpec, Protocol
from urllib.parse import quote, urlencode

from bot.calls.joins import handle_hash, new_join_handle
from bot.calls.record_keeper import RecordKeeper
from bot.core.buttons import PressKind, encode
from bot.core.clock import Clock, SystemClock
from bot.core.errors import StoreUnavailable
from bot.core.messages import Button, Delivery, MessageKind, Messenger, OutgoingMessage, Receipt
from bot.core.metrics import Metrics
from bot.core.parsing import CallCommand, CallParseError, Mention, parse_call
from bot.core.people import UserProfile, UserRecord
from bot.core.records import (
    LINE_KEY,
    NOW_KEY,
    CallKey,
    CallOutcome,
    CallRecord,
    CallStatus,
    Claimed,
    Duplicate,
    OverQuota,
    PlaceResult,
    Quota,
)
from bot.core.texts import format_wait, pick_language, t
from bot.core.work import pause
from bot.storage import Store
from kavenegar import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    Call,
    InternalServerError,
    KavenegarClient,
    KavenegarError,
    NotFoundError,
    Participant,
    PermissionDeniedError,
    RateLimitError,
)

__all__ = [
    "CallReport",
    "CallRequest",
    "CallService",
    "CallSettings",
    "Origin",
    "classify_failure",
    "unfollowed_and_over",
]

logger = logging.getLogger(__name__)
DISPLAY_NAME_MAX = 100
#: Seconds from a call's creation to its first poll (see :mod:`bot.calls.watcher`).
FIRST_CHECK = 2.0
#: A call nothing follows (Kavenegar never answered its POST, or its record still waits for the
#: database) is over, not answered and never placed again, once its ringing window surely is.
UNSURE_AFTER = timedelta(seconds=90)
#: A call can be joined within its first minute (Kavenegar's window), a token sent later is none.
JOIN_WINDOW = timedelta(seconds=60)
#: How long past the client's own deadline for one POST a replica's claim on a call it is
#: placing lasts; after that any replica's watcher resumes it (the placer died mid-POST).
PLACING_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True)
class CallSettings:
    default_max_duration: int
    max_duration_limit: int
    join_url_template: str | None = None
    calls_per_minute: int = 0  # 0: unlimited
    calls_per_day: int = 0
    #: "direct" places the call at once; "ring" rings the callee in Telegram first.
    flow: Literal["direct", "ring"] = "direct"
    ring_timeout: int = 60
    #: Nobody calls or is called before sharing their own number (REQUIRE_PHONE).
    phones_required: bool = False
    #: The join page (WEBAPP_URL): each token message gets a Join button that opens it.
    webapp_url: str | None = None
    #: "webapp": the Join button and never the token in a message; "token"; "both".
    join_mode: Literal["webapp", "token", "both"] = "token"

    @property
    def quotas(self) -> tuple[Quota, ...]:
        return (Quota(self.calls_per_minute, 60), Quota(self.calls_per_day, 86_400))


@dataclass(frozen=True)
class CallRequest:
    """A ``/call`` message, reduced to what the flow needs."""

    chat_id: int
    message_id: int
    caller: UserProfile
    args_text: str
    mentions: list[Mention] = field(default_factory=list)
    reply_to: UserProfile | None = None
    #: (bot id, update id) of the message, which this flow takes (one replica each): in the
    #: transaction that claims the call, or before a refusal. None: not an update of its own
    #: (a button press, whose update the preflight took).
    update_key: tuple[int, int] | None = None
    #: The forum topic it was typed in (None: "General", or a chat without topics).
    thread_id: int | None = None
    #: The chat whose rules apply when it is not ``chat_id``: a "Call now" pressed in a group is
    #: answered in the presser's private chat, yet checked exactly as ``/call`` typed there.
    rules_chat_id: int | None = None

    @property
    def key(self) -> CallKey:
        """The call this message asks for (a "Call again" press carries its own key)."""
        return CallKey(self.chat_id, self.message_id)

    @property
    def in_private_chat(self) -> bool:
        return self.chat_id == self.caller.telegram_id

    @property
    def reopens_private_chat(self) -> bool | None:
        """A message in the private chat: the bot may write to its sender (again)."""
        return True if self.update_key is not None and self.in_private_chat else None

    @property
    def origin(self) -> Origin:
        # a button press has no message to quote (its key is a negative id)
        quote = self.message_id if self.message_id > 0 else None
        return Origin(
            self.chat_id,
            self.in_private_chat,
            quote,
            thread_id=self.thread_id,
            rules_chat_id=self.rules_chat_id,
        )


@dataclass(frozen=True)
class Origin:
    """Where a call was asked for: answers go there, quoting the command when there is one."""

    chat_id: int
    private: bool
    quote_id: int | None = None
    #: A notice already posted there (a ring's "Alice is ringing Bob…"), to edit, not repeat.
    notice_message_id: int | None = None
    #: Say nothing there (a page's attempt: the page's own notice tells how it goes).
    quiet: bool = False
    #: The forum topic of the chat to answer in (None: "General", or the quoted message's).
    thread_id: int | None = None
    #: The chat whose rules the call passes when it is not ``chat_id`` (see
    #: :attr:`CallRequest.rules_chat_id`); None: ``chat_id``'s.
    rules_chat_id: int | None = None

    def rules_chat(self, caller_id: int) -> tuple[int, bool]:
        """The chat whose access rules apply to ``caller_id``'s call, and whether it is private."""
        if self.rules_chat_id is None:
            return self.chat_id, self.private
        return self.rules_chat_id, self.rules_chat_id == caller_id


@dataclass
class CallReport:
    """How a request ended (:class:`PlaceResult`), why, and what was placed."""

    outcome: PlaceResult
    #: The text key of the refusal or failure (``quota_minute``, ``kv_busy``, ...).
    reason: str | None = None
    call_row_id: int | None = None
    call_id: str | None = None
    caller_delivery: Delivery | None = None
    callee_delivery: Delivery | None = None

    #: The refusal's text parameters (who is not taking calls, ...).
    params: dict[str, object] = field(default_factory=dict)
    #: Kavenegar's Retry-After on a 429, in seconds.
    retry_after: float | None = None

    def failure_text(self, lang: str) -> str:
        """What became of a call that was not placed (``reason`` a ``kv_*`` key), in ``lang``:
        "try again in …" where it surely does not exist, "join if your app rings" where it may."""
        wait = t(lang, "wait_a_minute")
        if self.retry_after:
            wait = format_wait(self.retry_after, lang)
        return t(lang, self.reason or "internal_error", **{**self.params, "wait": wait})

    @property
    def may_exist(self) -> bool:
        """Not placed as far as we know, yet Kavenegar may have created the call (see
        :func:`classify_failure`): it must never be placed again."""
        return self.outcome is PlaceResult.MAYBE


def unfollowed_and_over(call: CallRecord, now: datetime) -> bool:
    """The one rule for a call whose end will never be reported: it may or may not exist, nothing
    follows it, and its ringing window is surely over (pages and lines move on then)."""
    if call.next_check_at is not None or call.created_at is None:
        return False
    return now - call.created_at > UNSURE_AFTER


class _Refusal(Exception):
    def __init__(
        self,
        key: str,
        *,
        start_button: bool = False,
        phone_button: bool = False,
        **params: object,
    ) -> None:
        super().__init__(key)
        self.key, self.start_button, self.params = key, start_button, params
        #: Offer the caller the way to share their number (in private: the keyboard button).
        self.phone_button = phone_button

    @classmethod
    def parse_error(cls, error: CallParseError) -> _Refusal:
        refusal = cls(error.key)
        refusal.params = dict(error.params)
        return refusal


@dataclass(frozen=True)
class Failure:
    """What a Kavenegar failure means: the text to answer with, and the call's status."""

    key: str
    status: CallStatus


def classify_failure(exc: KavenegarError) -> Failure:
    """Map a failed ``POST /calls`` to an answer. ``unknown``: the call may exist."""
    if isinstance(exc, AuthenticationError | PermissionDeniedError):
        return Failure("kv_credentials", CallStatus.FAILED)
    if isinstance(exc, RateLimitError):  # an explicit "not done"
        return Failure("kv_busy", CallStatus.FAILED)
    if isinstance(exc, InternalServerError):  # it may have failed after creating the call
        return Failure("kv_server_error", CallStatus.UNKNOWN)
    if isinstance(exc, APIStatusError):
        return Failure("kv_refused", CallStatus.FAILED)
    if isinstance(exc, APIResponseValidationError):
        return Failure("kv_bad_answer", CallStatus.UNKNOWN)
    if isinstance(exc, APIConnectionError) and exc.request_sent:
        return Failure("kv_no_answer", CallStatus.UNKNOWN)
    return Failure("kv_unreachable", CallStatus.FAILED)


class AccessRules(Protocol):
    """The admins' rules of who may use the bot (:class:`bot.onboarding.access.Access`)."""

    async def call_refusal(
        self, caller_id: int, callee_id: int, *, chat_id: int, private: bool, outsider: bool
    ) -> tuple[str, dict[str, object]] | None: ...


def _origin_kind(key: CallKey, rung: object, page_id: object) -> str:
    """What asked for a call, as the metrics name it."""
    if rung is not None:
        return "ring"
    if page_id is not None:
        return "page"
    if key.message_id <= -NOW_KEY:
        return "now"
    if key.message_id <= -LINE_KEY:
        return "line"
    return "again" if key.message_id < 0 else "call"


_P = ParamSpec("_P")


def _counted(
    place: Callable[Concatenate[CallService, CallKey, _P], Awaitable[CallReport]],
) -> Callable[Concatenate[CallService, CallKey, _P], Awaitable[CallReport]]:
    """Count how each placing went (``kcb_calls_placed_total``), by origin and result."""

    @functools.wraps(place)
    async def counted(
        self: CallService, key: CallKey, /, *args: _P.args, **kwargs: _P.kwargs
    ) -> CallReport:
        report = await place(self, key, *args, **kwargs)
        kind = _origin_kind(key, kwargs.get("rung"), kwargs.get("page_id"))
        self.metrics.placed(kind, report.outcome.value, report.reason)
        return report

    return counted


class CallService:
    """Runs ``/call`` end to end; every user mistake and service failure becomes one reply."""

    def __init__(
        self,
        *,
        store: Store,
        kavenegar: KavenegarClient,
        messenger: Messenger,
        settings: CallSettings,
        bot_username: str,
        remember_secret: Callable[[str], None] = lambda secret: None,
        records: RecordKeeper | None = None,
        clock: Clock | None = None,
        access: AccessRules | None = None,
        owner: str = "",
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        #: This replica's name in the lease it holds on a call it is placing.
        self.owner = owner
        #: The allow-lists and /deny (None: everyone may use the bot).
        self.access = access
        self.kavenegar = kavenegar
        self.messenger = messenger
        self.settings = settings
        self.bot_username = bot_username
        self.remember_secret = remember_secret
        self.records = records or RecordKeeper(store)
        self.clock = clock or SystemClock()

    @property
    def placing(self) -> timedelta:
        """How long a call being placed stays this replica's: the longest one POST may take
        (the client's total timeout, retries included) and a margin."""
        return timedelta(seconds=self.kavenegar.total_timeout) + PLACING_MARGIN

    @property
    def start_link(self) -> str:
        return f"https://t.me/{self.bot_username}?start=call"

    async def handle(self, request: CallRequest) -> CallReport:
        """Run one ``/call``. Raises only :class:`StoreUnavailable`, and only before any reply
        was sent or any money spent."""
        reopens = request.reopens_private_chat
        try:
            command = self._parse(request)
        except _Refusal as refusal:
            caller = await self._caller(
                request, await self.store.get_user(request.caller.telegram_id)
            )
            return await self._refuse(request, caller, refusal)
        # the caller and the callee in one read
        wanted = command.callee.telegram_id if command.callee is not None else None
        found, callee_found = await self.store.caller_and_callee(
            request.caller.telegram_id, callee_id=wanted, callee_username=command.callee_username
        )
        caller = await self._caller(request, found)
        origin = request.origin
        try:
            callee, duration = await self._check(command, caller, callee_found, origin)
        except _Refusal as refusal:
            return await self._refuse(request, caller, refusal)

        return await self.place_for(
            request.key,
            caller,
            callee,
            duration,
            origin=origin,
            quotas=self.settings.quotas,
            ring=self.settings.flow == "ring",
            rules_checked=True,  # just now, by _check (a refusal answered once, update taken)
            update_key=request.update_key,
            # what we know of the caller, refreshed in the same transaction when it changed
            sender=None
            if request.update_key is None
            or self.store.is_current(caller, request.caller, dm_open=reopens)
            else request.caller,
            sender_dm_open=reopens,
        )

    # -- the one money path --------------------------------------------------------------------

    @_counted
    async def place_for(
        self,
        key: CallKey,
        caller: UserRecord,
        callee: UserRecord,
        duration: int,
        *,
        origin: Origin,
        note: Callable[[str], str] | None = None,
        callee_buttons: Callable[[str, int], tuple[Button, ...]] | None = None,
        quotas: tuple[Quota, ...] = (),
        page_id: int | None = None,
        ring: bool = False,
        rung: CallRecord | None = None,
        outsider: bool = False,
        rules_checked: bool = False,
        update_key: tuple[int, int] | None = None,
        sender: UserProfile | None = None,
        sender_dm_open: bool | None = None,
    ) -> CallReport:
        """Place the call ``key`` stands for: the only code that spends money on a call.

        In this order: the rules of who may call whom (:meth:`refusal`, the ones ``/call``
        applies), the key claimed in the database (at most one call per key, ever; ``quotas``
        checked in the same transaction), one ``POST /calls``, its result read
        (:func:`classify_failure`), the tokens delivered. ``ring``: ring the callee in Telegram
        first instead (``CALL_FLOW=ring``); ``rung``: the ring of that key was answered, so the
        claim is taking it from ringing (one press wins); ``outsider``: the caller is a support
        line's newcomer, whom the allow-lists may leave out (see :meth:`rules_refusal`);
        ``rules_checked``: ``/call`` applied the rules a moment ago. ``note`` adds a first line
        to both token messages, in each reader's language; ``callee_buttons(lang, row_id)`` adds
        buttons under the callee's (a page's "I'm on it"). Never raises but
        :class:`~bot.core.errors.StoreUnavailable`, and that only before any money is spent.
        """
        lang = pick_language(caller.language_code)
        refusal = None
        if not rules_checked:
            refusal = await self.rules_refusal(caller, callee, duration, origin, outsider=outsider)
        if refusal is not None:
            text = t(lang, refusal.key, **refusal.params)
            if rung is not None:  # the ring is over: it can never be placed now
                closed = await self.store.close_call(
                    rung.id,
                    outcome=CallOutcome.UNKNOWN,
                    status=CallStatus.RANG,
                    from_status=CallStatus.RINGING,  # (not a call another press placed)
                    announce=False,
                )
                if not closed:
                    return CallReport(PlaceResult.DUPLICATE, call_row_id=rung.id)
                if origin.notice_message_id is not None and not origin.quiet:
                    # "Alice is ringing Bob…" says why it ended instead
                    notice = OutgoingMessage(text)
                    await self.messenger.edit(origin.chat_id, origin.notice_message_id, notice)
                    return CallReport(PlaceResult.REFUSED, refusal.key, params=refusal.params)
            await self._reply(origin, text, kind=MessageKind.REFUSAL, addressee=caller.telegram_id)
            return CallReport(PlaceResult.REFUSED, refusal.key, params=refusal.params)
        if rung is not None:
            taken = await self.store.take_ring(
                rung.id, now=self.clock.now(), owner=self.owner, placing=self.placing
            )
            if not taken:  # another press won, or its time is up
                return CallReport(PlaceResult.DUPLICATE, call_row_id=rung.id)
            row_id = rung.id
        else:
            claim = await self.store.claim_call(
                chat_id=key.chat_id,
                message_id=key.message_id,
                caller_id=caller.telegram_id,
                callee_id=callee.telegram_id,
                max_duration=duration,
                quotas=quotas,
                now=self.clock.now(),
                page_id=page_id,
                update_key=update_key,
                sender=sender,
                sender_dm_open=sender_dm_open,
                owner=self.owner,
                placing=self.placing,
                ringing_until=(
                    self.clock.now() + timedelta(seconds=self.settings.ring_timeout)
                    if ring
                    else None
                ),
            )
            match claim:
                case Duplicate():
                    logger.info("call key %s/%s already claimed", key.chat_id, key.message_id)
                    existing = await self.store.call_by_key(key.chat_id, key.message_id)
                    return CallReport(
                        PlaceResult.DUPLICATE, call_row_id=existing.id if existing else None
                    )
                case OverQuota(quota=quota, retry_at=retry_at):
                    reason = "quota_minute" if quota.window == 60 else "quota_day"
                    wait = format_wait((retry_at - self.clock.now()).total_seconds(), lang)
                    await self._reply(
                        origin,
                        t(lang, reason, limit=quota.limit, wait=wait),
                        kind=MessageKind.REFUSAL,
                        addressee=caller.telegram_id,
                    )
                    params = {"limit": quota.limit, "wait": wait}  # (a press's alert too)
                    return CallReport(PlaceResult.REFUSED, reason, params=params)
                case Claimed(row_id=row_id):
                    pass
        # From here on money may be spent: nothing below raises, every path answers once.
        if ring:
            return await self._ring(origin, lang, row_id, caller, callee)
        # the join page's handle before any money is spent: a paid call nobody can join is none
        try:
            handle = await self._join_handle(row_id)
        except StoreUnavailable:
            return await self._unprepared(origin, lang, row_id)
        # the placing is this replica's while it works (a slow POST, token messages waiting on
        # Telegram's flood limits): the lease lapses only if this replica stops
        async with self._placing(row_id):
            try:
                call = await self.kavenegar.calls.create(
                    caller=_participant(caller),
                    receptor=_participant(callee),
                    max_duration=duration,
                )
            except KavenegarError as exc:
                return await self._failed(origin, lang, row_id, exc)
            return await self._deliver(
                origin, lang, row_id, caller, callee, call, note, callee_buttons, handle
            )

    @contextlib.asynccontextmanager
    async def _placing(self, row_id: int) -> AsyncIterator[None]:
        """The placing of call ``row_id`` stays this replica's while the block works (a slow
        POST, token messages waiting on Telegram's flood limits, a resumed delivery): its lease
        is renewed every quarter of :attr:`placing`, so it lapses only if this replica stops."""
        placed = asyncio.Event()
        keeping = asyncio.create_task(self._keep_placing(row_id, placed))
        try:
            yield
        finally:
            placed.set()  # it stops between two renewals, not in the middle of one
            await asyncio.wait([keeping])

    async def rules_refusal(
        self,
        caller: UserRecord,
        callee: UserRecord,
        duration: int,
        origin: Origin,
        *,
        outsider: bool = False,
    ) -> _Refusal | None:
        """Why this call may not be placed now, by every rule ``/call`` applies: the people's
        own (:meth:`refusal`) and the admins' allow-lists and /deny, for the caller in the
        call's chat and for the callee; None if it may."""
        refusal = self.refusal(caller, callee, duration)
        if refusal is not None or self.access is None:
            return refusal
        chat_id, private = origin.rules_chat(caller.telegram_id)
        denied = await self.access.call_refusal(
            caller.telegram_id,
            callee.telegram_id,
            chat_id=chat_id,
            private=private,
            outsider=outsider,
        )
        if denied is None:
            return None
        key, params = denied
        refusal = _Refusal(key, name=callee.display_name)
        refusal.params.update(params)
        return refusal

    def refusal(self, caller: UserRecord, callee: UserRecord, duration: int) -> _Refusal | None:
        """Why ``caller`` may not call ``callee`` for ``duration`` seconds now; None if they may.

        The rules every call obeys, whatever asked for it (``/call``, a press, a page, a line).
        """
        name = callee.display_name
        if callee.telegram_id == caller.telegram_id:
            return _Refusal("call_self")
        if callee.is_bot:
            return _Refusal("call_bot")
        if not caller.reachable:
            return _Refusal("call_caller_not_started", start_button=True)
        if callee.dnd or callee.uncallable:
            return _Refusal("call_not_taking_calls", name=name)
        if not callee.reachable:
            return _Refusal("call_callee_not_started", start_button=True, name=name)
        if self.settings.phones_required and caller.phone is None:
            return _Refusal("call_caller_no_phone", phone_button=True)
        if self.settings.phones_required and callee.phone is None:
            return _Refusal("call_callee_no_phone", name=name)
        if duration > self.settings.max_duration_limit:
            return _Refusal(
                "call_duration_too_long", max_minutes=self.settings.max_duration_limit // 60
            )
        return None

    async def _caller(self, request: CallRequest, found: UserRecord | None) -> UserRecord:
        """The caller's record; written first when they are new, or back in their private chat."""
        reopens = request.reopens_private_chat
        if found is None or (reopens and not found.dm_open):
            return await self.store.upsert_user(request.caller, dm_open=reopens)
        return found

    async def _refuse(
        self, request: CallRequest, caller: UserRecord, refusal: _Refusal
    ) -> CallReport:
        """Answer with the refusal (once: the update is taken first)."""
        if not await self._take(request):
            return CallReport(PlaceResult.DUPLICATE)  # another replica has this message
        kind = "again" if request.message_id < 0 else "call"
        self.metrics.placed(kind, PlaceResult.REFUSED.value, refusal.key)
        lang = pick_language(caller.language_code)
        origin = request.origin
        buttons: tuple[Button, ...] = ()
        contact_button = None
        if refusal.phone_button and origin.private:
            contact_button = t(lang, "button_share_phone")
        elif refusal.phone_button:
            link = f"https://t.me/{self.bot_username}?start=phone"
            buttons = (Button(t(lang, "button_share_phone"), link),)
        elif refusal.start_button:
            buttons = (Button(t(lang, "button_start"), self.start_link),)
        await self._reply(
            origin,
            t(lang, refusal.key, **refusal.params),
            buttons,
            kind=MessageKind.REFUSAL,
            addressee=caller.telegram_id,
            contact_button=contact_button,
        )
        return CallReport(PlaceResult.REFUSED, refusal.key, params=refusal.params)

    async def _take(self, request: CallRequest) -> bool:
        """Take the message's update before answering it without a call; False if another
        replica (or an earlier delivery) has it."""
        if request.update_key is None:
            return True
        bot_id, update_id = request.update_key
        return await self.store.take_update(
            bot_id, update_id, request.caller, dm_open=request.reopens_private_chat
        )

    async def _failed(
        self, origin: Origin, lang: str, row_id: int, exc: KavenegarError
    ) -> CallReport:
        failure = classify_failure(exc)
        logger.warning(
            "call %s not placed (%s): %r", row_id, failure.status, exc, extra={"call_id": row_id}
        )
        await self.records.finish(
            row_id, status=failure.status, error=str(exc), failure=failure.key
        )
        reason = "?"
        if isinstance(exc, APIStatusError):
            reason = ", ".join(exc.reasons) or f"HTTP {exc.status_code}"
        if failure.status is CallStatus.UNKNOWN:
            result = PlaceResult.MAYBE
        else:
            result = PlaceResult.BUSY if isinstance(exc, RateLimitError) else PlaceResult.FAILED
        report = CallReport(
            result,
            failure.key,
            call_row_id=row_id,
            params={"reason": reason},
            retry_after=exc.retry_after if isinstance(exc, RateLimitError) else None,
        )
        text = report.failure_text(lang)
        if origin.notice_message_id is not None and not origin.quiet:
            # a ring's "Alice is ringing Bob…": it now says what became of the call
            await self.messenger.edit(
                origin.chat_id, origin.notice_message_id, OutgoingMessage(text)
            )
        else:
            await self._reply(origin, text)
        return report

    async def _unprepared(self, origin: Origin, lang: str, row_id: int) -> CallReport:
        """The join page's handle of call ``row_id`` could not be stored (JOIN_MODE webapp or
        both): it is not placed, nothing is paid, and the asker hears "try again"."""
        logger.warning(
            "call %s not placed: its join page could not be prepared", row_id,
            extra={"call_id": row_id},
        )  # fmt: skip
        await self.records.finish(
            row_id,
            status=CallStatus.FAILED,
            error="join handle not stored",
            failure="store_unavailable",
        )
        report = CallReport(PlaceResult.FAILED, "store_unavailable", call_row_id=row_id)
        text = t(lang, "store_unavailable")
        if origin.notice_message_id is not None and not origin.quiet:
            # a ring's "Alice is ringing Bob…": it now says what became of the call
            await self.messenger.edit(
                origin.chat_id, origin.notice_message_id, OutgoingMessage(text)
            )
        else:
            await self._reply(origin, text)
        return report

    async def _deliver(
        self,
        origin: Origin,
        lang: str,
        row_id: int,
        caller: UserRecord,
        callee: UserRecord,
        call: Call,
        note: Callable[[str], str] | None = None,
        callee_buttons: Callable[[str, int], tuple[Button, ...]] | None = None,
        handle: str | None = None,
    ) -> CallReport:
        caller_token = call.caller.access_token or ""
        callee_token = call.receptor.access_token or ""
        if not caller_token or not callee_token:
            # A call without a token for someone cannot be joined: a Kavenegar fault.
            missing = [p for p, tok in ((caller, caller_token), (callee, callee_token)) if not tok]
            logger.warning(
                "call %s (%s) came without a token for %d people", row_id, call.id, len(missing)
            )
            await self.records.finish(
                row_id,
                status=CallStatus.CREATED,
                kavenegar_call_id=call.id,
                # sides, not usernames: a username may be a phone number
                error="no accessToken for the "
                + " and the ".join("caller" if p is caller else "receptor" for p in missing),
                failure="kv_no_token",
            )
            names = ", ".join(p.display_name for p in missing)
            await self._reply(origin, t(lang, "kv_no_token", names=names))
            # the call exists, unjoinable: never placed again for this key
            return CallReport(
                PlaceResult.MAYBE,
                "kv_no_token",
                call_row_id=row_id,
                call_id=call.id,
                params={"names": names},
            )
        self.remember_secret(caller_token)
        self.remember_secret(callee_token)
        logger.info("call %s created as %s", row_id, call.id, extra={"call_id": row_id})
        callee_message = self._token_message(
            callee, caller, call.id, callee_token, False, note, handle
        )
        if callee_buttons is not None:
            extra = callee_buttons(pick_language(callee.language_code), row_id)
            callee_message = replace(callee_message, buttons=(*callee_message.buttons, *extra))
        caller_receipt, callee_receipt, _ = await asyncio.gather(
            self.messenger.send(
                caller.telegram_id,
                self._token_message(caller, callee, call.id, caller_token, True, note, handle),
            ),
            self.messenger.send(callee.telegram_id, callee_message),
            # beside the tokens, never before them: the call's id, and more time to deliver
            self._note_placed(row_id, call.id),
        )
        caller_delivery, callee_delivery = caller_receipt.delivery, callee_receipt.delivery
        for person, delivery in ((caller, caller_delivery), (callee, callee_delivery)):
            if delivery.unreachable:
                try:
                    await self.store.set_dm_open(person.telegram_id, False)
                except StoreUnavailable:
                    logger.warning("could not mark %s unreachable", person.telegram_id)
        notice_id = await self._notify(
            origin, lang, caller, callee, caller_delivery, callee_delivery
        )
        await self.records.finish(
            row_id,
            status=CallStatus.CREATED,
            kavenegar_call_id=call.id,
            caller_delivery=caller_delivery.value,
            callee_delivery=callee_delivery.value,
            notice_message_id=notice_id,
            caller_message_id=caller_receipt.message_id,
            callee_message_id=callee_receipt.message_id,
            next_check_at=self.clock.now() + timedelta(seconds=FIRST_CHECK),
        )
        return CallReport(
            PlaceResult.PLACED,
            call_row_id=row_id,
            call_id=call.id,
            caller_delivery=caller_delivery,
            callee_delivery=callee_delivery,
        )

    async def resume(self, record: CallRecord) -> bool:
        """Finish placing a call whose placer died after Kavenegar created it (its id was noted,
        its placing lease lapsed): the tokens are read back (``GET /calls/{id}``) and delivered
        while the call can still be joined, and it is followed from here on. False if
        Kavenegar could not be asked now (the row stays due); raises nothing else but
        :class:`StoreUnavailable`."""
        assert record.kavenegar_call_id is not None
        caller = await self.store.get_user(record.caller_id)
        callee = await self.store.get_user(record.callee_id)
        try:
            call = await self.kavenegar.calls.get(record.kavenegar_call_id)
        except NotFoundError:  # created, then gone: nothing to join or follow
            call = None
        except KavenegarError as exc:
            logger.info("call %s: could not be resumed yet (%r)", record.id, exc)
            return False
        created = record.created_at or self.clock.now()
        joinable = (
            call is not None
            and caller is not None
            and callee is not None
            and not (call.finish_reason or call.finished_at)
            and self.clock.now() - created < JOIN_WINDOW
        )
        if joinable:
            assert call is not None and caller is not None and callee is not None
            origin = Origin(
                chat_id=record.chat_id,
                private=record.in_private_chat,
                quote_id=record.message_id if record.message_id > 0 else None,
                notice_message_id=record.notice_message_id,
                quiet=record.page_id is not None or record.from_a_line,
            )
            lang = pick_language(caller.language_code)
            try:  # a handle of its own: the placer's died with it (only its hash is stored)
                handle = await self._join_handle(record.id)
            except StoreUnavailable:
                if self.join_mode == "webapp":  # no token to send without it: resumed later
                    raise
                # the call is paid: its tokens go out all the same, without the button
                logger.warning("call %s: its join page could not be prepared", record.id)
                handle = None
            async with self._placing(record.id):  # (its tokens may wait on flood limits)
                await self._deliver(origin, lang, record.id, caller, callee, call, handle=handle)
            return True
        # too late to join (or it ended): the chat that asked hears it, and the call is
        # followed, so its end is told there (a page's or a line's call is theirs to tell)
        notice_id = record.notice_message_id
        quiet = record.page_id is not None or record.from_a_line
        if notice_id is None and not quiet and caller is not None and callee is not None:
            lang = pick_language(caller.language_code)
            text = t(
                lang, "call_resumed_late", caller=caller.display_name, callee=callee.display_name
            )
            quote = record.message_id if record.message_id > 0 else None
            receipt = await self.messenger.send(
                record.chat_id, OutgoingMessage(text, reply_to_message_id=quote)
            )
            notice_id = receipt.message_id
        await self.store.finish_call(
            record.id,
            status=CallStatus.CREATED,
            kavenegar_call_id=record.kavenegar_call_id,
            next_check_at=self.clock.now(),
            notice_message_id=notice_id,
        )
        return True

    async def _keep_placing(self, row_id: int, placed: asyncio.Event) -> None:
        """Renew this replica's placing lease every quarter of it until the placing is over
        (cancelled) or the row is no longer ours; a failed renewal is tried at the next quarter."""
        every = self.placing.total_seconds() / 4
        while not await pause(self.clock, every, placed):
            try:
                until = self.clock.now() + self.placing
                if not await self.store.renew_placing(row_id, owner=self.owner, until=until):
                    return
            except StoreUnavailable:
                logger.warning("call %s: its placing lease could not be renewed", row_id)

    @property
    def join_mode(self) -> Literal["webapp", "token", "both"]:
        """How people join the calls placed here, as the welcome explains it."""
        return self.settings.join_mode if self.joins_in_telegram else "token"

    @property
    def joins_in_telegram(self) -> bool:
        """Whether token messages carry the join page's button (JOIN_MODE webapp or both)."""
        return self.settings.webapp_url is not None and self.settings.join_mode != "token"

    async def _join_handle(self, row_id: int) -> str | None:
        """A new handle for the join page of call ``row_id``, its hash stored (before the
        buttons go out, so a press finds it) and the handle itself redacted from every log
        (python-telegram-bot logs the Join button's URL at DEBUG); None without a join page
        (or with JOIN_MODE=token). Raises :class:`StoreUnavailable`."""
        if not self.joins_in_telegram:
            return None
        handle = new_join_handle()
        self.remember_secret(handle)
        await self.store.add_join_handle(row_id, handle_hash(handle), now=self.clock.now())
        return handle

    async def join_buttons(self, record: CallRecord, person: UserRecord) -> tuple[Button, ...]:
        """The buttons to join call ``record`` under ``person``'s token message, as
        :meth:`_token_message` made them (the join page's, JOIN_URL_TEMPLATE's) and without
        any other (a page's "I'm on it"); none once the call is over. The join page's button
        has a new handle (only hashes are stored); a template with ``{access_token}`` reads
        the token back from Kavenegar (never stored), and is left out if it cannot be read.
        Raises :class:`StoreUnavailable`."""
        call_id = record.kavenegar_call_id
        if record.outcome is not None or record.status is not CallStatus.CREATED or not call_id:
            return ()
        handle = await self._join_handle(record.id)
        token: str | None = ""
        if "{access_token}" in (self.settings.join_url_template or ""):
            try:
                call = await self.kavenegar.calls.get(call_id)
            except KavenegarError as exc:
                logger.info("call %s: its join link not rebuilt (%r)", record.id, exc)
                token = None
            else:
                side = call.caller if person.telegram_id == record.caller_id else call.receptor
                token = side.access_token or None
                if token:
                    self.remember_secret(token)
        lang = pick_language(person.language_code)
        return self._join_buttons(lang, call_id, token, handle)

    def _join_buttons(
        self, lang: str, call_id: str, token: str | None, handle: str | None
    ) -> tuple[Button, ...]:
        """The join page's button (with a handle), JOIN_URL_TEMPLATE's (with a token when the
        template needs one: never in JOIN_MODE=webapp, which refuses such a template)."""
        buttons: list[Button] = []
        if handle is not None:
            buttons.append(Button(t(lang, "button_join_webapp"), web_app=self._join_url(handle)))
        template = self.settings.join_url_template
        if template and (token is not None or "{access_token}" not in template):
            url = template.format(
                call_id=quote(call_id, safe=""), access_token=quote(token or "", safe="")
            )
            buttons.append(Button(t(lang, "button_join"), url))
        return tuple(buttons)

    async def _note_placed(self, row_id: int, call_id: str) -> None:
        until = self.clock.now() + self.placing
        try:
            if not await self.store.note_placed(row_id, call_id, owner=self.owner, until=until):
                logger.info("call %s: resumed by another replica meanwhile", row_id)
        except StoreUnavailable:  # the record keeper writes the id with the outcome
            logger.warning("call %s: could not note its id while delivering", row_id)

    # -- ring first (CALL_FLOW=ring): nothing is paid until the callee answers ---------------

    async def _ring(
        self, origin: Origin, lang: str, row_id: int, caller: UserRecord, callee: UserRecord
    ) -> CallReport:
        timeout = self.settings.ring_timeout
        # (claimed ringing, with its deadline: an instant press finds it ringing, and a replica
        # that dies before the ring goes out leaves it to time out)
        callee_lang = pick_language(callee.language_code)
        ring = OutgoingMessage(
            t(callee_lang, "ring_callee", caller=caller.display_name, seconds=timeout),
            (
                Button(t(callee_lang, "button_answer"), data=encode(PressKind.RING_ANSWER, row_id)),
                Button(
                    t(callee_lang, "button_decline"), data=encode(PressKind.RING_DECLINE, row_id)
                ),
            ),
        )
        receipt = await self.messenger.send(callee.telegram_id, ring)
        # The ring is out: from here on nothing raises (a "try again" would ring twice).
        if receipt.delivery is not Delivery.SENT:
            try:
                await self.store.close_call(
                    row_id, outcome=CallOutcome.UNREACHABLE, status=CallStatus.RANG, announce=False
                )  # (the answer below says it)
            except StoreUnavailable:  # the ring times out as missed instead
                logger.warning("ring %s: could not record it unreachable", row_id)
            reason = t(lang, f"reason_{receipt.delivery.value}")
            await self._reply(
                origin, t(lang, "unreachable", name=callee.display_name, reason=reason)
            )
            return CallReport(PlaceResult.FAILED, "unreachable", call_row_id=row_id)
        notice = t(lang, "ring_notice", caller=caller.display_name, callee=callee.display_name)
        notice_receipt = await self._reply(origin, notice)
        try:
            await self.store.set_call_messages(
                row_id,
                notice_message_id=notice_receipt.message_id,
                callee_message_id=receipt.message_id,
            )
        except StoreUnavailable:  # the outcome is then sent as new messages, not edits
            logger.warning("ring %s: its message ids could not be recorded", row_id)
        return CallReport(PlaceResult.RINGING, call_row_id=row_id)

    # -- Telegram's side of things -------------------------------------------------------------

    def _parse(self, request: CallRequest) -> CallCommand:
        """The command, or the refusal that needs no database."""
        try:
            command = parse_call(request.args_text, request.mentions, request.reply_to)
        except CallParseError as exc:
            raise _Refusal.parse_error(exc) from None
        if command.callee is not None and command.callee.is_bot:
            raise _Refusal("call_bot")
        username = command.callee_username or ""
        if command.callee is None and username.lower() == self.bot_username.lower():
            raise _Refusal("call_bot")
        return command

    async def _check(
        self, command: CallCommand, caller: UserRecord, callee: UserRecord | None, origin: Origin
    ) -> tuple[UserRecord, int]:
        """Everything that can be refused without asking Kavenegar."""
        if command.callee is not None:
            profile = command.callee
            if callee is None:  # someone named by a text mention, new to the bot
                callee = await self.store.upsert_user(profile)
            name = profile.display_name
        else:
            name = f"@{command.callee_username}"
            if callee is None:
                raise _Refusal("call_unknown_callee", start_button=True, name=name)
        duration = command.duration or self.settings.default_max_duration
        refusal = await self.rules_refusal(caller, callee, duration, origin)
        if refusal is not None:
            if "name" in refusal.params:  # as the caller named them
                refusal.params["name"] = name
            raise refusal
        return callee, duration

    def _token_message(
        self,
        owner: UserRecord,
        other: UserRecord,
        call_id: str,
        token: str,
        is_caller: bool,
        note: Callable[[str], str] | None = None,
        handle: str | None = None,
    ) -> OutgoingMessage:
        """The owner's private message about the call: the token (unless JOIN_MODE=webapp),
        and the buttons to join with (the join page's, JOIN_URL_TEMPLATE's)."""
        lang = pick_language(owner.language_code)
        title = t(lang, "token_caller" if is_caller else "token_callee", other=other.display_name)
        if note is not None:
            title = f"{note(lang)}\n{title}"
        buttons = self._join_buttons(lang, call_id, token, handle)
        if self.settings.join_mode == "webapp":  # the token never goes into a message
            how = t(lang, "token_webapp_how" if handle else "token_webapp_unavailable")
            return OutgoingMessage(f"{title}\n\n{how}", buttons, carries_secret=True)
        body = t(lang, "token_body", call_id=call_id, access_token=token)
        template = self.settings.join_url_template
        if handle is not None:
            how = t(lang, "token_webapp_or_app")
        elif template:
            how = t(lang, "token_tap_to_join")
        else:
            how = t(lang, "token_how_to_join")
        return OutgoingMessage(f"{title}\n\n{body}\n\n{how}", buttons, carries_secret=True)

    def _join_url(self, handle: str) -> str:
        """The join page's URL for a handle (Telegram adds the signed ``initData`` after #)."""
        assert self.settings.webapp_url is not None
        return f"{self.settings.webapp_url}?{urlencode({'call': handle})}"

    async def _notify(
        self,
        origin: Origin,
        lang: str,
        caller: UserRecord,
        callee: UserRecord,
        caller_delivery: Delivery,
        callee_delivery: Delivery,
    ) -> int | None:
        """A token-free notice where the call was asked for, naming anyone we could not reach;
        the id of the notice to edit when the call ends."""
        if origin.quiet:
            return None
        problems = [
            t(lang, "unreachable", name=person.display_name, reason=t(lang, f"reason_{d.value}"))
            for person, d in ((caller, caller_delivery), (callee, callee_delivery))
            if d is not Delivery.SENT
        ]
        buttons = (
            (Button(t(lang, "button_start"), self.start_link),)
            if any(d.unreachable for d in (caller_delivery, callee_delivery))
            else ()
        )
        if origin.private:
            if problems:
                await self._reply(origin, "\n".join(problems), buttons)
            return origin.notice_message_id
        notice = t(lang, "chat_notice", caller=caller.display_name, callee=callee.display_name)
        text = "\n".join([notice, *problems])
        if origin.notice_message_id is not None:
            await self.messenger.edit(
                origin.chat_id, origin.notice_message_id, OutgoingMessage(text, buttons)
            )
            notice_id: int | None = origin.notice_message_id
        else:
            notice_id = (await self._reply(origin, text, buttons)).message_id
        if problems and caller_delivery is Delivery.SENT:
            await self.messenger.send(caller.telegram_id, OutgoingMessage("\n".join(problems)))
        return notice_id

    async def _reply(
        self,
        origin: Origin,
        html: str,
        buttons: tuple[Button, ...] = (),
        *,
        kind: MessageKind = MessageKind.CALL,
        addressee: int | None = None,
        contact_button: str | None = None,
    ) -> Receipt:
        if origin.quiet:  # a page's attempt: the page's notice tells how it went
            return Receipt(Delivery.SENT)
        message = OutgoingMessage(
            html,
            buttons,
            reply_to_message_id=origin.quote_id,
            kind=kind,
            addressee=addressee,
            contact_button=contact_button,
            message_thread_id=origin.thread_id,
        )
        return await self.messenger.send(origin.chat_id, message)


def _participant(user: UserRecord) -> Participant:
    platform = user.platform if user.platform in ("ios", "android") else None
    return Participant(
        username=user.kavenegar_username,
        display_name=user.name[:DISPLAY_NAME_MAX],
        platform=platform,
    )
