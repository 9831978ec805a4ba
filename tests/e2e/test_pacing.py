"""Issue 12: pacing under Telegram's flood limits, one line per chat, spam collapsing, bounded
intake. Behaviour only (counts and order, never timings; those are in bench/).

The simulator enforces the limits as strict sliding windows (``tg.state.flood``); where a test
shrinks a window to stay quick, the bot's pacer and the simulator get the same one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from telegram import Bot as PTBBot, Update

from bot.app import build_bot
from bot.core.messages import Button, Delivery, MessageKind, OutgoingMessage
from bot.runtime import running
from bot.simulator import TelegramSimulator
from bot.telegram.delivery import TelegramMessenger
from bot.telegram.intake import UPDATES_IN_HAND, FairUpdateProcessor, UpdateQueue
from bot.telegram.pacing import Limits, Pacer, RecentAnswers, Window
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, BOB, BOT_TOKEN, GROUP, MonotonicClock, visible
from .conftest import Bot, make_settings, webhook_settings

ANN = 7


# -- the messenger alone, against the simulator ---------------------------------------------


@pytest.fixture
async def ann(tg: TelegramSimulator) -> TelegramSimulator:
    """The simulator with Ann, who pressed Start (the bot may write to her)."""
    tg.add_user(ANN, "Ann", username="ann_k")
    await tg.user_sends(ANN, "/start")
    return tg


@asynccontextmanager
async def messenger(
    tg: TelegramSimulator, limits: Limits, **kwargs: Any
) -> AsyncIterator[TelegramMessenger]:
    """A messenger paced by ``limits``; the simulator enforces the same windows."""
    flood = tg.state.flood
    flood.enabled = True
    flood.overall = tuple((w.count, w.seconds) for w in limits.overall) or ((10**6, 1.0),)
    flood.group = tuple((w.count, w.seconds) for w in limits.group) or ((10**6, 1.0),)
    flood.private = tuple((w.count, w.seconds) for w in limits.private) or ((10**6, 1.0),)
    async with PTBBot(BOT_TOKEN, base_url=tg.base_url) as ptb:
        yield TelegramMessenger(ptb, pacer=Pacer(limits), **kwargs)


def texts(tg: TelegramSimulator, chat_id: int) -> list[str]:
    return [m.text for m in tg.sent_to(chat_id)]


async def test_a_burst_keeps_every_window_and_each_chat_s_order(ann: TelegramSimulator) -> None:
    tg = ann
    for group in (-1, -2):
        tg.add_group(group, f"Team {group}")
    limits = Limits(overall=(Window(6, 0.5),), group=(Window(4, 0.5),), private=(Window(2, 0.5),))
    async with messenger(tg, limits) as out:
        first = await out.send(-1, OutgoingMessage("to edit"))
        assert first.message_id is not None
        jobs: list[Awaitable[object]] = []
        for i in range(8):
            jobs += [
                out.send(-1, OutgoingMessage(f"one {i}")),
                out.send(-2, OutgoingMessage(f"two {i}")),
                out.send(ANN, OutgoingMessage(f"ann {i}")),
                out.edit(-1, first.message_id, OutgoingMessage(f"edited {i}")),
            ]
        results = await asyncio.gather(*jobs)
    assert tg.state.flood.violations == 0, "the pacer let a message over a window"
    assert out.pacer.stats.flood_errors == 0
    assert {getattr(r, "delivery", r) for r in results} == {Delivery.SENT}
    # one line per chat: each chat's messages arrive in the order they were sent
    assert texts(tg, -2) == [f"two {i}" for i in range(8)]
    assert texts(tg, ANN) == [f"ann {i}" for i in range(8)]
    sends = [t for t in texts(tg, -1) if t.startswith("one")]
    assert sends == [f"one {i}" for i in range(8)]
    assert tg.current(-1, first.message_id).text == "edited 7"  # edits count, in order too


async def test_token_messages_go_ahead_of_everything_waiting(ann: TelegramSimulator) -> None:
    tg = ann
    groups = [-1, -2, -3, -4, -5]
    for group in groups:
        tg.add_group(group, f"Team {group}")
    limits = Limits(overall=(Window(1, 0.2),))  # one message at a time, bot-wide
    async with messenger(tg, limits) as out:
        answers = [asyncio.create_task(out.send(g, OutgoingMessage(f"answer {g}"))) for g in groups]
        await asyncio.sleep(0)  # they are all in line (the first is already on its way)
        token = OutgoingMessage("your token", carries_secret=True)
        assert (await out.send(ANN, token)).delivery is Delivery.SENT
        await asyncio.gather(*answers)
    order = [m.text for m in tg.state.sent]
    assert order.index("your token") == 1, order  # right after the one already in flight
    assert tg.state.flood.violations == 0


async def test_courtesies_give_way_when_their_chat_is_spent_and_tokens_never_do(
    ann: TelegramSimulator,
) -> None:
    tg = ann
    limits = Limits(private=(Window(1, 2.0),))  # longer than a courtesy's patience (1 s)
    async with messenger(tg, limits) as out:
        assert (await out.send(ANN, OutgoingMessage("welcome"))).delivery is Delivery.SENT
        help_ = OutgoingMessage("help", kind=MessageKind.COURTESY)
        refusal = OutgoingMessage("no", kind=MessageKind.REFUSAL, addressee=ANN)
        assert (await out.send(ANN, help_)).delivery is Delivery.COLLAPSED
        assert (await out.send(ANN, refusal)).delivery is Delivery.COLLAPSED
        token = OutgoingMessage("token", kind=MessageKind.COURTESY, carries_secret=True)
        call_notice = OutgoingMessage("calling", kind=MessageKind.CALL)
        results = await asyncio.gather(out.send(ANN, token), out.send(ANN, call_notice))
    assert [r.delivery for r in results] == [Delivery.SENT, Delivery.SENT]  # waited, not dropped
    assert texts(tg, ANN) == ["welcome", "token", "calling"]
    assert out.pacer.stats.dropped == 2
    assert tg.state.flood.violations == 0


async def test_identical_courtesies_waiting_for_one_chat_are_coalesced(
    ann: TelegramSimulator,
) -> None:
    tg = ann
    tg.add_group(-1, "Team")
    async with messenger(tg, Limits(group=(Window(2, 0.3),))) as out:
        help_ = OutgoingMessage("help", kind=MessageKind.COURTESY)
        results = await asyncio.gather(*(out.send(-1, help_) for _ in range(6)))
    deliveries = [r.delivery for r in results]
    # at most the first (in flight) and one waiting go out; the rest join the one waiting
    assert 1 <= deliveries.count(Delivery.SENT) <= 2
    assert len(texts(tg, -1)) == deliveries.count(Delivery.SENT)
    assert set(deliveries) <= {Delivery.SENT, Delivery.COLLAPSED}


async def test_identical_refusals_to_one_person_in_one_chat_go_out_once(
    ann: TelegramSimulator,
) -> None:
    tg = ann
    clock = MonotonicClock()
    recent = RecentAnswers(30.0, clock=clock)
    async with messenger(tg, Limits(), recent=recent) as out:

        def refusal(text: str, to: int) -> OutgoingMessage:
            return OutgoingMessage(text, kind=MessageKind.REFUSAL, addressee=to)

        same = refusal("I don't know @nobody yet.", ANN)
        burst = await asyncio.gather(*(out.send(GROUP, same) for _ in range(5)))
        later = await out.send(GROUP, same)
        other_person = await out.send(GROUP, refusal("I don't know @nobody yet.", BOB))
        other_text = await out.send(GROUP, refusal("Whom should I call?", ANN))
        clock.now += 31  # the same refusal, half a minute later, is sent again
        again = await out.send(GROUP, same)
    assert sorted(r.delivery for r in burst) == [Delivery.COLLAPSED] * 4 + [Delivery.SENT]
    assert later.delivery is Delivery.COLLAPSED
    assert [r.delivery for r in (other_person, other_text, again)] == [Delivery.SENT] * 3
    assert texts(tg, GROUP) == [
        "I don't know @nobody yet.",
        "I don't know @nobody yet.",
        "Whom should I call?",
        "I don't know @nobody yet.",
    ]
    assert out.pacer.stats.collapsed == 5


async def test_a_429_holds_back_only_its_chat_and_is_counted(ann: TelegramSimulator) -> None:
    tg = ann
    tg.add_fault(method="sendMessage", chat_id=ANN, status=429, retry_after=1, times=1,
                 description="Too Many Requests: retry after 1")  # fmt: skip
    async with messenger(tg, Limits()) as out:
        held = asyncio.create_task(out.send(ANN, OutgoingMessage("held")))
        await tg.wait_until(lambda: bool(tg.calls_of("sendMessage")), what="the first try")
        free = await out.send(GROUP, OutgoingMessage("free"))
        assert not held.done()  # the group did not wait for Ann's chat
        assert (await held).delivery is Delivery.SENT
    assert free.delivery is Delivery.SENT
    assert [m.text for m in tg.state.sent] == ["free", "held"]
    assert out.pacer.stats.flood_errors == 1
    assert [p["chat_id"] for p in tg.calls_of("sendMessage")] == [ANN, GROUP, ANN]


async def test_a_send_given_up_while_waiting_takes_no_turn(ann: TelegramSimulator) -> None:
    tg = ann
    async with messenger(tg, Limits(overall=(Window(1, 0.3),))) as out:
        first = asyncio.create_task(out.send(ANN, OutgoingMessage("first")))
        gone = asyncio.create_task(out.send(GROUP, OutgoingMessage("gone")))
        await settle_loop()
        gone.cancel()  # e.g. a scheduler stopped while its message waited for a turn
        last = await out.send(GROUP, OutgoingMessage("last"))
        assert (await first).delivery is Delivery.SENT
    assert last.delivery is Delivery.SENT
    assert [m.text for m in tg.state.sent] == ["first", "last"]
    assert tg.state.flood.violations == 0


async def test_answers_to_button_presses_are_not_held_by_the_windows(
    ann: TelegramSimulator,
) -> None:
    tg = ann
    async with messenger(tg, Limits(overall=(Window(1, 60.0),))) as out:
        sent = await out.send(ANN, OutgoingMessage("ring", (Button("Answer", data="a"),)))
        assert sent.message_id is not None
        press = await tg.press_button(ANN, ANN, sent.message_id, text="Answer")
        # the bot-wide window is spent for a minute; the answer does not wait for it
        await asyncio.wait_for(out.answer_callback(press["id"], "ok"), timeout=10)
    answer = tg.answer_to(press["id"])
    assert answer is not None and answer.text == "ok"


# -- the bot end to end ----------------------------------------------------------------------


@asynccontextmanager
async def paced_bot(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, limits: Limits
) -> AsyncIterator[Bot]:
    """The real bot, paced by ``limits`` (which the simulator enforces too)."""
    flood = tg.state.flood
    flood.enabled = True
    flood.overall = tuple((w.count, w.seconds) for w in limits.overall)
    flood.group = tuple((w.count, w.seconds) for w in limits.group)
    flood.private = tuple((w.count, w.seconds) for w in limits.private)
    call_bot = build_bot(make_settings(tg, kv, sqlite_url), pacing=limits)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(running(call_bot, poll_timeout=1.0))
        yield Bot(tg=tg, kv=kv, call_bot=call_bot, db_url=sqlite_url, stack=stack)


async def test_a_burst_past_telegram_s_limits_draws_no_flood_error(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    people = list(range(20_000, 20_045))  # 90 answers: three seconds' worth at 30 a second
    for person in people:
        tg.add_user(person, f"P{person}", username=f"person_{person}")
    async with paced_bot(tg, kv, sqlite_url, Limits()) as bot:
        await asyncio.gather(*(tg.user_sends(p, "/start") for p in people))
        await asyncio.gather(*(tg.user_sends(p, "/whoami") for p in people))
        await tg.wait_until(
            lambda: all(len(tg.sent_to(p)) == 2 for p in people), timeout=60, what="answers"
        )
        await bot.settle()
        assert tg.state.flood.violations == 0, "the bot went over Telegram's limits"
        assert all(f"tg{p}" in visible(tg.sent_to(p)[1].text) for p in people)
        # nothing per person is kept by python-telegram-bot, or by the update lines
        assert not bot.app.user_data and not bot.app.chat_data
        assert bot.app.update_processor.busy_chats == 0


async def test_a_noisy_group_does_not_hold_up_another_chat(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    limits = Limits(group=(Window(5, 2.0),))
    async with paced_bot(tg, kv, sqlite_url, limits) as bot:
        await bot.onboard_pair()
        for _ in range(12):  # more answers than the group's window takes
            await tg.user_sends(ALICE, "/call @nobody_here", chat_id=GROUP)
        await tg.user_sends(BOB, "/whoami")
        await tg.wait_until(lambda: f"tg{BOB}" in bot.last_text(BOB), what="bob's answer")
        bob_answer = next(i for i, m in enumerate(tg.state.sent) if f"tg{BOB}" in m.text)
        group_first = [m for m in tg.state.sent[:bob_answer] if m.chat_id == GROUP]
        # Bob did not wait for the group's line: at most its first window went out before him
        assert len(group_first) <= 5
        await bot.settle()
    assert tg.state.flood.violations == 0
    assert 1 <= len(tg.sent_to(GROUP)) <= 12  # every refusal, or the identical ones collapsed


async def test_a_person_repeating_a_refused_call_is_answered_once(
    bot_at_telegram_pace: Bot,
) -> None:
    bot = bot_at_telegram_pace
    await bot.onboard_pair()
    for _ in range(10):
        await bot.tg.user_sends(ALICE, "/call @nobody_here", chat_id=GROUP)
    await bot.say(BOB, "/call @nobody_here", chat_id=GROUP)
    replies = [visible(m.text) for m in bot.tg.sent_to(GROUP)]
    assert len(replies) == 2  # one for Alice, one for Bob
    assert all("I don't know @nobody_here yet." in r for r in replies)


async def test_a_group_out_of_budget_holds_no_one_s_tokens(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    calls = 8  # twice the updates one chat may have in hand, and four times its window
    pairs = [(30_000 + i, 31_000 + i) for i in range(calls)]
    for caller, callee in pairs:
        for user_id in (caller, callee):
            tg.add_user(user_id, f"P{user_id}", username=f"person_{user_id}")
    async with paced_bot(tg, kv, sqlite_url, Limits(group=(Window(2, 1.5),))) as bot:
        people = [p for pair in pairs for p in pair]
        await asyncio.gather(*(tg.user_sends(p, "/start") for p in people))
        await tg.wait_until(lambda: all(tg.sent_to(p) for p in people), what="welcomes")
        await asyncio.gather(
            *(tg.user_sends(a, f"/call @person_{b}", chat_id=GROUP) for a, b in pairs)
        )
        await tg.wait_until(
            lambda: len(tg.sent_to(GROUP)) == calls, timeout=30, what="every notice"
        )
        await bot.settle()
    sent = tg.state.sent
    tokens = [i for i, m in enumerate(sent) if m.chat_id in people and "calling" in m.text]
    notices = [i for i, m in enumerate(sent) if m.chat_id == GROUP]
    assert len(tokens) == 2 * calls
    # the notices waiting for the group's window held no update slot: every token went out
    # before the group's window let its third notice through
    assert max(tokens) < notices[2]
    assert tg.state.flood.violations == 0


# -- intake: bounded, one line per chat ------------------------------------------------------


def update(update_id: int, chat_id: int) -> Update:
    chat = {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "t"}
    data = {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 0, "chat": chat, "text": "hi",
                    "from": {"id": abs(chat_id), "is_bot": False, "first_name": "P"}},
    }  # fmt: skip
    result = Update.de_json(data, None)
    assert result is not None
    return result


async def settle_loop(rounds: int = 20) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


@pytest.mark.parametrize("webhook", [False, True])
def test_both_modes_take_updates_through_the_bounded_queue_and_the_fair_processor(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, webhook: bool
) -> None:
    extra = webhook_settings(8443) if webhook else {}
    app = build_bot(make_settings(tg, kv, sqlite_url, **extra)).app
    # the updater (polling) and bot.telegram.webhook both await update_queue.put: it waits when full
    assert isinstance(app.update_queue, UpdateQueue)
    assert app.update_queue.limit == UPDATES_IN_HAND
    assert isinstance(app.update_processor, FairUpdateProcessor)
    assert (app.updater is None) == webhook


async def test_update_queue_takes_no_more_than_its_limit_in_hand() -> None:
    queue = UpdateQueue(limit=2)
    await queue.put(update(1, 5))
    await queue.put(update(2, 5))
    third = asyncio.create_task(queue.put(update(3, 5)))
    await settle_loop()
    assert not third.done() and queue.in_hand == 2  # getUpdates would wait here
    queue.get_nowait()  # taken by the application: still in hand until handled
    await settle_loop()
    assert not third.done()
    stop = object()  # the application's stop signal never waits
    await asyncio.wait_for(queue.put(stop), timeout=5)
    queue.task_done()  # the first update handled
    await settle_loop()
    assert not third.done()  # the stop signal is in hand too, until the application takes it
    queue.get_nowait()
    queue.task_done()
    await asyncio.wait_for(third, timeout=5)
    assert queue.in_hand == 2


async def test_one_chat_s_updates_wait_in_its_own_line() -> None:
    processor = FairUpdateProcessor(slots=3, per_chat=2, in_hand=50)
    release = asyncio.Event()
    ran: list[int] = []

    def handler(chat_id: int) -> Callable[[], Awaitable[None]]:
        async def handle() -> None:
            ran.append(chat_id)
            if chat_id == -1:
                await release.wait()

        return handle

    noisy = [
        asyncio.create_task(processor.process_update(update(i, -1), handler(-1)()))
        for i in range(10)
    ]
    await settle_loop()
    assert ran == [-1, -1]  # the noisy chat holds two of the three slots, no more
    quiet = asyncio.create_task(processor.process_update(update(99, 5), handler(5)()))
    await asyncio.wait_for(quiet, timeout=5)
    assert ran == [-1, -1, 5]  # another chat went ahead of the noisy chat's line
    assert processor.current_concurrent_updates == 10  # in hand: handled or waiting
    release.set()
    await asyncio.wait_for(asyncio.gather(*noisy), timeout=5)
    assert ran.count(-1) == 10
    assert processor.current_concurrent_updates == 0 and processor.busy_chats == 0


def test_the_pacer_and_the_answer_memory_forget_what_no_window_needs() -> None:
    clock = MonotonicClock()
    pacer = Pacer(Limits(overall=()), clock=clock)

    async def touch(chats: range) -> None:
        for chat in chats:
            grant = await pacer.acquire(chat, 2)
            assert grant is not None
            grant.release()

    asyncio.run(touch(range(1, 1001)))
    assert pacer.chats == 1000
    clock.now += 120  # every window is empty again
    asyncio.run(touch(range(5000, 5001)))
    assert pacer.chats == 1
    recent = RecentAnswers(30.0, capacity=100, clock=clock)
    assert all(recent.first(("answer", i)) for i in range(1000))
    assert len(recent) <= 100


async def test_replicas_share_the_bot_wide_windows() -> None:
    """Each of N replicas keeps to 1/N of the bot-wide windows (at least one message); a bigger
    share, when another replica leaves, lets a waiting message go at once."""
    pacer = Pacer(Limits(overall=(Window(4, 1.0),), group=(), private=()), clock=lambda: 0.0)
    pacer.share(2)
    assert pacer.overall == (Window(2, 1.0),)
    held = [await pacer.acquire(chat, 0) for chat in (1, 2)]
    assert all(grant is not None for grant in held)
    third = asyncio.create_task(pacer.acquire(3, 0))
    await asyncio.sleep(0.05)
    assert not third.done()  # this replica's two are in flight; the clock does not move
    pacer.share(1)
    assert await asyncio.wait_for(third, 1) is not None
    pacer.share(0)  # (never fewer than one replica)
    assert pacer.overall == (Window(4, 1.0),)
    pacer.share(10)
    assert pacer.overall == (Window(1, 1.0),)  # never no message at all
