"""Issue 19 items 3, 4 and 10 end to end: numbers typed in Persian or Arabic-Indic digits, dates
in each reader's calendar, and admin commands given ids that are no ids.

The bot runs on the sandbox's clock (``clock``: Saturday 2026-11-28 09:00 UTC, 12:30 in Tehran,
7 Azar 1405), so the dates it writes are known.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.clock import ManualClock
from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import Bot, bot_running

ADMIN = 5000
ACCESS_USAGE = (
    "Use /allow or /deny in a group to change that group, or give an id: "
    "/allow 123456 (a person) or /allow -100123 (a chat)."
)
CALLABLE_USAGE = "Reply to the person's message with the command, or give their id or @username."
INTERNAL_ERROR = "Something went wrong on my side. Please try again in a minute."
TWENTY_THREE_DIGITS = "12345678901234567890123"


@pytest.fixture
async def admin_bot(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[Bot]:
    """The bot with ADMIN as its admin, on the sandbox's clock; Alice (Persian) and Bob."""
    async with bot_running(tg, kv, sqlite_url, clock=clock, admin_user_ids=str(ADMIN)) as bot:
        await bot.onboard(ADMIN, "Ada", "ada_admin")
        await bot.onboard(ALICE, "Alice", "alice_k", language_code="fa")
        await bot.onboard(BOB, "Bob", "bob_k")
        yield bot


def said(bot: Bot, chat_id: int, part: str) -> list[str]:
    """What ``chat_id`` read that contains ``part`` (hand-over notices may come in between)."""
    return [visible(m.text) for m in bot.tg.sent_to(chat_id) if part in visible(m.text)]


# --- item 10: ids that are no ids -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/deny --5", ACCESS_USAGE),
        ("/deny ²", ACCESS_USAGE),  # "²".isdigit() is True
        (f"/deny {TWENTY_THREE_DIGITS}", ACCESS_USAGE),
        (f"/allow -{TWENTY_THREE_DIGITS}", ACCESS_USAGE),
        ("/allow 9223372036854775808", ACCESS_USAGE),  # 2**63: one past Telegram's range
        ("/uncallable --5", CALLABLE_USAGE),
        ("/uncallable ²", CALLABLE_USAGE),
        (f"/callable {TWENTY_THREE_DIGITS}", CALLABLE_USAGE),
    ],
)
async def test_allow_deny_and_callable_answer_malformed_ids_with_their_usage(
    admin_bot: Bot, command: str, usage: str
) -> None:
    await admin_bot.say(ADMIN, command)
    assert admin_bot.last_text(ADMIN) == usage
    await admin_bot.say(ADMIN, "/access")
    assert admin_bot.last_text(ADMIN).endswith(f"Denied: none\nAdmins: {ADMIN}")


async def test_deny_and_phone_read_ids_in_persian_digits_and_refuse_ids_past_the_range(
    admin_bot: Bot,
) -> None:
    bot = admin_bot
    await bot.say(ADMIN, "/deny ۱۲۳۴۵۶")
    assert bot.last_text(ADMIN) == "Denied: person 123456."
    await bot.say(ADMIN, "/deny -۱۰۰۱۲۳")
    assert bot.last_text(ADMIN) == "Denied: chat -100123."
    await bot.say(ADMIN, f"/phone {BOB}")
    assert bot.last_text(ADMIN) == "Bob has not verified a number."
    await bot.say(ADMIN, f"/phone {TWENTY_THREE_DIGITS}")
    assert bot.last_text(ADMIN) == f"I don't know {TWENTY_THREE_DIGITS}."
    assert not said(bot, ADMIN, INTERNAL_ERROR)


# --- item 3: typed numbers ------------------------------------------------------------------------


async def test_stats_reads_persian_and_arabic_indic_days(admin_bot: Bot) -> None:
    bot = admin_bot
    await bot.say(ADMIN, "/stats ۷")
    assert bot.last_text(ADMIN).startswith("Calls in the last 7 days\n")
    await bot.say(ADMIN, "/stats ٣٠")
    assert bot.last_text(ADMIN).startswith("Calls in the last 30 days\n")
    for refused in ("²", "۳۶۶", "0", "７"):
        await bot.say(ADMIN, f"/stats {refused}")
        assert bot.last_text(ADMIN) == "Use /stats or /stats 30 (days, 1 to 365)."


async def test_rotation_cover_invite_line_and_oncall_in_persian(admin_bot: Bot) -> None:
    """Alice reads Persian: she types Persian digits and reads Solar Hijri dates; Bob, English,
    reads the Gregorian ones."""
    bot = admin_bot
    await bot.say(ALICE, "/team new ops", chat_id=GROUP)
    await bot.say(ALICE, "/team add ops @alice_k @bob_k", chat_id=GROUP)
    await bot.say(ALICE, "/team move ops @bob_k ۱", chat_id=GROUP)
    assert said(bot, GROUP, "Bob اکنون نفر ")  # the move was understood
    await bot.say(ALICE, "/rotation ops daily ۰۹:۰۰", chat_id=GROUP)
    assert said(bot, GROUP, "ops به‌صورت روزانه در ۰۹:۰۰ (Asia/Tehran) تحویل می‌دهد.")
    await bot.say(ALICE, "/oncall ops", chat_id=GROUP)
    assert said(bot, GROUP, "ops: Bob، تا یکشنبه ۸ آذر ۱۴۰۵، ۰۹:۰۰ (Asia/Tehran)؛ بعدی: Alice")
    await bot.say(BOB, "/oncall ops", chat_id=GROUP)
    assert said(bot, GROUP, "ops: Bob, until Sun 2026-11-29 09:00 (Asia/Tehran); next: Alice")
    await bot.say(ALICE, "/cover ops @alice_k ۴h", chat_id=GROUP)
    assert said(bot, GROUP, "Alice تا شنبه ۷ آذر ۱۴۰۵، ۱۶:۳۰ (Asia/Tehran) کشیک ops است.")
    assert said(bot, BOB, "Alice covers for you on ops until Sat 2026-11-28 16:30 (Asia/Tehran).")
    await bot.say(ALICE, "/invite ops ۵ ۲۴", chat_id=GROUP)
    assert said(bot, GROUP, "(5 بار، تا یکشنبه ۸ آذر ۱۴۰۵، ۱۲:۳۰ (Asia/Tehran)).")
    await bot.say(ALICE, "/line ops on sat-wed ۰۹:۰۰-۱۷:۰۰", chat_id=GROUP)
    assert said(bot, GROUP, "باز شنبه تا چهارشنبه، ساعت ۰۹:۰۰ تا ۱۷:۰۰.")
    await bot.say(BOB, "/line ops", chat_id=GROUP)
    assert said(bot, GROUP, "📞 ops is a support line, open sat-wed 09:00-17:00.")
    assert not said(bot, GROUP, "Something went wrong")


async def test_history_in_each_readers_calendar(admin_bot: Bot) -> None:
    bot = admin_bot
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    await bot.say(ALICE, "/history")
    assert bot.last_text(ALICE).splitlines()[1].startswith("شنبه ۷ آذر ۱۴۰۵، ۱۲:۳۰ → Bob: ")
    await bot.say(BOB, "/history")
    assert bot.last_text(BOB).splitlines()[1].startswith("Sat 2026-11-28 12:30 ← Alice: ")
