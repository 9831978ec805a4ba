"""Issue 19, "right answers": what a team lead saw answered wrongly, on the fast layer (each test
is named after its item): a rotation change that took the person on duty off mid-shift, a team
listing that called people ready whom a page skips, ``/oncall`` in private, a deleted page
notice, ``/forget`` that left people in their teams, wrong words, and a team's own zone."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.core.clock import ManualClock
from bot.core.parsing import Mention
from bot.oncall.service import Refused
from kavenegar.sandbox import KavenegarSandbox

from ..domain import BOT_USERNAME, World
from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import CAROL, DAVE, ERIN, Ops, make_ops, on_call_world, profile

#: Tuesday 2026-12-01 05:30 UTC: 09:00 in Tehran, the first daily hand-over after START.
TUESDAY_0900_TEHRAN = datetime(2026, 12, 1, 5, 30)
#: Tuesday 2026-12-01 08:30 UTC: 12:00 in Tehran, 09:30 in Berlin; Carol's shift.
TUESDAY_NOON_TEHRAN = datetime(2026, 12, 1, 8, 30)
OTHER_GROUP = -100777


def move_to(clock: ManualClock, when: datetime) -> None:
    clock.advance((when - clock.now()).total_seconds())


def group(world: World) -> list[str]:
    return world.messenger.texts(GROUP)


async def carols_shift(world: World) -> Ops:
    """Team ops (Bob, Carol, Dave), daily at 09:00 in Tehran since START (Bob on call); now
    Tuesday noon in Tehran, Carol's shift since 09:00, announced to the group."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    await world.services.oncall.set_rotation("en", ALICE, ops.team, "daily", "09:00", None)
    await world.settle()
    move_to(world.clock, TUESDAY_0900_TEHRAN)
    await world.settle()
    move_to(world.clock, TUESDAY_NOON_TEHRAN)
    await world.settle()
    assert group(world)[-1] == (
        "📟 On call for ops: Carol until Wed 2026-12-02 09:00 (Asia/Tehran)."
    )
    ops.team = await world.services.oncall.team_named("en", "ops")
    return ops


# -- item 5: a rotation change keeps who is on call ---------------------------------------------


async def test_item5_a_rotation_change_keeps_who_is_on_call_until_the_new_hand_over(
    world: World,
) -> None:
    ops = await carols_shift(world)
    told = {m: len(world.messenger.texts(m)) for m in (BOB, CAROL, DAVE)}
    heard = len(group(world))
    answer = await world.services.oncall.set_rotation("en", ALICE, ops.team, "daily", "18:00", None)
    # Carol stays on until the new hand-over (today 18:00), not Bob from member 1 again
    assert visible(answer) == (
        "ops hands over daily at 18:00 (Asia/Tehran). "
        "ops: Carol, until Tue 2026-12-01 18:00 (Asia/Tehran); next: Dave"
    )
    await world.settle()
    assert len(group(world)) == heard  # nobody changed: nothing to announce
    assert {m: len(world.messenger.texts(m)) for m in (BOB, CAROL, DAVE)} == told
    move_to(world.clock, datetime(2026, 12, 1, 14, 30))  # 18:00 in Tehran
    await world.settle()
    assert group(world)[-1] == "📟 On call for ops: Dave until Wed 2026-12-02 18:00 (Asia/Tehran)."


async def test_item5_a_weekly_rotation_set_mid_shift_keeps_its_person(world: World) -> None:
    ops = await carols_shift(world)
    answer = await world.services.oncall.set_rotation(
        "en", ALICE, ops.team, "weekly", "10:00", "Europe/Berlin"
    )
    assert visible(answer) == (
        "ops hands over weekly at 10:00 (Europe/Berlin). "
        "ops: Carol, until Tue 2026-12-01 10:00 (Europe/Berlin); next: Dave"
    )


async def test_item5_someone_else_on_call_after_a_change_is_told_and_so_is_who_was(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a change put someone else on call after all (here: anchored as before issue 19,
    member 1 from now), both are told privately."""
    ops = await carols_shift(world)
    monkeypatch.setattr("bot.oncall.service.anchor_keeping", lambda rotation, shift, now: now)
    answer = await world.services.oncall.set_rotation("en", ALICE, ops.team, "daily", "18:00", None)
    assert "ops: Bob, until Tue 2026-12-01 18:00 (Asia/Tehran)" in visible(answer)
    assert world.messenger.texts(BOB)[-1] == (
        "📟 ops's rotation changed: you are on call now, until Tue 2026-12-01 18:00 (Asia/Tehran)."
    )
    assert world.messenger.texts(CAROL)[-1] == (
        "📟 ops's rotation changed: Bob is on call now, until Tue 2026-12-01 18:00 "
        "(Asia/Tehran), instead of you."
    )


# -- item 6: the listing's readiness is the page's ---------------------------------------------


async def test_item6_team_listing_marks_people_as_the_page_rings_them(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    async for world in on_call_world(sqlite_url, kv, clock, require_phone=True):
        for person, phone in ((ALICE, "+989120000001"), (BOB, "+989120000002")):
            assert await world.store.set_phone(person, phone, now=clock.now()) is None
        ops = await make_ops(world, CAROL, BOB)
        listing = visible(await world.services.oncall.show("en", ops.team)).splitlines()
        assert listing[1:3] == ["1. Carol 📵 has not verified a number", "2. Bob ✅"]
        notice = await ops.page()
        await ops.until_over(notice)
        assert ops.rung() == [BOB]
        assert ops.notice(notice)[2] == "Carol skipped: 📵 has not verified a number."


# -- item 7: /oncall in private ----------------------------------------------------------------


async def test_item7_oncall_in_private_answers_for_the_askers_own_teams(world: World) -> None:
    oncall = world.services.oncall
    await oncall.create("en", DAVE, OTHER_GROUP, False, "db")
    db = await oncall.team_named("en", "db")
    await oncall.add("en", DAVE, db, [Mention("@bob_k", "bob_k")], None)

    async def privately(who: int, name: str | None = None) -> str:
        return visible(await oncall.oncall_answer("en", who, who, True, name))

    await make_ops(world, BOB, CAROL)
    assert await privately(BOB) == "db: Bob\nops: Bob"  # every team of theirs
    assert await privately(CAROL) == "ops: Bob"
    assert await privately(CAROL, "ops") == "ops: Bob"
    assert await privately(ALICE, "ops") == "ops: Bob"  # its owner, not a member
    with pytest.raises(Refused) as refused:
        await privately(CAROL, "db")
    assert refused.value.text == "Only members of db, its owner and the admins see who is on call."
    with pytest.raises(Refused) as refused:
        await privately(ERIN)
    assert refused.value.text == "You are not in any team yet."
    # in a group, as before: its own teams only
    assert visible(await oncall.oncall_answer("en", CAROL, GROUP, False, None)) == "ops: Bob"
    with pytest.raises(Refused, match="belongs to another group"):
        await oncall.oncall_answer("en", BOB, GROUP, False, "db")


# -- item 8: a deleted page notice ---------------------------------------------------------------


async def test_item8_a_deleted_page_notice_is_sent_anew_and_edited_from_then_on(
    world: World,
) -> None:
    ops = await make_ops(world, BOB, CAROL)
    await world.settle()  # "On call for ops: Bob."
    notice = await ops.page("database down")
    del world.messenger.current[(GROUP, notice)]  # someone deleted it
    await ops.until(lambda: bool(ops.rung()), what="Bob rung")
    assert len(group(world)) == notice + 1  # sent anew, once
    assert ops.notice(notice + 1)[-1] == "Ringing Bob (attempt 1)…"
    page = await world.store.teams.page(1)
    assert page is not None and page.notice_message_id == notice + 1
    await ops.until_over(notice + 1)
    assert len(group(world)) == notice + 1  # later steps edit the new one
    assert ops.notice(notice + 1)[-1] == "❌ Nobody answered."
    assert ops.notice(notice + 1)[:2] == ["📟 Alice paged ops", "Reason: database down"]


# -- item 9: /forget leaves teams and covers -----------------------------------------------------


async def test_item9_forget_takes_the_person_out_of_teams_and_covers_and_tells_the_owner(
    world: World,
) -> None:
    ops = await make_ops(world, BOB, CAROL, DAVE)
    oncall, store = world.services.oncall, world.store
    await oncall.cover("en", CAROL, ops.team, [], profile(BOB), "4h")  # Bob covers, too
    await world.settle()
    assert group(world)[-1].startswith("📟 On call for ops: Bob until")
    # what /forget does: one call forgets them (with their teams and covers), then the owners
    left = await world.services.people.forget(BOB)
    await oncall.left(profile(BOB), left)
    assert [team.name for team in left] == ["ops"]
    assert await store.teams.members(ops.team.id) == [CAROL, DAVE]
    assert await store.teams.covers(ops.team.id, now=world.clock.now()) == []
    assert world.messenger.texts(ALICE)[-1] == "Bob left ops: they asked me to forget them."
    await world.settle()
    assert group(world)[-1] == "📟 On call for ops: Carol."
    assert "4002" not in visible(await oncall.show("en", ops.team))
    # a later Start is a new person: not back on call anywhere
    await world.services.people.sign_up(profile(BOB))
    assert await store.teams.members(ops.team.id) == [CAROL, DAVE]
    assert await store.teams.of_member(BOB) == []
    assert not any(str(BOB) in text for text in group(world))


async def test_item9_a_member_the_bot_no_longer_knows_is_never_shown_by_id(
    world: World,
) -> None:
    """A team from before issue 19 may still list someone forgotten: the group reads that
    someone left, never a bare id."""
    ops = await make_ops(world, BOB, CAROL)
    await world.store.teams.add_members(ops.team.id, [4999], world.clock.now())
    await world.store.teams.move_member(ops.team.id, 4999, 1)
    listing = visible(await world.services.oncall.show("en", ops.team))
    assert "1. someone who left ⏳ never pressed Start" in listing
    assert "On call: someone who left" in listing
    notice = await ops.page(None)
    await ops.until_over(notice)
    assert "someone who left skipped: ⏳ never pressed Start." in ops.notice(notice)
    assert not any("4999" in text for text in group(world))


# -- item 11: wrong words -------------------------------------------------------------------------


async def test_item11_adding_a_member_again_says_they_are_already_in(world: World) -> None:
    ops = await make_ops(world, BOB)
    oncall = world.services.oncall
    again = await oncall.add("en", ALICE, ops.team, [Mention("@bob_k", "bob_k")], None)
    assert visible(again) == "Already in ops: Bob."
    mentions = [Mention("@bob_k", "bob_k"), Mention("@carol_k", "carol_k")]
    both = await oncall.add("en", ALICE, ops.team, mentions, None)
    assert visible(both) == "Added to ops: Carol.\nAlready in ops: Bob."


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["0"], "limits"),
        (["1001"], "limits"),
        (["5", "721"], "limits"),
        (["5", "0"], "limits"),
        (["five"], "usage"),
        (["1", "2", "3"], "usage"),
    ],
)
async def test_item11_an_invite_out_of_range_says_the_limits(
    world: World, args: list[str], expected: str
) -> None:
    ops = await make_ops(world, BOB)
    with pytest.raises(Refused) as refused:
        await world.services.invites.create("en", ALICE, ops.team, args, BOT_USERNAME)
    limits = (
        "An invite link takes 1 to 1000 uses and lasts 1 to 720 hours: "
        "<code>/invite NAME [uses] [hours]</code>."
    )
    if expected == "limits":
        assert refused.value.text == limits
    else:
        assert refused.value.text.startswith("Use <code>/invite NAME [uses] [hours]</code>")


async def test_item11_the_page_notice_says_kavenegars_finish_reason(world: World) -> None:
    ops = await make_ops(world, BOB, CAROL)
    notice = await ops.page()
    await ops.until(lambda: bool(ops.rung()), what="Bob rung")
    (bobs_call,) = ops.calls_to(BOB)
    world.kv.state.finish(bobs_call.id, "network_error")
    await ops.until(lambda: len(ops.rung()) == 2, step=1.0, what="Carol rung")
    assert "Bob didn't answer (ended (network_error))." in ops.notice(notice)


async def test_item11_one_thing_is_said_in_the_singular(world: World) -> None:
    ops = await make_ops(world, BOB, CAROL)
    invites = world.services.invites

    async def invite(*args: str) -> str:
        return visible(await invites.create("en", ALICE, ops.team, list(args), BOT_USERNAME))

    assert "joins ops (1 use, until" in await invite()
    assert "joins ops (2 uses, until" in await invite("2")
    listing = visible(await invites.listing("en", ALICE, ops.team)).splitlines()
    assert sorted(line.split(",")[0] for line in listing[1:]) == [
        "by Alice: 1 use left",
        "by Alice: 2 uses left",
    ]
    assert visible(await invites.revoke("en", ALICE, ops.team)) == "Revoked 2 invite links of ops."
    await invite()
    assert visible(await invites.revoke("en", ALICE, ops.team)) == "Revoked 1 invite link of ops."
    notice = await ops.page()
    await ops.until(lambda: bool(ops.rung()), what="Bob rung")
    (bobs_call,) = ops.calls_to(BOB)
    world.kv.state.answer(bobs_call.id)
    await ops.until_over(notice)
    assert ops.notice(notice)[-1] == "✅ Answered by Bob after 1 attempt."


# -- item 12: a team's own zone -------------------------------------------------------------------


async def test_item12_team_zone_sets_a_checked_zone_and_keeps_who_is_on_call(
    world: World,
) -> None:
    ops = await carols_shift(world)
    oncall = world.services.oncall
    for who, zone, refusal in (
        (ALICE, "Mars/Base", "“Mars/Base” is not a time zone I know"),
        (ALICE, "../../etc/passwd", "is not a time zone I know"),
        (BOB, "Europe/Berlin", "Only ops's owner or the bot's admins can do that."),
    ):
        with pytest.raises(Refused) as refused:
            await oncall.set_zone("en", who, ops.team, zone)
        assert refusal in refused.value.text
    answer = await oncall.set_zone("en", ALICE, ops.team, "europe/berlin")
    # 09:30 in Berlin: Carol stays on until 09:00 there tomorrow
    assert visible(answer) == (
        "ops's time zone is now Europe/Berlin. "
        "ops: Carol, until Wed 2026-12-02 09:00 (Europe/Berlin); next: Dave"
    )
    team = await oncall.team_named("en", "ops")
    assert (team.zone, team.rotation_kind, team.hand_over) == ("Europe/Berlin", "daily", "09:00")
    heard = len(group(world))
    await world.settle()
    assert len(group(world)) == heard  # Carol stays: nothing to announce
    move_to(world.clock, datetime(2026, 12, 2, 8, 0))  # Wednesday 09:00 in Berlin
    await world.settle()
    assert (
        group(world)[-1] == "📟 On call for ops: Dave until Thu 2026-12-03 09:00 (Europe/Berlin)."
    )


async def test_item12_team_zone_of_a_team_without_a_rotation(world: World) -> None:
    ops = await make_ops(world, BOB, CAROL)
    answer = await world.services.oncall.set_zone("en", ALICE, ops.team, "UTC")
    assert visible(answer) == "ops's time zone is now UTC. ops: Bob"
    team = await world.services.oncall.team_named("en", "ops")
    assert (team.zone, team.rotation_kind) == ("UTC", None)
    shown = visible(await world.services.oncall.show("en", team))
    assert "no rotation" in shown
