"""The join page's side of a call: which participant's token a validated Telegram user may have.

A Join button opens ``WEBAPP_URL?call=<handle>``. The handle is random
(:func:`new_join_handle`), made when the call's tokens go out, and only its SHA-256 is stored
(:func:`handle_hash`), so neither the URL nor the database holds the call id or a token. The
page sends the handle with Telegram's signed ``initData``; once the web layer has validated it,
:meth:`JoinService.lookup` answers for that Telegram user: their own ``{callId, accessToken}``
while the call can be joined, and why not otherwise. The token is read from Kavenegar
(``GET /calls/{id}``), never stored by the bot.

Bounded, so the page cannot turn its requests into Kavenegar's: Kavenegar's answer for a call
is kept in memory for :data:`CALL_CACHE_SECONDS` per call row (never on disk, never logged,
hidden from ``repr``), so a page reopened or a request replayed within them asks Kavenegar
nothing (the row's outcome is still read from the database each time, so a call that ended is
said to have ended at once); and each Telegram user has :data:`REQUESTS_PER_MINUTE` requests a
minute, after which they are told to wait (429 with ``Retry-After``) before anything is looked
up.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.clock import Clock, SystemClock
from bot.core.errors import StoreUnavailable
from bot.storage import Store
from kavenegar import KavenegarClient, KavenegarError, NotFoundError

__all__ = [
    "CALL_CACHE_SECONDS",
    "REQUESTS_PER_MINUTE",
    "JoinAnswer",
    "JoinService",
    "JoinStatus",
    "handle_hash",
    "new_join_handle",
]

logger = logging.getLogger(__name__)

#: Seconds Kavenegar's answer about one call serves the join page's requests for that call.
CALL_CACHE_SECONDS = 5.0
#: Requests one Telegram user may make of the join page in a minute.
REQUESTS_PER_MINUTE = 20
#: Beyond this many people or calls remembered, the stale ones are forgotten.
_REMEMBERED = 1000


def new_join_handle() -> str:
    """A fresh, unguessable handle for a join page URL (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def handle_hash(handle: str) -> str:
    """What is stored of a handle: its SHA-256, in hex."""
    return hashlib.sha256(handle.encode()).hexdigest()


class JoinStatus(StrEnum):
    """What the join page is told, one per HTTP status of its endpoint."""

    READY = "ready"  # 200: the token of this participant
    UNKNOWN = "unknown"  # 404: no call has this handle
    NOT_YOURS = "not_yours"  # 403: the user is not a participant of the call
    ENDED = "ended"  # 410: the call is over (or never became joinable)
    UNAVAILABLE = "unavailable"  # 503: the database or Kavenegar cannot say now
    TOO_MANY = "too_many"  # 429: this user asked too often; ``retry_after`` seconds


@dataclass(frozen=True)
class JoinAnswer:
    """The lookup's result; ``access_token`` only with :attr:`JoinStatus.READY`."""

    status: JoinStatus
    call_row_id: int | None = None
    call_id: str | None = None
    access_token: str | None = field(default=None, repr=False)
    #: "caller" or "callee": whose side of the call the token is.
    role: str | None = None
    #: With :attr:`JoinStatus.TOO_MANY`: whole seconds until this user may ask again.
    retry_after: int | None = None


@dataclass(frozen=True)
class _Asked:
    """What Kavenegar said of a call, until ``until`` (the tokens never shown)."""

    until: datetime
    call_id: str
    ended: bool
    caller_token: str | None = field(repr=False)
    callee_token: str | None = field(repr=False)


@dataclass
class _Budget:
    """One user's requests in the minute that began at ``start``."""

    start: datetime
    used: int = 0


class JoinService:
    """Answers the join page (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        kavenegar: KavenegarClient,
        *,
        remember_secret: Callable[[str], None] = lambda _secret: None,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.kavenegar = kavenegar
        self.remember_secret = remember_secret
        self.clock = clock or SystemClock()
        self._asked: dict[int, _Asked] = {}  # by call row
        self._budgets: dict[int, _Budget] = {}  # by Telegram user

    def __repr__(self) -> str:  # (what is remembered holds tokens)
        return f"<JoinService: {len(self._asked)} calls, {len(self._budgets)} people>"

    async def lookup(self, handle: str, user_id: int) -> JoinAnswer:
        """The token ``user_id`` may have for the call behind ``handle``, or why not."""
        wait = self._spend(user_id)
        if wait is not None:
            return JoinAnswer(JoinStatus.TOO_MANY, retry_after=wait)
        try:
            record = await self.store.call_by_join_handle(handle_hash(handle))
        except StoreUnavailable:
            return JoinAnswer(JoinStatus.UNAVAILABLE)
        if record is None:
            return JoinAnswer(JoinStatus.UNKNOWN)
        if user_id == record.caller_id:
            role = "caller"
        elif user_id == record.callee_id:
            role = "callee"
        else:
            return JoinAnswer(JoinStatus.NOT_YOURS, record.id)
        if record.outcome is not None:
            return JoinAnswer(JoinStatus.ENDED, record.id)
        if record.kavenegar_call_id is None:  # its id is being written beside the tokens
            return JoinAnswer(JoinStatus.UNAVAILABLE, record.id)
        asked = await self._ask(record.id, record.kavenegar_call_id)
        if asked is None:
            return JoinAnswer(JoinStatus.UNAVAILABLE, record.id)
        if asked.ended:
            return JoinAnswer(JoinStatus.ENDED, record.id)
        token = asked.caller_token if role == "caller" else asked.callee_token
        if not token:
            return JoinAnswer(JoinStatus.UNAVAILABLE, record.id)
        return JoinAnswer(JoinStatus.READY, record.id, asked.call_id, token, role)

    def _spend(self, user_id: int) -> int | None:
        """One request of ``user_id``'s minute; None if within it, else the seconds to wait."""
        now = self.clock.now()
        minute = timedelta(minutes=1)
        budget = self._budgets.get(user_id)
        if budget is None or now - budget.start >= minute:
            if len(self._budgets) >= _REMEMBERED:
                self._budgets = {
                    user: kept for user, kept in self._budgets.items() if now - kept.start < minute
                }
            budget = self._budgets[user_id] = _Budget(now)
        if budget.used >= REQUESTS_PER_MINUTE:
            return max(1, math.ceil((budget.start + minute - now).total_seconds()))
        budget.used += 1
        return None

    async def _ask(self, row_id: int, call_id: str) -> _Asked | None:
        """What Kavenegar says of call ``call_id`` (row ``row_id``), asked at most once per
        :data:`CALL_CACHE_SECONDS`; None if it cannot be asked now."""
        now = self.clock.now()
        asked = self._asked.get(row_id)
        if asked is not None and asked.call_id == call_id and now < asked.until:
            return asked
        until = now + timedelta(seconds=CALL_CACHE_SECONDS)
        try:
            call = await self.kavenegar.calls.get(call_id)
        except NotFoundError:
            asked = _Asked(until, call_id, True, None, None)
        except KavenegarError as exc:
            logger.info("call %s: Kavenegar not asked for the join page (%r)", row_id, exc)
            return None
        else:
            caller, callee = call.caller.access_token, call.receptor.access_token
            for token in (caller, callee):
                if token:
                    self.remember_secret(token)
            ended = bool(call.finish_reason or call.finished_at)
            asked = _Asked(until, call.id, ended, caller, callee)
        if len(self._asked) >= _REMEMBERED:
            self._asked = {row: kept for row, kept in self._asked.items() if now < kept.until}
        self._asked[row_id] = asked
        return asked
