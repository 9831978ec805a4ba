"""Following every created call to its end, durably and on one replica at a time.

Kavenegar has no webhooks: ``GET /calls/{id}`` is the only way to learn how a call went. Each
call to follow is a row in ``calls`` with ``next_check_at`` set; every replica runs a
:class:`CallWatcher` that leases due rows (one replica per row; a lease that outlives a dead
replica is taken over when it expires), polls them, and either closes the call (once: the
replica whose ``close_call`` succeeds announces it) or sets its next check. So a restart or a
killed replica loses nothing: the rows are still due.

Cadence: the first poll 2 s after creation; every 2 s while the call is in its first 70 s (the
ringing window, when most calls end); then backing off to every 30 s at most, until
``maxDuration`` plus 5 minutes. A 404 closes it as ``unknown``. A timeout, a 5xx, a 401/403 or
an unreadable answer is never an end: the poll is simply tried again at the next step.

The age limit holds whatever the polls say: a call older than ``maxDuration`` plus 5 minutes is
closed as ``expired`` without being polled, and so is one whose poll fails past that age (a call
whose polls keep failing, a wrong token for one, still ends).

All polls of a replica share one budget, ``KAVENEGAR_POLL_RPS`` requests per second, kept as a
sliding log (no one-second window ever holds more); a 429 pauses polling for as long as Kavenegar
asks, :data:`MAX_RETRY_AFTER` (60 s) at most. When the budget cannot give every call its cadence,
calls in their ringing window come first and the others take turns, the longest-waiting first.

The budget and a pause hold back polls only. The work that asks Kavenegar nothing is claimed
apart from them, up to :attr:`CallWatcher.CHORES` rows a tick: rings whose time is up,
announcements left to finish, and calls past their age limit.

Rings (``CALL_FLOW=ring``) are rows too: when a ring's time is up, the watcher closes it as
missed, so a late press finds it over.

A call answered in its first 70 s and hung up there is shown within about 3 s of its end (one
2-second poll interval plus the edit). Past the first 70 s the delay grows with the backoff, to
30 s at most.

Sweeps (see :mod:`bot.calls.sweeps`): one poll answers for one call, so the delay above grows
with the number of calls followed at once. From ``sweep_from`` calls followed (by all replicas
together; ``KAVENEGAR_SWEEP_FROM``, 0: never) the watcher sweeps instead, as long as the last
sweep took fewer requests than there are calls to follow: it leases every followed call due
before a sweep could be over (the calls' cadence above still says when a call is due), lists
``GET /calls`` page by page (``KAVENEGAR_LIST_SIZE`` calls a page at first, 20 by default;
doubled, up to :data:`~bot.calls.sweeps.LIST_SIZE_CAP`, each time a sweep's first page says the
listing needs more than one; halved each time Kavenegar refuses a size with a 400 or 422, and
never grown past the halved size again for as long as the process runs; a refused size of 1
turns sweeps off) and applies each listed item to the leased call it answers for, as a poll's answer
would be applied. Pages and polls share the one budget (a page is a request) and a 429 on either
pauses both. A leased call the sweep did not list is due again at once; missing from
:data:`~bot.calls.sweeps.MISSES` sweeps in a row, it is polled by itself from then on. While a
sweep runs, the calls placed since it started (in their ringing window) are polled one by one,
within the same budget and before its pages, so a long listing never starves them. The chores
go on as with polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import uuid
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.calls.outcomes import Announcer
from bot.calls.sweeps import DOCUMENTED_SIZE, LIST_SIZE_CAP, MISSES, Sweep, ZoneOffset
from bot.core.clock import Clock
from bot.core.errors import StoreUnavailable
from bot.core.records import CallOutcome, CallRecord, CallStatus
from bot.core.work import LeasedWorker
from bot.storage import Store
from kavenegar import (
    AuthenticationError,
    BadRequestError,
    Call,
    KavenegarClient,
    KavenegarError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)

__all__ = ["MAX_RETRY_AFTER", "RINGING_WINDOW", "CallWatcher", "next_poll_delay"]

#: What a list page says of a sweep's calls: those connected (row ids), those still live (row
#: ids by their next check) and those that ended (with Kavenegar's answer).
_Found = tuple[list[int], dict[datetime, list[int]], list[tuple[CallRecord, Call]]]

logger = logging.getLogger(__name__)

#: The first 70 s of a call: Kavenegar ends unanswered calls after one minute.
RINGING_WINDOW = timedelta(seconds=70)
FIRST_POLL = 2.0
RINGING_POLL = 2.0
MAX_POLL = 30.0
#: How long past ``maxDuration`` a call may go without reporting an end.
GRACE = timedelta(minutes=5)
#: The longest a 429 pauses the polls, whatever its ``Retry-After`` asks (then the next 429, if
#: Kavenegar still wants quiet, pauses them again).
MAX_RETRY_AFTER = 60.0


def next_poll_delay(age: timedelta) -> float:
    """Seconds until the next poll of a call ``age`` old: 2 s in its first 70 s, then backing
    off (5, 10, 20, 30 s ...) to at most every 30 s."""
    past = (age - RINGING_WINDOW).total_seconds()
    if past < 0:
        return RINGING_POLL
    return float(min(MAX_POLL, 5.0 * 2 ** math.floor(past / 60)))


def _past_age_limit(record: CallRecord, now: datetime) -> bool:
    """Older than its ``maxDuration`` plus :data:`GRACE`: it will never report an end now."""
    created = record.created_at or now
    return now - created > timedelta(seconds=record.max_duration) + GRACE


class RingCloser(Protocol):
    """What ends a ring whose time is up (the press service)."""

    async def ring_timed_out(self, record: CallRecord) -> None: ...


class Resumer(Protocol):
    """What finishes placing a call whose placer died after Kavenegar created it (the call
    service): its tokens delivered while it can be joined, then followed; False if Kavenegar
    could not be asked now."""

    async def resume(self, record: CallRecord) -> bool: ...


def replica_name() -> str:
    """Who holds a lease: host, process and a random part (a restarted process is new)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class CallWatcher(LeasedWorker[CallRecord]):
    """Polls due calls within a shared budget; closes and announces each ending once."""

    LEASE = timedelta(seconds=30)
    #: The polls of one tick go out together (the budget, not a batch, says how many).
    CONCURRENT = True
    UNAVAILABLE_NOTE = "; the lease will lapse"
    #: The most rows needing no poll (rings to end, announcements, calls past their age) that
    #: one tick claims, apart from the poll budget.
    CHORES = 100
    #: The most calls one sweep answers for (the others wait for the next).
    SWEEP_MOST = 10_000
    #: List pages asked for and read at the same time, within the budget: each is held in
    #: memory while it is read (about 5 MB more peak RSS when all of a tick's went together).
    PAGES_AT_ONCE = 2

    def __init__(
        self,
        *,
        store: Store,
        kavenegar: KavenegarClient,
        announcer: Announcer,
        clock: Clock,
        polls_per_second: float = 5.0,
        owner: str | None = None,
        ring_ended: RingCloser | None = None,
        resumer: Resumer | None = None,
        sweep_from: int = 10,
        list_size: int = 20,
    ) -> None:
        self.store = store
        self.kavenegar = kavenegar
        self.announcer = announcer
        self.clock = clock
        self.rate = polls_per_second
        self.owner = owner or replica_name()
        self.ring_ended = ring_ended
        self.resumer = resumer
        # A sliding log of poll times: never more than `_capacity` polls in any `_window`.
        self._window = timedelta(seconds=max(1.0, 1.0 / polls_per_second))
        self._capacity = max(1, math.floor(polls_per_second * self._window.total_seconds()))
        self._sent: deque[datetime] = deque()
        self._paused_until: datetime | None = None
        #: Polls sent, for the benchmarks and tests.
        self.polls = 0
        #: From how many followed calls sweeps take over (0: never).
        self.sweep_from = sweep_from
        #: Calls a list page asks for; doubled while sweeps need many pages, halved each time
        #: Kavenegar refuses it.
        self.list_size = list_size
        #: The most a page may ask for: the cap, then the size a refusal halved to (so a
        #: refused size is never asked for again).
        self.list_most = LIST_SIZE_CAP
        #: List pages asked for (each a request of the budget), and sweeps finished.
        self.pages = 0
        self.sweeps = 0
        self._sweep: Sweep | None = None
        self._last_pages: int | None = None
        self._last_took = 0.0
        self._offset = ZoneOffset()
        #: Calls (row ids) missing from the latest sweeps in a row, and how many.
        self._misses: dict[int, int] = {}
        #: Leased calls to poll by themselves before the next sweep.
        self._lone: deque[CallRecord] = deque()

    def budget_used(self) -> int:
        """Polls sent within the budget's current window (for the metrics)."""
        return self._capacity - self._room(self.clock.now())

    def _room(self, now: datetime) -> int:
        """Polls the budget allows now: the capacity less those sent in the last window."""
        while self._sent and self._sent[0] <= now - self._window:
            self._sent.popleft()
        return self._capacity - len(self._sent)

    def batch(self, now: datetime) -> int:
        """As many polls as the budget allows now; none while Kavenegar asked for a pause."""
        if self._paused_until is not None and now < self._paused_until:
            return 0
        return self._room(now)

    async def claim(self, now: datetime, limit: int) -> list[CallRecord]:
        """The calls due now: up to :attr:`CHORES` that need no poll whatever the budget, and
        up to ``limit`` (the budget) to poll, those in their ringing window first."""
        return await self.store.claim_due_calls(
            self.owner,
            now=now,
            lease=self.LEASE,
            limit=max(0, limit),
            ringing_since=now - RINGING_WINDOW,
            chores=self.CHORES,
            grace=GRACE,
        )

    def describe(self, record: CallRecord) -> str:
        return f"call {record.id}"

    async def tick(self) -> int:
        """Polls (see :class:`LeasedWorker`) while few calls are followed; else a sweep's turn.

        While a sweep runs, the calls placed since it started (in their ringing window, none of
        its targets) are polled one by one when due, within the budget, before the lone polls
        and the pages: a long listing never starves a young call. (Calls placed before it are
        its own or the next sweep's: polling them first would starve the sweep instead.)"""
        now = self.clock.now()
        if not await self._sweeping():
            return await super().tick()
        young, since = 0, now - RINGING_WINDOW
        if self._sweep is not None:  # (those placed before it are its own or the next one's)
            young = max(0, self.batch(now) - len(self._lone))
            since = max(since, self._sweep.started)
        claimed = await self.store.claim_due_calls(
            self.owner,
            now=now,
            lease=self.LEASE,
            limit=young,
            ringing_since=since,
            chores=self.CHORES,
            grace=GRACE,
            ringing_only=True,
        )
        await asyncio.gather(*(self._step(row, now) for row in claimed))
        return len(claimed) + await self._sweep_turn(now)

    async def _sweeping(self) -> bool:
        """Whether this tick sweeps: a sweep under way, or calls to poll left by one; else
        enough calls followed, the zone of the API's dates known, and the last sweep cheaper
        than polling them."""
        if self._sweep is not None or self._lone:
            return True
        if self.sweep_from <= 0 or self._offset.value is None:
            return False  # (polls learn the zone: each answer has the call's createdAt)
        followed = await self.store.followed_calls()
        cheaper = self._last_pages is None or self._last_pages < followed
        return followed >= self.sweep_from and cheaper

    async def _sweep_turn(self, now: datetime) -> int:
        """As many requests as the budget allows now: the lone polls first, then pages."""
        room = self.batch(now)
        if room <= 0:
            return 0
        lone: list[CallRecord] = []
        while self._lone and len(lone) < room:
            lone.append(self._lone.popleft())
        room -= len(lone)
        sweep = self._sweep
        if sweep is None and room > 0 and not self._lone:
            sweep = self._sweep = await self._start(now)
        pages = sweep.take(room) if sweep is not None else []
        reserved = self.clock.now()
        for _ in pages:
            self.pages += 1
            self._sent.append(reserved)  # a page is a request of the budget, as a poll
        gate = asyncio.Semaphore(self.PAGES_AT_ONCE)
        await asyncio.gather(
            *(self._step(record, now) for record in lone),
            *(self._page(sweep, page, now, gate, reserved) for page in pages if sweep is not None),
        )
        if sweep is not None and sweep.done:
            self._sweep = None
            await self._finish(sweep, now)
        return len(lone) + len(pages)

    async def _start(self, now: datetime) -> Sweep | None:
        """Lease the calls due before this sweep could be over; those missing from the last
        sweeps go to be polled by themselves."""
        # as long as the last one took (its pages at the budget's rate at least)
        expected = max((self._last_pages or 1) / self.rate, self._last_took)
        rows = await self.store.claim_swept_calls(
            self.owner,
            now=now,
            due_by=now + timedelta(seconds=expected),
            lease=self.LEASE + timedelta(seconds=expected),
            limit=self.SWEEP_MOST,
            ringing_since=now - RINGING_WINDOW,
            grace=GRACE,
        )
        swept = [r for r in rows if self._misses.get(r.id, 0) < MISSES]
        self._lone.extend(r for r in rows if self._misses.get(r.id, 0) >= MISSES)
        offset = self._offset.value
        if not swept or offset is None:
            self._lone.extend(swept)
            return None
        return Sweep.of(swept, offset=offset, size=self.list_size, now=now)

    async def _page(
        self, sweep: Sweep, page: int, now: datetime, gate: asyncio.Semaphore, reserved: datetime
    ) -> None:
        """Ask for one page and apply what it lists; at most :attr:`PAGES_AT_ONCE` pages are
        asked for and read at a time (a page of 100 calls is a few MB once parsed), and only
        what matters of a page is kept while the calls it ended are closed and announced. The
        budget logged the page when it was taken (``reserved``); a page that waited for the
        gate is logged again at the time it really goes out, so that the next ticks count it
        in the right second."""
        async with gate:
            self._sent_at(reserved)
            found = await self._read(sweep, page, now)
        if found is not None:
            await self._apply(*found, now)

    def _sent_at(self, reserved: datetime) -> None:
        """A request logged at ``reserved`` goes out now: its entry moved to now (the log stays
        in order: now is the latest time in it)."""
        sent = self.clock.now()
        if sent == reserved:
            return
        with contextlib.suppress(ValueError):  # (already out of the window: nothing to move)
            self._sent.remove(reserved)
        self._sent.append(sent)

    async def _read(self, sweep: Sweep, page: int, now: datetime) -> _Found | None:
        """One page asked for: what it says of the calls this sweep answers for."""
        size = sweep.size
        try:
            listed = await self.kavenegar.calls.list(since=sweep.since, page=page, size=size)
        except RateLimitError as exc:
            self._pause(now, exc.retry_after)
            sweep.failed(page, counted=False)
            return None
        except (BadRequestError, UnprocessableEntityError) as exc:
            if sweep.size != size:  # refused with a size already given up
                sweep.in_flight -= 1
                return None
            self._refused(sweep, exc.status_code)
            return None
        except KavenegarError as exc:  # timeout, 5xx, 401/403, garbage: asked again
            logger.info("list page %d failed (%r); trying again", page, exc)
            sweep.failed(page)
            return None
        first, items, total = sweep.total is None, len(listed.result), listed.page.total
        if sweep.got(page, total, items):
            self._grow(sweep)
        elif first and page == 0 and DOCUMENTED_SIZE <= items < size and (total or 0) > items:
            self._capped(sweep, items)
        return self._sort(sweep, listed.result, now)

    def _capped(self, sweep: Sweep, most: int) -> None:
        """The first page came back with ``most`` items of the more its total announces, fewer
        than asked: the service caps the size there without refusing a larger one. That size,
        for this sweep (from its first page again) and for good."""
        logger.warning(
            "Kavenegar listed %d calls of the %d a page asked: asking for %d from now on",
            most,
            sweep.size,
            most,
        )
        self.list_size = min(self.list_size, most)
        self.list_most = min(self.list_most, most)
        sweep.grow(most)  # (a plan from page 0 at that size; the calls seen stay seen)

    def _grow(self, sweep: Sweep) -> None:
        """The sweep's first page says it needs more: twice the size, for this sweep (from its
        first page again) and the later ones, while under :attr:`list_most`."""
        bigger = min(sweep.size * 2, self.list_most)
        if bigger <= sweep.size:
            return
        logger.info(
            "a sweep needs %s pages of %d calls: asking for %d a page from now on",
            sweep.pages,
            sweep.size,
            bigger,
        )
        self.list_size = bigger
        sweep.grow(bigger)

    def _refused(self, sweep: Sweep, status: int) -> None:
        """Kavenegar refused the page size: halve it, for this sweep and the later ones, and
        never grow past the halved size again; a refused size of 1 ends the sweeps (its calls
        are due again, to be polled)."""
        if sweep.size <= 1:
            logger.warning("Kavenegar refused a list of 1 call a page (%s): no more sweeps", status)
            self.sweep_from = 0
            sweep.in_flight -= 1
            sweep.retry.clear()
            sweep.total, sweep.next_page = 0, 1
            return
        smaller = max(1, sweep.size // 2)
        logger.warning(
            "Kavenegar refused a list of %d calls a page (%s): asking for %d from now on",
            sweep.size,
            status,
            smaller,
        )
        self.list_size = min(self.list_size, smaller)
        self.list_most = min(self.list_most, smaller)
        sweep.replan(smaller)

    def _sort(self, sweep: Sweep, items: Sequence[Call], now: datetime) -> _Found:
        """What a page says of the calls this sweep answers for: those connected, those still
        live (by when each is due next), and those that ended."""
        connected: list[int] = []
        later: defaultdict[datetime, list[int]] = defaultdict(list)
        ended: list[tuple[CallRecord, Call]] = []
        for call in items:
            record = sweep.seen(call)
            if record is None:  # not a call this sweep answers for: skipped
                continue
            self._offset.learn(record, call)
            self._misses.pop(record.id, None)
            if call.started_at is not None and record.connected_at is None:
                connected.append(record.id)
            if call.finish_reason or call.finished_at:
                ended.append((record, call))
            else:
                age = now - (record.created_at or now)
                later[now + timedelta(seconds=next_poll_delay(age))].append(record.id)
        return connected, later, ended

    async def _apply(
        self,
        connected: list[int],
        later: dict[datetime, list[int]],
        ended: list[tuple[CallRecord, Call]],
        now: datetime,
    ) -> None:
        """A page's findings applied, as a poll's answer would be."""
        await self.store.mark_connected_many(connected, now)
        for when, ids in later.items():
            await self.store.reschedule_calls(ids, self.owner, next_check_at=when)
        await asyncio.gather(*(self._ended(record, call) for record, call in ended))

    async def _ended(self, record: CallRecord, call: Call) -> None:
        """A listed call has ended: closed and announced, once, as a poll would."""
        outcome = CallOutcome.from_finish(call.finish_reason, call.duration)
        try:
            await self._close(record, outcome, reason=call.finish_reason, duration_ms=call.duration)
        except StoreUnavailable as exc:  # its lease lapses: looked at again then
            logger.warning(
                "call %s: storage unavailable (%s)%s", record.id, exc, self.UNAVAILABLE_NOTE
            )

    async def _finish(self, sweep: Sweep, now: datetime) -> None:
        """The sweep is over: the calls it did not list are due again, or polled by
        themselves once missing from :data:`MISSES` sweeps in a row."""
        self.sweeps += 1
        self._last_pages = sweep.pages or 1
        self._last_took = (self.clock.now() - sweep.started).total_seconds()
        again: list[int] = []
        for record in sweep.targets.values():
            if self.sweep_from <= 0:  # sweeps were turned off: polls take every call over
                again.append(record.id)
                continue
            missed = self._misses[record.id] = self._misses.get(record.id, 0) + 1
            if missed >= MISSES:
                self._lone.append(record)
            else:
                again.append(record.id)
        await self.store.reschedule_calls(again, self.owner, next_check_at=now)

    async def step(self, record: CallRecord, now: datetime) -> None:
        if record.outcome is not None:  # closed, but its announcement never finished
            try:
                await self.announcer.announce(record)
            except StoreUnavailable:
                raise  # the lease lapses: another try later
            except Exception:  # a second failure that is not the store's: no endless retries
                logger.exception("call %s: its outcome could not be announced", record.id)
            await self.store.announced(record.id)
            return
        if record.status is CallStatus.RINGING:
            if self.ring_ended is not None:
                await self.ring_ended.ring_timed_out(record)
            return
        if record.status is CallStatus.PENDING:  # its placer died mid-way: its lease lapsed
            await self._resume(record, now)
            return
        if _past_age_limit(record, now):  # whatever the polls said: no poll spent on it
            await self._close(record, CallOutcome.EXPIRED)
            return
        if record.kavenegar_call_id is None:  # nothing to ask about
            await self._close(record, CallOutcome.UNKNOWN)
            return
        await self._poll(record, record.kavenegar_call_id, now)

    async def _resume(self, record: CallRecord, now: datetime) -> None:
        """A call left half-placed by a replica that died (or stalled past its lease)."""
        if record.kavenegar_call_id is None:  # the POST's answer died with it: may exist
            await self._close(record, CallOutcome.UNKNOWN, status=CallStatus.UNKNOWN)
            return
        if self.resumer is None:
            return
        self.polls += 1
        self._sent.append(self.clock.now())  # it asks Kavenegar: a poll's share of the budget
        if not await self.resumer.resume(record):
            await self._later(record, now + timedelta(seconds=RINGING_POLL))

    async def _poll(self, record: CallRecord, call_id: str, now: datetime) -> None:
        age = now - (record.created_at or now)
        next_at = now + timedelta(seconds=next_poll_delay(age))
        self.polls += 1
        # when it is sent (later than the tick's `now` by the claim's time): never early
        self._sent.append(self.clock.now())
        try:
            call = await self.kavenegar.calls.get(call_id)
        except NotFoundError:
            await self._close(record, CallOutcome.UNKNOWN)
            return
        except RateLimitError as exc:
            next_at = now + timedelta(seconds=self._pause(now, exc.retry_after))
        except (AuthenticationError, PermissionDeniedError) as exc:  # the token, most likely
            logger.warning(
                "call %s: poll refused (%s); trying again until its age limit",
                record.id,
                exc.status_code,
            )
        except KavenegarError as exc:  # timeout, 5xx, garbage: never an end
            logger.info("call %s: poll failed (%r); trying again", record.id, exc)
        else:
            self._offset.learn(record, call)
            if call.started_at is not None and record.connected_at is None:
                await self.store.mark_connected(record.id, now)  # a page's attempt is answered
            if call.finish_reason or call.finished_at:
                outcome = CallOutcome.from_finish(call.finish_reason, call.duration)
                await self._close(
                    record, outcome, reason=call.finish_reason, duration_ms=call.duration
                )
                return
        if _past_age_limit(record, self.clock.now()):  # (a failed poll may have taken a while)
            await self._close(record, CallOutcome.EXPIRED)
            return
        await self._later(record, next_at)

    def _pause(self, now: datetime, asked: float | None) -> float:
        """Pause the polls (only them) after a 429: as long as asked, :data:`MAX_RETRY_AFTER`
        at most; the seconds paused."""
        wait = max(0.0, min(MAX_POLL if asked is None else asked, MAX_RETRY_AFTER))
        until = now + timedelta(seconds=wait)
        if self._paused_until is None or until > self._paused_until:
            self._paused_until = until
        if asked is not None and asked > wait:
            logger.warning(
                "Kavenegar asked to slow down for %.0f s: polling paused for %.0f s", asked, wait
            )
        else:
            logger.warning("Kavenegar asked to slow down: polling paused for %.0f s", wait)
        return wait

    async def _later(self, record: CallRecord, when: datetime) -> None:
        if not await self.store.reschedule_call(record.id, self.owner, next_check_at=when):
            logger.info("call %s: lease lost to another replica", record.id)

    async def _close(
        self,
        record: CallRecord,
        outcome: CallOutcome,
        *,
        reason: str | None = None,
        duration_ms: int | None = None,
        status: CallStatus | None = None,
    ) -> None:
        closed = await self.store.close_call(
            record.id,
            outcome=outcome,
            status=status,
            finish_reason=reason,
            duration_ms=duration_ms,
            finished_at=self.clock.now(),
        )
        self._misses.pop(record.id, None)
        if not closed:
            return  # another replica (or an earlier try) announced it
        closed_record = replace(
            record,
            outcome=outcome,
            finish_reason=reason,
            duration_ms=duration_ms,
            status=status or record.status,
        )
        await self.announcer.announce(closed_record)
        await self.store.announced(record.id)
