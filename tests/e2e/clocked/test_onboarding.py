"""Issue 11 end to end over both simulators: verified numbers with Telegram's "share my number"
keyboard, phone usernames reaching Kavenegar, and a newcomer reaching a member through a
support line, on one moved clock."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, BOB, GROUP, until, visible
from ..conftest import Bot, bot_running

ADMIN, CAROL, DAVE = 4100, 4003, 4004
NUMBERS = {ALICE: "989120822930", BOB: "989350000002", ADMIN: "989121111111", CAROL: "16502530000"}


def posts(kv: KavenegarSandbox, path: str) -> list[dict[str, Any]]:
    return [
        json.loads(r["body"])
        for r in kv.requests
        if r["method"] == "POST" and r["path"].endswith(path)
    ]


async def sign_up(bot: Bot, user_id: int, name: str, username: str, *, lang: str = "en") -> None:
    bot.tg.add_user(user_id, name, username=username, phone_number=NUMBERS.get(user_id),
                    language_code=lang)  # fmt: skip
    await bot.say(user_id, "/start")


@pytest.fixture
async def phones(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    async with bot_running(
        tg,
        kv,
        db_url,
        clock=clock,
        kavenegar_username_source="phone",
        admin_user_ids=frozenset({ADMIN}),
    ) as bot:
        await sign_up(bot, ADMIN, "Admin", "admin_k")
        await bot.tg.share_contact(ADMIN)
        await bot.settle()
        yield bot


async def test_start_asks_for_the_number_with_telegrams_button(phones: Bot) -> None:
    bot = phones
    await sign_up(bot, ALICE, "Alice", "alice_k")
    ask = bot.last(ALICE)
    assert "please share your phone number with the button below" in visible(ask.text)
    assert ask.reply_keyboard == [{"text": "📱 Share my number", "request_contact": True}]
    assert bot.tg.reply_keyboard(ALICE) == ask.reply_keyboard


async def test_a_number_username_never_shows_in_a_group_nor_a_username_to_be(
    phones: Bot,
) -> None:
    """Issue 19 item 14: with usernames made of numbers, the welcome does not promise the
    tg<id> that will change, and /whoami in a group does not post the number."""
    bot = phones
    await sign_up(bot, ALICE, "Alice", "alice_k")
    welcome = "\n".join(visible(m.text) for m in bot.tg.sent_to(ALICE))
    assert f"tg{ALICE}" not in welcome
    assert "will be your phone number, once you share it" in welcome
    await bot.tg.share_contact(ALICE)
    await bot.settle()
    await bot.say(ALICE, "/whoami", chat_id=GROUP)
    in_group = bot.last_text(GROUP)
    assert "09120822930" not in in_group and "912" not in in_group
    assert "shown in our private chat only" in in_group
    await bot.say(ALICE, "/whoami")
    assert "09120822930" in bot.last_text(ALICE)


async def test_only_ones_own_contact_verifies_a_number(phones: Bot, clock: ManualClock) -> None:
    bot, kv = phones, phones.kv
    await sign_up(bot, ALICE, "Alice", "alice_k")
    await sign_up(bot, BOB, "Bob", "bob_k")
    # Bob's card from Alice's address book, and Bob's own card forwarded by Alice
    await bot.tg.send_contact(ALICE, NUMBERS[BOB], first_name="Bob", contact_user_id=BOB)
    await bot.settle()
    assert "That is not your own number" in bot.last_text(ALICE)
    assert bot.last(ALICE).reply_keyboard  # the button again
    bobs_card = await bot.tg.share_contact(BOB)
    await bot.tg.forward_contact(ALICE, bobs_card)
    await bot.settle()
    assert "That is not your own number" in bot.last_text(ALICE)
    # a card typed in by hand, without a Telegram account behind it
    await bot.tg.send_contact(ALICE, NUMBERS[ALICE], first_name="Me")
    await bot.settle()
    assert "That is not your own number" in bot.last_text(ALICE)
    alice = await bot.services.store.get_user(ALICE)
    assert alice is not None and alice.phone is None
    # until then Alice can neither call nor be called, and is told why
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    assert bot.last_text(GROUP).startswith("Please verify your phone number first")
    await bot.say(BOB, "/call @alice_k", chat_id=GROUP)
    assert bot.last_text(GROUP) == (
        "@alice_k has not verified a phone number yet, so I can't call them."
    )
    # her own, with the button: verified, keyboard gone, endpoint registered by the scheduler
    await bot.tg.share_contact(ALICE)
    await bot.settle()
    assert bot.last_text(ALICE) == (
        "✅ Thanks: +98 912 082 2930 is verified. Your Kavenegar username is 09120822930."
    )
    assert bot.last(ALICE).removes_keyboard
    assert bot.tg.reply_keyboard(ALICE) is None
    await until(bot, clock, lambda: len(posts(kv, "/endpoints")) == 3, what="registrations")
    registered = sorted(posts(kv, "/endpoints"), key=lambda body: body["username"])
    assert registered == [
        {"username": "09120822930", "displayName": "Alice", "mobileNumber": "09120822930"},
        {"username": "09121111111", "displayName": "Admin", "mobileNumber": "09121111111"},
        {"username": "09350000002", "displayName": "Bob", "mobileNumber": "09350000002"},
    ]
    # the call goes out under the usernames the operator's app knows
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    await until(bot, clock, lambda: bool(posts(kv, "/calls")), what="the call")
    (call,) = posts(kv, "/calls")
    assert (call["caller"]["username"], call["receptor"]["username"]) == (
        "09120822930",
        "09350000002",
    )
    # the number never reaches the group
    assert all("912" not in m.text for m in bot.tg.sent_to(GROUP))


async def test_a_number_can_belong_to_one_account_and_only_admins_see_it(phones: Bot) -> None:
    bot = phones
    await sign_up(bot, ALICE, "Alice", "alice_k")
    await bot.tg.share_contact(ALICE)
    # a second account of Alice's with the same number
    bot.tg.add_user(DAVE, "Dave", username="dave_k", phone_number=NUMBERS[ALICE])
    await bot.say(DAVE, "/start")
    await bot.tg.share_contact(DAVE)
    await bot.settle()
    assert "already used by another account" in bot.last_text(DAVE)
    told = visible(bot.last(ADMIN).text)
    assert "Dave (id 4004) shared the number +98 912 082 2930" in told
    await bot.say(DAVE, "/phone @alice_k")
    assert bot.last_text(DAVE) == "Numbers are shown to the bot's admins only."
    await bot.say(ADMIN, "/phone @alice_k")
    assert bot.last_text(ADMIN) == "Alice: +98 912 082 2930"
    await bot.say(ADMIN, "/phone @alice_k", chat_id=GROUP)  # never in a group, even an admin's
    assert bot.last_text(GROUP) == "I show numbers only in a private chat with me."
    await bot.say(ALICE, "/whoami")
    assert bot.last_text(ALICE).endswith("Phone: +98 912 082 2930")
    await bot.say(ALICE, "/forget")
    await bot.say(ADMIN, f"/phone {ALICE}")
    assert bot.last_text(ADMIN) == f"I don't know {ALICE}."
    await bot.say(DAVE, "/phone")  # the number is free again
    await bot.tg.share_contact(DAVE)
    await bot.settle()
    assert "is verified" in bot.last_text(DAVE)


# -- a support line ------------------------------------------------------------------------------


@pytest.fixture
async def line(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    """Team "support" (Alice, then Bob) is a line; only Alice and Bob may use the bot."""
    async with bot_running(
        tg,
        kv,
        sqlite_url,
        clock=clock,
        allowed_user_ids=frozenset({ALICE, BOB}),
        admin_user_ids=frozenset({ALICE}),
        offer_timeout=20,
    ) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/team new support", chat_id=GROUP)
        await bot.say(ALICE, "/team add support @alice_k @bob_k", chat_id=GROUP)
        await bot.say(ALICE, "/line support on", chat_id=GROUP)
        yield bot


async def test_a_newcomer_reaches_a_member_through_the_line_link(
    line: Bot, clock: ManualClock
) -> None:
    bot, tg = line, line.tg
    shown = bot.last_text(GROUP)
    assert "support is a support line, open at all times." in shown
    assert "https://t.me/KavenegarCallBot?start=line-support" in shown
    tg.add_user(CAROL, "Carol", username="carol_k")  # an outsider: not in ALLOWED_USER_IDS
    await bot.say(CAROL, "/start line-support")
    assert bot.last_text(CAROL) == "📞 Connecting you with support… You are number 1 in the queue."

    def offered(member: int) -> bool:
        return any(m.callback_buttons for m in tg.sent_to(member))

    await until(bot, clock, lambda: offered(ALICE), what="Alice's offer")
    alice_offer = tg.sent_to(ALICE)[-1]
    assert visible(alice_offer.text).startswith("📞 Carol asks support for a call")
    clock.advance(20)  # Alice lets it pass
    await until(bot, clock, lambda: offered(BOB), what="Bob's offer")
    bob_offer = tg.sent_to(BOB)[-1]
    press = await tg.press_button(BOB, BOB, bob_offer.message_id, text="✅ Accept")
    await until(bot, clock, lambda: bool(posts(bot.kv, "/calls")), what="the call")
    answer = tg.answer_to(press["id"])
    assert answer is not None and answer.text == "It's yours: the call is being placed."
    endpoints = bot.kv.state.endpoints
    for person in (CAROL, BOB):  # each gets their own token, in private only
        token = endpoints[f"tg{person}"].access_token
        assert any(f"<code>{token}</code>" in m.raw_text for m in tg.sent_to(person))
        assert all(token not in m.raw_text for m in tg.sent_to(GROUP) + tg.sent_to(ALICE))
    assert visible(tg.current(ALICE, alice_offer.message_id).text) == "Bob took this call."
    # the outsider may use the line, and nothing else
    await bot.say(CAROL, "/call @alice_k")
    assert bot.last_text(CAROL).startswith("Sorry, this bot is only for its team.")
    await bot.say(BOB, "/queue support", chat_id=GROUP)
    assert bot.last_text(GROUP) == "Nobody is waiting on support."
    # they talk; when the call ends, Carol rates it
    (call,) = bot.kv.state.calls.values()
    bot.kv.state.answer(call.id)
    clock.advance(60)
    bot.kv.state.hangup(call.id)

    def rating_asked() -> bool:
        return any("How was your call" in m.text for m in tg.sent_to(CAROL))

    await until(bot, clock, rating_asked, step=2.0, what="the rating")
    rating = tg.sent_to(CAROL)[-1]
    assert visible(rating.text) == "How was your call with Bob? Tap 1 to 5 stars."
    press = await tg.press_button(CAROL, CAROL, rating.message_id, text="★★★★★")
    await bot.settle()
    answer = tg.answer_to(press["id"])
    assert answer is not None and answer.text == "Thanks for rating the call ★★★★★"
    await bot.say(ALICE, "/stats")
    stats = bot.last_text(ALICE).split("\n\nSupport lines\n")[1]
    # the wait: Alice's 20 s offer, and the steps of the moved clock
    assert re.fullmatch(
        r"Line support: 1 requests, 1 calls, 100% answered, median wait \d+ seconds, "
        r"rating 5\.0★ \(1\)",
        stats,
    ), stats


async def test_accept_after_the_line_was_turned_off_places_nothing(
    line: Bot, clock: ManualClock
) -> None:
    """Issue 18 item 11 end to end: an offer is only good while its line is on."""
    bot, tg = line, line.tg
    tg.add_user(CAROL, "Carol", username="carol_k")
    await bot.say(CAROL, "/start line-support")

    def offered(member: int) -> bool:
        return any(m.callback_buttons for m in tg.sent_to(member))

    await until(bot, clock, lambda: offered(ALICE), what="Alice's offer")
    offer = tg.sent_to(ALICE)[-1]
    await bot.say(ALICE, "/line support off", chat_id=GROUP)
    press = await tg.press_button(ALICE, ALICE, offer.message_id, text="✅ Accept")
    await bot.settle()
    answer = tg.answer_to(press["id"])
    assert answer is not None and answer.show_alert
    assert answer.text == "This line has been turned off, so no call was placed."
    assert not tg.current(ALICE, offer.message_id).callback_buttons  # the button is gone
    assert posts(bot.kv, "/calls") == []  # nothing paid


async def test_outsiders_may_use_an_open_line_and_nothing_else(line: Bot) -> None:
    bot, tg = line, line.tg
    tg.add_user(CAROL, "Carol", username="carol_k")
    await bot.say(CAROL, "/start line-nope")  # not an open line: the refusal, no welcome
    assert bot.last_text(CAROL).startswith("Sorry, this bot is only for its team.")
    await bot.say(CAROL, "/start")
    assert bot.last_text(CAROL).startswith("Sorry, this bot is only for its team.")
    # someone an admin denied by name does not get in through a line either
    tg.add_user(DAVE, "Dave", username="dave_k")
    await bot.say(ALICE, f"/deny {DAVE}")
    await bot.say(DAVE, "/start line-support")
    assert bot.last_text(DAVE).startswith("Sorry, this bot is only for its team.")
    answered = len(tg.sent_to(DAVE))
    await tg.send_contact(DAVE, "989120000004", first_name="Dave", contact_user_id=DAVE)
    await bot.settle()
    assert len(tg.sent_to(DAVE)) == answered  # nothing recorded, nothing registered
    dave = await bot.services.store.get_user(DAVE)
    assert dave is None or dave.phone is None
    await bot.say(CAROL, "/start line-support")
    assert bot.last_text(CAROL).startswith("📞 Connecting you with support…")


# -- restarts: what is due later is a row, and a new process takes it up -----------------------


async def test_a_registration_cut_off_by_a_stop_is_made_by_the_next_process(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    async with bot_running(tg, kv, sqlite_url, clock=clock) as bot:
        await sign_up(bot, ALICE, "Alice", "alice_k")
        await bot.say(ALICE, "/phone")
        await tg.share_contact(ALICE)
        await bot.settle()
        assert "is verified" in bot.last_text(ALICE)
        kv.faults.latency = 30.0  # Kavenegar hangs: the registration is in flight ...
        clock.advance(1)
        await tg.wait_until(lambda: bool(posts(kv, "/endpoints")), what="the registration")
        await bot.stop()  # ... when the process goes away, holding the row's lease
    kv.faults.latency = 0.0
    assert f"tg{ALICE}" not in kv.state.endpoints
    async with bot_running(tg, kv, sqlite_url, clock=clock) as again:
        await until(
            again, clock, lambda: f"tg{ALICE}" in kv.state.endpoints, step=5.0, what="a retry"
        )
    assert kv.state.endpoints[f"tg{ALICE}"].mobile_number == "09120822930"


async def test_a_line_request_goes_on_in_the_next_process(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> None:
    def offered(member: int) -> bool:
        return any(m.callback_buttons for m in tg.sent_to(member))

    async with bot_running(tg, kv, sqlite_url, clock=clock, offer_timeout=20) as bot:
        await bot.onboard_pair()
        await bot.say(ALICE, "/team new support", chat_id=GROUP)
        await bot.say(ALICE, "/team add support @alice_k @bob_k", chat_id=GROUP)
        await bot.say(ALICE, "/line support on", chat_id=GROUP)
        tg.add_user(CAROL, "Carol", username="carol_k")
        await bot.say(CAROL, "/start line-support")
        await until(bot, clock, lambda: offered(ALICE), what="Alice's offer")
        await recorded_offer(bot)
    # the process is gone while Alice's offer runs; the next one picks the request up
    async with bot_running(tg, kv, sqlite_url, clock=clock, offer_timeout=20) as again:
        clock.advance(20)
        await until(again, clock, lambda: offered(BOB), what="Bob's offer")
        offer = next(m for m in reversed(tg.sent_to(BOB)) if m.callback_buttons)
        await tg.press_button(BOB, BOB, offer.message_id, text="✅ Accept")
        await until(again, clock, lambda: bool(kv.state.calls), what="the call")
        await again.settle()
    assert len(kv.state.calls) == 1
    assert visible(tg.current(ALICE, alice_offer_id(tg)).text) == "Bob took this call."


async def recorded_offer(bot: Bot) -> None:
    """Until the offer's message id is in the database (its tick is over)."""
    for _ in range(200):
        offers = await bot.services.store.lines.offers_of(1)
        if offers and offers[0].message_id is not None:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the offer was never recorded")


def alice_offer_id(tg: TelegramSimulator) -> int:
    return next(m.message_id for m in tg.sent_to(ALICE) if m.callback_buttons)
