"""Issue 19 item 2 in the store: a group upgraded to a supergroup (a new chat id) takes what is
stored by its old id along, once, in one transaction, whichever replica asks (SQLite and
PostgreSQL); and item 1: a team keeps the forum topic it was created in."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core.records import AccessRule, CallKey, Claimed, OverQuota
from bot.storage import Store, utcnow

OLD, NEW, ELSEWHERE = -100123, -1000000100123, -555


async def no_quota(conn: object, now: object) -> OverQuota | None:
    return None


async def test_everything_stored_by_the_old_id_follows_the_group_once(store: Store) -> None:
    now = utcnow()
    ops = await store.teams.create("ops", owner_id=1, chat_id=OLD, zone="UTC", now=now)
    web = await store.teams.create("web", owner_id=1, chat_id=ELSEWHERE, zone="UTC", now=now)
    assert ops is not None and web is not None
    claim = await store.teams.claim_page(
        team_id=ops.id, team_name="ops", paged_by=1, reason=None, chat_id=OLD, message_id=7,
        plan=[2], now=now, quota_check=no_quota,
    )  # fmt: skip
    assert isinstance(claim, Claimed)
    await store.teams.set_page_notice(claim.row_id, 8)
    attempt = await store.claim_call(
        **vars(CallKey.page_attempt(OLD, claim.row_id, 0)), caller_id=1, callee_id=2,
        max_duration=60,
    )  # fmt: skip
    typed = await store.claim_call(
        chat_id=OLD, message_id=9, caller_id=1, callee_id=2, max_duration=60
    )
    assert isinstance(attempt, Claimed) and isinstance(typed, Claimed)
    await store.set_access_rule("chat", OLD, False, changed_by=5)
    await store.set_access_rule("user", OLD, True, changed_by=5)  # (a person's rule: not moved)
    assert await store.first_access_notice(OLD)

    assert await store.move_chat(OLD, NEW)
    assert not await store.move_chat(OLD, NEW)  # done once: nothing left to move

    assert [t.name for t in await store.teams.of_chat(NEW)] == ["ops"]
    assert await store.teams.of_chat(OLD) == []
    assert [t.name for t in await store.teams.of_chat(ELSEWHERE)] == ["web"]
    page = await store.teams.page(claim.row_id)
    assert page is not None
    # the /page message and its notice stayed in the old group: a negative id names no
    # message of the new one, and the notice is to be posted anew there
    assert (page.chat_id, page.message_id, page.notice_message_id) == (NEW, -7, None)
    moved_attempt = await store.get_call(attempt.row_id)
    assert moved_attempt is not None and moved_attempt.chat_id == NEW
    kept = await store.get_call(typed.row_id)
    assert kept is not None and kept.chat_id == OLD  # its key is a message of the old group
    assert sorted(await store.access_rules(), key=repr) == sorted(
        [AccessRule("chat", NEW, False), AccessRule("user", OLD, True)], key=repr
    )
    assert not await store.first_access_notice(NEW)  # the group was told already
    assert await store.first_access_notice(OLD)  # (nothing is left at the old id)
    # a later /page with the old page's message id, in the new group, is a page of its own
    later = await store.teams.claim_page(
        team_id=web.id, team_name="web", paged_by=1, reason=None, chat_id=NEW, message_id=7,
        plan=[2], now=now, quota_check=no_quota,
    )  # fmt: skip
    assert isinstance(later, Claimed)


async def test_the_more_recent_rule_wins_and_listed_groups_stay_allowed(store: Store) -> None:
    await store.set_access_rule("chat", NEW, True, changed_by=5)  # an admin allowed the new id
    await asyncio.sleep(0.01)
    await store.set_access_rule("chat", OLD, False, changed_by=5)  # ... then denied the old one
    assert await store.move_chat(OLD, NEW)
    assert await store.access_rules() == [AccessRule("chat", NEW, False)]
    await store.set_access_rule("chat", -7, False, changed_by=5)
    await asyncio.sleep(0.01)
    await store.set_access_rule("chat", -8, True, changed_by=5)
    assert await store.move_chat(-7, -8)
    assert AccessRule("chat", -8, True) in await store.access_rules()
    # ALLOWED_CHAT_IDS names the old id: the new one is allowed, once, unless a rule says no
    assert await store.move_chat(-20, -21, allow=True)
    assert not await store.move_chat(-20, -21, allow=True)
    assert AccessRule("chat", -21, True) in await store.access_rules()
    assert not await store.move_chat(OLD, NEW, allow=True)  # the moved "deny" stands
    assert AccessRule("chat", NEW, False) in await store.access_rules()


async def test_replicas_moving_the_same_group_at_once_move_it_once(store: Store) -> None:
    now = utcnow()
    for name in ("ops", "web", "db"):
        await store.teams.create(name, owner_id=1, chat_id=OLD, zone="UTC", now=now)
    await store.set_access_rule("chat", OLD, True, changed_by=5)
    moves = await asyncio.gather(*(store.move_chat(OLD, NEW, allow=True) for _ in range(6)))
    assert sorted(moves) == [False] * 5 + [True]
    assert len(await store.teams.of_chat(NEW)) == 3
    assert await store.access_rules() == [AccessRule("chat", NEW, True)]


async def test_a_team_keeps_the_topic_it_was_made_in(store: Store) -> None:
    now = utcnow()
    ops = await store.teams.create(
        "ops", owner_id=1, chat_id=OLD, zone="UTC", now=now, thread_id=42
    )
    web = await store.teams.create("web", owner_id=1, chat_id=OLD, zone="UTC", now=now)
    assert ops is not None and ops.thread_id == 42
    assert web is not None and web.thread_id is None
    found = await store.teams.get("ops")
    assert found is not None and found.thread_id == 42
    claim = await store.teams.claim_page(
        team_id=ops.id, team_name="ops", paged_by=1, reason=None, chat_id=OLD, message_id=3,
        plan=[2], now=now + timedelta(seconds=1), quota_check=no_quota,
    )  # fmt: skip
    assert isinstance(claim, Claimed)
    assert await store.teams.set_page_notice(claim.row_id, 4, only_if_unset=True)
    assert not await store.teams.set_page_notice(claim.row_id, 5, only_if_unset=True)
    page = await store.teams.page(claim.row_id)
    assert page is not None and page.notice_message_id == 4
