"""Issue 10 end to end: teams, rotations, covers, hand-overs and /page over both simulators.

One :class:`ManualClock` drives the bot and the sandbox: a week of rotation takes milliseconds.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, BOB, GROUP, until, visible
from ..conftest import Bot, bot_running

CAROL, DAVE, EVE = 4003, 4004, 4005
OTHER_GROUP = -100777


async def team_of_four(bot: Bot) -> None:
    """Alice owns team ops; Bob, Carol and Dave are in it, in that order."""
    await bot.onboard_pair()
    await bot.onboard(CAROL, "Carol", "carol_k")
    await bot.onboard(DAVE, "Dave", "dave_k")
    await bot.say(ALICE, "/team new ops", chat_id=GROUP)
    await bot.say(ALICE, "/team add ops @bob_k @carol_k @dave_k", chat_id=GROUP)


@pytest.fixture
async def oncall(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    tg.add_group(OTHER_GROUP, "Elsewhere")
    async with bot_running(tg, kv, sqlite_url, clock=clock, page_retries=0) as bot:
        await team_of_four(bot)
        yield bot


async def test_team_commands_answer_and_refuse(oncall: Bot) -> None:
    bot = oncall
    await bot.say(ALICE, "/team ops", chat_id=GROUP)
    listing = bot.last_text(GROUP)
    assert "1. Bob ✅" in listing and "2. Carol ✅" in listing and "3. Dave ✅" in listing
    assert "On call: Bob" in listing
    await bot.say(DAVE, "/dnd on")
    bot.tg.add_user(EVE, "Eve", username="eve_k")
    await bot.say(EVE, "hi all", chat_id=GROUP)  # known, never pressed Start
    await bot.say(ALICE, "/team add ops @eve_k @nobody_here", chat_id=GROUP)
    answer = bot.last_text(GROUP)
    assert "Added to ops: Eve." in answer and "@nobody_here (I don't know them yet" in answer
    await bot.say(ALICE, "/team ops", chat_id=GROUP)
    assert "3. Dave 🔕 do not disturb" in bot.last_text(GROUP)
    assert "4. Eve ⏳ never pressed Start" in bot.last_text(GROUP)
    await bot.say(ALICE, "/team remove ops @eve_k", chat_id=GROUP)
    assert bot.last_text(GROUP) == "Eve left ops."


# Telegram lets a bot write 20 messages a minute to a group: the refusals get a test of their own.
@pytest.mark.parametrize(
    ("who", "text", "chat", "expected"),
    [
        (ALICE, "/team new ops", GROUP, "There is already a team called ops."),
        (ALICE, "/team new Bad!Name", GROUP, "“bad!name” can't be a team name"),
        (ALICE, "/team new solo", None, "Create teams in the group"),
        (BOB, "/team add ops @carol_k", GROUP, "Only ops's owner or the bot's admins"),
        (ALICE, "/team ops", OTHER_GROUP, "Team ops belongs to another group"),
        (ALICE, "/team nosuch", GROUP, "I don't know a team called nosuch."),
        (ALICE, "/rotation ops daily 25:00", GROUP, "“25:00” is not a time"),
        (ALICE, "/rotation ops daily 09:00 Mars/Base", GROUP, "“Mars/Base” is not a time zone"),
        (ALICE, "/rotation ops hourly 09:00", GROUP, "Use /rotation NAME daily|weekly"),
        (ALICE, "/cover ops @dave_k 4x", GROUP, "“4x” is not a length"),
        (ALICE, "/team add ops", GROUP, "Name people with @username"),
        (ALICE, "/team frobnicate ops", GROUP, "Teams: /team new NAME"),
        (ALICE, "/oncall nosuch", GROUP, "I don't know a team called nosuch."),
        (ALICE, "/page", GROUP, "Use /page NAME [reason]."),
        (ALICE, "/cover ops off", GROUP, "ops has no cover to end."),
    ],
)
async def test_team_refusals(
    oncall: Bot, who: int, text: str, chat: int | None, expected: str
) -> None:
    await oncall.say(who, text, chat_id=chat)
    assert expected in oncall.last_text(chat or who)
    assert oncall.kv.requests == []


async def test_team_changes(oncall: Bot) -> None:
    bot = oncall
    await bot.say(ALICE, "/team move ops @dave_k 1", chat_id=GROUP)
    assert bot.last_text(GROUP) == "Dave is now number 1 in ops."
    await bot.say(ALICE, "/team", chat_id=GROUP)
    assert bot.last_text(GROUP).startswith("Teams here\nops: Dave")
    await bot.say(ALICE, "/team new empty", chat_id=GROUP)
    await bot.say(ALICE, "/page empty", chat_id=GROUP)
    assert bot.last_text(GROUP) == "empty has nobody to page."
    await bot.say(ALICE, "/team delete empty", chat_id=GROUP)
    assert bot.last_text(GROUP) == "Team empty deleted."
    assert bot.kv.requests == []


async def test_rotation_and_cover_across_hand_overs(oncall: Bot, clock: ManualClock) -> None:
    bot = oncall
    await bot.say(ALICE, "/rotation ops daily 09:00 Asia/Tehran", chat_id=GROUP)
    answer = bot.last_text(GROUP)
    assert "ops hands over daily at 09:00 (Asia/Tehran)" in answer
    assert "Bob, until Tue 2026-12-01 09:00 (Asia/Tehran); next: Carol" in answer
    await until(
        bot,
        clock,
        lambda: "On call for ops: Bob" in bot.last_text(GROUP),
        what="Bob announced",
        step=2.0,
        limit=400,
    )
    # 15 minutes before 09:00 Tehran (05:30 UTC) Carol gets a heads-up; at 09:00 the group hears
    carol_before = len(bot.tg.sent_to(CAROL))
    clock.advance(20 * 3600 + 14 * 60)  # 05:14 UTC: not yet
    await asyncio.sleep(0.05)
    await bot.settle()
    assert len(bot.tg.sent_to(CAROL)) == carol_before
    await until(
        bot,
        clock,
        lambda: "Heads-up" in bot.last_text(CAROL),
        step=30,
        what="Carol's heads-up",
        limit=400,
    )
    assert "from Tue 2026-12-01 09:00 (Asia/Tehran) until Wed 2026-12-02" in bot.last_text(CAROL)
    await until(
        bot,
        clock,
        lambda: "On call for ops: Carol until Wed 2026-12-02 09:00" in bot.last_text(GROUP),
        step=30,
        what="the hand-over to Carol",
        limit=400,
    )
    await bot.say(BOB, "/cover ops @dave_k 4h", chat_id=GROUP)
    assert "Dave is on call for ops until" in bot.last_text(GROUP)
    assert "Dave covers for you on ops" in bot.last_text(CAROL)
    await until(
        bot,
        clock,
        lambda: "On call for ops: Dave" in bot.last_text(GROUP),
        what="the cover",
        step=2.0,
        limit=400,
    )
    await bot.say(ALICE, "/oncall ops", chat_id=GROUP)
    assert bot.last_text(GROUP).startswith("ops: Dave, until")
    await until(
        bot,
        clock,
        lambda: "On call for ops: Carol" in bot.last_text(GROUP),
        step=300,
        what="the cover to end",
        limit=400,
    )


def pages_posts(bot: Bot) -> list[dict[str, Any]]:
    return [r for r in bot.kv.requests if r["method"] == "POST"]


async def test_a_page_escalates_until_the_third_person_answers(
    oncall: Bot, clock: ManualClock
) -> None:
    bot = oncall
    message = await bot.say(ALICE, "/page ops database down", chat_id=GROUP)
    notice = bot.last(GROUP)
    assert notice.reply_to_message_id == message["message_id"]
    await until(
        bot,
        clock,
        lambda: "database down" in bot.last_text(BOB),
        what="Bob rung",
        step=2.0,
        limit=400,
    )
    assert "Alice is calling you" in bot.last_text(BOB)
    # Bob misses it (the minute runs out), Carol declines, Dave answers
    await until(
        bot, clock, lambda: len(bot.kv.state.calls) == 2, what="Carol rung", step=5, limit=400
    )
    carol_call = [c for c in bot.kv.state.calls.values() if c.receptor.username == f"tg{CAROL}"]
    bot.kv.state.finish(carol_call[0].id, "rejected")
    await until(
        bot, clock, lambda: len(bot.kv.state.calls) == 3, what="Dave rung", step=2.0, limit=400
    )
    dave_call = [c for c in bot.kv.state.calls.values() if c.receptor.username == f"tg{DAVE}"]
    bot.kv.state.answer(dave_call[0].id)
    await until(
        bot,
        clock,
        lambda: "Answered by Dave" in visible(bot.tg.current(GROUP, notice.message_id).text),
        what="the page answered",
        step=2.0,
        limit=400,
    )
    text = visible(bot.tg.current(GROUP, notice.message_id).text)
    assert text.splitlines() == [
        "📟 Alice paged ops",
        "Reason: database down",
        "Ringing Bob (attempt 1)…",
        "Bob didn't answer (missed).",
        "Ringing Carol (attempt 2)…",
        "Carol didn't answer (declined).",
        "Ringing Dave (attempt 3)…",
        "✅ Answered by Dave after 3 attempts.",
    ]
    assert len(pages_posts(bot)) == 3  # one paid call at a time, no step twice
    new = [m for m in bot.tg.sent_to(GROUP) if not m.edited]
    assert len(new) == 4  # ops created, people added, and the page's notice, edited in place


async def test_nobody_answering_tells_the_pager_and_skips_who_cannot_be_rung(
    oncall: Bot, clock: ManualClock
) -> None:
    bot = oncall
    await bot.say(CAROL, "/dnd on")
    await bot.say(ALICE, "/page ops", chat_id=GROUP)
    notice = bot.last(GROUP)
    await until(
        bot,
        clock,
        lambda: "Nobody answered" in visible(bot.tg.current(GROUP, notice.message_id).text),
        step=5,
        what="the page to give up",
        limit=400,
    )
    lines = visible(bot.tg.current(GROUP, notice.message_id).text).splitlines()
    assert "Carol skipped: 🔕 do not disturb." in lines
    assert lines[-1] == "❌ Nobody answered."
    told = "📟 Nobody answered your page of ops."
    await until(
        bot,
        clock,
        lambda: any(visible(m.text) == told for m in bot.tg.sent_to(ALICE)),
        what="the pager told",
        step=2.0,
        limit=400,
    )
    assert len(pages_posts(bot)) == 2  # Bob and Dave


async def test_a_page_counts_once_against_the_quota(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    async with bot_running(
        tg, kv, sqlite_url, clock=clock, page_retries=0, calls_per_minute=0, calls_per_day=1
    ) as bot:
        await team_of_four(bot)
        await bot.say(ALICE, "/page ops", chat_id=GROUP)
        await until(
            bot, clock, lambda: len(kv.state.calls) == 2, step=5, what="two attempts", limit=400
        )
        await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
        # the page's notice may be edited meanwhile: look at the new messages only
        answers = [visible(m.text) for m in tg.sent_to(GROUP) if not m.edited]
        assert "limit of calls (1 per 24 hours)" in answers[-1]
        assert len(kv.state.calls) == 2  # the /call placed nothing


async def test_a_page_continues_after_a_restart(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, clock: ManualClock
) -> None:
    async with bot_running(tg, kv, db_url, clock=clock, page_retries=0) as first:
        await team_of_four(first)
        await first.say(ALICE, "/page ops", chat_id=GROUP)
        await until(
            first, clock, lambda: len(kv.state.calls) == 1, what="Bob rung", step=2.0, limit=400
        )
    (bob_call,) = kv.state.calls.values()
    kv.state.finish(bob_call.id, "rejected")  # while the bot is down
    async with bot_running(tg, kv, db_url, clock=clock, page_retries=0) as second:
        await until(
            second,
            clock,
            lambda: "Alice is calling you" in second.last_text(CAROL),
            what="Carol rung",
            step=2.0,
            limit=400,
        )
        assert len(pages_posts(second)) == 2


@pytest.mark.postgres
async def test_two_replicas_run_each_page_step_once(
    tg: TelegramSimulator, kv: KavenegarSandbox, postgres_url: str, clock: ManualClock
) -> None:
    url = postgres_url
    async with (
        bot_running(tg, kv, url, clock=clock, page_retries=0) as one,
        bot_running(tg, kv, url, clock=clock, page_retries=0) as two,
    ):
        await team_of_four(one)
        await two.settle()
        await one.say(ALICE, "/page ops", chat_id=GROUP)
        await two.settle()
        for _ in range(200):
            if len(kv.state.calls) == 3:
                break
            clock.advance(5)
            await asyncio.sleep(0.02)
        await one.settle()
        await two.settle()
        assert len(kv.state.calls) == 3  # Bob, Carol, Dave: once each
        assert len(pages_posts(one)) == 3


async def test_an_invite_links_whole_life(oncall: Bot, clock: ManualClock) -> None:
    """Issue 11 item 1: created, used, used up, expired, revoked; the code is never stored."""
    bot = oncall

    async def ask(text: str) -> str:
        """The bot's answer to ``text`` in the group: the message quoting it (the scheduler may
        post a hand-over notice there meanwhile, once the clock has moved)."""
        command = await bot.say(ALICE, text, chat_id=GROUP)
        replies = [
            m for m in bot.tg.sent_to(GROUP) if m.reply_to_message_id == command["message_id"]
        ]
        assert replies, f"no answer to {text}"
        return visible(replies[-1].text)

    async def invite(args: str) -> str:
        answer = await ask(f"/invite ops {args}".strip())
        found = re.search(r"start=(inv_[A-Za-z0-9_-]+)", answer)
        assert found, answer
        return found.group(1)

    async def opens(user_id: int, name: str, code: str) -> str:
        bot.tg.add_user(user_id, name, username=f"{name.lower()}_k")
        await bot.say(user_id, f"/start {code}")
        return bot.last_text(user_id)

    code = await invite("2 24")
    assert len(code) <= 64 and "2 uses" in bot.last_text(GROUP)
    await bot.say(ALICE, "/invites ops", chat_id=GROUP)
    assert "2 uses left" in bot.last_text(GROUP) and code not in bot.last_text(GROUP)
    assert (await opens(5001, "Erin", code)).startswith("Welcome: you joined ops, number 4")
    assert (await opens(5002, "Finn", code)).startswith("Welcome: you joined ops, number 5")
    assert (await opens(5003, "Gus", code)).startswith("This invite to ops has been used up")
    await bot.say(BOB, "/team add ops @gus_k", chat_id=GROUP)  # Bob is no owner
    assert "Only ops's owner" in bot.last_text(GROUP)
    expiring = await invite("1 1")
    clock.advance(2 * 3600)
    assert (await opens(5004, "Hal", expiring)).startswith("This invite to ops has expired")
    revoked = await invite("")
    assert await ask("/invite ops revoke") == "Revoked 1 invite link of ops."
    assert (await opens(5005, "Ivy", revoked)).startswith("This invite to ops was revoked")
    unknown = "inv_" + "A" * 22
    assert (await opens(5006, "Jo", unknown)).startswith("I don't know this invite link")
    assert (await opens(5007, "Kim", "hello")).startswith("👋 Hi Kim!")  # not ours: a welcome
    listing = await ask("/team ops")
    assert "4. Erin" in listing and "5. Finn" in listing
    assert "Gus" not in listing and "Hal" not in listing
    database = Path(bot.db_url.removeprefix("sqlite+aiosqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert not any(c.encode() in stored for c in (code, expiring, revoked))


async def test_a_bot_cannot_join_a_team(oncall: Bot) -> None:
    bot = oncall
    bot.tg.add_user(4100, "Helper", username="helper_bot", is_bot=True)
    await bot.say(4100, "beep", chat_id=GROUP)  # the bot has seen it in the group
    await bot.say(ALICE, "/team add ops @helper_bot", chat_id=GROUP)
    assert bot.last_text(GROUP) == "Not added: @helper_bot (a bot)."


async def test_a_member_who_leaves_mid_page_is_skipped(oncall: Bot, clock: ManualClock) -> None:
    bot = oncall
    await bot.say(ALICE, "/page ops", chat_id=GROUP)
    notice = bot.last(GROUP)
    await until(
        bot,
        clock,
        lambda: "Alice is calling you" in bot.last_text(BOB),
        what="Bob rung",
        step=2.0,
        limit=400,
    )
    await bot.say(ALICE, "/team remove ops @carol_k", chat_id=GROUP)
    (bob_call,) = bot.kv.state.calls.values()
    bot.kv.state.finish(bob_call.id, "rejected")
    await until(
        bot,
        clock,
        lambda: "Alice is calling you" in bot.last_text(DAVE),
        what="Dave rung",
        step=2.0,
        limit=400,
    )
    await until(
        bot,
        clock,
        lambda: "Ringing Dave" in visible(bot.tg.current(GROUP, notice.message_id).text),
        what="the notice",
        step=2.0,
        limit=400,
    )
    lines = visible(bot.tg.current(GROUP, notice.message_id).text).splitlines()
    assert "Carol left the team." in lines
    assert not [c for c in bot.kv.state.calls.values() if c.receptor.username == f"tg{CAROL}"]


async def test_a_second_page_joins_the_running_one_and_im_on_it_ends_it(
    oncall: Bot, clock: ManualClock
) -> None:
    """Issue 18 (items 3 and 9) end to end: Carol's /page of ops while Alice's runs joins it
    (no second escalation, no call); Bob, rung, joins his call but Alice never does, so it never
    connects: he presses "I'm on it" under his token, the page ends acknowledged, and his call
    is left alone."""
    bot = oncall
    await bot.say(ALICE, "/page ops database down", chat_id=GROUP)
    notice = bot.last(GROUP)
    await until(
        bot,
        clock,
        lambda: "database down" in bot.last_text(BOB),
        what="Bob rung",
        step=2.0,
        limit=400,
    )
    command = await bot.say(CAROL, "/page ops disk full", chat_id=GROUP)
    (answer,) = [m for m in bot.tg.sent_to(GROUP) if m.reply_to_message_id == command["message_id"]]
    assert visible(answer.text).startswith("📟 ops is already being paged by Alice, ")
    assert visible(answer.text).endswith(" ago; your reason was added to it.")
    token = next(m for m in bot.tg.sent_to(BOB) if m.callback_buttons)
    assert [text for text, _ in token.callback_buttons] == ["🙋 I'm on it"]
    (bob_call,) = bot.kv.state.calls.values()
    bot.kv.state.join(bob_call.id, "receptor")
    query = await bot.tg.press_button(BOB, BOB, token.message_id, text="🙋 I'm on it")
    await bot.settle()
    pressed = bot.tg.answer_to(query["id"])
    assert pressed is not None and pressed.text == "Thanks: ops knows you're on it."
    await until(
        bot,
        clock,
        lambda: "Bob is on it" in visible(bot.tg.current(GROUP, notice.message_id).text),
        what="the page acknowledged",
        step=2.0,
        limit=400,
    )
    assert visible(bot.tg.current(GROUP, notice.message_id).text).splitlines() == [
        "📟 Alice paged ops",
        "Reason: database down",
        "Also paged by Carol: disk full",
        "Ringing Bob (attempt 1)…",
        "✅ Bob is on it (acknowledged after 1 attempt).",
    ]
    assert bot.kv.state.calls[bob_call.id].status != "finished"  # not cut
    later = clock.now() + timedelta(minutes=5)  # Bob's call ends by itself meanwhile
    await until(bot, clock, lambda: clock.now() > later, what="five minutes", step=10, limit=400)
    assert bot.kv.state.calls[bob_call.id].status == "finished"
    assert len(pages_posts(bot)) == 1  # one page, one call: nobody else was rung


# -- issue 19, "right answers": what only the handlers decide ------------------------------------


@pytest.mark.parametrize("text", ["/team new", "/team add", "/team delete", "/team zone ops"])
async def test_item11_a_team_subcommand_without_its_name_answers_its_usage(
    oncall: Bot, text: str
) -> None:
    await oncall.say(ALICE, text, chat_id=GROUP)
    assert oncall.last_text(GROUP).startswith("Teams: /team new NAME")


async def test_item7_oncall_in_private_answers_for_the_askers_own_teams(oncall: Bot) -> None:
    bot = oncall
    await bot.say(CAROL, "/oncall")
    assert bot.last_text(CAROL) == "ops: Bob"
    await bot.say(ALICE, "/oncall ops")  # the owner
    assert bot.last_text(ALICE) == "ops: Bob"
    bot.tg.add_user(EVE, "Eve", username="eve_k")
    await bot.say(EVE, "/oncall ops")
    assert bot.last_text(EVE) == "Only members of ops, its owner and the admins see who is on call."


async def test_item12_team_zone_in_the_teams_group(oncall: Bot) -> None:
    bot = oncall
    await bot.say(ALICE, "/team zone ops Europe/Berlin", chat_id=GROUP)
    assert bot.last_text(GROUP) == "ops's time zone is now Europe/Berlin. ops: Bob"
    await bot.say(ALICE, "/rotation ops daily 09:00", chat_id=GROUP)
    assert "ops hands over daily at 09:00 (Europe/Berlin)" in bot.last_text(GROUP)


async def test_item9_forget_leaves_the_team_and_its_owner_is_told(oncall: Bot) -> None:
    bot = oncall
    await bot.say(BOB, "/forget")
    assert bot.last_text(BOB).startswith("Done: I have forgotten you.")
    assert bot.last_text(ALICE) == "Bob left ops: they asked me to forget them."
    await bot.say(ALICE, "/team ops", chat_id=GROUP)
    listing = bot.last_text(GROUP)
    assert "Bob" not in listing and str(BOB) not in listing
    assert "1. Carol ✅" in listing and "On call: Carol" in listing
    await bot.say(BOB, "/start")  # a new person: not back in the team
    await bot.say(ALICE, "/team ops", chat_id=GROUP)
    assert "Bob" not in bot.last_text(GROUP)
