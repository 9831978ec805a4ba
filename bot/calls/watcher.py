"""Following every created call to its end, durably and on one replica at a time.

Kavenegar has no webhooks: ``GET /calls/{id}`` is the only way to learn how a call went. Each
call to follow is a row in ``calls`` with ``next_check_at`` set; every replica runs a
:class:`CallWatcher` that leases due rows (one replica per row; a lease that outlives a dead
replica is taken over when it expires), polls them, and either closes the call (once: the
replica whose ``close_call`` succeeds announces it) or sets its next check. So a restart or a
killed replica loses nothing: the rows are still due.

Cadence: the first poll 2 s after creation; every 2 s while the call is in its first 70 s (the
ringing window, when most calls end); then backing off to every 30 s at most, until
``maxDuration`` plus 5 minutes, when a call that never reported an end is closed as ``expired``.
A 404 closes it as ``unknown``. A timeout, a 5xx or an unreadable answer is never an end: the
poll is simply tried again at the next step. All polls of a replica share one budget,
``KAVENEGAR_POLL_RPS`` requests per second, kept as a sliding log (no one-second window ever holds
more); a 429 pauses polling for as long as Kavenegar asks. When the budget cannot give every
call its cadence, calls in their ringing window come first and the others take turns, the
longest-waiting first.

Rings (``CALL_FLOW=ring``) are rows too: when a ring's time is up, the watcher closes it as
missed, so a late press finds it over.

A call answered in its first 70 s and hung up there is shown within about 3 s of its end (one
2-second poll interval plus the edit). Past the first 70 s the delay grows with the backoff, to
30 s at most.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.calls.outcomes import Announcer
from bot.core.clock import Clock
from bot.core.errors import StoreUnavailable
from bot.core.records import CallOutcome, CallRecord, CallStatus
from bot.core.work import LeasedWorker
from bot.storage import Store
from kavenegar import KavenegarClient, KavenegarError, NotFoundError, RateLimitError

__all__ = ["RINGING_WINDOW", "CallWatcher", "next_poll_delay"]

logger = logging.getLogger(__name__)

#: The first 70 s of a call: Kavenegar ends unanswered calls after one minute.
RINGING_WINDOW = timedelta(seconds=70)
FIRST_POLL = 2.0
RINGING_POLL = 2.0
MAX_POLL = 30.0
#: How long past ``maxDuration`` a call may go without reporting an end.
GRACE = timedelta(minutes=5)


def next_poll_delay(age: timedelta) -> float:
    """Seconds until the next poll of a call ``age`` old: 2 s in its first 70 s, then backing
    off (5, 10, 20, 30 s ...) to at most every 30 s."""
    past = (age - RINGING_WINDOW).total_seconds()
    if past < 0:
        return RINGING_POLL
    return float(min(MAX_POLL, 5.0 * 2 ** math.floor(past / 60)))


class RingCloser(Protocol):
    """What ends a ring whose time is up (the call service)."""

    async def ring_timed_out(self, record: CallRecord) -> None: ...


def replica_name() -> str:
    """Who holds a lease: host, process and a random part (a restarted process is new)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class CallWatcher(LeasedWorker[CallRecord]):
    """Polls due calls within a shared budget; closes and announces each ending once."""

    LEASE = timedelta(seconds=30)
    #: The polls of one tick go out together (the budget, not a batch, says how many).
    CONCURRENT = True
    UNAVAILABLE_NOTE = "; the lease will lapse"

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
    ) -> None:
        self.store = store
        self.kavenegar = kavenegar
        self.announcer = announcer
        self.clock = clock
        self.rate = polls_per_second
        self.owner = owner or replica_name()
        self.ring_ended = ring_ended
        # A sliding log of poll times: never more than `_capacity` polls in any `_window`.
        self._window = timedelta(seconds=max(1.0, 1.0 / polls_per_second))
        self._capacity = max(1, math.floor(polls_per_second * self._window.total_seconds()))
        self._sent: deque[datetime] = deque()
        self._paused_until: datetime | None = None
        #: Polls sent, for the benchmarks and tests.
        self.polls = 0

    def _room(self, now: datetime) -> int:
        """Polls the budget allows now: the capacity less those sent in the last window."""
        while self._sent and self._sent[0] <= now - self._window:
            self._sent.popleft()
        return self._capacity - len(self._sent)

    def batch(self, now: datetime) -> int:
        """As many calls as the budget allows now; none while Kavenegar asked for a pause."""
        if self._paused_until is not None and now < self._paused_until:
            return 0
        return self._room(now)

    async def claim(self, now: datetime, limit: int) -> list[CallRecord]:
        """The calls due now, those in their ringing window first."""
        if limit <= 0:
            return []
        due = await self.store.claim_due_calls(
            self.owner, now=now, lease=self.LEASE, limit=limit, ringing_since=now - RINGING_WINDOW
        )
        # only polls count against the budget (not ring ends, nor announcements to finish)
        self._sent.extend(
            now for r in due if r.status is not CallStatus.RINGING and r.outcome is None
        )
        return due

    def describe(self, record: CallRecord) -> str:
        return f"call {record.id}"

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
        await self._poll(record, now)

    async def _poll(self, record: CallRecord, now: datetime) -> None:
        created = record.created_at or now
        age = now - created
        if record.kavenegar_call_id is None:  # nothing to ask about
            await self._close(record, CallOutcome.UNKNOWN)
            return
        self.polls += 1
        try:
            call = await self.kavenegar.calls.get(record.kavenegar_call_id)
        except NotFoundError:
            await self._close(record, CallOutcome.UNKNOWN)
            return
        except RateLimitError as exc:
            wait = exc.retry_after if exc.retry_after is not None else MAX_POLL
            self._paused_until = now + timedelta(seconds=wait)
            logger.warning("Kavenegar asked to slow down: polling paused for %.0f s", wait)
            await self._later(record, now + timedelta(seconds=wait))
            return
        except KavenegarError as exc:  # timeout, 5xx, garbage: never an end
            logger.info("call %s: poll failed (%r); trying again", record.id, exc)
            await self._later(record, now + timedelta(seconds=next_poll_delay(age)))
            return
        if call.started_at is not None and record.connected_at is None:
            await self.store.mark_connected(record.id, now)  # a page's attempt is answered
        if call.finish_reason or call.finished_at:
            outcome = CallOutcome.from_finish(call.finish_reason, call.duration)
            await self._close(record, outcome, reason=call.finish_reason, duration_ms=call.duration)
            return
        if age > timedelta(seconds=record.max_duration) + GRACE:
            await self._close(record, CallOutcome.EXPIRED)
            return
        await self._later(record, now + timedelta(seconds=next_poll_delay(age)))

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
    ) -> None:
        closed = await self.store.close_call(
            record.id,
            outcome=outcome,
            finish_reason=reason,
            duration_ms=duration_ms,
            finished_at=self.clock.now(),
        )
        if not closed:
            return  # another replica (or an earlier try) announced it
        await self.announcer.announce(
            replace(record, outcome=outcome, finish_reason=reason, duration_ms=duration_ms)
        )
        await self.store.announced(record.id)
