"""On-call on the fast layer: teams made as ``/team`` makes them, then pages, hand-overs and
invites, on a real store and the Kavenegar sandbox, with a recording messenger instead of
Telegram. The bot's clock and the sandbox's are one :class:`ManualClock` that the test moves (a
call nobody joins ends after the sandbox's minute, as at Kavenegar); nothing runs by itself: a
scheduler tick is one turn of every worker (:meth:`World.settle`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.core.parsing import Mention
from bot.core.people import UserProfile
from bot.core.records import Team
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World, make_world
from ..helpers import ALICE, BOB, GROUP, until

#: Monday 2026-11-30, 09:00 UTC: 12:30 in Tehran.
START = datetime(2026, 11, 30, 9, 0, 0)
CAROL, DAVE, ERIN = 4003, 4004, 4005
NAMES = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol", DAVE: "Dave", ERIN: "Erin"}


@pytest.fixture
def clock() -> ManualClock:
    """The bot's clock and the sandbox's (``kv``)."""
    return ManualClock(START)


async def on_call_world(
    db_url: str, kv: KavenegarSandbox, clock: ManualClock, **settings: Any
) -> AsyncIterator[World]:
    """The services on ``clock`` with ``settings`` (``PAGE_RETRIES`` 0 unless given); Alice, Bob,
    Carol, Dave and Erin have pressed Start (``@alice_k`` ...)."""
    settings.setdefault("page_retries", 0)
    async for world in make_world(db_url, kv, clock=clock, owner="replica-a", **settings):
        for telegram_id, name in NAMES.items():
            await world.person(telegram_id, name, f"{name.lower()}_k")
        yield world


@pytest.fixture
async def world(sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock) -> AsyncIterator[World]:
    """The people and the services on SQLite, on ``clock`` (overrides the real-time world)."""
    async for made in on_call_world(sqlite_url, kv, clock):
        yield made


@dataclass
class Ops:
    """Team ops, owned by Alice and managed from GROUP."""

    world: World
    team: Team

    @property
    def clock(self) -> ManualClock:
        return self.world.clock

    async def page(self, reason: str | None = "database down", *, by: int = ALICE) -> int:
        """``by`` types ``/page ops <reason>`` in the group; the notice's message id."""
        pager = await self.world.store.get_user(by)
        assert pager is not None
        refusal = await self.world.services.pages.start(
            "en", pager, self.team, chat_id=GROUP, message_id=1000, reason=reason
        )
        assert refusal is None, refusal
        return len(self.world.messenger.to(GROUP))  # the notice: the group's latest message

    def notice(self, message_id: int) -> list[str]:
        """The page's notice as the group reads it now."""
        return self.world.messenger.now_reads(GROUP, message_id).splitlines()

    def rung(self) -> list[int]:
        """Whom the page's calls went to, in the order they were placed."""
        usernames = [call.receptor.username for call in self.world.kv.state.calls.values()]
        return [int(name.removeprefix("tg")) for name in usernames]

    def calls_to(self, telegram_id: int) -> list[Any]:
        """The sandbox's calls to ``telegram_id``."""
        calls = self.world.kv.state.calls.values()
        return [c for c in calls if c.receptor.username == f"tg{telegram_id}"]

    async def until(self, done: Any, *, step: float = 5.0, what: str = "it") -> None:
        """Move the clock ``step`` seconds at a time, one scheduler tick each, until ``done()``."""
        await until(self.world, self.clock, done, step=step, limit=400, pause=0, what=what)

    async def until_over(self, notice: int) -> None:
        """Move the clock until the page of ``notice`` is over (answered or given up)."""
        last = "✅", "❌"
        await self.until(lambda: self.notice(notice)[-1].startswith(last), what="the page's end")


async def make_ops(world: World, *members: int) -> Ops:
    """``/team new ops`` by Alice in the group, then ``/team add ops @...`` of ``members``."""
    oncall = world.services.oncall
    await oncall.create("en", ALICE, GROUP, False, "ops")
    team = await oncall.team_named("en", "ops")
    mentions = [Mention(f"@{NAMES[m].lower()}_k", f"{NAMES[m].lower()}_k") for m in members]
    answer = await oncall.add("en", ALICE, team, mentions, None)
    assert answer.startswith("Added to ops:"), answer
    return Ops(world, await oncall.team_named("en", "ops"))


def profile(telegram_id: int) -> UserProfile:
    name = NAMES[telegram_id]
    return UserProfile(telegram_id, name, username=f"{name.lower()}_k", language_code="en")
