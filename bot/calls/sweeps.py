"""One sweep: the calls a replica follows answered from ``GET /calls`` pages, many per request.

A sweep lists the window from the oldest call it answers for (its ``createdAt`` in the API's
dates, less :data:`MARGIN`) to now, page by page, and hands every listed item whose id is one of
its targets to the watcher (once, however often the item is listed); any other item (another
application's call, a call of the operator's own apps, one the bot does not follow or another
replica holds) is skipped with one dictionary lookup. Nothing about the list is trusted beyond
that: the order may be any (items on several pages, or on none, cost speed only: a target not
seen is looked for again, then polled by itself), ``total`` may grow while it runs (the pages
are counted again from the latest ``total``), and a page that fails is asked for again at most
:data:`PAGE_TRIES` times in all. ``total`` may lie too, so neither it nor the targets still
unseen keep a sweep going: a page with fewer items than the size asked for is the listing's
last, whatever ``total`` says, and a plan asks for no more pages than it has calls to answer for
(beyond that, polling each is cheaper). Then the sweep ends, and its targets not seen count as
missing, as any other.

The page size starts at ``KAVENEGAR_LIST_SIZE`` (20, the size the docs show) and changes only when
a sweep plans afresh from its first page: doubled (:meth:`Sweep.grow`, up to :data:`LIST_SIZE_CAP`)
when the first page's ``total`` says the listing needs more than one page, halved
(:meth:`Sweep.replan`) when Kavenegar refuses it. Either way the sweep lists again from page 0 at
the new size, so no page of one size is mixed with pages of another.

The API's dates carry no UTC offset and the docs do not say their zone, so the window's start is
this replica's ``created_at`` of the oldest target moved by :class:`ZoneOffset`: the least
difference between a call's ``createdAt`` in Kavenegar's answers and the bot's own
``created_at`` of the same call (a zone, a clock's skew and the create request's own time; the
least is the closest to the zone and the skew alone) among the last :data:`ZONE_ANSWERS`
answers, so one odd date widens the window for a while, not for good. :data:`MARGIN` covers
what is left (other replicas' clocks, rounding to the second). No ``until`` is sent: a call
created while a sweep runs is simply listed too.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.records import CallRecord
from kavenegar import Call

__all__ = [
    "DOCUMENTED_SIZE",
    "LIST_SIZE_CAP",
    "MARGIN",
    "MISSES",
    "PAGE_TRIES",
    "ZONE_ANSWERS",
    "Sweep",
    "ZoneOffset",
]

#: How much earlier than the oldest target a sweep's window starts.
MARGIN = timedelta(seconds=60)
#: Sweeps in a row a call may be missing from before it is polled by itself, until it ends.
MISSES = 2
#: How many times one page is asked for at most (a timeout, a 5xx); a 429 is not counted.
PAGE_TRIES = 3
#: How many of the latest answers :class:`ZoneOffset` takes the least difference of.
ZONE_ANSWERS = 16
#: The largest page size a sweep grows to (Kavenegar's docs give no maximum; the setting's too).
LIST_SIZE_CAP = 1000
#: The page size the docs show (what the service answers when none is asked for): a first page
#: that comes back shorter than asked but with at least this many items, while its ``total``
#: says more follow, is taken for a service that caps the size there without refusing.
DOCUMENTED_SIZE = 20


class ZoneOffset:
    """The API's dates less this bot's clock (naive UTC), learned from calls read back: the
    least of the last :data:`ZONE_ANSWERS` differences seen, so one odd ``createdAt`` (a date
    hours off) moves the sweeps' window for that many answers at most, not for good."""

    def __init__(self) -> None:
        self.value: timedelta | None = None
        self._recent: deque[timedelta] = deque(maxlen=ZONE_ANSWERS)

    def learn(self, record: CallRecord, call: Call) -> None:
        """One call seen both ways: the least of the recent differences."""
        if call.created_at is None or record.created_at is None:
            return
        self._recent.append(call.created_at.replace(tzinfo=None) - record.created_at)
        self.value = min(self._recent)


@dataclass
class Sweep:
    """The plan of one listing: which pages to ask for, and the calls it answers for."""

    #: The window's start, in the API's dates.
    since: datetime
    #: Items a page; a refused size restarts the plan with a smaller one, a listing of many
    #: pages with a larger one.
    size: int
    #: The calls this sweep answers for, by Kavenegar id; each leaves once seen.
    targets: dict[str, CallRecord]
    started: datetime
    total: int | None = None
    next_page: int = 0
    in_flight: int = 0
    retry: list[int] = field(default_factory=list)
    tries: dict[int, int] = field(default_factory=dict)
    #: Page requests answered (for the cost estimate of the next sweep).
    answered: int = 0
    #: The most pages one plan asks for: as many as the calls it answers for (more would cost
    #: more than polling each of them); 0: no cap.
    most: int = 0
    #: The first page of the plan that came back short (fewer items than asked): the last one.
    short: int | None = None

    @classmethod
    def of(
        cls, rows: Iterable[CallRecord], *, offset: timedelta, size: int, now: datetime
    ) -> Sweep:
        """A sweep answering for ``rows`` (each with a Kavenegar id and a ``created_at``)."""
        targets = {r.kavenegar_call_id: r for r in rows if r.kavenegar_call_id is not None}
        oldest = min((r.created_at or now) for r in targets.values())
        since = oldest + offset - MARGIN
        return cls(since=since, size=size, targets=targets, started=now, most=len(targets))

    @property
    def pages(self) -> int | None:
        """How many pages to ask for (None before the first answer): as the latest ``total``
        says, but no further than a short page, nor more than :attr:`most`."""
        if self.total is None:
            return None
        pages = max(1, math.ceil(self.total / self.size))
        if self.short is not None:
            pages = min(pages, self.short + 1)
        if self.most > 0:
            pages = min(pages, self.most)
        return pages

    def _drop_unplanned(self) -> None:
        """Pages to ask again that the plan no longer holds (past a short page, the cap)."""
        pages = self.pages
        if pages is not None:
            self.retry = [page for page in self.retry if page < pages]

    def take(self, room: int) -> list[int]:
        """Up to ``room`` pages to ask for now: the first alone (its ``total`` plans the rest),
        then pages to ask again, then the next ones."""
        out: list[int] = []
        if self.pages is None:
            if self.in_flight == 0 and room > 0 and self.next_page == 0:
                out.append(0)
                self.next_page = 1
            elif self.in_flight == 0 and room > 0 and self.retry:
                out.append(self.retry.pop())
        else:
            self._drop_unplanned()
            while room > len(out) and self.retry:
                out.append(self.retry.pop())
            while room > len(out) and self.next_page < self.pages:
                out.append(self.next_page)
                self.next_page += 1
        self.in_flight += len(out)
        return out

    def got(self, page: int, total: int | None, items: int) -> bool:
        """Page ``page`` came back with ``items`` items of ``total``; True if it is the plan's
        first answer (the first page, asked for alone) and the listing has more pages."""
        first = self.total is None
        self.in_flight -= 1
        self.answered += 1
        if total is None:  # no total: read on while pages come back full
            total = page * self.size + items + (1 if items >= self.size else 0)
        self.total = max(self.total or 0, total)
        if items < self.size and (self.short is None or page < self.short):
            self.short = page  # a short page is the listing's last, whatever total says
        return first and self.in_flight == 0 and (self.pages or 0) > 1

    def failed(self, page: int, *, counted: bool = True) -> None:
        """Page ``page`` got no answer: asked again, unless it has had its tries."""
        self.in_flight -= 1
        if counted:
            self.tries[page] = self.tries.get(page, 0) + 1
            if self.tries[page] >= PAGE_TRIES:
                if page == 0 and self.total is None:
                    self.total = 0  # nothing to plan with: the sweep ends with what it has
                return
        self.retry.append(page)

    def replan(self, size: int) -> None:
        """The service refused ``size``: list again from the first page with ``size``."""
        self.size, self.total, self.next_page, self.short = size, None, 0, None
        self.in_flight -= 1
        self.retry.clear()
        self.tries.clear()

    def grow(self, size: int) -> None:
        """The first page says the listing needs many pages: list again from the first page
        with the larger ``size`` (the calls already seen stay seen)."""
        self.size, self.total, self.next_page, self.short = size, None, 0, None
        self.retry.clear()
        self.tries.clear()

    def seen(self, call: Call) -> CallRecord | None:
        """The target ``call`` answers for, the first time it is listed; None for any other."""
        return self.targets.pop(call.id, None)

    @property
    def done(self) -> bool:
        """Nothing left to ask for or to wait for (every target seen ends it early)."""
        if self.in_flight:
            return False
        if not self.targets:
            return True
        pages = self.pages
        if pages is None:
            return False
        self._drop_unplanned()
        return not self.retry and self.next_page >= pages
