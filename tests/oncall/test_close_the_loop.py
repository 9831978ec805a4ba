"""Issue 22 item 5: a page answered or acknowledged tells everyone it rang, and its pager, who
took it (once), and its token messages lose their buttons."""

from __future__ import annotations

import pytest

from bot.core.buttons import Press, PressKind
from bot.core.errors import StoreUnavailable
from bot.core.messages import Button
from bot.core.people import UserRecord
from bot.core.records import CallRecord

from ..domain import World
from ..helpers import ALICE, BOB
from .conftest import CAROL, DAVE, make_ops


async def test_an_answered_page_tells_the_others_once_and_its_buttons_go(world: World) -> None:
    ops = await make_ops(world, BOB, CAROL, DAVE)
    notice = await ops.page()
    await ops.until(lambda: len(ops.rung()) == 1, what="Bob rung")
    world.kv.state.finish(ops.calls_to(BOB)[0].id, "rejected")
    await ops.until(lambda: len(ops.rung()) == 2, what="Carol rung")
    world.kv.state.answer(ops.calls_to(CAROL)[0].id)
    await ops.until_over(notice)
    for _ in range(3):  # a few more turns of every worker: nothing is said twice
        ops.clock.advance(5)
        await world.settle()
    word = "📟 Carol answered the page of ops. Nothing more to do."
    messenger = world.messenger
    assert messenger.texts(BOB).count(word) == 1
    assert messenger.texts(ALICE).count(word) == 1
    assert word not in messenger.texts(CAROL) and messenger.texts(DAVE) == []  # never rung
    # no message of the page's calls has a button left
    for person in (BOB, CAROL):
        kept = [m for (chat, _), m in messenger.current.items() if chat == person and m.buttons]
        assert kept == []


async def test_an_acknowledged_page_then_answered_says_one_word_each(world: World) -> None:
    """Bob is rung, presses "I'm on it", then answers the call: Alice (the pager) reads one
    "Bob … ops … Nothing more to do", Bob none, and no private message keeps a page button."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    notice = await ops.page()
    await ops.until(lambda: len(ops.rung()) == 1, what="Bob rung")
    (token,) = [m for m in world.messenger.to(BOB) if m.buttons]
    data = token.buttons[0].data
    assert data is not None
    answer = await world.services.pages.press(
        BOB, Press(PressKind.PAGE_ACK, int(data.split(":")[-1]))
    )
    assert answer.key == "page_ack_done", answer
    world.kv.state.answer(ops.calls_to(BOB)[0].id)
    for _ in range(6):
        ops.clock.advance(5)
        await world.settle()
    texts = world.messenger.texts(ALICE)
    words = [x for x in texts if "Bob" in x and "ops" in x and "Nothing more to do" in x]
    assert len(words) == 1, texts
    assert not [x for x in world.messenger.texts(BOB) if "Nothing more to do" in x]
    kept = [
        (c, m.html[:80]) for (c, _), m in world.messenger.current.items() if m.buttons and c > 0
    ]
    assert kept == [], kept
    assert ops.notice(notice)


async def test_a_call_whose_buttons_cannot_be_rebuilt_still_leaves_everyone_told(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails while the answered page rebuilds the buttons of Bob's missed call:
    Bob's message keeps its buttons (a late press is told the page is over), but Bob and
    Alice still get their one word on who took it."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    notice = await ops.page()
    await ops.until(lambda: len(ops.rung()) == 1, what="Bob rung")
    world.kv.state.finish(ops.calls_to(BOB)[0].id, "rejected")
    await ops.until(lambda: len(ops.rung()) == 2, what="Carol rung")
    calls = world.services.pages.calls
    rebuild = calls.join_buttons

    async def failing_for_bob(call: CallRecord, person: UserRecord) -> tuple[Button, ...]:
        if call.callee_id == BOB:
            raise StoreUnavailable("the database hiccups")
        return await rebuild(call, person)

    monkeypatch.setattr(calls, "join_buttons", failing_for_bob)
    world.kv.state.answer(ops.calls_to(CAROL)[0].id)
    await ops.until_over(notice)
    for _ in range(3):
        ops.clock.advance(5)
        await world.settle()
    word = "📟 Carol answered the page of ops. Nothing more to do."
    assert world.messenger.texts(BOB).count(word) == 1
    assert world.messenger.texts(ALICE).count(word) == 1
