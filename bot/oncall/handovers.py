"""Hand-overs: "On call for NAME: X until …" (with a "Call now" button) in the team's group
(in its forum topic, if it has one) when the person on call changes (by rotation or cover),
and a private heads-up to X ``HANDOFF_NOTICE_MINUTES`` before.

Each team's next event is ``teams.next_check_at``, leased like a call: one replica announces
each change once, and a restart misses nothing (it is still due).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.messages import Messenger, OutgoingMessage
from bot.core.records import Team
from bot.core.texts import pick_language, t
from bot.core.work import LeasedWorker
from bot.oncall.rotation import OnCall, format_local
from bot.oncall.service import OnCallService, call_now_button
from bot.storage import Store
from bot.storage.teams import Keep

__all__ = ["HandoverWorker"]

logger = logging.getLogger(__name__)


class HandoverWorker(LeasedWorker[Team]):
    LEASE = timedelta(seconds=30)
    BATCH = 20
    UNAVAILABLE_NOTE = "; retrying"

    def __init__(
        self,
        store: Store,
        oncall: OnCallService,
        messenger: Messenger,
        clock: Clock,
        *,
        owner: str,
        notice_minutes: int = 15,
    ) -> None:
        self.store = store
        self.oncall = oncall
        self.messenger = messenger
        self.clock = clock
        self.owner = owner
        self.notice = timedelta(minutes=notice_minutes)

    async def claim(self, now: datetime, limit: int) -> list[Team]:
        return await self.store.teams.claim_due(self.owner, now=now, lease=self.LEASE, limit=limit)

    def describe(self, team: Team) -> str:
        return f"team {team.name}"

    async def step(self, team: Team, now: datetime) -> None:
        """Record what is to be announced, then announce it: at most once, never twice."""
        current = await self.oncall.on_call_now(team)
        announce = current.member is not None and current.member != team.announced_member
        heads_up_at = None
        warn = False
        if (
            current.until is not None
            and current.next_member is not None
            and current.next_member != team.warned_member
        ):
            heads_up_at = current.until - self.notice
            warn = now >= heads_up_at
            if warn:
                heads_up_at = None
        events = [e for e in (current.until, heads_up_at) if e is not None and e > now]
        recorded = await self.store.teams.release(
            team.id,
            self.owner,
            next_check_at=min(events) if events else None,
            announced_member=current.member if announce else Keep,
            warned_member=current.next_member if warn else Keep,
        )
        if not recorded:
            return  # another replica took the team over
        if announce:
            await self._announce(team, current)
        if warn:
            await self._heads_up(team, current)

    async def _announce(self, team: Team, current: OnCall) -> None:
        assert current.member is not None  # (announced only when someone is on call)
        owner = await self.store.get_user(team.owner_id)
        lang = pick_language(owner.language_code if owner else None)
        person = await self.oncall.name(current.member, lang)
        if current.until is None:
            text = t(lang, "handover_group_open", name=team.name, person=person)
        else:
            until = format_local(current.until, team.zone, lang)
            text = t(lang, "handover_group", name=team.name, person=person, until=until)
        # "Call now" under it: whoever reads it may call the person on call (issue 22)
        buttons = (call_now_button(lang, team, current.member, person),)
        await self.messenger.send(
            team.chat_id, OutgoingMessage(text, buttons, message_thread_id=team.thread_id)
        )

    async def _heads_up(self, team: Team, current: OnCall) -> None:
        assert current.next_member is not None and current.until is not None
        person = await self.store.get_user(current.next_member)
        if person is None or not person.reachable:
            return
        upcoming = await self._shift_after(team, current.until)
        lang = pick_language(person.language_code)
        text = t(
            lang,
            "handover_heads_up",
            name=team.name,
            start=format_local(current.until, team.zone, lang),
            until=format_local(upcoming, team.zone, lang) if upcoming else "—",
        )
        await self.messenger.send(person.telegram_id, OutgoingMessage(text))

    async def _shift_after(self, team: Team, start: datetime) -> datetime | None:
        """When the shift starting at ``start`` ends."""
        from bot.oncall.rotation import next_hand_over
        from bot.oncall.service import rotation_of

        rotation = rotation_of(team)
        return next_hand_over(rotation, start) if rotation else None
