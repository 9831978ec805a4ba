"""Pacing every message under Telegram's flood limits, one queue per chat (issue 12).

Telegram allows a bot about 30 messages in any second, 20 in any minute per group, and about one a
second per private chat with a short burst; past that it answers 429 and makes the chat wait.
:class:`Pacer` keeps every send and edit inside those limits as *strict sliding windows*
(:class:`Limits`): at most ``count`` requests in any ``seconds``-long span, never "a full bucket
now and a full bucket a moment later". A request is counted from the moment it leaves until its
answer is back, and then for the window's length after that, so however the network delays it,
Telegram cannot have seen two requests closer together than the window allows.

Each chat has its own line, and only one request in flight, so its messages arrive in order and a
chat that has spent its budget waits alone: the others keep going at the bot-wide rate. When
several chats are ready, the most important waiting message goes first (``rank``: access tokens,
then a paid call's messages, then answers, then courtesies and refusals), oldest first within a
rank. A 429 that still happens holds back that chat only, for the ``retry_after`` Telegram asked.

Messages that may be dropped (:attr:`~bot.core.messages.OutgoingMessage.droppable`) wait at most
:attr:`Limits.patience` for their own chat's turn and are dropped rather than queued when that
chat's budget is spent; one identical to a message already waiting for the same chat is coalesced
with it. When the bot as a whole is busy they wait (last), like everything else: a thousand
people pressing Start at once each get their welcome.

Memory is bounded: a chat's line is forgotten once its windows are empty, and
:class:`RecentAnswers` remembers a fixed number of recent answers.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import heapq
import itertools
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from bot.telegram.intake import step_aside

__all__ = [
    "NO_LIMITS",
    "TELEGRAM_LIMITS",
    "Grant",
    "Limits",
    "Pacer",
    "PacingStats",
    "RecentAnswers",
    "Window",
]

Clock = Callable[[], float]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    """At most ``count`` requests in any ``seconds``-long span of time."""

    count: int
    seconds: float


@dataclass(frozen=True)
class Limits:
    """The windows the pacer keeps to, and how long it lets droppable messages wait."""

    overall: tuple[Window, ...] = (Window(30, 1.0),)
    group: tuple[Window, ...] = (Window(20, 60.0),)
    #: About one a second, with a burst of three.
    private: tuple[Window, ...] = (Window(3, 3.0),)
    #: Seconds a droppable message (a courtesy, a refusal) may wait for its chat's turn.
    patience: float = 1.0

    def for_chat(self, chat_id: int) -> tuple[Window, ...]:
        """Group and channel ids are negative; a private chat's id is its person's."""
        return self.group if chat_id < 0 else self.private


#: Telegram's published limits.
TELEGRAM_LIMITS = Limits()
#: No windows at all (each chat still gets one request at a time): for tests that run
#: simulated hours in seconds, never for Telegram itself.
NO_LIMITS = Limits(overall=(), group=(), private=())


@dataclass
class PacingStats:
    """What the pacer did since it was made (for logs, tests and the benchmarks)."""

    granted: int = 0
    #: Droppable messages not sent because their chat's budget was spent or an identical one
    #: was already waiting.
    dropped: int = 0
    #: Refusals not sent because the same person got the same one in the same chat just now.
    collapsed: int = 0
    #: 429s Telegram answered anyway (each honoured for its chat only).
    flood_errors: int = 0


class _Log:
    """The requests made under some windows: in flight, and finished (with when they finished).

    A finished request counts for each window's length after its answer came back; one in flight
    counts until then.
    """

    __slots__ = ("finished", "in_flight", "longest", "windows")

    def __init__(self, windows: tuple[Window, ...]) -> None:
        self.windows = windows
        self.longest = max((w.seconds for w in windows), default=0.0)
        self.finished: list[float] = []  # sorted
        self.in_flight = 0

    def free_at(self, now: float) -> float:
        """The earliest time one more request may leave (``now`` if it may leave now, infinity
        while only a request in flight finishing can make room)."""
        self._prune(now)
        at = now
        for window in self.windows:
            first = bisect.bisect_right(self.finished, now - window.seconds)
            recent = len(self.finished) - first
            excess = self.in_flight + recent - window.count + 1  # how many must leave the window
            if excess <= 0:
                continue
            if excess > recent:
                return math.inf
            at = max(at, self.finished[first + excess - 1] + window.seconds)
        return at

    def start(self) -> None:
        self.in_flight += 1

    def finish(self, when: float) -> None:
        self.in_flight -= 1
        bisect.insort(self.finished, when)

    def idle(self, now: float) -> bool:
        """Nothing in flight and nothing in any window: forgetting it changes nothing."""
        self._prune(now)
        return self.in_flight == 0 and not self.finished

    def _prune(self, now: float) -> None:
        cut = bisect.bisect_right(self.finished, now - self.longest)
        if cut:
            del self.finished[:cut]


@dataclass(order=True)
class _Ticket:
    rank: int
    seq: int
    chat_id: int = field(compare=False)
    #: Monotonic time after which the message is dropped instead (None: it waits).
    deadline: float | None = field(compare=False)
    coalesce: Hashable | None = field(compare=False)
    future: asyncio.Future[bool] = field(compare=False)


class _Lane:
    """One chat: its windows, its waiting messages (best first), and its one request in flight."""

    __slots__ = ("busy", "chat_id", "held_until", "log", "waiting")

    def __init__(self, chat_id: int, windows: tuple[Window, ...]) -> None:
        self.chat_id = chat_id
        self.log = _Log(windows)
        self.waiting: list[_Ticket] = []  # a heap
        self.busy = False
        self.held_until = 0.0  # a 429's retry_after

    def ready_at(self, now: float) -> float:
        return max(self.held_until, self.log.free_at(now))

    def drop_expired(self, now: float, *, ready: bool) -> None:
        """Resolve the tickets past their deadline (or cancelled) as dropped. When the chat is
        ``ready``, its first ticket is kept: it waits for the bot-wide windows only, and a
        droppable message is dropped for its own chat's budget, never for the bot's."""
        head = self.waiting[0] if self.waiting else None
        spared = head if ready and head is not None and not head.future.done() else None
        keep = [t for t in self.waiting if t is spared or not _expired(t, now)]
        if len(keep) == len(self.waiting):
            return
        for ticket in self.waiting:
            if ticket is not spared and _expired(ticket, now) and not ticket.future.done():
                ticket.future.set_result(False)
        heapq.heapify(keep)
        self.waiting = keep

    def next_deadline(self, *, ready: bool) -> float:
        tickets = self.waiting[1:] if ready else self.waiting
        return min((t.deadline for t in tickets if t.deadline is not None), default=math.inf)


def _expired(ticket: _Ticket, now: float) -> bool:
    return ticket.future.done() or (ticket.deadline is not None and now >= ticket.deadline)


class Grant:
    """A turn to make one request to ``chat_id``: :meth:`release` when its answer is back."""

    __slots__ = ("_lane", "_pacer", "_released", "chat_id")

    def __init__(self, pacer: Pacer, lane: _Lane) -> None:
        self._pacer, self._lane, self.chat_id = pacer, lane, lane.chat_id
        self._released = False

    def hold(self, seconds: float) -> None:
        """Telegram answered 429: this chat (and only this chat) waits ``seconds``."""
        self._pacer.stats.flood_errors += 1
        until = self._pacer.clock() + seconds
        self._lane.held_until = max(self._lane.held_until, until)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._pacer._finish(self._lane)


class Pacer:
    """Gives each send or edit its turn under :class:`Limits`; see the module docstring.

    ``await acquire(...)`` waits for the turn and returns a :class:`Grant` (None: dropped), which
    the caller releases once Telegram answered.
    """

    #: Seconds between sweeps that forget chats whose windows are empty.
    SWEEP_EVERY = 10.0

    def __init__(self, limits: Limits = TELEGRAM_LIMITS, *, clock: Clock = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.stats = PacingStats()
        self._overall = _Log(limits.overall)
        self._lanes: dict[int, _Lane] = {}
        #: Lanes with at least one waiting ticket.
        self._queued: set[_Lane] = set()
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._swept = clock()

    # -- what callers use ----------------------------------------------------------------------

    def ticket_number(self) -> int:
        """A place in line; pass it back to :meth:`acquire` to keep one's place on a retry."""
        return next(self._seq)

    async def acquire(
        self,
        chat_id: int,
        rank: int,
        *,
        droppable: bool = False,
        coalesce: Hashable | None = None,
        seq: int | None = None,
    ) -> Grant | None:
        """Wait for ``chat_id``'s turn. Lower ``rank`` goes first; within a rank, lower ``seq``
        (the order of arrival unless given).

        A ``droppable`` request is dropped (None) when its own chat cannot take it within
        :attr:`Limits.patience` (the chat's windows, a 429's hold, the requests ahead of it in
        the chat's line), at once when that is already certain, or when a request with the same
        ``coalesce`` key is already waiting for the chat. The bot-wide windows never drop it:
        for those it waits its turn like any other, behind every more important request.
        """
        now = self.clock()
        self._sweep(now)
        lane = self._lanes.get(chat_id)
        if lane is None:
            lane = self._lanes[chat_id] = _Lane(chat_id, self.limits.for_chat(chat_id))
        deadline = now + self.limits.patience if droppable else None
        if deadline is not None:
            coalesced = coalesce is not None and any(
                t.coalesce == coalesce and not t.future.done() for t in lane.waiting
            )
            if coalesced or lane.ready_at(now) > deadline:
                self.stats.dropped += 1
                return None
        if (
            not self._queued
            and not lane.busy
            and lane.ready_at(now) <= now
            and self._overall.free_at(now) <= now
        ):
            return self._grant(lane)  # nobody waits, nothing limits: no hand-off
        loop = asyncio.get_running_loop()
        ticket = _Ticket(
            rank,
            next(self._seq) if seq is None else seq,
            chat_id,
            deadline,
            coalesce,
            loop.create_future(),
        )
        heapq.heappush(lane.waiting, ticket)
        self._queued.add(lane)
        self._kick()
        step_aside()  # an update waiting for its chat's turn holds no update slot meanwhile
        try:
            granted = await ticket.future
        except asyncio.CancelledError:
            if ticket.future.done() and not ticket.future.cancelled() and ticket.future.result():
                self._finish(lane)  # granted, but its owner is gone: give the turn back
            raise
        if not granted:
            self.stats.dropped += 1
            return None
        return Grant(self, lane)

    def share(self, replicas: int) -> None:
        """``replicas`` processes send for this bot (webhook replicas): each keeps to its share
        of the bot-wide windows (Telegram counts them per bot, not per process), rounded down
        and at least one. Chats' own windows stay whole: a chat's messages usually come from the
        replica handling its updates, and a 429 for a chat is honoured for that chat."""
        replicas = max(1, replicas)
        windows = tuple(Window(max(1, w.count // replicas), w.seconds) for w in self.limits.overall)
        if windows != self._overall.windows:
            self._overall.windows = windows
            if self._queued:
                self._kick()  # a bigger share lets waiting messages go now

    @property
    def overall(self) -> tuple[Window, ...]:
        """The bot-wide windows this process keeps to now (its share of :attr:`limits`)."""
        return self._overall.windows

    @property
    def waiting(self) -> int:
        """Requests waiting for their turn."""
        return sum(len(lane.waiting) for lane in self._queued)

    @property
    def chats(self) -> int:
        """Chats the pacer remembers (any with a request in a window)."""
        return len(self._lanes)

    # -- the turns -----------------------------------------------------------------------------

    def _grant(self, lane: _Lane) -> Grant:
        lane.busy = True
        lane.log.start()
        self._overall.start()
        self.stats.granted += 1
        return Grant(self, lane)

    def _finish(self, lane: _Lane) -> None:
        now = self.clock()
        lane.busy = False
        lane.log.finish(now)
        self._overall.finish(now)
        if self._queued:
            self._kick()

    def _kick(self) -> None:
        if self._wake is None:
            self._wake = asyncio.Event()
        self._wake.set()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.get_running_loop().create_task(self._run(), name="pacer")

    async def _run(self) -> None:
        try:
            await self._dispatch()
        except Exception:  # a bug here must not strand a token message: send what waits
            logger.exception("pacing failed; sending what waits without pacing")
            for lane in list(self._queued):
                for ticket in lane.waiting:
                    if not ticket.future.done():
                        self._grant(lane)
                        ticket.future.set_result(True)
                lane.waiting.clear()
            self._queued.clear()
            self._dispatcher = None

    async def _dispatch(self) -> None:
        """Hand out turns while anyone waits: the best ready ticket whenever the bot-wide
        windows have room; otherwise sleep until a window, a hold or a deadline lapses, or a
        request arrives or finishes."""
        assert self._wake is not None
        wake = self._wake
        while True:
            wake.clear()
            now = self.clock()
            wait_until = math.inf
            best: _Lane | None = None
            for lane in list(self._queued):
                ready_at = lane.ready_at(now)
                ready = not lane.busy and ready_at <= now
                lane.drop_expired(now, ready=ready)
                if not lane.waiting:
                    self._queued.discard(lane)
                    continue
                wait_until = min(wait_until, lane.next_deadline(ready=ready))
                if lane.busy:
                    continue  # its request in flight wakes us when it finishes
                if not ready:
                    wait_until = min(wait_until, ready_at)
                elif best is None or lane.waiting[0] < best.waiting[0]:
                    best = lane
            if best is not None:
                overall = self._overall.free_at(now)
                if overall <= now:
                    ticket = heapq.heappop(best.waiting)
                    if not best.waiting:
                        self._queued.discard(best)
                    if not ticket.future.done():  # (its owner may have given up just now)
                        self._grant(best)
                        ticket.future.set_result(True)
                    continue
                wait_until = min(wait_until, overall)
            if not self._queued:
                self._dispatcher = None
                return
            timeout = None if math.isinf(wait_until) else max(0.0, wait_until - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)

    def _sweep(self, now: float) -> None:
        """Forget chats with nothing in flight, waiting, held or in a window."""
        if now - self._swept < self.SWEEP_EVERY:
            return
        self._swept = now
        for chat_id, lane in list(self._lanes.items()):
            if not lane.busy and not lane.waiting and lane.held_until <= now and lane.log.idle(now):
                del self._lanes[chat_id]


class RecentAnswers:
    """Which answers went out lately, to send an identical one only once per ``seconds``.

    Bounded: at most ``capacity`` answers are remembered (the oldest are forgotten first).
    """

    def __init__(
        self, seconds: float = 30.0, capacity: int = 10_000, *, clock: Clock = time.monotonic
    ) -> None:
        self.seconds, self.capacity, self.clock = seconds, capacity, clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def first(self, key: Hashable) -> bool:
        """True (and remembered) unless ``key`` was seen within the last ``seconds``."""
        now = self.clock()
        while self._seen:
            oldest, when = next(iter(self._seen.items()))
            if now - when < self.seconds and len(self._seen) < self.capacity:
                break
            del self._seen[oldest]
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

    def forget(self, key: Hashable) -> None:
        """The answer did not go out after all: the next identical one may."""
        self._seen.pop(key, None)

    def __len__(self) -> int:
        return len(self._seen)
