"""Issue 21's sweeps against a hostile list and a hostile world: each test is what a user (or an
operator) sees when the list lies, fails or crowds, the store or a replica fails mid-sweep, or
the settings sit at their edges. Every call still ends with its true outcome, announced once,
within the one request budget.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.calls.sweeps import MARGIN
from bot.core.clock import ManualClock
from bot.core.errors import StoreUnavailable
from bot.core.records import CallOutcome, CallRecord
from kavenegar import APIConnectionError, RateLimitError
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import GROUP
from .test_follow_up import Follow
from .test_sweeps import into_sweeps, place, world_of


@pytest.fixture
async def swept(sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock) -> AsyncIterator[Follow]:
    async for made in world_of(sqlite_url, kv, clock):
        yield made


def lying_total(world: Follow, total: int) -> None:
    """Every list page claims ``total`` items, whatever it holds."""
    calls = world.watcher.kavenegar.calls
    real = calls.list

    async def listed(**kwargs: Any) -> Any:
        page = await real(**kwargs)
        page.page.total = total
        return page

    calls.list = listed  # type: ignore[method-assign]


async def test_a_lying_huge_total_still_ends_a_call_the_list_leaves_out(swept: Follow) -> None:
    """Every page says a ``total`` of a billion and the list leaves one call out: the short
    page ends each sweep, the call counts as missing and is polled by itself. The chat sees it
    shown *answered* within seconds of its end, not *expired* at its age limit."""
    rows = await place(swept)
    await into_sweeps(swept, rows)
    hidden = rows[0].kavenegar_call_id
    assert hidden is not None
    swept.kv.state.list_omits.add(hidden)
    lying_total(swept, 10**9)
    for record in rows:
        assert record.kavenegar_call_id is not None
        swept.kv.state.hangup(record.kavenegar_call_id)
    moved = 0.0
    while moved < 20:
        await swept.watcher.tick()
        swept.clock.advance(0.5)
        moved += 0.5
    closed = await swept.store.get_call(rows[0].id)
    assert closed is not None
    assert closed.outcome is CallOutcome.ANSWERED, (
        f"hidden call not ended within 20 s of its end: {closed.outcome}, "
        f"{swept.watcher.pages} pages asked, sweeps finished {swept.watcher.sweeps}"
    )


async def hang_up_all(world: Follow, rows: list[CallRecord]) -> None:
    """Every call hung up now (if not yet)."""
    for record in rows:
        assert record.kavenegar_call_id is not None
        if world.kv.state.calls[record.kavenegar_call_id].status != "finished":
            world.kv.state.hangup(record.kavenegar_call_id)


async def run_for(world: Follow, seconds: float, step: float = 0.5) -> None:
    """The watcher ticks for ``seconds`` of the test's clock, a store outage logged and gone
    past as the Scheduler does."""
    moved = 0.0
    while moved < seconds:
        with contextlib.suppress(StoreUnavailable):  # the Scheduler logs it and goes on
            await world.watcher.tick()
        world.clock.advance(step)
        moved += step


async def test_one_odd_created_at_widens_the_sweeps_for_a_while_only(swept: Follow) -> None:
    """One answer dates its call five hours early (another zone, a garbage date): the sweeps
    list from hours back only until 16 more answers are read; within 10 s an operator sees the
    list requests' ``since`` back at the oldest followed call, not hours of the account's
    history on every sweep of the process (more pages, then polls for good)."""
    rows = await place(swept)
    calls = swept.watcher.kavenegar.calls
    real = calls.get
    poisoned = {"done": False}

    async def got(call_id: str, **kwargs: Any) -> Any:
        call = await real(call_id, **kwargs)
        if not poisoned["done"] and call.created_at is not None:
            poisoned["done"] = True
            return call.model_copy(update={"created_at": call.created_at - timedelta(hours=5)})
        return call

    calls.get = got  # type: ignore[method-assign]
    mark = await into_sweeps(swept, rows)
    await run_for(swept, 10)
    lists = [r for r in swept.kv.requests[mark:] if r["method"] == "GET" and r["path"] == "/calls"]
    assert lists, "no list request"
    oldest = min(c.created_at for c in swept.kv.state.calls.values())
    since = datetime.fromisoformat(lists[-1]["query"]["since"])
    assert since >= oldest - MARGIN - timedelta(minutes=5), (
        f"sweeps still list from {since}, {oldest - since} before the oldest followed call"
    )


async def test_a_store_outage_mid_sweep_loses_no_call(swept: Follow) -> None:
    """The store refuses to mark, reschedule or close calls for 3 s while sweeps run: the chat
    still sees every call shown answered, once."""
    rows = await place(swept)
    await into_sweeps(swept, rows)
    store = swept.watcher.store
    down = {"until": swept.clock.now() + timedelta(seconds=3)}
    for name in ("mark_connected_many", "reschedule_calls", "close_call"):
        real = getattr(store, name)

        def wrap(real: Any = real) -> Any:
            async def failing(*args: Any, **kwargs: Any) -> Any:
                if swept.clock.now() < down["until"]:
                    raise StoreUnavailable("locked")
                return await real(*args, **kwargs)

            return failing

        setattr(store, name, wrap())
    await hang_up_all(swept, rows)
    await run_for(swept, 90)
    for record in rows:
        closed = await swept.store.get_call(record.id)
        assert closed is not None and closed.outcome is CallOutcome.ANSWERED, closed
        notice = [e for e in swept.messenger.edits if e[:2] == (GROUP, closed.notice_message_id)]
        assert len(notice) == 1, f"call {record.id} announced {len(notice)} times"


async def test_list_failing_forever_still_ends_every_call(swept: Follow) -> None:
    """Every list page fails (a reset connection) forever: the chat still sees every call
    shown answered, through its own polls, within two minutes."""
    rows = await place(swept)
    await into_sweeps(swept, rows)

    async def broken(**kwargs: Any) -> Any:
        raise APIConnectionError("reset", method="GET", path="/calls")

    swept.watcher.kavenegar.calls.list = broken  # type: ignore[method-assign]
    await hang_up_all(swept, rows)
    await run_for(swept, 120)
    for record in rows:
        closed = await swept.store.get_call(record.id)
        assert closed is not None and closed.outcome is CallOutcome.ANSWERED, closed


async def test_a_replica_dying_mid_sweep_leaves_its_calls_to_the_other(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """Replica A leases every call for a sweep of one-call pages and dies after its first page:
    replica B takes the calls over when A's leases lapse, and the chat sees each shown answered,
    once."""
    async for world in world_of(sqlite_url, kv, clock, rps=2.0, kavenegar_list_size=1):
        rows = await place(world)
        other = world.replica("replica-b", kavenegar_sweep_from=2, kavenegar_poll_rps=50.0)
        await into_sweeps(world, rows)
        # A starts a new sweep and gets one page out, then dies
        for _ in range(6):
            clock.advance(0.5)
            await world.watcher.tick()
            if world.watcher._sweep is not None:
                break
        await hang_up_all(world, rows)
        moved = 0.0
        while moved < 150:
            await other.watcher.tick()
            clock.advance(0.5)
            moved += 0.5
        for record in rows:
            closed = await world.store.get_call(record.id)
            assert closed is not None and closed.outcome is CallOutcome.ANSWERED, closed
            key = (GROUP, closed.notice_message_id)
            notice = [e for e in world.messenger.edits if e[:2] == key]
            assert len(notice) == 1, f"call {record.id} announced {len(notice)} times"


async def test_talk_time_from_a_list_item_is_kept(swept: Follow) -> None:
    """A call ended through a sweep is shown with Kavenegar's talk time and finish reason, and
    as connected, as a poll would show it."""
    rows = await place(swept)
    mark = await into_sweeps(swept, rows)
    swept.clock.advance(42)
    await hang_up_all(swept, rows)
    await run_for(swept, 20)
    lists = [r for r in swept.kv.requests[mark:] if r["path"] == "/calls"]
    assert lists
    for record in rows:
        closed = await swept.store.get_call(record.id)
        assert closed is not None and closed.outcome is CallOutcome.ANSWERED, closed
        assert record.kavenegar_call_id is not None
        sim = swept.kv.state.calls[record.kavenegar_call_id]
        assert closed.duration_ms == sim.duration_ms, (closed.duration_ms, sim.duration_ms)
        assert closed.finish_reason == sim.finish_reason
        assert closed.connected_at is not None, "startedAt in a list item marks it connected"


async def test_budget_holds_in_every_sliding_second_with_many_calls(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """At 3 requests a second with 12 calls, pages of 2, two calls never listed (polled alone)
    and 30 calls of another application: Kavenegar never sees more than 3 GET requests in any
    sliding second (its own log's stamps), so it has no reason to answer 429."""
    async for world in world_of(sqlite_url, kv, clock, rps=3.0, kavenegar_list_size=2):
        rows = await place(world, 12, spacing=0.2)
        for record in rows[:2]:
            assert record.kavenegar_call_id is not None
            kv.state.list_omits.add(record.kavenegar_call_id)
        kv.state.add_foreign_calls(30)
        mark = len(kv.requests)
        for record in rows:
            assert record.kavenegar_call_id is not None
            kv.state.answer(record.kavenegar_call_id)
        for i in range(200):
            if i == 120:
                await hang_up_all(world, rows)
            await world.watcher.tick()
            clock.advance(0.25)
        stamps = sorted(
            datetime.fromisoformat(r["at"])
            for r in kv.requests[mark:]
            if r["method"] == "GET" and r["path"].startswith("/calls")
        )
        assert world.watcher.pages > 0
        worst = max(sum(1 for s in stamps if t <= s < t + timedelta(seconds=1)) for t in stamps)
        assert worst <= 3, f"{worst} requests in one second"


async def test_a_call_created_before_the_window_still_ends(swept: Follow) -> None:
    """Kavenegar dates one followed call five minutes before the sweeps' window (a replica's
    clock ahead by more than the margin), so no sweep lists it: the chat still sees it shown
    answered, once, through its own polls."""
    rows = await place(swept)
    await into_sweeps(swept, rows)
    assert rows[0].kavenegar_call_id is not None
    sim = swept.kv.state.calls[rows[0].kavenegar_call_id]
    sim.created_at = sim.created_at - timedelta(minutes=5)
    await hang_up_all(swept, rows)
    await run_for(swept, 60)
    for record in rows:
        closed = await swept.store.get_call(record.id)
        assert closed is not None and closed.outcome is CallOutcome.ANSWERED, closed
        notice = [e for e in swept.messenger.edits if e[:2] == (GROUP, closed.notice_message_id)]
        assert len(notice) == 1


async def test_a_huge_retry_after_on_a_list_pauses_60_s_at_most(swept: Follow) -> None:
    """A 429 on a list page asking for a day of quiet pauses the watcher 60 s at most: the chat
    sees every call shown answered within 75 s, not a day later."""
    rows = await place(swept)
    await into_sweeps(swept, rows)
    calls = swept.watcher.kavenegar.calls
    real = calls.list
    once = {"done": False}

    async def listed(**kwargs: Any) -> Any:
        if not once["done"]:
            once["done"] = True
            response = httpx.Response(429, request=httpx.Request("GET", "http://x/calls"))
            raise RateLimitError(response=response, method="GET", path="/calls", retry_after=86400)
        return await real(**kwargs)

    calls.list = listed  # type: ignore[method-assign]
    await hang_up_all(swept, rows)
    swept.clock.advance(1)
    await run_for(swept, 75)
    assert once["done"]
    for record in rows:
        closed = await swept.store.get_call(record.id)
        assert closed is not None and closed.outcome is CallOutcome.ANSWERED, closed


async def test_sweep_from_zero_never_lists(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """``KAVENEGAR_SWEEP_FROM=0``: Kavenegar never gets a list request, and the chat sees every
    call shown answered through polls."""
    async for world in world_of(sqlite_url, kv, clock, kavenegar_sweep_from=0):
        rows = await place(world)
        for record in rows:
            assert record.kavenegar_call_id is not None
            kv.state.answer(record.kavenegar_call_id)
        await run_for(world, 5)
        await hang_up_all(world, rows)
        await run_for(world, 10)
        assert not [r for r in kv.requests if r["path"] == "/calls" and r["method"] == "GET"]
        for record in rows:
            closed = await world.store.get_call(record.id)
            assert closed is not None and closed.outcome is CallOutcome.ANSWERED, closed


@pytest.mark.parametrize("total", [0, -5, None])
async def test_a_small_or_missing_total_still_ends_every_call(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock, total: int | None
) -> None:
    """Pages of 2, six calls, every page saying a ``total`` of 0, negative or none, and the
    first page holding more items than asked for: the chat still sees every call shown
    answered, once."""
    async for world in world_of(sqlite_url, kv, clock, kavenegar_list_size=2):
        rows = await place(world)
        await into_sweeps(world, rows)
        calls = world.watcher.kavenegar.calls
        real = calls.list

        async def listed(real: Any = real, **kwargs: Any) -> Any:
            page = await real(**kwargs)
            if kwargs.get("page") == 0:
                more = await real(**{**kwargs, "page": 1})
                page.result.extend(more.result)
            page.page.total = total
            return page

        calls.list = listed  # type: ignore[method-assign]
        await hang_up_all(world, rows)
        await run_for(world, 60)
        for record in rows:
            closed = await world.store.get_call(record.id)
            assert closed is not None and closed.outcome is CallOutcome.ANSWERED, closed
            key = (GROUP, closed.notice_message_id)
            notice = [e for e in world.messenger.edits if e[:2] == key]
            assert len(notice) == 1


async def test_the_threshold_flapping_loses_and_doubles_nothing(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """``KAVENEGAR_SWEEP_FROM`` equal to the calls followed, the calls ending one by one (the
    watcher flips between sweeps and polls) and one never listed: the chat sees each shown
    answered, once."""
    async for world in world_of(sqlite_url, kv, clock, kavenegar_sweep_from=6):
        rows = await place(world)
        assert rows[1].kavenegar_call_id is not None
        kv.state.list_omits.add(rows[1].kavenegar_call_id)
        await into_sweeps(world, rows)
        for record in rows:
            assert record.kavenegar_call_id is not None
            kv.state.hangup(record.kavenegar_call_id)
            await run_for(world, 1.5, step=0.25)
        await run_for(world, 60)
        for record in rows:
            closed = await world.store.get_call(record.id)
            assert closed is not None and closed.outcome is CallOutcome.ANSWERED, closed
            key = (GROUP, closed.notice_message_id)
            assert len([e for e in world.messenger.edits if e[:2] == key]) == 1


async def test_a_call_placed_during_a_long_sweep_is_shown_within_seconds(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """At 2 requests a second, pages of 20 and 3,000 calls of other applications in the window,
    a sweep for 20 calls runs 20 pages (10 s). A call placed while it runs, answered and hung
    up a second later, is polled by itself before the pages: the person who made it sees it
    shown answered within 4 s of its end, not once the whole listing is over."""
    async for world in world_of(sqlite_url, kv, clock, rps=2.0, kavenegar_list_size=20):
        rows = await place(world, 20)
        await into_sweeps(world, rows)
        world.watcher.list_most = 20  # (as if Kavenegar had refused 40 a page)
        kv.state.add_foreign_calls(3000)
        # let the next (long) sweep start
        for _ in range(40):
            clock.advance(0.5)
            await world.watcher.tick()
            sweep = world.watcher._sweep
            if sweep is not None and (sweep.pages or 0) - sweep.next_page >= 10:
                break
        else:
            raise AssertionError("no long sweep under way")
        (young,) = await place(world, 1)  # caller_0 -> callee_0 again: a fresh call
        assert young.kavenegar_call_id is not None
        kv.state.answer(young.kavenegar_call_id)
        clock.advance(1)
        kv.state.hangup(young.kavenegar_call_id)
        ended = clock.now()
        shown = None
        for _ in range(160):
            await world.watcher.tick()

            closed = await world.store.get_call(young.id)
            assert closed is not None
            if closed.outcome is not None:
                shown = clock.now()
                break
            clock.advance(0.25)
        assert shown is not None, "young call not closed within 40 s"
        late = shown - ended
        assert late <= timedelta(seconds=4), f"young call shown {late} after its end"
