"""The store on real SQLite and on a throwaway real PostgreSQL server."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from bot.core.people import UserProfile
from bot.core.records import (
    AccessRule,
    CallStatus,
    Claim,
    Claimed,
    Duplicate,
    OverQuota,
    Page,
    PageEventKind,
    PageStatus,
    Quota,
)
from bot.storage import Store, utcnow
from bot.storage.tables import pages

ALICE = UserProfile(telegram_id=111, first_name="Alice", username="Alice_K", language_code="en")


async def test_new_user_gets_a_stable_kavenegar_username(store: Store) -> None:
    record = await store.upsert_user(ALICE)
    assert record.kavenegar_username == "tg111"
    assert record.username == "alice_k"  # stored lower-cased
    assert not record.dm_open
    again = await store.upsert_user(ALICE, dm_open=True)
    assert again.kavenegar_username == "tg111"
    assert again.dm_open


async def test_refresh_keeps_platform_and_reachability(store: Store) -> None:
    await store.upsert_user(ALICE, dm_open=True)
    await store.set_platform(111, "ios")
    renamed = UserProfile(telegram_id=111, first_name="Alicia", username=None, language_code="fa")
    record = await store.upsert_user(renamed)
    assert (record.profile.first_name, record.username, record.language_code) == (
        "Alicia",
        None,
        "fa",
    )
    assert record.platform == "ios"
    assert record.dm_open


async def test_lookup_by_username_is_case_insensitive(store: Store) -> None:
    await store.upsert_user(ALICE)
    for name in ("alice_k", "@ALICE_K", "Alice_K"):
        found = await store.find_by_username(name)
        assert found is not None and found.telegram_id == 111
    assert await store.find_by_username("nobody") is None


async def test_a_username_moves_with_its_new_owner(store: Store) -> None:
    await store.upsert_user(ALICE)
    await store.upsert_user(UserProfile(telegram_id=222, first_name="Eve", username="alice_k"))
    found = await store.find_by_username("alice_k")
    assert found is not None and found.telegram_id == 222
    old = await store.get_user(111)
    assert old is not None and old.username is None


CLAIM: dict[str, Any] = {
    "chat_id": -5,
    "message_id": 9,
    "caller_id": 1,
    "callee_id": 2,
    "max_duration": 60,
}


def row_id(claim: Claim) -> int:
    assert isinstance(claim, Claimed), claim
    return claim.row_id


async def test_one_message_claims_at_most_one_call(store: Store) -> None:
    results = await asyncio.gather(*(store.claim_call(**CLAIM) for _ in range(5)))
    winners = [r.row_id for r in results if isinstance(r, Claimed)]
    assert len(winners) == 1
    assert results.count(Duplicate()) == 4
    await store.finish_call(
        winners[0],
        status=CallStatus.CREATED,
        kavenegar_call_id="abc",
        caller_delivery="sent",
        callee_delivery="blocked",
    )
    (call,) = await store.list_calls()
    assert (call.status, call.kavenegar_call_id, call.callee_delivery) == (
        CallStatus.CREATED,
        "abc",
        "blocked",
    )
    assert await store.claim_call(**CLAIM) == Duplicate()
    assert isinstance(await store.claim_call(**{**CLAIM, "message_id": 10}), Claimed)


async def test_quotas_hold_under_concurrency_and_say_when(store: Store) -> None:
    per_minute = Quota(limit=3, window=60)
    claims = await asyncio.gather(
        *(store.claim_call(**{**CLAIM, "message_id": i}, quotas=(per_minute,)) for i in range(10))
    )
    placed = [c for c in claims if isinstance(c, Claimed)]
    refused = [c for c in claims if isinstance(c, OverQuota)]
    assert (len(placed), len(refused)) == (3, 7)
    assert all(c.quota == per_minute and c.retry_at > utcnow() for c in refused)
    # failed calls do not count; other callers are not affected
    for claim in placed:
        await store.finish_call(claim.row_id, status=CallStatus.FAILED, error="x")
    assert isinstance(
        await store.claim_call(**{**CLAIM, "message_id": 100}, quotas=(per_minute,)), Claimed
    )
    other = await store.claim_call(
        **{**CLAIM, "message_id": 101, "caller_id": 7}, quotas=(Quota(1, 60),)
    )
    assert isinstance(other, Claimed)
    unlimited = await store.claim_call(**{**CLAIM, "message_id": 102}, quotas=(Quota(0, 60),))
    assert isinstance(unlimited, Claimed)


async def test_unknown_calls_count_against_quotas(store: Store) -> None:
    """A call that may exist (no answer, 5xx) is paid for until proven otherwise (issue 8)."""
    quota = Quota(limit=1, window=60)
    first = row_id(await store.claim_call(**CLAIM, quotas=(quota,)))
    await store.finish_call(first, status=CallStatus.UNKNOWN, error="502")
    second = await store.claim_call(**{**CLAIM, "message_id": 10}, quotas=(quota,))
    assert isinstance(second, OverQuota)


async def test_errors_are_truncated_and_health_is_ok(store: Store) -> None:
    claim = row_id(await store.claim_call(**CLAIM))
    await store.finish_call(claim, status=CallStatus.FAILED, error="x" * 500)
    call = await store.get_call(claim)
    assert call is not None and call.error == "x" * 200
    assert await store.health() is None
    assert await store.ping()


async def test_a_long_kavenegar_call_id_is_recorded_whole(store: Store) -> None:
    """Issue 8 item 1: a 300-character id used to overflow VARCHAR(64) on PostgreSQL, so the
    record of a paid call failed."""
    claim = row_id(await store.claim_call(**CLAIM))
    long_id = "c" * 300
    await store.finish_call(claim, status=CallStatus.CREATED, kavenegar_call_id=long_id)
    call = await store.get_call(claim)
    assert call is not None and call.kavenegar_call_id == long_id


async def test_a_long_language_code_does_not_break_the_record(store: Store) -> None:
    """Issue 8 (minor): a 40-character language_code made every upsert fail on PostgreSQL."""
    odd = UserProfile(telegram_id=333, first_name="Odd", language_code="x" * 40)
    record = await store.upsert_user(odd)
    assert record.kavenegar_username == "tg333"
    assert record.language_code == "x" * 16


async def test_consent_flags_and_forgetting(store: Store) -> None:
    record = await store.upsert_user(ALICE, dm_open=True, started=True)
    assert record.reachable
    await store.set_dnd(111, True)
    await store.set_uncallable(111, True, changed_by=1)
    record = await store.upsert_user(ALICE)  # a refresh keeps the flags
    assert (record.dnd, record.uncallable, record.started) == (True, True, True)
    assert await store.forget_user(111)
    assert await store.get_user(111) is None
    assert await store.find_by_username("alice_k") is None
    assert not await store.forget_user(111)


async def test_consent_and_an_admins_decision_outlive_forget(store: Store) -> None:
    """Issue 8 item 8: after /forget a person is callable only after pressing Start again, and
    an admin's /uncallable survives /forget and /start."""
    await store.upsert_user(ALICE, dm_open=True, started=True)
    await store.set_uncallable(111, True, changed_by=1)
    await store.forget_user(111)
    back = await store.upsert_user(ALICE, dm_open=True)  # any private message, e.g. /help
    assert back.dm_open and not back.started and not back.reachable
    started = await store.upsert_user(ALICE, dm_open=True, started=True)  # /start
    assert started.reachable and started.uncallable
    await store.set_uncallable(111, False)
    again = await store.get_user(111)
    assert again is not None and not again.uncallable


async def test_an_admin_may_mark_someone_the_bot_has_not_met(store: Store) -> None:
    await store.set_uncallable(999, True, changed_by=1)
    met = await store.upsert_user(UserProfile(telegram_id=999, first_name="Later"))
    assert met.uncallable


async def test_access_rules_and_notices(store: Store) -> None:
    await store.set_access_rule("user", 5, False, changed_by=1)
    await store.set_access_rule("chat", -7, True, changed_by=1)
    await store.set_access_rule("user", 5, True, changed_by=2)  # changed, not duplicated
    assert sorted(await store.access_rules(), key=lambda r: r.kind) == [
        AccessRule("chat", -7, True),
        AccessRule("user", 5, True),
    ]
    assert await store.first_access_notice(-9)
    assert not await store.first_access_notice(-9)
    await store.set_access_rule("chat", -9, True, changed_by=1)  # allowing resets the notice
    assert await store.first_access_notice(-9)


async def test_data_survives_reopening(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    first = await Store.open(url)
    await first.upsert_user(ALICE, dm_open=True)
    await first.close()
    second = await Store.open(url)
    record = await second.get_user(111)
    await second.close()
    assert record is not None and record.dm_open and record.kavenegar_username == "tg111"


async def test_taking_an_update_refreshes_its_sender_once(store: Store) -> None:
    assert await store.take_update(7, 1001, ALICE, dm_open=True)
    alice = await store.get_user(ALICE.telegram_id)
    assert alice is not None and alice.dm_open and alice.username == "alice_k"
    renamed = UserProfile(telegram_id=111, first_name="Alicia", username="alicia_k")
    # a redelivery (or another replica) neither takes it again nor writes its sender
    assert not await store.take_update(7, 1001, renamed, dm_open=None)
    alice = await store.get_user(ALICE.telegram_id)
    assert alice is not None and alice.name == "Alice"
    assert await store.take_update(7, 1002, renamed, dm_open=None)
    alice = await store.get_user(ALICE.telegram_id)
    assert alice is not None and (alice.name, alice.dm_open) == ("Alicia", True)
    assert await store.take_update(7, 1003, None, dm_open=None)  # no sender: a claim alone


async def test_quotas_count_calls_and_pages_in_one_look(store: Store) -> None:
    now = utcnow()
    quotas = (Quota(2, 60), Quota(3, 86_400))
    for n in range(2):
        claim = await store.claim_call(
            chat_id=-1, message_id=n, caller_id=111, callee_id=222, max_duration=60,
            quotas=quotas, now=now - timedelta(hours=2 - n),
        )  # fmt: skip
        assert isinstance(claim, Claimed)
    assert isinstance(
        await store.claim_call(
            chat_id=-1,
            message_id=5,
            caller_id=111,
            callee_id=222,
            max_duration=60,
            quotas=quotas,
            now=now - timedelta(seconds=30),
        ),
        Claimed,
    )
    # three in a day: the daily quota, free again a day after the oldest of the three
    over = await store.claim_call(
        chat_id=-1, message_id=6, caller_id=111, callee_id=222, max_duration=60,
        quotas=quotas, now=now,
    )  # fmt: skip
    assert isinstance(over, OverQuota)
    assert over.quota == Quota(3, 86_400)
    assert over.retry_at == now - timedelta(hours=2) + timedelta(days=1)


async def test_a_record_knows_when_a_refresh_would_change_nothing(store: Store) -> None:
    record = await store.upsert_user(ALICE, dm_open=True)
    assert store.is_current(record, ALICE, dm_open=None)
    assert store.is_current(record, ALICE, dm_open=True)
    assert not store.is_current(record, ALICE, dm_open=False)
    renamed = UserProfile(telegram_id=111, first_name="Alicia", username="Alice_K")
    assert not store.is_current(record, renamed, dm_open=None)
    # a call's claim refreshes only a changed sender, in its own transaction
    claim = await store.claim_call(
        chat_id=-1, message_id=1, caller_id=111, callee_id=222, max_duration=60,
        update_key=(7, 5000), sender=renamed,
    )  # fmt: skip
    assert isinstance(claim, Claimed)
    again = await store.get_user(111)
    assert again is not None and again.name == "Alicia"
    # the same update again: a duplicate, and nothing written
    assert await store.claim_call(
        chat_id=-1, message_id=2, caller_id=111, callee_id=222, max_duration=60,
        update_key=(7, 5000),
    ) == Duplicate()  # fmt: skip


async def test_each_replica_beats_and_sees_everyone_s_counter(store: Store) -> None:
    """The census behind the shared message budget (bot.telegram.census): counters, not clocks."""
    assert await store.replica_beat("a") == {"a": 1}
    assert await store.replica_beat("b") == {"a": 1, "b": 1}
    assert await store.replica_beat("a") == {"a": 2, "b": 1}
    await store.forget_replica("b", 0)  # b's counter moved past what was seen: kept
    await store.forget_replica("a", 2)
    assert await store.replica_beat("b") == {"b": 2}
    await store.replica_left("b")
    assert await store.replica_beat("c") == {"c": 1}


async def no_quota(conn: object, now: object) -> OverQuota | None:
    return None


async def test_a_team_has_one_running_page_whoever_starts_it(store: Store) -> None:
    """Issue 18 item 3: three pages of one team at the same moment (side by side on
    PostgreSQL's connections) are one running page, the two others joined to it; the database
    itself refuses a second running page of a team, and takes a new one once it ended."""
    now = utcnow()

    async def page(team_id: int, pager: int, message_id: int, reason: str | None) -> Any:
        return await store.teams.claim_page(
            team_id=team_id, team_name=f"team{team_id}", paged_by=pager, reason=reason,
            chat_id=-1, message_id=message_id, plan=[222], now=now, quota_check=no_quota,
        )  # fmt: skip

    asked = [(111, 1, "db down"), (111, 2, None), (333, 3, "disk full")]
    results = await asyncio.gather(*(page(7, *args) for args in asked))
    (claimed,) = [r for r in results if isinstance(r, Claimed)]
    joined = [r for r in results if isinstance(r, Page)]
    assert len(joined) == 2 and {p.id for p in joined} == {claimed.row_id}
    running = await store.teams.page(claimed.row_id)
    assert running is not None and running.team_name == "team7"
    others = [(who, reason) for who, message, reason in asked if message != running.message_id]
    assert sorted(((j.who, j.reason) for j in running.joins), key=repr) == sorted(others, key=repr)
    assert all(j.kind is PageEventKind.JOINED for j in running.joins)
    started = await page(7, running.paged_by, running.message_id, "again")
    assert started == Duplicate()  # the message that started it, again: nothing at all
    assert isinstance(await page(8, 111, 4, None), Claimed)  # another team pages on its own
    with pytest.raises(IntegrityError):  # a second running page, however it is written
        async with store.engine.begin() as conn:
            await conn.execute(
                pages.insert().values(
                    team_id=7, paged_by=1, chat_id=-1, message_id=99, status="active", plan="[]",
                    step=0, attempts=0, log="[]", created_at=now, updated_at=now,
                )
            )  # fmt: skip
    due = await store.teams.claim_due_pages("r1", now=now, lease=timedelta(seconds=15), limit=5)
    assert sorted(p.team_id for p in due) == [7, 8]
    assert await store.teams.save_page(
        claimed.row_id, "r1", next_check_at=None, status=PageStatus.EXHAUSTED
    )
    assert isinstance(await page(7, 333, 5, "still down"), Claimed)  # over: a page of its own


async def test_a_join_handle_finds_its_call_by_hash_only(store: Store) -> None:
    """Issue 23: the join page's handle is looked up by its hash; a handle is unique."""
    from bot.calls.joins import handle_hash

    claimed = await store.claim_call(**CLAIM)
    assert isinstance(claimed, Claimed)
    await store.add_join_handle(claimed.row_id, handle_hash("handle-1"), now=utcnow())
    await store.add_join_handle(claimed.row_id, handle_hash("handle-2"), now=utcnow())  # resumed
    for handle in ("handle-1", "handle-2"):
        found = await store.call_by_join_handle(handle_hash(handle))
        assert found is not None and found.id == claimed.row_id
    assert await store.call_by_join_handle(handle_hash("handle-3")) is None
    assert await store.call_by_join_handle("handle-1") is None  # the handle itself is no key
    with pytest.raises(IntegrityError):
        await store.add_join_handle(claimed.row_id + 1, handle_hash("handle-1"), now=utcnow())
