"""The replica census (bot.telegram.census) on a real store, with a clock the test moves: who
counts as
alive, what each replica's pacer may send, and what happens when the store is away."""

from __future__ import annotations

import pytest

from bot.storage import Store, StoreUnavailable
from bot.telegram.census import CENSUS_EVERY, DEAD_AFTER, FORGET_AFTER, ReplicaCensus
from bot.telegram.pacing import Limits, Pacer, Window

from ..helpers import MonotonicClock

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def replica(store: Store, clock: MonotonicClock, owner: str) -> tuple[ReplicaCensus, Pacer]:
    pacer = Pacer(Limits(overall=(Window(30, 1.0),)))
    return ReplicaCensus(store, pacer, owner=owner, clock=clock), pacer


async def test_replicas_share_while_both_beat_and_one_that_stops_hands_its_share_back(
    store: Store,
) -> None:
    clock = MonotonicClock()
    (a, a_pacer), (b, b_pacer) = replica(store, clock, "a"), replica(store, clock, "b")
    assert await a.census() == 1  # alone so far
    assert await b.census() == 2
    assert await a.census() == 2
    assert a_pacer.overall == b_pacer.overall == (Window(15, 1.0),)
    await b.stop()  # it leaves: its row goes
    assert await a.census() == 1
    assert a_pacer.overall == (Window(30, 1.0),)


async def test_a_silent_replica_is_counted_out_then_forgotten(store: Store) -> None:
    """A replica that died (its counter stopped) counts for DEAD_AFTER censuses, as a's clock
    measures them, not by anyone's timestamps; its row goes after FORGET_AFTER."""
    clock = MonotonicClock()
    (a, a_pacer), (b, _) = replica(store, clock, "a"), replica(store, clock, "b")
    await b.census()
    assert await a.census() == 2
    clock.now += (DEAD_AFTER - 1) * CENSUS_EVERY
    assert await a.census() == 2  # not yet: it may just be slow
    clock.now += 2 * CENSUS_EVERY
    assert await a.census() == 1
    assert a_pacer.overall == (Window(30, 1.0),)
    assert set(await store.replica_beat("probe")) == {"a", "b", "probe"}
    clock.now += FORGET_AFTER * CENSUS_EVERY
    await a.census()
    assert "b" not in await store.replica_beat("probe")
    await b.census()  # b was only slow after all: it beats again and counts again
    assert await a.census() == 3  # (with the probe)


async def test_without_the_store_a_replica_assumes_one_more(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = MonotonicClock()
    a, a_pacer = replica(store, clock, "a")

    async def unavailable(owner: str) -> dict[str, int]:
        raise StoreUnavailable("down")

    monkeypatch.setattr(store, "replica_beat", unavailable)
    assert await a.census() == 2  # never counted: another may be sending
    assert a_pacer.overall == (Window(15, 1.0),)
    monkeypatch.undo()
    assert await a.census() == 1
    monkeypatch.setattr(store, "replica_beat", unavailable)
    assert await a.census() == 1  # the last count holds for a while ...
    clock.now += DEAD_AFTER * CENSUS_EVERY
    assert await a.census() == 2  # ... then it is unsure again
