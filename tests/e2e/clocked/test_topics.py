"""Issue 19 items 1 and 2 end to end, over both simulators on one moved clock.

Forum topics: a team created in a topic lives there (its page notices and hand-overs, the
answers to commands typed there); two teams live in two topics of one group; a topic deleted or
closed gets the team's notices in "General" instead. Group upgrades: a basic group that
Telegram turns into a supergroup (a new chat id) keeps its team, its running page's notice,
its hand-overs and its access at the new id, moved once however many times Telegram says so.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.simulator import SentMessage, TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, BOB, GROUP, until, visible
from ..conftest import Bot, bot_running

CAROL, DAVE, ADMIN = 4003, 4004, 4009
FORUM = -100888


def texts(messages: list[SentMessage]) -> list[str]:
    return [visible(m.text) for m in messages]


def answers_to(bot: Bot, chat_id: int, command: dict[str, Any]) -> list[SentMessage]:
    """The bot's new messages quoting ``command`` (not their edits)."""
    return [
        m
        for m in bot.tg.sent_to(chat_id)
        if m.reply_to_message_id == command["message_id"] and not m.edited
    ]


def moves(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Each time the domain moved a group's records to its new id."""
    return [r.getMessage() for r in caplog.records if r.name == "bot.oncall.service"]


def chats_line(bot: Bot) -> str:
    """The chats /access lists, as the admin reads them."""
    return next(line for line in bot.last_text(ADMIN).splitlines() if line.startswith("Chats:"))


@pytest.fixture
async def forum(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    """The bot; Alice, Bob, Carol and Dave signed up; FORUM, a group with topics."""
    tg.add_group(FORUM, "Ops forum", forum=True)
    async with bot_running(tg, kv, sqlite_url, clock=clock, page_retries=0) as bot:
        await bot.onboard_pair()
        await bot.onboard(CAROL, "Carol", "carol_k")
        await bot.onboard(DAVE, "Dave", "dave_k")
        yield bot


async def topic(bot: Bot, name: str) -> int:
    thread = await bot.tg.create_topic(FORUM, name, by=ALICE)
    await bot.settle()
    return thread


async def test_a_team_made_in_a_topic_gets_its_notices_there(
    forum: Bot, clock: ManualClock
) -> None:
    bot = forum
    ops = await topic(bot, "ops")

    async def say(text: str) -> dict[str, Any]:
        return await bot.say(ALICE, text, chat_id=FORUM, thread_id=ops)

    made = await say("/team new ops")
    (answer,) = answers_to(bot, FORUM, made)
    assert answer.message_thread_id == ops
    assert visible(answer.text).startswith("Team ops created")
    await say("/team add ops @bob_k @carol_k")
    await until(
        bot,
        clock,
        lambda: any("On call for ops: Bob" in t for t in texts(bot.tg.sent_in(FORUM, ops))),
        what="the hand-over notice in the topic",
        step=2.0,
        limit=400,
    )
    paged = await say("/page ops database down")
    (notice,) = answers_to(bot, FORUM, paged)
    assert notice.message_thread_id == ops
    await until(
        bot, clock, lambda: len(bot.kv.state.calls) == 1, what="Bob rung", step=2.0, limit=400
    )
    (bob_call,) = bot.kv.state.calls.values()
    bot.kv.state.answer(bob_call.id)
    await until(
        bot,
        clock,
        lambda: "Answered by Bob" in visible(bot.tg.current(FORUM, notice.message_id).text),
        what="the page answered",
        step=2.0,
        limit=400,
    )
    assert bot.tg.current(FORUM, notice.message_id).message_thread_id == ops
    asked = await say("/oncall ops")
    (line,) = answers_to(bot, FORUM, asked)
    assert line.message_thread_id == ops and visible(line.text).startswith("ops: Bob")
    assert bot.tg.sent_in(FORUM, None) == []  # nothing of ops in "General"


async def test_two_teams_live_in_two_topics_of_one_group(forum: Bot, clock: ManualClock) -> None:
    bot = forum
    ops, web = await topic(bot, "ops"), await topic(bot, "web")
    for name, thread, people in (("ops", ops, "@bob_k"), ("web", web, "@carol_k @dave_k")):
        await bot.say(ALICE, f"/team new {name}", chat_id=FORUM, thread_id=thread)
        await bot.say(ALICE, f"/team add {name} {people}", chat_id=FORUM, thread_id=thread)
    await until(
        bot,
        clock,
        lambda: (
            any("On call for web: Carol" in t for t in texts(bot.tg.sent_in(FORUM, web)))
            and any("On call for ops: Bob" in t for t in texts(bot.tg.sent_in(FORUM, ops)))
        ),
        what="each hand-over in its topic",
        step=2.0,
        limit=400,
    )
    assert not any("web" in t for t in texts(bot.tg.sent_in(FORUM, ops)))
    assert not any("ops" in t for t in texts(bot.tg.sent_in(FORUM, web)))
    # /page typed in "General": the notice goes to the team's topic, the answer stays here
    typed = await bot.say(ALICE, "/page web site down", chat_id=FORUM)
    (pointer,) = answers_to(bot, FORUM, typed)
    assert pointer.message_thread_id is None
    assert visible(pointer.text) == "📟 Paging web: follow it in the team's topic."
    (notice,) = [m for m in bot.tg.sent_in(FORUM, web) if "paged web" in m.text and not m.edited]
    assert visible(notice.text).splitlines() == ["📟 Alice paged web", "Reason: site down"]
    assert notice.reply_to_message_id is None  # the /page is in another topic
    await until(
        bot,
        clock,
        lambda: "Ringing Carol" in visible(bot.tg.current(FORUM, notice.message_id).text),
        what="web's page going",
        step=2.0,
        limit=400,
    )
    assert bot.tg.current(FORUM, notice.message_id).message_thread_id == web
    # an answer to a refused command stays in the topic it was typed in
    refused = await bot.say(BOB, "/team add ops @dave_k", chat_id=FORUM, thread_id=web)
    (answer,) = answers_to(bot, FORUM, refused)
    assert answer.message_thread_id == web and "Only ops's owner" in visible(answer.text)
    # and so does /call's notice
    called = await bot.say(ALICE, "/call @dave_k", chat_id=FORUM, thread_id=ops)
    (calling,) = answers_to(bot, FORUM, called)
    assert calling.message_thread_id == ops and "Alice is calling Dave" in visible(calling.text)


async def test_a_deleted_or_closed_topic_gets_the_notices_in_general(
    forum: Bot, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.telegram.delivery")
    bot = forum
    ops, web = await topic(bot, "ops"), await topic(bot, "web")
    for name, thread in (("ops", ops), ("web", web)):
        await bot.say(ALICE, f"/team new {name}", chat_id=FORUM, thread_id=thread)
        await bot.say(ALICE, f"/team add {name} @bob_k @carol_k", chat_id=FORUM, thread_id=thread)
    await until(
        bot,
        clock,
        lambda: len([m for m in bot.tg.sent_to(FORUM) if "On call for" in m.text]) == 2,
        what="both hand-overs",
        step=2.0,
        limit=400,
    )
    assert [m.message_thread_id for m in bot.tg.sent_to(FORUM) if "On call for" in m.text] == [
        ops,
        web,
    ]
    bot.tg.delete_topic(FORUM, ops)
    await bot.tg.close_topic(FORUM, web, by=ALICE)
    await bot.say(ALICE, "/cover ops @carol_k 4h", chat_id=FORUM)
    await bot.say(ALICE, "/cover web @carol_k 4h", chat_id=FORUM)

    def handed_over() -> list[str]:
        """The hand-overs in "General", without their "until"."""
        shown = texts(bot.tg.sent_in(FORUM, None))
        return sorted(t.split(" until")[0] for t in shown if "On call for" in t)

    await until(
        bot,
        clock,
        lambda: len(handed_over()) == 2,
        what="both hand-overs in General",
        step=2.0,
        limit=400,
    )
    assert handed_over() == ["📟 On call for ops: Carol", "📟 On call for web: Carol"]
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.delivery"]
    fallbacks = [line for line in logged if "sending to General" in line]
    assert len(fallbacks) == 2  # once per message
    assert any("message thread not found" in line.lower() for line in fallbacks)
    assert any("topic_closed" in line.lower() for line in fallbacks)
    assert not any("Carol" in line for line in logged)  # no text of a message in the logs


@pytest.fixture
async def upgradable(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    """The bot in GROUP only (``ALLOWED_CHAT_IDS``), on SQLite then PostgreSQL; team ops (Bob,
    Carol) in GROUP, a basic group."""
    async with bot_running(
        tg,
        kv,
        db_url,
        clock=clock,
        page_retries=0,
        allowed_chat_ids=str(GROUP),
        admin_user_ids=str(ADMIN),
    ) as bot:
        await bot.onboard(ADMIN, "Ada", "ada_admin")
        await bot.onboard_pair()
        await bot.onboard(CAROL, "Carol", "carol_k")
        await bot.say(ALICE, "/team new ops", chat_id=GROUP)
        await bot.say(ALICE, "/team add ops @bob_k @carol_k", chat_id=GROUP)
        yield bot


async def test_a_group_upgraded_mid_page_keeps_its_team_page_and_access(
    upgradable: Bot, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    bot = upgradable
    paged = await bot.say(ALICE, "/page ops database down", chat_id=GROUP)
    (old_notice,) = answers_to(bot, GROUP, paged)
    await until(
        bot,
        clock,
        lambda: "Ringing Bob" in visible(bot.tg.current(GROUP, old_notice.message_id).text),
        what="Bob rung",
        step=2.0,
        limit=400,
    )
    new = await bot.tg.upgrade_group(GROUP, by=ALICE)  # both service messages arrive
    await bot.settle()
    (bob_call,) = bot.kv.state.calls.values()
    bot.kv.state.finish(bob_call.id, "rejected")

    def notice() -> SentMessage | None:
        posted = [m for m in bot.tg.current_in(new) if "paged ops" in m.text]
        return posted[-1] if posted else None

    await until(
        bot,
        clock,
        lambda: (n := notice()) is not None and "Ringing Carol" in visible(n.text),
        what="the page's notice, anew at the new id",
        step=2.0,
        limit=400,
    )
    carol_call = next(c for c in bot.kv.state.calls.values() if c.id != bob_call.id)
    bot.kv.state.answer(carol_call.id)
    await until(
        bot,
        clock,
        lambda: (n := notice()) is not None and "Answered by Carol" in visible(n.text),
        what="the notice edited in place at the new id",
        step=2.0,
        limit=400,
    )
    fresh = notice()
    assert fresh is not None and visible(fresh.text).splitlines() == [
        "📟 Alice paged ops",
        "Reason: database down",
        "Ringing Bob (attempt 1)…",
        "Bob didn't answer (declined).",
        "Ringing Carol (attempt 2)…",
        "✅ Answered by Carol after 2 attempts.",
    ]
    assert len([m for m in bot.tg.current_in(new) if "paged ops" in m.text]) == 1
    # the old group keeps its history as it was
    assert visible(bot.tg.current(GROUP, old_notice.message_id).text).endswith("(attempt 1)…")
    # the team, its hand-overs and the group's access (ALLOWED_CHAT_IDS named the old id)
    asked = await bot.say(ALICE, "/oncall ops", chat_id=new)
    (line,) = answers_to(bot, new, asked)
    assert visible(line.text).startswith("ops: Bob")
    await bot.say(BOB, "/cover ops @carol_k 4h", chat_id=new)
    await until(
        bot,
        clock,
        lambda: any("On call for ops: Carol" in t for t in texts(bot.tg.sent_to(new))),
        what="the hand-over at the new id",
        step=2.0,
        limit=400,
    )
    await bot.say(ADMIN, "/access")
    assert str(new) in chats_line(bot)  # allowed at its new id
    assert len(moves(caplog)) == 1  # two service messages: moved once


async def test_an_upgrade_learned_from_a_refused_message_is_done_once(
    upgradable: Bot, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The bot misses the service messages: the outcome of a call typed in the old group meets
    the 400 with the new id, is posted there, and the group follows; the service messages,
    delivered late, move nothing again."""
    caplog.set_level(logging.INFO, logger="bot")
    bot = upgradable
    await bot.say(ADMIN, "/allow", chat_id=GROUP)  # an admin's rule for the group, by its id
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    (call,) = bot.kv.state.calls.values()
    new = await bot.tg.upgrade_group(GROUP, by=ALICE, notify=False)
    bot.kv.state.finish(call.id, "rejected")
    await until(
        bot,
        clock,
        lambda: any("declined" in t for t in texts(bot.tg.sent_to(new))),
        what="the outcome at the new id",
        step=2.0,
        limit=400,
    )
    assert len(moves(caplog)) == 1
    for chat_id in (GROUP, new):  # Telegram's service messages, late
        service = next(
            m for m in bot.tg.state.messages[chat_id].values() if "migrate_to_chat_id" in m
            or "migrate_from_chat_id" in m
        )  # fmt: skip
        await bot.tg.redeliver({"update_id": 0, "message": service})
    await bot.settle()
    assert len(moves(caplog)) == 1  # done once
    asked = await bot.say(ALICE, "/team ops", chat_id=new)
    (listing,) = answers_to(bot, new, asked)
    assert "1. Bob" in visible(listing.text)
    rules = await bot.services.store.access_rules()
    assert [(r.kind, r.subject_id, r.allowed) for r in rules] == [("chat", new, True)]
    await bot.say(ADMIN, "/access")
    assert str(new) in chats_line(bot)  # the admin's rule followed the group
