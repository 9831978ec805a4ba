"""Issue 22 item 2: taking a swap is one conditional update, whatever races it."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta

from bot.core.records import SwapStatus
from bot.storage import Store

NOW = datetime(2026, 11, 30, 9, 0)
BOB, CAROL, DAVE, ERIN = 2, 3, 4, 5


async def open_swap(store: Store, *, starts: datetime = NOW) -> int:
    team = await store.teams.create("ops", owner_id=1, chat_id=-100, zone="UTC", now=NOW)
    assert team is not None
    swap = await store.teams.create_swap(
        team_id=team.id,
        asked_by=BOB,
        asked_to=None,
        starts=starts,
        ends=starts + timedelta(hours=8),
        chat_id=-100,
        deadline=starts + timedelta(hours=8) if starts <= NOW else starts,
        now=NOW,
    )
    assert swap is not None
    return swap.id


async def test_takes_at_once_give_one_cover(store: Store) -> None:
    swap_id = await open_swap(store)
    takers = [CAROL, DAVE, ERIN] * 3
    results = await asyncio.gather(
        *(store.teams.take_swap(swap_id, who, now=NOW + timedelta(minutes=1)) for who in takers)
    )
    won = [who for who, (result, _) in zip(takers, results, strict=True) if result == "taken"]
    assert len(won) == 1
    swap = await store.teams.swap(swap_id)
    assert swap is not None and swap.status is SwapStatus.TAKEN and swap.taken_by == won[0]
    covers = await store.teams.covers(swap.team_id, now=NOW)
    assert [c[1:] for c in covers] == [
        (won[0], NOW + timedelta(minutes=1), NOW + timedelta(hours=8))
    ]


async def test_a_take_and_the_expiry_at_once_end_it_one_way(store: Store) -> None:
    later = NOW + timedelta(hours=2)
    swap_id = await open_swap(store, starts=later)
    claimed = await store.teams.claim_due_swaps(
        "a", now=later, lease=timedelta(seconds=30), limit=5
    )
    assert [s.id for s in claimed] == [swap_id]
    took, expired = await asyncio.gather(
        store.teams.take_swap(swap_id, CAROL, now=later), store.teams.expire_swap(swap_id, "a")
    )
    assert took[0] == "gone" and expired  # at its deadline it can no longer be taken
    swap = await store.teams.swap(swap_id)
    assert swap is not None and swap.status is SwapStatus.EXPIRED
    assert await store.teams.covers(swap.team_id, now=NOW) == []


async def test_a_take_waits_for_another_cover_to_end(store: Store) -> None:
    swap_id = await open_swap(store)
    swap = await store.teams.swap(swap_id)
    assert swap is not None
    await store.teams.set_cover(
        swap.team_id, member=ERIN, starts=NOW, ends=NOW + timedelta(hours=1), by=1
    )
    assert (await store.teams.take_swap(swap_id, CAROL, now=NOW))[0] == "blocked"
    after = NOW + timedelta(hours=1)
    assert (await store.teams.take_swap(swap_id, CAROL, now=after))[0] == "taken"
    covers = await store.teams.covers(swap.team_id, now=after)
    assert [c[1:] for c in covers] == [(CAROL, after, NOW + timedelta(hours=8))]


async def test_two_swaps_of_one_team_taken_at_once_both_hold(store: Store) -> None:
    """Bob's shift today and Carol's tomorrow, taken at the same moment by Dave and Erin: the
    team's row is locked first, so neither Take crashes (no primary-key clash on PostgreSQL);
    the shifts do not overlap, so both are taken, each a cover of its own."""
    team = await store.teams.create("ops", owner_id=1, chat_id=-100, zone="UTC", now=NOW)
    assert team is not None
    ids = []
    for asker, start in ((BOB, NOW), (CAROL, NOW + timedelta(days=1))):
        swap = await store.teams.create_swap(
            team_id=team.id,
            asked_by=asker,
            asked_to=None,
            starts=start,
            ends=start + timedelta(hours=8),
            chat_id=-100,
            deadline=NOW + timedelta(hours=8) if start <= NOW else start,
            now=NOW,
        )
        assert swap is not None
        ids.append(swap.id)
    later = NOW + timedelta(minutes=1)
    results = await asyncio.gather(
        store.teams.take_swap(ids[0], DAVE, now=later),
        store.teams.take_swap(ids[1], ERIN, now=later),
    )
    assert [r[0] for r in results] == ["taken", "taken"]
    covers = await store.teams.covers(team.id, now=later)
    assert [c[1:] for c in covers] == [
        (DAVE, later, NOW + timedelta(hours=8)),
        (ERIN, NOW + timedelta(days=1), NOW + timedelta(days=1, hours=8)),
    ]


async def test_a_cover_and_a_take_of_one_team_at_once_never_overlap(store: Store) -> None:
    """``/cover`` and a Take of the same shift at the same moment: serialised on the team's row,
    so the team never has two covers at once (whichever came second wins or is refused)."""
    swap_id = await open_swap(store)
    swap = await store.teams.swap(swap_id)
    assert swap is not None
    await asyncio.gather(
        store.teams.take_swap(swap_id, CAROL, now=NOW),
        store.teams.set_cover(
            swap.team_id, member=ERIN, starts=NOW, ends=NOW + timedelta(hours=1), by=1
        ),
    )
    covers = await store.teams.covers(swap.team_id, now=NOW)
    for first, second in itertools.pairwise(covers):
        assert first[3] <= second[2], covers


async def test_one_shift_asked_for_at_once_twice_opens_one_request(store: Store) -> None:
    """Bob's /swap reaches two replicas at once (a retried update, a double send): one request
    is opened, the other is told one is open already; the group never sees two Take notices
    for one shift."""
    team = await store.teams.create("ops", owner_id=1, chat_id=-100, zone="UTC", now=NOW)
    assert team is not None
    asks = [
        store.teams.create_swap(
            team_id=team.id,
            asked_by=BOB,
            asked_to=None,
            starts=NOW + timedelta(hours=2),
            ends=NOW + timedelta(hours=10),
            chat_id=-100,
            deadline=NOW + timedelta(hours=2),
            now=NOW,
        )
        for _ in range(5)
    ]
    opened = [swap for swap in await asyncio.gather(*asks) if swap is not None]
    assert len(opened) == 1
