"""Invite links: ``/invite NAME [USES] [HOURS]`` makes a ``t.me/<bot>?start=<code>`` link; whoever
opens it and presses Start joins team NAME at the end of its rotation.

A code is ``inv_`` and 128 random bits in URL-safe base64 (26 characters of ``[A-Za-z0-9_-]``,
within Telegram's 64 for a start payload); only its SHA-256 is stored, so the database cannot
hand out working links. Defaults: one use, 72 hours. An expired, used-up, revoked or unknown code
gets a clear answer and joins nothing; taking a use is one conditional update, so two people
opening a one-use link at once cannot both join.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.parsing import parse_number
from bot.core.people import UserProfile
from bot.core.records import Team
from bot.core.texts import t
from bot.oncall.rotation import format_local
from bot.oncall.service import OnCallService, Refused, counted
from bot.storage import Store

__all__ = ["PREFIX", "InviteService", "code_hash"]

PREFIX = "inv_"
_CODE = re.compile(r"^inv_[A-Za-z0-9_-]{22}$")
DEFAULT_USES, DEFAULT_HOURS = 1, 72
MAX_USES, MAX_HOURS = 1000, 24 * 30
_ANY_NUMBER = 10**18  # what parse_number reads at most: a number, whether in range or not


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class InviteService:
    def __init__(self, store: Store, oncall: OnCallService, clock: Clock) -> None:
        self.store = store
        self.oncall = oncall
        self.clock = clock

    async def create(
        self, lang: str, actor: int, team: Team, args: list[str], bot_username: str
    ) -> str:
        self.oncall.may_manage(lang, team, actor)
        uses = parse_number(args[0], 1, MAX_USES) if args else DEFAULT_USES
        hours = parse_number(args[1], 1, MAX_HOURS) if len(args) > 1 else DEFAULT_HOURS
        if len(args) > 2 or uses is None or hours is None:  # ۵ and ٥ are 5 (ascii_digits)
            if len(args) <= 2 and all(parse_number(a, 0, _ANY_NUMBER) is not None for a in args):
                raise Refused(  # numbers, but too many uses or hours (or none): say the limits
                    t(
                        lang,
                        "invite_out_of_range",
                        low_uses=1,
                        max_uses=MAX_USES,
                        low_hours=1,
                        max_hours=MAX_HOURS,
                    )
                )
            raise Refused(t(lang, "invite_usage"))
        code = PREFIX + secrets.token_urlsafe(16)
        now = self.clock.now()
        expires = now + timedelta(hours=hours)
        await self.store.teams.create_invite(
            team.id,
            code_hash=code_hash(code),
            created_by=actor,
            uses=uses,
            expires_at=expires,
            now=now,
        )
        return counted(
            lang,
            "invite_created",
            uses,
            name=team.name,
            link=f"https://t.me/{bot_username}?start={code}",
            uses=uses,
            until=format_local(expires, team.zone, lang),
        )

    async def listing(self, lang: str, actor: int, team: Team) -> str:
        self.oncall.may_manage(lang, team, actor)
        live = await self.store.teams.invites_of(team.id, now=self.clock.now())
        if not live:
            return t(lang, "invites_none", name=team.name)
        lines = [
            counted(
                lang,
                "invites_line",
                invite.uses_left,
                by=await self.oncall.name(invite.created_by, lang),
                uses=invite.uses_left,
                until=format_local(invite.expires_at, team.zone, lang),
            )
            for invite in live
        ]
        return "\n".join([t(lang, "invites_title", name=team.name), *lines])

    async def revoke(self, lang: str, actor: int, team: Team) -> str:
        self.oncall.may_manage(lang, team, actor)
        count = await self.store.teams.revoke_invites(team.id, now=self.clock.now())
        return counted(lang, "invites_revoked", count, name=team.name, count=count)

    @staticmethod
    def is_invite(payload: str) -> bool:
        return payload.startswith(PREFIX)

    async def redeem(self, lang: str, person: UserProfile, payload: str) -> str:
        """Join the team an invite is for; the answer either way."""
        if not _CODE.match(payload):
            return t(lang, "invite_unknown")
        invite = await self.store.teams.invite(code_hash(payload))
        if invite is None:
            return t(lang, "invite_unknown")
        now = self.clock.now()
        team = await self.store.teams.by_id(invite.team_id)
        if team is None:
            return t(lang, "invite_unknown")
        if invite.revoked:
            return t(lang, "invite_revoked", name=team.name)
        if invite.expires_at <= now:
            return t(lang, "invite_expired", name=team.name)
        if person.telegram_id in await self.store.teams.members(team.id):
            return t(lang, "invite_already", name=team.name)
        if invite.uses_left <= 0 or not await self.store.teams.use_invite(invite.id, now=now):
            return t(lang, "invite_used_up", name=team.name)
        await self.store.teams.add_members(team.id, [person.telegram_id], now)
        await self.store.teams.schedule(team.id, now)
        members = await self.store.teams.members(team.id)
        return t(lang, "invite_joined", name=team.name, position=len(members))
