"""Issue 22 end to end over both simulators: Call now, close the loop, quiet hours, the
calendar, swaps. One :class:`ManualClock` drives the bot and the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.core.clock import ManualClock
from bot.simulator import SentMessage, TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, BOB, GROUP, until, visible
from ..conftest import Bot, bot_running
from .test_oncall import CAROL, DAVE, team_of_four


@pytest.fixture
async def oncall(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    async with bot_running(tg, kv, sqlite_url, clock=clock, page_retries=0) as bot:
        await team_of_four(bot)
        yield bot


def posts(bot: Bot) -> list[dict[str, Any]]:
    """The paid calls asked of Kavenegar."""
    return [r for r in bot.kv.requests if r["method"] == "POST"]


def buttons(message: SentMessage) -> list[dict[str, Any]]:
    markup = message.reply_markup or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def labels(message: SentMessage) -> list[str]:
    """The buttons' labels as people read them."""
    return [visible(b["text"]) for b in buttons(message)]


async def press(bot: Bot, who: int, message: SentMessage, label: str) -> dict[str, Any]:
    """``who`` presses the button labelled ``label`` (as read) under ``message``."""
    (data,) = [b["callback_data"] for b in buttons(message) if visible(b["text"]) == label]
    return await bot.tg.press_button(who, message.chat_id, message.message_id, data)


def reply(bot: Bot, command: dict[str, Any]) -> SentMessage:
    """The bot's latest message quoting ``command`` in its chat (not a hand-over notice that
    the scheduler may post meanwhile)."""
    chat = command["chat"]["id"]
    replies = [m for m in bot.tg.sent_to(chat) if m.reply_to_message_id == command["message_id"]]
    assert replies, f"no answer to {command.get('text')}"
    return replies[-1]


async def answer_text(bot: Bot, press: dict[str, Any]) -> str:
    await bot.settle()
    answer = bot.tg.answer_to(press["id"])
    assert answer is not None and answer.text is not None
    return answer.text


# -- 1. Call now ---------------------------------------------------------------------------------


async def test_call_now_pressed_twice_places_one_call_to_whoever_is_on_call(oncall: Bot) -> None:
    bot = oncall
    command = await bot.say(ALICE, "/oncall ops", chat_id=GROUP)
    answer = reply(bot, command)
    assert visible(answer.text) == "ops: Bob"
    assert labels(answer) == ["📞 Call Bob now"]
    # Carol presses it twice at once: one call, to Bob, from Carol; the other press is told so
    first = await press(bot, CAROL, answer, "📞 Call Bob now")
    second = await press(bot, CAROL, answer, "📞 Call Bob now")
    said = sorted([visible(await answer_text(bot, x)) for x in (first, second)])
    assert said == [
        "Already called from this button. For another call: /oncall ops",
        "Calling Bob…",
    ]
    assert len(posts(bot)) == 1
    (call,) = bot.kv.state.calls.values()
    assert call.caller.username == f"tg{CAROL}" and call.receptor.username == f"tg{BOB}"
    assert bot.last_text(CAROL).startswith("📞 You are calling Bob")  # her token, privately
    # Bob cannot call himself; pressed again later, the same button places nothing new
    own = await press(bot, BOB, answer, "📞 Call Bob now")
    assert await answer_text(bot, own) == "You are on call for ops yourself."
    again = await press(bot, CAROL, answer, "📞 Call Bob now")
    assert await answer_text(bot, again) == (
        "Already called from this button. For another call: /oncall ops"
    )
    assert len(posts(bot)) == 1


async def test_the_hand_over_notice_carries_call_now(oncall: Bot, clock: ManualClock) -> None:
    bot = oncall
    await bot.say(ALICE, "/rotation ops daily 09:00 Asia/Tehran", chat_id=GROUP)
    await until(
        bot,
        clock,
        lambda: any("On call for ops: Bob" in visible(m.text) for m in bot.tg.sent_to(GROUP)),
        what="Bob announced",
        step=2.0,
    )
    (notice,) = [m for m in bot.tg.sent_to(GROUP) if "On call for ops: Bob" in visible(m.text)]
    assert labels(notice) == ["📞 Call Bob now"]
    pressed = await press(bot, DAVE, notice, "📞 Call Bob now")
    assert visible(await answer_text(bot, pressed)) == "Calling Bob…"
    assert len(posts(bot)) == 1


async def test_call_now_in_private_lists_the_askers_teams_and_obeys_calls_rules(
    oncall: Bot,
) -> None:
    bot = oncall
    await bot.say(DAVE, "/oncall")
    answer = bot.last(DAVE)
    assert visible(answer.text) == "ops: Bob"
    assert labels(answer) == ["📞 Call Bob (ops)"]
    await bot.say(BOB, "/dnd on")  # /call's own rule: Bob takes no calls now
    pressed = await press(bot, DAVE, answer, "📞 Call Bob (ops)")
    assert visible(await answer_text(bot, pressed)) == "Bob isn't taking calls right now."
    assert posts(bot) == []
    # someone outside the team, with a forged press in their own chat, is refused
    await bot.onboard(4009, "Zed", "zed_k")
    await bot.say(4009, "hello")
    mine = bot.last(4009)
    forged = await bot.tg.press_button(4009, 4009, mine.message_id, data=f"oncall:n:1:{BOB}")
    assert "Only members of ops" in await answer_text(bot, forged)
    assert posts(bot) == []


# -- 5. close the loop ---------------------------------------------------------------------------


async def test_a_page_taken_tells_everyone_rung_and_the_pager_and_its_buttons_go(
    oncall: Bot, clock: ManualClock
) -> None:
    bot = oncall
    await bot.say(ALICE, "/page ops disk full", chat_id=GROUP)
    on_it = ["🙋 I'm on it"]
    await until(bot, clock, lambda: labels(bot.last(BOB)) == on_it, what="Bob rung", step=2.0)
    bob_token = bot.last(BOB)
    (bob_call,) = bot.kv.state.calls.values()
    bot.kv.state.finish(bob_call.id, "rejected")
    await until(bot, clock, lambda: labels(bot.last(CAROL)) == on_it, what="Carol", step=2.0)
    carol_token = bot.last(CAROL)
    pressed = await press(bot, CAROL, carol_token, "🙋 I'm on it")
    assert visible(await answer_text(bot, pressed)) == "Thanks: ops knows you're on it."
    word = "📟 Carol is on the page of ops. Nothing more to do."
    for person, times in ((BOB, 1), (ALICE, 1), (CAROL, 0)):  # once each; not the taker
        assert [visible(m.text) for m in bot.tg.sent_to(person)].count(word) == times
    # every token message of the page lost its button; Carol's keeps its token (she may join)
    for token in (bob_token, carol_token):
        assert labels(bot.tg.current(token.chat_id, token.message_id)) == []
    assert bot.tg.current(CAROL, carol_token.message_id).text == carol_token.text
    await until(bot, clock, lambda: True, what="the page to stay over", step=60, limit=5)
    assert len(posts(bot)) == 2  # nobody rung after


# -- 3. quiet hours and after-hours escalation ---------------------------------------------------


async def test_a_page_in_quiet_hours_places_no_call_and_says_so(
    oncall: Bot, clock: ManualClock
) -> None:
    bot = oncall  # 12:30 in Tehran, the team's zone
    command = await bot.say(ALICE, "/team quiet ops ۱۲:۰۰-۱۳:۰۰", chat_id=GROUP)  # Persian digits
    assert visible(reply(bot, command).text) == (
        "🌙 ops is quiet 12:00-13:00 (Asia/Tehran) every day. A page then calls nobody; the"
        " person on call is told privately."
    )
    command = await bot.say(ALICE, "/page ops disk full", chat_id=GROUP)
    assert visible(reply(bot, command).text) == (
        "🌙 ops is in its quiet hours (12:00-13:00, Asia/Tehran): no call was placed. "
        "Bob was told privately."
    )
    assert bot.last_text(BOB).startswith("🌙 Alice paged ops in its quiet hours: disk full")
    for _ in range(5):
        clock.advance(10)
        await bot.settle()
    assert posts(bot) == []
    # "urgent" calls only where the team said so; at 13:00 the quiet hours are over
    command = await bot.say(ALICE, "/team quiet ops 12:00-13:00 weekend urgent-only", chat_id=GROUP)
    assert visible(reply(bot, command).text) == (
        "🌙 ops is quiet 12:00-13:00 (Asia/Tehran) every day. The weekend (Thu, Fri) is quiet"
        " all day. A page then calls only when its reason starts with “urgent”; otherwise the"
        " person on call is told privately."
    )
    command = await bot.say(ALICE, "/page ops urgent: disk full", chat_id=GROUP)
    assert visible(reply(bot, command).text).startswith("📟 Alice paged ops")
    await until(bot, clock, lambda: len(posts(bot)) == 1, what="Bob rung", step=2.0)


async def test_a_page_in_quiet_hours_goes_to_the_after_hours_team(
    oncall: Bot, clock: ManualClock
) -> None:
    bot = oncall
    await bot.say(ALICE, "/team new night", chat_id=GROUP)
    await bot.say(ALICE, "/team add night @dave_k", chat_id=GROUP)
    await bot.say(ALICE, "/team quiet ops 12:00-13:00", chat_id=GROUP)
    command = await bot.say(ALICE, "/team after-hours ops night", chat_id=GROUP)
    assert (
        visible(reply(bot, command).text)
        == "In its quiet hours, a page of ops goes to night instead."
    )
    command = await bot.say(BOB, "/team after-hours ops night", chat_id=GROUP)
    assert "Only ops's owner" in visible(reply(bot, command).text)
    command = await bot.say(BOB, "/team ops", chat_id=GROUP)
    assert visible(reply(bot, command).text).splitlines()[-2:] == [
        "🌙 Quiet 12:00-13:00 (Asia/Tehran): a page calls nobody.",
        "After hours, pages go to night.",
    ]
    command = await bot.say(CAROL, "/page ops db down", chat_id=GROUP)
    assert visible(reply(bot, command).text).splitlines() == [
        "📟 Carol paged night",
        "Reason: db down (after hours of ops)",
    ]
    await until(bot, clock, lambda: len(posts(bot)) == 1, what="Dave rung", step=2.0)
    (call,) = bot.kv.state.calls.values()
    assert call.receptor.username == f"tg{DAVE}"


# -- 4. the schedule in a calendar, and as text --------------------------------------------------


async def test_the_calendar_parses_and_holds_the_shifts_oncall_names(oncall: Bot) -> None:
    bot = oncall  # Monday 12:30 in Tehran
    await bot.say(ALICE, "/rotation ops daily 09:00 Asia/Tehran", chat_id=GROUP)
    await bot.say(BOB, "/cover ops @dave_k 4h", chat_id=GROUP)
    command = await bot.say(ALICE, "/oncall ops", chat_id=GROUP)
    said = visible(reply(bot, command).text)
    assert said == "ops: Dave, until Mon 2026-11-30 16:30 (Asia/Tehran); next: Bob"
    command = await bot.say(CAROL, "/rotation ops calendar", chat_id=GROUP)
    sent = reply(bot, command)
    assert sent.document is not None and sent.reply_to_message_id == command["message_id"]
    assert sent.document.file_name == "ops-oncall.ics"
    assert visible(sent.text).startswith("📅 ops's shifts for the next 8 weeks (Asia/Tehran)")
    calendar = icalendar.Calendar.from_ical(sent.document.data)
    (zone,) = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Asia/Tehran"
    events = calendar.walk("VEVENT")
    tehran = ZoneInfo("Asia/Tehran")

    def local(event: Any, field: str) -> str:
        return f"{event.decoded(field).astimezone(tehran):%a %Y-%m-%d %H:%M}"

    # the shift /oncall names, until when it says, and who it says is next
    assert str(events[0]["SUMMARY"]) == "ops: Dave (cover)"
    assert local(events[0], "DTEND") == "Mon 2026-11-30 16:30"
    assert str(events[1]["SUMMARY"]) == "ops: Bob"
    assert (local(events[1], "DTSTART"), local(events[1], "DTEND")) == (
        "Mon 2026-11-30 16:30",
        "Tue 2026-12-01 09:00",
    )
    assert [str(e["SUMMARY"]) for e in events[2:5]] == ["ops: Carol", "ops: Dave", "ops: Bob"]
    assert events[1]["DTSTART"].params["TZID"] == "Asia/Tehran"
    assert 56 <= len(events) <= 58  # 8 weeks of daily shifts, and the cover
    # the same, as text, for the week
    command = await bot.say(ALICE, "/oncall ops week", chat_id=GROUP)
    week = visible(reply(bot, command).text).splitlines()
    assert week[:4] == [
        "📅 ops, the next 7 days (Asia/Tehran):",
        "Mon 2026-11-30 12:30 – Mon 2026-11-30 16:30: Dave (cover)",
        "Mon 2026-11-30 16:30 – Tue 2026-12-01 09:00: Bob",
        "Tue 2026-12-01 09:00 – Wed 2026-12-02 09:00: Carol",
    ]
    # the cover, the rest of today, and the shifts of the seven hand-overs until next Monday
    assert len(week) == 1 + 2 + 7 and week[-1].startswith("Mon 2026-12-07 09:00 – Tue")


async def test_the_week_in_persian_and_the_calendar_in_private(oncall: Bot) -> None:
    bot = oncall
    await bot.say(ALICE, "/rotation ops weekly 09:00", chat_id=GROUP)
    await bot.onboard(4010, "Sara", "sara_k", language_code="fa")
    await bot.say(ALICE, "/team add ops @sara_k", chat_id=GROUP)
    await bot.say(4010, "/oncall ops week")
    week = visible(bot.last_text(4010)).splitlines()
    assert week[0] == "📅 ops، ۷ روز آینده (Asia/Tehran):"
    assert week[1] == "دوشنبه ۹ آذر ۱۴۰۵، ۱۲:۳۰ تا دوشنبه ۱۶ آذر ۱۴۰۵، ۰۹:۰۰: Bob"
    await bot.say(4010, "/rotation ops calendar")
    document = bot.last(4010).document
    assert document is not None
    events = icalendar.Calendar.from_ical(document.data).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events[:3]] == ["ops: Bob", "ops: Carol", "ops: Dave"]
    await bot.say(DAVE, "/rotation nosuch calendar")
    assert bot.last_text(DAVE) == "I don't know a team called nosuch."


# -- 2. shift swaps ------------------------------------------------------------------------------


async def test_two_takes_at_once_give_one_cover(oncall: Bot) -> None:
    bot = oncall  # Monday 12:30 in Tehran: Bob is on call until Tuesday 09:00
    await bot.say(ALICE, "/rotation ops daily 09:00 Asia/Tehran", chat_id=GROUP)
    command = await bot.say(BOB, "/swap ops", chat_id=GROUP)
    notice = reply(bot, command)
    assert notice.reply_to_message_id == command["message_id"]
    assert visible(notice.text) == (
        "🔁 Bob asks for someone to take their shift of ops: Mon 2026-11-30 12:30 (Asia/Tehran)"
        " until Tue 2026-12-01 09:00 (Asia/Tehran). The first to press Take gets it (open until"
        " Tue 2026-12-01 09:00 (Asia/Tehran))."
    )
    carol = await press(bot, CAROL, notice, "🙋 Take")
    dave = await press(bot, DAVE, notice, "🙋 Take")
    won = "You're on call for ops for that shift."
    carol_said, dave_said = [visible(await answer_text(bot, x)) for x in (carol, dave)]
    taker, taker_id, other = ("Carol", CAROL, DAVE) if carol_said == won else ("Dave", DAVE, CAROL)
    assert {carol_said, dave_said} == {won, f"{taker} took it already."}
    edited = visible(bot.tg.current(GROUP, notice.message_id).text)
    assert edited.startswith(f"✅ {taker} takes Bob's shift of ops: Mon 2026-11-30 12:30")
    assert labels(bot.tg.current(GROUP, notice.message_id)) == []
    assert bot.last_text(BOB).startswith(f"🔁 {taker} takes your shift of ops")
    assert bot.last_text(taker_id).startswith("🔁 You're on call for ops from")
    assert not bot.last_text(other).startswith("🔁")
    covers = await bot.services.store.teams.covers(1, now=bot.services.clock.now())
    assert [c[1] for c in covers] == [taker_id]  # one cover, the winner's
    command = await bot.say(ALICE, "/oncall ops", chat_id=GROUP)
    assert visible(reply(bot, command).text).startswith(f"ops: {taker}, until Tue 2026-12-01 09:00")


async def test_an_untaken_swap_expires_at_the_shifts_start_told(
    oncall: Bot, clock: ManualClock
) -> None:
    bot = oncall
    await bot.say(ALICE, "/rotation ops daily 09:00 Asia/Tehran", chat_id=GROUP)
    command = await bot.say(CAROL, "/swap ops next", chat_id=GROUP)  # she's on from Tue 09:00
    notice = reply(bot, command)
    assert "their shift of ops: Tue 2026-12-01 09:00" in visible(notice.text)
    await until(
        bot,
        clock,
        lambda: any("still yours" in m.text for m in bot.tg.sent_to(CAROL)),
        what="the swap to expire",
        step=600,
    )
    assert clock.now() >= datetime(2026, 12, 1, 5, 30)  # not before 09:00 in Tehran
    assert visible(bot.tg.current(GROUP, notice.message_id).text) == (
        "⌛ Nobody took Carol's shift of ops (Tue 2026-12-01 09:00 (Asia/Tehran) until"
        " Wed 2026-12-02 09:00 (Asia/Tehran))."
    )
    told = [visible(m.text) for m in bot.tg.sent_to(CAROL)]  # (with her heads-up)
    assert (
        told.count(
            "⌛ Nobody took your shift of ops (Tue 2026-12-01 09:00 (Asia/Tehran) until"
            " Wed 2026-12-02 09:00 (Asia/Tehran)): it's still yours."
        )
        == 1
    )
    data = buttons(notice)[0]["callback_data"]  # pressed late, as a stale client would
    late = await bot.tg.press_button(DAVE, GROUP, notice.message_id, data=data)
    assert visible(await answer_text(bot, late)) == "This request is over."
    assert await bot.services.store.teams.covers(1, now=clock.now()) == []


async def test_a_swap_asked_of_one_person_privately(oncall: Bot) -> None:
    bot = oncall
    await bot.say(ALICE, "/rotation ops daily 09:00 Asia/Tehran", chat_id=GROUP)
    command = await bot.say(BOB, "/swap ops @dave_k", chat_id=GROUP)
    assert visible(reply(bot, command).text) == (
        "Asked Dave privately; open until Tue 2026-12-01 09:00 (Asia/Tehran)."
    )
    asked = bot.last(DAVE)
    assert visible(asked.text).startswith("🔁 Bob asks you to take their shift of ops")
    taken = await press(bot, DAVE, asked, "🙋 Take")
    assert visible(await answer_text(bot, taken)) == "You're on call for ops for that shift."
    assert visible(bot.tg.current(DAVE, asked.message_id).text).startswith("✅ Dave takes Bob's")
    assert bot.last_text(BOB).startswith("🔁 Dave takes your shift of ops")


@pytest.mark.postgres
async def test_call_now_pressed_on_two_replicas_places_one_call(
    tg: TelegramSimulator, kv: KavenegarSandbox, postgres_url: str, clock: ManualClock
) -> None:
    async with (
        bot_running(tg, kv, postgres_url, clock=clock) as one,
        bot_running(tg, kv, postgres_url, clock=clock) as two,
    ):
        await team_of_four(one)
        await two.settle()
        command = await one.say(ALICE, "/oncall ops", chat_id=GROUP)
        await two.settle()  # (either replica may answer)
        (answer,) = [m for m in tg.sent_to(GROUP) if m.reply_to_message_id == command["message_id"]]
        presses = [await press(one, CAROL, answer, "📞 Call Bob now") for _ in range(4)]
        await one.settle()
        await two.settle()
        said = sorted([visible(await answer_text(one, p)) for p in presses])
        assert said == ["Already called from this button. For another call: /oncall ops"] * 3 + [
            "Calling Bob…"
        ]
        assert len(posts(one)) == 1
