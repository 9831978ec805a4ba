"""Hostile probes (issue 18): presses ("Call again", a ring's "Answer") against /call's rules,
races and odd data."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.buttons import PressAnswer, decode
from bot.core.clock import ManualClock
from bot.core.people import UserProfile
from bot.core.records import CallOutcome, CallRecord, CallStatus
from bot.core.texts import callback_text, t, utf16_length
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World
from ..helpers import ALICE, BOB, GROUP
from .presses import CAROL, missed_call, posts, pressed, ring, worlds


async def pressed_on(services: Any, world: World, who: int, data: str) -> PressAnswer:
    record = await world.store.get_user(who)
    assert record is not None
    press = decode(data)
    assert press is not None
    answer: PressAnswer = await services.presses.press(record.profile, press)
    return answer


# -- defects ---------------------------------------------------------------------------------


async def test_a_stale_refused_answer_does_not_close_the_call_the_first_answer_placed(
    ringing: World,
) -> None:
    """Bob double-taps Answer (two deliveries, or two replicas). Press B reads the ring while
    it still rings; press A takes it and places the call (tokens out). An admin then denies
    Alice; press B's rules now refuse, and place_for closes 'the ring' with
    close_call(rung.id, UNKNOWN, RANG) without from_status=RINGING: it closes the live call."""
    record = await ring(ringing)
    store = ringing.store
    real_get_call = store.get_call
    b_read, go_b = asyncio.Event(), asyncio.Event()

    async def get_call(row_id: int) -> CallRecord | None:
        got = await real_get_call(row_id)
        task = asyncio.current_task()
        if task is not None and task.get_name() == "press-b" and not b_read.is_set():
            b_read.set()
            await go_b.wait()
        return got

    store.get_call = get_call  # type: ignore[method-assign,assignment]
    b = asyncio.create_task(pressed(ringing, BOB, f"ring:a:{record.id}"), name="press-b")
    await b_read.wait()
    a = await pressed(ringing, BOB, f"ring:a:{record.id}")
    assert a.key == "callback_calling"
    await ringing.services.access.set_rule("user", ALICE, False, changed_by=ALICE)
    go_b.set()
    await b
    store.get_call = real_get_call  # type: ignore[method-assign]
    assert len(posts(ringing)) == 1
    row = await store.get_call(record.id)
    assert row is not None
    assert (row.status, row.outcome) == (CallStatus.CREATED, None), (row.status, row.outcome)


async def test_call_again_after_kavenegar_said_busy_can_be_pressed_again(direct: World) -> None:
    """A Call again press meets a 429: 'Kavenegar is busy ... try again in 40 seconds'
    (certainly not created). Pressed again later, the same key is a Duplicate: 'Already done.'
    and nothing happens, though no call exists (the text said to try again)."""
    record = await missed_call(direct)
    direct.kv.add_fault(
        method="POST", path="/calls", status=429, headers={"Retry-After": "40"}, times=1
    )
    first = await pressed(direct, ALICE, f"again:{record.id}")
    assert first.key == "callback_see_chat"
    assert any("try again in 40 seconds" in t for t in direct.answers(ALICE))
    direct.clock.advance(41)
    second = await pressed(direct, ALICE, f"again:{record.id}")
    assert second.key != "callback_already", "told 'try again', then 'Already done.' with no call"


async def test_an_answer_past_the_deadline_does_not_tell_bob_his_token_follows(
    ringing: World,
) -> None:
    """Past the deadline (the watcher not round yet) the press is refused (ring over), but
    _answer edited Bob's ring to 'You answered Alice: your access token follows.' first."""
    record = await ring(ringing)
    ringing.clock.advance(ringing.services.settings.ring_timeout)  # the exact deadline second
    answer = await pressed(ringing, BOB, f"ring:a:{record.id}")
    assert answer.key == "callback_ring_over"
    assert posts(ringing) == []
    bob = ringing.messenger.now_reads(BOB, record.callee_message_id or 0)
    assert "token follows" not in bob, bob


async def test_a_refused_answer_updates_the_ringing_notice(ringing: World) -> None:
    """A refused Answer (Bob made uncallable while it rang): Bob's message loses its buttons,
    but the group's 'Alice is ringing Bob…' is never edited: it rings on forever."""
    record = await ring(ringing)
    await ringing.services.people.set_callable(BOB, False, changed_by=ALICE)
    answer = await pressed(ringing, BOB, f"ring:a:{record.id}")
    assert answer.alert and posts(ringing) == []
    for _ in range(5):
        ringing.clock.advance(60)
        await ringing.watcher.tick()
    notice = ringing.messenger.now_reads(GROUP, record.notice_message_id or 0)
    assert "ringing" not in notice, notice


def test_press_answers_are_at_most_200_characters() -> None:
    """callback_text cuts through fit(), which strips tags from the already-plain text again:
    a name that looks like a tag ('<xxx…>') makes the check pass and the uncut text (240
    characters) is returned; Telegram refuses it and the press stays unanswered."""
    callee = UserProfile(1, "<" + "x" * 62 + ">", last_name="<" + "y" * 62 + ">")
    for lang in ("en", "fa"):
        text = callback_text(t(lang, "call_callee_not_started", name=callee.display_name))
        assert utf16_length(text) <= 200, (lang, utf16_length(text))


# -- held (kept as meaningful) ---------------------------------------------------------------


async def test_concurrent_call_again_on_two_replicas_is_one_call(direct: World) -> None:
    record = await missed_call(direct)
    other = direct.replica("replica-b")
    before = len(posts(direct))
    answers = await asyncio.gather(
        pressed(direct, ALICE, f"again:{record.id}"),
        pressed_on(other, direct, ALICE, f"again:{record.id}"),
        pressed(direct, ALICE, f"again:{record.id}"),
        pressed_on(other, direct, ALICE, f"again:{record.id}"),
    )
    assert len(posts(direct)) == before + 1
    assert sorted(a.key for a in answers).count("callback_calling") == 1


async def test_concurrent_answers_on_two_replicas_are_one_call(ringing: World) -> None:
    record = await ring(ringing)
    other = ringing.replica("replica-b", call_flow="ring")
    answers = await asyncio.gather(
        pressed(ringing, BOB, f"ring:a:{record.id}"),
        pressed_on(other, ringing, BOB, f"ring:a:{record.id}"),
        pressed(ringing, BOB, f"ring:a:{record.id}"),
        pressed_on(other, ringing, BOB, f"ring:a:{record.id}"),
    )
    assert len(posts(ringing)) == 1
    assert [a.key for a in answers].count("callback_calling") == 1
    assert len([m for m in ringing.messenger.to(BOB) if m.carries_secret]) == 1


async def test_answer_and_ring_time_out_at_the_same_instant(ringing: World) -> None:
    """The press one second before the deadline and the watcher's tick at the deadline."""
    record = await ring(ringing)
    ringing.clock.advance(ringing.services.settings.ring_timeout - 1)
    answer, _ = await asyncio.gather(
        pressed(ringing, BOB, f"ring:a:{record.id}"), ringing.watcher.tick()
    )
    ringing.clock.advance(1)
    await ringing.watcher.tick()
    row = await ringing.store.get_call(record.id)
    assert row is not None
    if answer.key == "callback_calling":
        assert len(posts(ringing)) == 1 and row.status is CallStatus.CREATED
        assert row.outcome is None
    else:
        assert posts(ringing) == [] and row.outcome is CallOutcome.MISSED


@pytest.mark.parametrize(
    "data",
    ["ring:a:{id}", "ring:d:{id}", "again:{id}", "again:-1", "ring:a:-{id}", "again:0{id}"],
)
async def test_forged_presses_on_other_rows(direct: World, data: str) -> None:
    """Carol presses buttons of Alice's and Bob's call (ring buttons on a direct call)."""
    record = await missed_call(direct)
    before = len(posts(direct))
    answer = await pressed(direct, CAROL, data.format(id=record.id))
    assert answer.alert and len(posts(direct)) == before
    # Bob, the callee, presses Alice's Call again; Alice presses ring buttons of a direct call
    assert (await pressed(direct, BOB, f"again:{record.id}")).alert
    assert (await pressed(direct, ALICE, f"ring:a:{record.id}")).alert
    assert len(posts(direct)) == before


@pytest.mark.parametrize(
    "change",
    ["dnd", "uncallable", "blocked", "deny-callee", "allow-list", "too-long", "quota"],
)
async def test_call_again_keeps_the_rules(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock, change: str
) -> None:
    settings: dict[str, Any] = {"calls_per_minute": 1} if change == "quota" else {}
    async for world in worlds(sqlite_url, kv, clock, **settings):
        record = await missed_call(world)
        services = world.services
        match change:
            case "dnd":
                await services.people.set_dnd(BOB, True)
            case "uncallable":
                await services.people.set_callable(BOB, False, changed_by=ALICE)
            case "blocked":
                await services.people.set_reachable(BOB, False)
            case "deny-callee":
                await services.access.set_rule("user", BOB, False, changed_by=ALICE)
            case "allow-list":
                await services.access.set_rule("user", ALICE, True, changed_by=ALICE)
            case "too-long":
                other = world.replica("replica-b", max_duration_limit=60, default_max_duration=60)
                before = len(posts(world))
                answer = await pressed_on(other, world, ALICE, f"again:{record.id}")
                assert answer.alert and len(posts(world)) == before
                return
            case "quota":
                pass
        before = len(posts(world))
        answer = await pressed(world, ALICE, f"again:{record.id}")
        assert answer.alert, answer
        assert len(posts(world)) == before
