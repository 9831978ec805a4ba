"""A shift-swap request outlives the process that posted it.

What must happen later is a row run under a lease, not a task in memory: Bob asks ``/swap ops``
for his next shift, the bot stops before the deadline (or right after a replica claimed the
request's expiry under its lease and died without finishing it), and a new bot on the same
database, SQLite file then PostgreSQL, ends the request exactly once, told, or lets a Take
through before the deadline. One :class:`ManualClock` drives both bots and the sandbox.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.core.clock import ManualClock
from bot.oncall.swaps import SwapService
from bot.simulator import SentMessage, TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, BOB, GROUP, until, visible
from ..conftest import Bot, bot_running
from .test_oncall import CAROL, DAVE
from .test_oncall_more import answer_text, labels, press, reply

#: Bob's next shift starts Tue 2026-12-01 09:00 in Tehran (05:30 UTC): the request's deadline.
DEADLINE = datetime(2026, 12, 1, 5, 30)
SHIFT = "Tue 2026-12-01 09:00 (Asia/Tehran) until Wed 2026-12-02 09:00 (Asia/Tehran)"
EXPIRED_NOTICE = f"⌛ Nobody took Bob's shift of ops ({SHIFT})."
EXPIRED_ASKER = f"⌛ Nobody took your shift of ops ({SHIFT}): it's still yours."


async def bob_asks_for_a_swap(bot: Bot) -> SentMessage:
    """Alice's team ops, rotating daily at 09:00 in Tehran: Carol on call now (Monday 12:30),
    Bob from Tuesday 09:00, then Dave. Bob asks for his next shift to be taken: the notice."""
    await bot.onboard_pair()
    await bot.onboard(CAROL, "Carol", "carol_k")
    await bot.onboard(DAVE, "Dave", "dave_k")
    await bot.say(ALICE, "/team new ops", chat_id=GROUP)
    await bot.say(ALICE, "/team add ops @carol_k @bob_k @dave_k", chat_id=GROUP)
    await bot.say(ALICE, "/rotation ops daily 09:00 Asia/Tehran", chat_id=GROUP)
    command = await bot.say(BOB, "/swap ops", chat_id=GROUP)
    notice = reply(bot, command)
    assert visible(notice.text) == (
        "🔁 Bob asks for someone to take their shift of ops: Tue 2026-12-01 09:00 (Asia/Tehran)"
        " until Wed 2026-12-02 09:00 (Asia/Tehran). The first to press Take gets it (open until"
        " Tue 2026-12-01 09:00 (Asia/Tehran))."
    )
    assert labels(notice) == ["🙋 Take"]
    return notice


def expiries(tg: TelegramSimulator) -> int:
    """How many times Bob was told that nobody took his shift."""
    return [visible(m.text) for m in tg.sent_to(BOB)].count(EXPIRED_ASKER)


async def to_just_before(bot: Bot, clock: ManualClock, moment: datetime) -> None:
    """Move the clock to a minute before ``moment`` in one jump, and let the bot catch up."""
    clock.advance((moment - clock.now()).total_seconds() - 60)
    await asyncio.sleep(0.1)
    await bot.settle()


async def still_open(bot: Bot, clock: ManualClock, seconds: int, step: float = 5.0) -> None:
    """Move the clock ``seconds`` in steps, the bot running meanwhile; Bob was told nothing."""
    for _ in range(int(seconds / step)):
        clock.advance(step)
        await asyncio.sleep(0.05)
        await bot.settle()
    assert expiries(bot.tg) == 0


async def expires_once(bot: Bot, clock: ManualClock, notice: SentMessage) -> None:
    """The new bot ends the request, told once; the notice says so, with no button, and a
    Take pressed afterwards (a stale client's) is refused."""
    await until(bot, clock, lambda: expiries(bot.tg) >= 1, what="the swap to expire", step=5.0)
    await time_passes(bot, clock)
    assert expiries(bot.tg) == 1
    now = bot.tg.current(GROUP, notice.message_id)
    assert visible(now.text) == EXPIRED_NOTICE
    assert labels(now) == []
    late = await press(bot, DAVE, notice, "🙋 Take")  # the button of the notice as first sent
    assert visible(await answer_text(bot, late)) == "This request is over."
    command = await bot.say(ALICE, "/oncall ops", chat_id=GROUP)
    assert visible(reply(bot, command).text).startswith("ops: Bob, until Wed 2026-12-02 09:00")


async def time_passes(bot: Bot, clock: ManualClock) -> None:
    """100 more seconds, the bot running: past the lease of any claim, three times over."""
    for _ in range(20):
        clock.advance(5)
        await asyncio.sleep(0.02)
        await bot.settle()


async def test_a_swap_asked_before_a_restart_expires_once_in_the_next_process(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, clock: ManualClock
) -> None:
    async with bot_running(tg, kv, db_url, clock=clock) as first:
        notice = await bob_asks_for_a_swap(first)
    # the process is gone long before the deadline; the next one, on the same database, ends it
    async with bot_running(tg, kv, db_url, clock=clock) as second:
        await to_just_before(second, clock, DEADLINE)
        assert expiries(tg) == 0
        assert labels(tg.current(GROUP, notice.message_id)) == ["🙋 Take"]
        await expires_once(second, clock, notice)
        assert clock.now() >= DEADLINE


async def test_a_swap_claimed_by_a_replica_that_died_expires_once_its_lease_lapses(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, clock: ManualClock
) -> None:
    async with bot_running(tg, kv, db_url, clock=clock) as first:
        notice = await bob_asks_for_a_swap(first)
        # a replica takes the expiry under its lease at the deadline, then dies before its step
        claimed = await first.services.store.teams.claim_due_swaps(
            "dead", now=DEADLINE, lease=SwapService.LEASE, limit=SwapService.BATCH
        )
        assert len(claimed) == 1
        await first.stop()
    async with bot_running(tg, kv, db_url, clock=clock) as second:
        await to_just_before(second, clock, DEADLINE)
        # the deadline passes: the dead replica's lease still holds the row for a while
        await still_open(second, clock, 60 + int(SwapService.LEASE.total_seconds()) - 10)
        assert labels(tg.current(GROUP, notice.message_id)) == ["🙋 Take"]
        # ... and once it lapses, the new bot takes the request over and ends it, once
        await expires_once(second, clock, notice)
        assert clock.now() > DEADLINE + SwapService.LEASE


async def test_a_take_after_a_restart_covers_the_shift_and_nothing_expires(
    tg: TelegramSimulator, kv: KavenegarSandbox, db_url: str, clock: ManualClock
) -> None:
    async with bot_running(tg, kv, db_url, clock=clock) as first:
        notice = await bob_asks_for_a_swap(first)
    async with bot_running(tg, kv, db_url, clock=clock) as second:
        await to_just_before(second, clock, DEADLINE)
        taken = await press(second, CAROL, notice, "🙋 Take")
        assert visible(await answer_text(second, taken)) == "You're on call for ops for that shift."
        now = tg.current(GROUP, notice.message_id)
        assert visible(now.text) == (
            "✅ Carol takes Bob's shift of ops: Tue 2026-12-01 09:00 (Asia/Tehran) until"
            " Wed 2026-12-02 09:00 (Asia/Tehran)."
        )
        assert labels(now) == []
        assert second.last_text(BOB).startswith("🔁 Carol takes your shift of ops")
        # past the deadline and any lease: the request was taken, so it never expires
        await time_passes(second, clock)
        await time_passes(second, clock)
        assert clock.now() > DEADLINE + SwapService.LEASE
        assert expiries(tg) == 0
        assert visible(tg.current(GROUP, notice.message_id).text).startswith("✅ Carol takes")
        command = await second.say(ALICE, "/oncall ops", chat_id=GROUP)
        assert visible(reply(second, command).text).startswith(
            "ops: Carol, until Wed 2026-12-02 09:00"
        )
