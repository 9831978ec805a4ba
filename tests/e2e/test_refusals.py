"""Every refusal: a short, specific answer, and not a single Kavenegar request."""

from __future__ import annotations

import pytest

from ..helpers import GROUP, visible
from .conftest import Bot

ALICE, BOB, CAROL, DAVE = 2001, 2002, 2003, 2004
START_LINK = "https://t.me/KavenegarCallBot?start=call"


@pytest.fixture
async def team(bot: Bot) -> Bot:
    await bot.onboard(ALICE, "Alice", "alice_k")
    await bot.onboard(BOB, "Bob", "bob_k")
    bot.tg.add_user(DAVE, "Dave", username="dave_k")  # exists, but never pressed Start
    await bot.say(DAVE, "hello all", chat_id=GROUP)  # ... we have seen him in the group
    return bot


# The whole refusal table runs against the call service in tests/calls; these are the
# kinds that depend on Telegram itself (entities, the reply, the button) end to end.
@pytest.mark.parametrize(
    ("text", "expected", "button"),
    [
        ("/call", "Whom should I call?", False),
        ("/call @bob_k @dave_k", "I can call one person at a time", False),
        ("/call @nobody_here", "I don't know @nobody_here yet.", True),
        ("/call @dave_k", "@dave_k hasn't pressed Start in a private chat with me", True),
        ("/call @bob_k 10ſ", "I didn't understand “10ſ”.", False),
    ],
)
async def test_refusals_cost_no_kavenegar_request(
    team: Bot, text: str, expected: str, button: bool
) -> None:
    message = await team.say(ALICE, text, chat_id=GROUP)
    answer = team.last(GROUP)
    assert expected in visible(answer.text)
    assert answer.reply_to_message_id == message["message_id"]
    assert [b["url"] for b in answer.buttons] == ([START_LINK] if button else [])
    assert team.kv.requests == []
    assert await team.services.store.list_calls() == []
    assert "is calling you" not in team.last_text(BOB)


async def test_caller_who_never_pressed_start_is_sent_to_the_private_chat(team: Bot) -> None:
    await team.say(DAVE, "/call @bob_k", chat_id=GROUP)
    answer = team.last(GROUP)
    assert "Before you can call, open a private chat with me and press Start" in visible(
        answer.text
    )
    assert [b["url"] for b in answer.buttons] == [START_LINK]
    assert team.kv.requests == []


async def test_replying_to_a_bot_or_mentioning_one_is_refused(team: Bot) -> None:
    team.tg.add_user(2999, "Helper", username="helper_bot", is_bot=True)
    bot_message = await team.say(2999, "I am a bot", chat_id=GROUP)
    await team.say(ALICE, "/call", chat_id=GROUP, reply_to=bot_message["message_id"])
    assert team.last_text(GROUP) == "Bots can't take calls."
    await team.say(ALICE, "/call Helper", chat_id=GROUP, text_mentions={"Helper": 2999})
    assert team.last_text(GROUP) == "Bots can't take calls."
    assert team.kv.requests == []


async def test_a_person_known_only_by_reply_must_press_start(team: Bot) -> None:
    team.tg.add_user(CAROL, "Carol")  # no username, never seen before
    hello = await team.say(CAROL, "hi", chat_id=GROUP)
    await team.say(ALICE, "/call", chat_id=GROUP, reply_to=hello["message_id"])
    assert "Carol hasn't pressed Start" in team.last_text(GROUP)
    assert team.kv.requests == []


async def test_refusals_speak_the_callers_language(team: Bot) -> None:
    await team.onboard(CAROL, "Carol", "carol_k", language_code="fa")
    await team.say(CAROL, "/call", chat_id=GROUP)
    assert team.last_text(GROUP).startswith("با چه کسی تماس بگیرم؟")
