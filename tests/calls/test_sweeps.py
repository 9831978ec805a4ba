"""Issue 21: many calls followed through ``GET /calls`` sweeps, whatever the list does.

The watcher runs for real against the sandbox over loopback HTTP, on one clock the test moves.
Each sandbox switch for what Kavenegar's docs leave open (the largest page size, the order, a
call the list leaves out, calls of another application) is met by a test: the calls still end,
each announced once, within the one request budget.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.calls.sweeps import MARGIN, Sweep
from bot.core.clock import ManualClock
from bot.core.records import CallOutcome, CallRecord, CallStatus
from kavenegar.sandbox import KavenegarSandbox, SandboxClock

from ..helpers import GROUP, KV_TOKEN
from .test_follow_up import START, Follow, make_follow

CALLS = 6


async def world_of(
    db_url: str, kv: KavenegarSandbox, clock: ManualClock, **settings: Any
) -> AsyncIterator[Follow]:
    """Sweeps from 2 calls followed, 50 requests a second, unless ``settings`` say otherwise."""
    values: dict[str, Any] = {"kavenegar_sweep_from": 2, **settings}
    async for made in make_follow(db_url, kv, clock, rps=values.pop("rps", 50.0), **values):
        yield made


@pytest.fixture
async def swept(sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock) -> AsyncIterator[Follow]:
    async for made in world_of(sqlite_url, kv, clock):
        yield made


async def place(world: Follow, count: int = CALLS, *, spacing: float = 0) -> list[CallRecord]:
    """``count`` people each call another one from the group, ``spacing`` seconds apart."""
    rows = []
    for i in range(count):
        world.clock.advance(spacing)
        await world.person(7_000 + i, f"Caller {i}", f"caller_{i}")
        await world.person(8_000 + i, f"Callee {i}", f"callee_{i}")
        report = await world.call(f"@callee_{i}", caller=7_000 + i)
        assert report.outcome == "placed", report
        assert report.call_row_id is not None
        record = await world.store.get_call(report.call_row_id)
        assert record is not None and record.kavenegar_call_id is not None
        rows.append(record)
    return rows


def requests(world: Follow, *, since: int = 0) -> tuple[list[dict[str, Any]], list[str]]:
    """The list requests and the ids polled one by one, from request ``since`` on."""
    lists, polled = [], []
    for request in world.kv.requests[since:]:
        if request["method"] == "GET" and request["path"] == "/calls":
            lists.append(request)
        elif request["method"] == "GET" and request["path"].startswith("/calls/"):
            polled.append(request["path"].removeprefix("/calls/"))
    return lists, polled


async def into_sweeps(world: Follow, rows: list[CallRecord]) -> int:
    """Answer every call, then run the watcher past its first polls (they learn the zone of
    Kavenegar's dates) until it sweeps; the index of the first request after that."""
    for record in rows:
        assert record.kavenegar_call_id is not None
        world.kv.state.answer(record.kavenegar_call_id)
    for _ in range(10):
        world.clock.advance(1)
        await world.watcher.tick()
        if world.watcher.sweeps:
            return len(world.kv.requests)
    raise AssertionError("the watcher never swept")


async def hang_up_and_close(world: Follow, rows: list[CallRecord], *, limit: float = 120) -> None:
    """Every call hung up now (if not yet); the watcher runs until each is closed."""
    for record in rows:
        assert record.kavenegar_call_id is not None
        if world.kv.state.calls[record.kavenegar_call_id].status != "finished":
            world.kv.state.hangup(record.kavenegar_call_id)
    moved = 0.0
    while True:
        await world.watcher.tick()
        closed = [await world.store.get_call(r.id) for r in rows]
        if all(c is not None and c.outcome is not None for c in closed):
            return
        assert moved < limit, "not every call closed"
        world.clock.advance(0.5)
        moved += 0.5


async def assert_each_announced_once(world: Follow, rows: list[CallRecord]) -> None:
    for record in rows:
        closed = await world.store.get_call(record.id)
        assert closed is not None
        assert closed.outcome is CallOutcome.ANSWERED, closed
        notice = [e for e in world.messenger.edits if e[:2] == (GROUP, closed.notice_message_id)]
        assert len(notice) == 1, f"call {record.id} announced {len(notice)} times"


async def test_a_sweep_ends_many_calls_with_a_request_for_all(swept: Follow) -> None:
    """Past the threshold one list request answers for every call: no poll a call."""
    rows = await place(swept)
    mark = await into_sweeps(swept, rows)
    await hang_up_and_close(swept, rows)
    lists, polled = requests(swept, since=mark)
    assert polled == []
    assert lists, "no list request"
    # every list asks from the oldest call's creation (less the margin), Kavenegar's own dates
    oldest = min(r.created_at for r in rows if r.created_at is not None)
    assert {datetime.fromisoformat(r["query"]["since"]) for r in lists} == {oldest - MARGIN}
    assert {r["query"]["size"] for r in lists} == {"20"}  # the default: 6 calls fit one page
    await assert_each_announced_once(swept, rows)


async def test_few_calls_are_polled_one_by_one(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """Under ``KAVENEGAR_SWEEP_FROM`` calls, polls stay (no list request at all)."""
    async for world in world_of(sqlite_url, kv, clock, kavenegar_sweep_from=CALLS + 1):
        rows = await place(world)
        for record in rows:
            assert record.kavenegar_call_id is not None
            world.kv.state.answer(record.kavenegar_call_id)
        await hang_up_and_close(world, rows)
        lists, polled = requests(world)
        assert lists == []
        assert len(set(polled)) == CALLS
        assert world.watcher.sweeps == 0


async def test_a_call_the_list_leaves_out_still_ends_by_its_own_polls(swept: Follow) -> None:
    rows = await place(swept)
    mark = await into_sweeps(swept, rows)
    hidden = rows[2].kavenegar_call_id
    assert hidden is not None
    swept.kv.state.list_omits.add(hidden)
    await hang_up_and_close(swept, [rows[2]])  # the others go on: the watcher still sweeps
    lists, polled = requests(swept, since=mark)
    assert set(polled) == {hidden}  # only the call missing from the sweeps is polled
    assert len(lists) == 2  # missing from two sweeps in a row, then polled
    await hang_up_and_close(swept, rows)
    assert set(requests(swept, since=mark)[1]) == {hidden}
    await assert_each_announced_once(swept, rows)


@pytest.mark.parametrize("order", ["oldest", "shuffled"])
async def test_any_order_works_across_pages(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock, order: Any
) -> None:
    """Two calls a page (Kavenegar takes no more: the one try to grow is refused), listed
    oldest first or shuffled anew for every page (pages overlap and miss calls): every call
    still ends, each once."""
    kv.state.list_max_size = 2
    async for world in world_of(sqlite_url, kv, clock, kavenegar_list_size=2):
        rows = await place(world)
        await into_sweeps(world, rows)
        kv.state.list_order = order
        await hang_up_and_close(world, rows)
        lists, _ = requests(world)
        sizes = [r["query"]["size"] for r in lists]
        assert sizes.count("4") == 1 and set(sizes) == {"2", "4"}
        assert len({r["query"]["page"] for r in lists}) == 3  # 6 calls, 2 a page
        await assert_each_announced_once(world, rows)


async def test_a_refused_page_size_is_halved_and_remembered(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """Kavenegar takes at most 3 calls a page: 20 is refused (its documented 400), then 10 and
    5; 2 is kept for the later sweeps, which are never refused again."""
    kv.state.list_max_size = 3
    async for world in world_of(sqlite_url, kv, clock, kavenegar_list_size=20):
        rows = await place(world)
        await into_sweeps(world, rows)
        await hang_up_and_close(world, rows)
        lists, _ = requests(world)
        sizes = [r["query"]["size"] for r in lists]
        assert sizes[:3] == ["20", "10", "5"]
        assert set(sizes[3:]) == {"2"}
        assert world.watcher.list_size == 2
        assert world.watcher.sweeps >= 2
        await assert_each_announced_once(world, rows)


async def test_the_page_size_grows_from_20_to_the_largest_accepted_and_stays_there(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """The default settings, a window of 106 calls (100 of another application) and Kavenegar
    taking at most 50 a page: the first page asks for the documented 20; each first page saying
    more pages follow doubles the size (listing again from page 0), 80 is refused (a 400) and
    halved to 40, and 80 is never asked for again, however many sweeps follow."""
    kv.state.list_max_size = 50
    async for world in world_of(sqlite_url, kv, clock):
        assert world.watcher.list_size == 20
        rows = await place(world)
        kv.state.add_foreign_calls(100)
        await into_sweeps(world, rows)
        for _ in range(40):  # 20 s of sweeps, each needing 3 pages of 40: never 80 again
            world.clock.advance(0.5)
            await world.watcher.tick()
        await hang_up_and_close(world, rows)
        lists, _ = requests(world)
        sizes = [r["query"]["size"] for r in lists]
        assert sizes[:4] == ["20", "40", "80", "40"], sizes
        assert sizes.count("80") == 1 and set(sizes[3:]) == {"40"}
        assert [r["query"]["page"] for r in lists[:4]] == ["0", "0", "0", "0"]
        assert world.watcher.list_size == 40 and world.watcher.sweeps >= 3
        await assert_each_announced_once(world, rows)


async def test_a_service_that_cuts_the_page_size_silently_is_listed_at_its_size(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """Kavenegar answers at most 30 a page without refusing a larger size (it cuts it, as a
    service may): the sweep sees a first page of 30 where it asked 40 while the total says more
    follow, takes 30 as the size from then on (listing again from page 0), and never goes back
    to polling every call: each call is still answered for by the list, and announced once."""
    kv.state.list_max_size, kv.state.list_caps_silently = 30, True
    async for world in world_of(sqlite_url, kv, clock):
        rows = await place(world)
        kv.state.add_foreign_calls(100)
        await into_sweeps(world, rows)
        for _ in range(40):  # 20 s of sweeps, each needing 4 pages of 30
            world.clock.advance(0.5)
            await world.watcher.tick()
        polls_before = world.watcher.polls
        await hang_up_and_close(world, rows)
        lists, _ = requests(world)
        sizes = [r["query"]["size"] for r in lists]
        assert sizes[:3] == ["20", "40", "30"], sizes
        assert set(sizes[2:]) == {"30"}
        assert world.watcher.list_size == 30 and world.watcher.sweeps >= 3
        assert world.watcher.polls - polls_before < len(rows)  # the list, not one poll a call
        await assert_each_announced_once(world, rows)


async def test_the_page_size_grows_no_further_than_the_cap(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a cap of 4 (1000 in the bot) and a first size of 1, six calls: 1, 2, then 4 for
    good (Kavenegar would take 100), though a listing still needs two pages of 4."""
    monkeypatch.setattr("bot.calls.watcher.LIST_SIZE_CAP", 4)
    async for world in world_of(sqlite_url, kv, clock, kavenegar_list_size=1):
        rows = await place(world)
        await into_sweeps(world, rows)
        await hang_up_and_close(world, rows)
        lists, _ = requests(world)
        sizes = [r["query"]["size"] for r in lists]
        assert sizes[:3] == ["1", "2", "4"] and set(sizes[2:]) == {"4"}, sizes
        assert world.watcher.list_size == 4
        await assert_each_announced_once(world, rows)


async def test_a_size_of_one_refused_leaves_the_calls_to_polls(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    async for world in world_of(sqlite_url, kv, clock, kavenegar_list_size=1):
        rows = await place(world)
        kv.state.list_max_size = 0  # no size is accepted
        mark = await into_sweeps(world, rows)
        await hang_up_and_close(world, rows)
        lists, _ = requests(world)
        assert len(lists) == 1 and world.watcher.sweep_from == 0
        assert set(requests(world, since=mark)[1]) == {r.kavenegar_call_id for r in rows}
        await assert_each_announced_once(world, rows)


async def test_calls_of_other_applications_and_apps_are_skipped(swept: Follow) -> None:
    """The list mixes in 40 calls of another application and 5 the operator's own apps placed
    in the same application: none is polled, none is announced, ours end."""
    rows = await place(swept)
    kv = swept.kv
    kv.state.add_foreign_calls(40)
    others = [
        kv.state.create_call({"username": f"app-{i}"}, {"username": f"app-{i}-b"}, None)
        for i in range(5)
    ]
    mark = await into_sweeps(swept, rows)
    for other in others:
        kv.state.answer(other.id)
        kv.state.hangup(other.id)
    edits = len(swept.messenger.edits)
    await hang_up_and_close(swept, rows)
    lists, polled = requests(swept, since=mark)
    assert polled == []
    assert lists
    assert len(await swept.store.list_calls()) == CALLS  # nothing of theirs became ours
    await assert_each_announced_once(swept, rows)
    assert len(swept.messenger.edits) - edits == 3 * CALLS  # the notice and two tokens each


async def test_a_429_on_a_list_pauses_sweeps_and_polls_alike(swept: Follow) -> None:
    rows = await place(swept)
    await into_sweeps(swept, rows)
    kv = swept.kv
    kv.add_fault(method="GET", path="/calls", status=429, headers={"Retry-After": "10"})
    swept.clock.advance(2)
    await swept.watcher.tick()  # a list page: 429, 10 s asked
    paused = len(kv.requests)
    for _ in range(9):
        swept.clock.advance(1)
        await swept.watcher.tick()
    assert len(kv.requests) == paused  # nothing asked of Kavenegar for 10 s
    await hang_up_and_close(swept, rows)
    assert len(kv.requests) > paused
    await assert_each_announced_once(swept, rows)


async def test_sweeps_and_polls_never_exceed_the_one_budget(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """At 2 requests a second, a page of one call and a call missing from every list: in no
    second of the clock more than 2 requests, pages and polls together."""
    async for world in world_of(sqlite_url, kv, clock, rps=2.0, kavenegar_list_size=1):
        rows = await place(world)
        assert rows[0].kavenegar_call_id is not None
        kv.state.list_omits.add(rows[0].kavenegar_call_id)
        for record in rows:
            assert record.kavenegar_call_id is not None
            kv.state.answer(record.kavenegar_call_id)
        sent: list[tuple[datetime, int]] = []
        for _ in range(240):  # two minutes, a tick every half second
            seen = len(kv.requests)
            await world.watcher.tick()
            sent.append((clock.now(), len(kv.requests) - seen))
            if world.watcher.sweeps >= 3 and clock.now() - START > timedelta(seconds=30):
                break
            clock.advance(0.5)
        assert world.watcher.sweeps >= 3 and world.watcher.pages > 0 and world.watcher.polls > 0
        for at, _ in sent:
            inside = sum(n for t, n in sent if at <= t < at + timedelta(seconds=1))
            assert inside <= 2, (at, inside)
        await hang_up_and_close(world, rows)
        await assert_each_announced_once(world, rows)


async def test_the_window_follows_the_zone_of_kavenegars_dates(
    sqlite_url: str, clock: ManualClock
) -> None:
    """Kavenegar writing its dates in Tehran time (UTC+3:30, no offset said): the sweeps' window
    starts at the oldest call's creation in those dates, so no call is missed (none polled)."""
    tehran = SandboxClock(now=lambda: clock.now() + timedelta(hours=3, minutes=30))
    async with KavenegarSandbox(api_token=KV_TOKEN, clock=tehran) as kv:
        async for world in world_of(sqlite_url, kv, clock):
            rows = await place(world)
            mark = await into_sweeps(world, rows)
            await hang_up_and_close(world, rows)
            lists, polled = requests(world, since=mark)
            assert polled == []
            oldest = min(c.created_at for c in kv.state.calls.values())
            since = datetime.fromisoformat(lists[0]["query"]["since"])
            assert oldest - MARGIN - timedelta(seconds=1) <= since <= oldest - MARGIN
            await assert_each_announced_once(world, rows)


async def test_two_replicas_sweeping_announce_each_call_once(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """Two replicas' watchers sweep the same calls side by side: each applies what it lists
    only to the calls it leased, and every call is closed and announced once."""
    async for world in world_of(sqlite_url, kv, clock):
        rows = await place(world, 10, spacing=0.3)  # due at different times
        other = world.replica("replica-b", kavenegar_sweep_from=2, kavenegar_poll_rps=50.0)
        replicas = [world.watcher, other.watcher]
        for record in rows:
            assert record.kavenegar_call_id is not None
            kv.state.answer(record.kavenegar_call_id)
        for turn in range(60):  # whoever comes first takes what is due
            if turn == 30:
                for record in rows:
                    assert record.kavenegar_call_id is not None
                    kv.state.hangup(record.kavenegar_call_id)
            for watcher in replicas if turn % 3 else replicas[::-1]:
                await watcher.tick()
            clock.advance(0.3)
        assert world.watcher.sweeps > 0 and other.watcher.sweeps > 0
        await assert_each_announced_once(world, rows)


TARGET = CallRecord(
    id=1, chat_id=GROUP, message_id=1, caller_id=1, callee_id=2, max_duration=60,
    status=CallStatus.CREATED, kavenegar_call_id="k", error=None, caller_delivery=None,
    callee_delivery=None, created_at=START,
)  # fmt: skip


def test_a_sweep_plans_its_pages_from_the_latest_total() -> None:
    """The first page alone, then the rest; a ``total`` that grows meanwhile adds pages; a page
    that keeps failing is asked for three times in all, then the sweep ends without it."""
    targets = [replace(TARGET, id=i, kavenegar_call_id=f"k{i}") for i in range(5)]
    sweep = Sweep.of(targets, offset=timedelta(hours=3), size=10, now=START)
    assert sweep.since == START + timedelta(hours=3) - MARGIN
    assert sweep.take(5) == [0]
    assert sweep.take(5) == []  # nothing planned before the first answer
    sweep.got(0, 25, 10)
    assert sweep.take(5) == [1, 2]
    sweep.got(1, 31, 10)  # a call created meanwhile: a fourth page
    sweep.failed(2)  # first try
    assert sweep.take(5) == [2, 3]
    sweep.got(3, 31, 1)
    sweep.failed(2)  # second try
    assert not sweep.done
    assert sweep.take(5) == [2]
    sweep.failed(2)  # third: given up
    assert sweep.take(5) == []
    assert sweep.done
    assert sweep.answered == 3


def test_a_short_page_or_the_calls_answered_for_end_the_plan_whatever_total_says() -> None:
    """``total`` says a billion: a page with fewer items than asked for is the last one, and a
    plan never asks for more pages than it has calls to answer for (polls are cheaper then)."""
    targets = [replace(TARGET, id=i, kavenegar_call_id=f"k{i}") for i in range(3)]
    sweep = Sweep.of(targets, offset=timedelta(0), size=10, now=START)
    assert sweep.take(5) == [0]
    sweep.got(0, 10**9, 10)
    assert sweep.pages == 3  # three calls: three pages at most
    assert sweep.take(5) == [1, 2]
    sweep.failed(2)  # to be asked again ...
    sweep.got(1, 10**9, 4)  # ... but page 1 was short: the listing ended there
    assert sweep.pages == 2 and sweep.take(5) == []
    assert sweep.done and set(sweep.targets) == {"k0", "k1", "k2"}  # unseen: missing


def test_a_first_page_saying_more_follow_restarts_the_plan_at_a_larger_size() -> None:
    """Only a plan's first answer can grow it (nothing else of its size was asked for); the
    grown plan starts from page 0 again and the calls already seen stay seen."""
    targets = [replace(TARGET, id=i, kavenegar_call_id=f"k{i}") for i in (1, 2)]
    sweep = Sweep.of(targets, offset=timedelta(0), size=20, now=START)
    assert sweep.take(5) == [0]
    assert sweep.got(0, 45, 20)  # three pages of 20: may grow
    assert sweep.targets.pop("k1")  # listed on that first page (as `seen` does)
    sweep.grow(40)
    assert (sweep.size, sweep.pages, sweep.take(5)) == (40, None, [0])
    assert sweep.got(0, 45, 40)  # two pages of 40: may grow again (the watcher says no here)
    assert sweep.take(5) == [1]
    assert not sweep.got(1, 45, 5)  # a later page never grows it
    assert set(sweep.targets) == {"k2"}
    single = Sweep.of(targets, offset=timedelta(0), size=20, now=START)
    single.take(5)
    assert not single.got(0, 7, 7)  # one page holds the whole listing: no growth


async def test_a_full_sweep_takes_the_ringing_calls_first(swept: Follow) -> None:
    """A sweep answering for 2 calls at most, 4 due: the two in their first 70 s go first."""
    old = await place(swept, 2)
    for record in old:
        assert record.kavenegar_call_id is not None
        swept.kv.state.answer(record.kavenegar_call_id)
    swept.clock.advance(80)
    young = [
        await swept.store.get_call(
            (await swept.call(f"@callee_{i}", caller=7_000 + i)).call_row_id or 0
        )
        for i in range(2)
    ]
    swept.clock.advance(2)  # all four due
    swept.watcher.SWEEP_MOST = 2
    swept.watcher._offset.value = timedelta(0)  # (one clock for the bot and the sandbox)
    await swept.watcher.tick()
    assert swept.watcher.sweeps == 1
    after = {r.id: await swept.store.get_call(r.id) for r in [*old, *young] if r is not None}
    checked = {i for i, r in after.items() if r is not None and r.polls == 1}
    assert checked == {r.id for r in young if r is not None}
