"""The store on real SQLite and on a throwaway real PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage import AccessRule, Quota, Store, UserProfile, utcnow


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'bot.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, username_prefix="tg")
    yield opened
    await opened.close()


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
    assert (record.first_name, record.username, record.language_code) == ("Alicia", None, "fa")
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


async def test_one_message_claims_at_most_one_call(store: Store) -> None:
    results = await asyncio.gather(*(store.claim_call(**CLAIM) for _ in range(5)))
    winners = [r.row_id for r in results if r.row_id is not None]
    assert len(winners) == 1
    assert sum(r.duplicate for r in results) == 4
    await store.finish_call(winners[0], status="created", kavenegar_call_id="abc")
    await store.record_deliveries(winners[0], caller="sent", callee="blocked")
    (call,) = await store.list_calls()
    assert (call.status, call.kavenegar_call_id, call.callee_delivery) == (
        "created",
        "abc",
        "blocked",
    )
    assert (await store.claim_call(**CLAIM)).duplicate
    assert (await store.claim_call(**{**CLAIM, "message_id": 10})).row_id is not None


async def test_quotas_hold_under_concurrency_and_say_when(store: Store) -> None:
    per_minute = Quota(limit=3, window=60)
    claims = await asyncio.gather(
        *(store.claim_call(**{**CLAIM, "message_id": i}, quotas=(per_minute,)) for i in range(10))
    )
    placed = [c for c in claims if c.row_id is not None]
    refused = [c for c in claims if c.quota is not None]
    assert (len(placed), len(refused)) == (3, 7)
    assert all(c.retry_at is not None and c.retry_at > utcnow() for c in refused)
    # failed calls do not count; other callers are not affected
    for claim in placed:
        assert claim.row_id is not None
        await store.finish_call(claim.row_id, status="failed", error="x")
    again = await store.claim_call(**{**CLAIM, "message_id": 100}, quotas=(per_minute,))
    assert again.row_id is not None
    other = await store.claim_call(
        **{**CLAIM, "message_id": 101, "caller_id": 7}, quotas=(Quota(1, 60),)
    )
    assert other.row_id is not None
    unlimited = await store.claim_call(**{**CLAIM, "message_id": 102}, quotas=(Quota(0, 60),))
    assert unlimited.row_id is not None


async def test_errors_are_truncated_and_ping_answers(store: Store) -> None:
    claim = await store.claim_call(**CLAIM)
    assert claim.row_id is not None
    await store.finish_call(claim.row_id, status="failed", error="x" * 500)
    call = await store.get_call(claim.row_id)
    assert call is not None and call.error == "x" * 200
    assert await store.ping()


async def test_consent_flags_and_forgetting(store: Store) -> None:
    await store.upsert_user(ALICE, dm_open=True)
    await store.set_dnd(111, True)
    assert await store.set_uncallable(111, True)
    assert not await store.set_uncallable(999, True)  # unknown people are reported
    record = await store.upsert_user(ALICE)  # a refresh keeps the flags
    assert (record.dnd, record.uncallable) == (True, True)
    assert await store.forget_user(111)
    assert await store.get_user(111) is None
    assert await store.find_by_username("alice_k") is None
    assert not await store.forget_user(111)


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
