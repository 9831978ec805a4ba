"""Load: 80 people, 40 simultaneous /call commands, Telegram's flood limits switched on.

176 messages (welcomes, tokens, notices) are several times what Telegram lets out in a second,
so the pacing is exercised as hard as with more people, in less time.

Counts only (timing lives in bench/): every private message delivered once, no 429 reaches a
user, and the bot never goes over a limit.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from ..helpers import visible
from .conftest import Bot

PEOPLE = 80
CALLS = 40
PRIVATE = 24  # the other 16 calls are typed in the 4 groups, 4 each
GROUPS = [-3001, -3002, -3003, -3004]
FIRST_ID = 10_000


async def test_forty_calls_at_once_within_flood_limits(bot_at_telegram_pace: Bot) -> None:
    bot = bot_at_telegram_pace
    tg = bot.tg
    tg.state.flood.enabled = True
    for group in GROUPS:
        tg.add_group(group, f"Team {group}")
    ids = [FIRST_ID + i for i in range(PEOPLE)]
    for user_id in ids:
        tg.add_user(user_id, f"Person {user_id}", username=f"person_{user_id}")
    await asyncio.gather(*(tg.user_sends(user_id, "/start") for user_id in ids))
    await tg.wait_until(
        lambda: all(len(tg.sent_to(u)) == 1 for u in ids), timeout=120, what="every welcome"
    )

    commands = []
    for i in range(CALLS):
        caller, callee = ids[i], ids[i + CALLS]
        chat = None if i < PRIVATE else GROUPS[i % len(GROUPS)]
        commands.append(tg.user_sends(caller, f"/call @person_{callee}", chat_id=chat))
    await asyncio.gather(*commands)
    await tg.wait_until(
        lambda: (
            all(len(tg.sent_to(u)) == 2 for u in ids)
            and all(len(tg.sent_to(g)) == (CALLS - PRIVATE) // len(GROUPS) for g in GROUPS)
        ),
        timeout=120,
        what="every token and notice",
    )
    await bot.settle()

    for i, user_id in enumerate(ids):
        messages = tg.sent_to(user_id)
        assert len(messages) == 2, user_id  # the welcome and exactly one token message
        expected = "You are calling" if i < CALLS else "is calling you"
        assert expected in visible(messages[1].text)
        token = bot.kv.state.endpoints[f"tg{user_id}"].access_token
        assert token in visible(messages[1].text)
    assert not [m for m in tg.state.sent if "couldn't reach" in visible(m.text)]
    assert tg.state.flood.violations == 0, "the bot went over Telegram's limits"
    assert Counter(c.caller.username for c in bot.kv.state.calls.values()) == Counter(
        f"tg{u}" for u in ids[:CALLS]
    )
    records = await bot.services.store.list_calls()
    assert len(records) == CALLS
    assert {(r.status, r.caller_delivery, r.callee_delivery) for r in records} == {
        ("created", "sent", "sent")
    }
