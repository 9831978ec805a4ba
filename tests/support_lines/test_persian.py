"""Issue 19 items 3 and 4 for support lines: ``/line NAME on`` reads hours typed with Persian or
Arabic-Indic digits, and shows a line's hours and its call-back time to a Persian speaker in
Persian (weekday names, Persian digits, the Solar Hijri date), to an English one as before."""

from __future__ import annotations

import pytest

from bot.oncall.service import Refused
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import ALICE, visible
from .test_lines import CAROL, DAVE, OWNER, make_line

LINK = "https://t.me/KavenegarCallBot?start=line-support"


@pytest.mark.parametrize(
    "typed",
    [
        ["sat-wed", "۰۹:۰۰-۱۷:۰۰"],  # Persian digits
        ["sat-wed", "٠٩:٠٠-١٧:٠٠"],  # Arabic-Indic digits
        ["sat-wed", "۹:۰۰", "-", "17:00"],  # mixed, spaced
    ],
)
async def test_line_hours_typed_with_persian_digits(
    sqlite_url: str, kv: KavenegarSandbox, typed: list[str]
) -> None:
    """``/line support on sat-wed ۰۹:۰۰-۱۷:۰۰`` opens it Saturday to Wednesday, 09:00-17:00."""
    async for line in make_line(sqlite_url, kv):
        answer = await line.lines.configure("en", OWNER, line.team, ["on", *typed])
        assert visible(answer) == (
            "📞 support is a support line, open sat-wed 09:00-17:00.\n"
            f"Newcomers reach whoever is free here: {LINK}"
        )
        stored = await line.world.store.lines.get(line.team.id)
        assert stored is not None and stored.hours == "sat-wed 09:00-17:00"


async def test_other_digits_are_still_refused(sqlite_url: str, kv: KavenegarSandbox) -> None:
    async for line in make_line(sqlite_url, kv):
        for typed in (["sat-wed", "０９:００-１７:００"], ["²9:00-17:00"]):
            with pytest.raises(Refused, match="I don't understand those hours"):
                await line.lines.configure("en", OWNER, line.team, ["on", *typed])


async def test_a_persian_speaker_reads_the_hours_in_persian(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    async for line in make_line(sqlite_url, kv):
        answer = await line.lines.configure(
            "fa", OWNER, line.team, ["on", "sat-wed", "09:00-17:00"]
        )
        assert visible(answer).startswith(
            "📞 support خط پشتیبانی است، باز شنبه تا چهارشنبه، ساعت ۰۹:۰۰ تا ۱۷:۰۰.\n"
        )
        shown = visible(await line.lines.configure("en", OWNER, line.team, []))
        assert shown.startswith("📞 support is a support line, open sat-wed 09:00-17:00.\n")


async def test_call_back_time_in_each_newcomers_calendar(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    """Closed on Monday 2026-11-30 10:00 Tehran: it opens at 14:00, 9 Azar 1405."""
    async for line in make_line(sqlite_url, kv, hours="sat-wed 14:00-17:00"):
        await line.world.person(DAVE, "Dave", language_code="fa")
        record = await line.world.store.get_user(DAVE)
        assert record is not None
        assert await line.lines.arrive(record, "line-support")
        assert line.last_text(DAVE) == (
            "support الان بسته است و دوشنبه ۹ آذر ۱۴۰۵، ۱۴:۰۰ (Asia/Tehran) باز می‌شود. "
            "آن موقع با شما تماس بگیرم؟"
        )
        await line.newcomer(CAROL, "Carol")
        assert line.last_text(CAROL) == (
            "support is closed now. It opens Mon 2026-11-30 14:00 (Asia/Tehran). "
            "Want me to call you back then?"
        )
        assert line.messenger.to(ALICE) == []
