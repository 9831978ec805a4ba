"""Issue 19 item 12: ``/line NAME on HOURS TZ``: a line's hours carry their zone, which becomes
the team's (as ``/team zone`` sets it)."""

from __future__ import annotations

import pytest

from bot.oncall.service import Refused
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import visible
from .test_lines import CAROL, OWNER, make_line

LINK = "https://t.me/KavenegarCallBot?start=line-support"


async def test_item12_line_hours_with_a_zone_set_the_teams_zone(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    """Monday 10:00 in Tehran is 07:30 in Berlin: open in Tehran's hours, closed in Berlin's."""
    async for line in make_line(sqlite_url, kv):
        configure = line.lines.configure
        typed = ["on", "mon-fri", "09:00-17:00", "europe/berlin"]
        answer = visible(await configure("en", OWNER, line.team, typed))
        assert answer == (
            "📞 support is a support line, open mon-fri 09:00-17:00 (Europe/Berlin).\n"
            f"Newcomers reach whoever is free here: {LINK}"
        )
        team = await line.world.services.oncall.team_named("en", "support")
        assert team.zone == "Europe/Berlin"
        stored = await line.world.store.lines.get(team.id)
        assert stored is not None and stored.hours == "mon-fri 09:00-17:00"
        await line.newcomer(CAROL, "Carol")
        assert line.last_text(CAROL) == (
            "support is closed now. It opens Mon 2026-11-30 09:00 (Europe/Berlin). "
            "Want me to call you back then?"
        )
        # a zone alone: open at all times, in that zone; a word that is no zone: not hours
        answer = visible(await configure("en", OWNER, team, ["on", "UTC"]))
        assert answer.startswith("📞 support is a support line, open at all times (UTC).\n")
        team = await line.world.services.oncall.team_named("en", "support")
        assert team.zone == "UTC"
        with pytest.raises(Refused, match="I don't understand those hours"):
            await configure("en", OWNER, team, ["on", "mon-fri", "09:00-17:00", "Mars/Base"])
