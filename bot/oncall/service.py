"""Teams and who is on call: the domain behind /team, /rotation, /oncall and /cover.

Plain functions of the store and the clock; each returns the answer to show, in the asker's
language. Team names are ``[a-z0-9_-]{2,32}`` (typed names are lower-cased), unique across the
bot; a team belongs to the group it was created in, and only that group manages it. Owners and
the bot's admins change a team; anyone in it may cover for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.core.clock import Clock
from bot.core.messages import Messenger, OutgoingMessage
from bot.core.parsing import Mention
from bot.core.people import UserProfile, UserRecord, isolate
from bot.core.records import Team, parse_rotation_kind
from bot.core.texts import pick_language, t
from bot.oncall.rotation import (
    Cover,
    OnCall,
    Rotation,
    format_local,
    next_hand_over,
    on_call,
    parse_hhmm,
    parse_span,
    parse_zone,
)
from bot.storage import Store

__all__ = ["NAME_PATTERN", "OnCallService", "TeamView", "readiness"]

NAME_PATTERN = re.compile(r"^[a-z0-9_-]{2,32}$")


def readiness(lang: str, person: UserRecord | None) -> str:
    """Whether a member can be rung now, as a short mark."""
    why = person.why_not_ringable(phones_required=False) if person else "not_started"
    return t(lang, f"ready_{why or 'ok'}")


@dataclass(frozen=True)
class TeamView:
    team: Team
    members: list[int]
    now: OnCall


class Refused(Exception):
    """A team command that cannot be done; ``text`` says why (already in the asker's language)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class OnCallService:
    def __init__(
        self,
        store: Store,
        messenger: Messenger,
        clock: Clock,
        *,
        default_zone: str,
        admins: frozenset[int],
    ) -> None:
        self.store = store
        self.messenger = messenger
        self.clock = clock
        self.default_zone = default_zone
        self.admins = admins

    # -- lookups -------------------------------------------------------------------------------

    async def team_named(self, lang: str, name: str) -> Team:
        """Team ``name``, wherever it is asked about."""
        name = name.lower()
        if not NAME_PATTERN.match(name):
            raise Refused(t(lang, "team_bad_name", name=name[:40]))
        team = await self.store.teams.get(name)
        if team is None:
            raise Refused(t(lang, "team_unknown", name=name))
        return team

    async def team_here(self, lang: str, name: str, chat_id: int) -> Team:
        """Team ``name``, managed from this chat only."""
        team = await self.team_named(lang, name)
        if team.chat_id != chat_id:
            raise Refused(t(lang, "team_other_chat", name=name))
        return team

    async def teams_here(self, chat_id: int) -> list[Team]:
        """The teams managed from this chat."""
        return await self.store.teams.of_chat(chat_id)

    def may_manage(self, lang: str, team: Team, actor: int) -> None:
        """Refuse unless ``actor`` owns the team or is one of the bot's admins."""
        if actor != team.owner_id and actor not in self.admins:
            raise Refused(t(lang, "team_owner_only", name=team.name))

    async def view(self, team: Team) -> TeamView:
        members = await self.store.teams.members(team.id)
        return TeamView(team, members, await self.on_call_now(team, members))

    async def on_call_now(self, team: Team, members: list[int] | None = None) -> OnCall:
        if members is None:
            members = await self.store.teams.members(team.id)
        cover = await self.store.teams.cover(team.id)
        return on_call(
            members,
            rotation_of(team),
            Cover(*cover) if cover else None,
            self.clock.now(),
        )

    async def name(self, telegram_id: int | None) -> str:
        if telegram_id is None:
            return "—"
        person = await self.store.get_user(telegram_id)
        return person.display_name if person else isolate(str(telegram_id))

    async def resolve(
        self, lang: str, mentions: list[Mention], reply_to: UserProfile | None
    ) -> tuple[list[UserRecord], list[str]]:
        """The people named (mentions, or the replied-to author), and why others were not."""
        found: list[UserRecord] = []
        refused: list[str] = []
        wanted: list[tuple[str, UserProfile | None, str | None]] = [
            (m.text, m.user, m.username) for m in mentions
        ]
        if not wanted and reply_to is not None:
            wanted = [(reply_to.name, reply_to, None)]
        for label, profile, username in wanted:
            if profile is not None:
                if profile.is_bot:
                    refused.append(t(lang, "team_why_bot", name=label))
                    continue
                record = await self.store.get_user(profile.telegram_id)
                record = record or await self.store.upsert_user(profile)
            else:
                record = await self.store.find_by_username(username or "")
                if record is None:
                    refused.append(t(lang, "team_why_unknown", name=label))
                    continue
                if record.is_bot:
                    refused.append(t(lang, "team_why_bot", name=label))
                    continue
            if all(r.telegram_id != record.telegram_id for r in found):
                found.append(record)
        return found, refused

    # -- /team ---------------------------------------------------------------------------------

    async def create(self, lang: str, actor: int, chat_id: int, private: bool, name: str) -> str:
        name = name.lower()
        if not NAME_PATTERN.match(name):
            raise Refused(t(lang, "team_bad_name", name=name[:40]))
        if private:
            raise Refused(t(lang, "team_group_only"))
        team = await self.store.teams.create(
            name, owner_id=actor, chat_id=chat_id, zone=self.default_zone, now=self.clock.now()
        )
        if team is None:
            raise Refused(t(lang, "team_exists", name=name))
        return t(lang, "team_created", name=name)

    async def add(
        self,
        lang: str,
        actor: int,
        team: Team,
        mentions: list[Mention],
        reply_to: UserProfile | None,
    ) -> str:
        self.may_manage(lang, team, actor)
        people, refused = await self.resolve(lang, mentions, reply_to)
        if not people and not refused:
            raise Refused(t(lang, "team_nobody"))
        added = await self.store.teams.add_members(
            team.id, [p.telegram_id for p in people], self.clock.now()
        )
        lines = []
        if added:
            names = ", ".join(p.display_name for p in people if p.telegram_id in added)
            lines.append(t(lang, "team_added", name=team.name, people=names))
        if refused:
            lines.append(t(lang, "team_not_added", people="; ".join(refused)))
        await self.store.teams.schedule(team.id, self.clock.now())  # who is on call may change
        return "\n".join(lines) or t(lang, "team_added", name=team.name, people="—")

    async def remove(
        self,
        lang: str,
        actor: int,
        team: Team,
        mentions: list[Mention],
        reply_to: UserProfile | None,
    ) -> str:
        self.may_manage(lang, team, actor)
        people, refused = await self.resolve(lang, mentions, reply_to)
        if not people:
            raise Refused("\n".join(refused) or t(lang, "team_nobody"))
        lines = []
        for person in people:
            removed = await self.store.teams.remove_member(team.id, person.telegram_id)
            key = "team_removed" if removed else "team_not_member"
            lines.append(t(lang, key, person=person.display_name, name=team.name))
        await self.store.teams.schedule(team.id, self.clock.now())
        return "\n".join(lines)

    async def move(
        self,
        lang: str,
        actor: int,
        team: Team,
        mentions: list[Mention],
        position: int,
    ) -> str:
        self.may_manage(lang, team, actor)
        people, refused = await self.resolve(lang, mentions, None)
        if len(people) != 1:
            raise Refused("\n".join(refused) or t(lang, "team_usage"))
        (person,) = people
        if not await self.store.teams.move_member(team.id, person.telegram_id, position):
            raise Refused(t(lang, "team_not_member", person=person.display_name, name=team.name))
        await self.store.teams.schedule(team.id, self.clock.now())
        members = await self.store.teams.members(team.id)
        return t(
            lang,
            "team_moved",
            person=person.display_name,
            position=members.index(person.telegram_id) + 1,
            name=team.name,
        )

    async def delete(self, lang: str, actor: int, team: Team) -> str:
        self.may_manage(lang, team, actor)
        await self.store.teams.delete(team.id, now=self.clock.now())  # its page ends at once
        return t(lang, "team_deleted", name=team.name)

    async def show(self, lang: str, team: Team) -> str:
        view = await self.view(team)
        if not view.members:
            return t(lang, "team_empty", name=team.name)
        lines = []
        for index, member in enumerate(view.members, start=1):
            person = await self.store.get_user(member)
            shown = person.display_name if person else isolate(str(member))
            lines.append(f"{index}. {shown} {readiness(lang, person)}")
        return t(
            lang,
            "team_show",
            name=team.name,
            rotation=self._rotation_words(lang, team),
            members="\n".join(lines),
            oncall=await self._line(lang, team, view.now, named=False),
        )

    async def list_here(self, lang: str, chat_id: int) -> str:
        teams = await self.store.teams.of_chat(chat_id)
        if not teams:
            return t(lang, "team_none_here")
        lines = [await self.oncall_line(lang, team) for team in teams]
        return t(lang, "team_list", teams="\n".join(lines))

    def _rotation_words(self, lang: str, team: Team) -> str:
        if team.rotation_kind is None or team.hand_over is None:
            return t(lang, "team_no_rotation")
        kind = t(lang, f"kind_{team.rotation_kind}")
        return t(lang, "team_rotation", kind=kind, time=team.hand_over, zone=team.zone)

    # -- /rotation -----------------------------------------------------------------------------

    async def set_rotation(
        self, lang: str, actor: int, team: Team, kind: str, hhmm: str, zone_name: str | None
    ) -> str:
        self.may_manage(lang, team, actor)
        rotation_kind = parse_rotation_kind(kind)
        if rotation_kind is None:
            raise Refused(t(lang, "rotation_usage"))
        hand_over = parse_hhmm(hhmm)
        if hand_over is None:
            raise Refused(t(lang, "rotation_bad_time", time=hhmm[:20]))
        zone = team.zone if zone_name is None else parse_zone(zone_name)
        if zone is None:
            raise Refused(t(lang, "rotation_bad_zone", zone=(zone_name or "")[:64]))
        now = self.clock.now()
        local_weekday = _local(now, zone).weekday()
        await self.store.teams.set_rotation(
            team.id,
            kind=rotation_kind,
            hand_over=hand_over.strftime("%H:%M"),
            weekday=local_weekday,
            zone=zone,
            anchor=now,
            next_check_at=now,
        )
        updated = await self.store.teams.by_id(team.id)
        assert updated is not None
        line = await self.oncall_line(lang, updated)
        return t(
            lang,
            "rotation_set",
            name=team.name,
            kind=t(lang, f"kind_{rotation_kind}"),
            time=hand_over.strftime("%H:%M"),
            zone=zone,
            oncall=line,
        )

    # -- /oncall -------------------------------------------------------------------------------

    async def oncall_line(self, lang: str, team: Team) -> str:
        return await self._line(lang, team, await self.on_call_now(team), named=True)

    async def _line(self, lang: str, team: Team, now: OnCall, *, named: bool) -> str:
        if now.member is None:
            return t(lang, "oncall_nobody", name=team.name)
        member = await self.name(now.member)
        if now.until is None:
            line = t(lang, "oncall_line_open", name=team.name, member=member)
        else:
            line = t(
                lang,
                "oncall_line",
                name=team.name,
                member=member,
                until=format_local(now.until, team.zone),
                next=await self.name(now.next_member),
            )
        return line if named else line.split(": ", 1)[1]

    # -- /cover --------------------------------------------------------------------------------

    async def cover(
        self,
        lang: str,
        actor: int,
        team: Team,
        mentions: list[Mention],
        reply_to: UserProfile | None,
        span_text: str,
    ) -> str:
        members = await self.store.teams.members(team.id)
        if actor not in members and actor != team.owner_id and actor not in self.admins:
            raise Refused(t(lang, "cover_not_member", name=team.name))
        people, refused = await self.resolve(lang, mentions, reply_to)
        if len(people) != 1:
            raise Refused("\n".join(refused) or t(lang, "cover_usage"))
        span = parse_span(span_text)
        if span is None:
            raise Refused(t(lang, "cover_bad_span", span=span_text[:20]))
        (person,) = people
        if person.telegram_id not in members:
            raise Refused(t(lang, "cover_not_member", name=team.name))
        replaced = (await self.on_call_now(team, members)).member
        now = self.clock.now()
        await self.store.teams.set_cover(
            team.id, member=person.telegram_id, starts=now, ends=now + span, by=actor
        )
        await self.store.teams.schedule(team.id, now)
        until = format_local(now + span, team.zone)
        if replaced is not None and replaced != person.telegram_id:
            await self._tell(
                replaced,
                "cover_you_are_replaced",
                person=person.display_name,
                name=team.name,
                until=until,
            )
        return t(lang, "cover_set", person=person.display_name, name=team.name, until=until)

    async def end_cover(self, lang: str, actor: int, team: Team) -> str:
        members = await self.store.teams.members(team.id)
        if actor not in members and actor != team.owner_id and actor not in self.admins:
            raise Refused(t(lang, "cover_not_member", name=team.name))
        if not await self.store.teams.end_cover(team.id):
            raise Refused(t(lang, "cover_none", name=team.name))
        await self.store.teams.schedule(team.id, self.clock.now())
        return t(lang, "cover_off", name=team.name)

    async def _tell(self, telegram_id: int, key: str, **params: object) -> None:
        person = await self.store.get_user(telegram_id)
        if person is None or not person.reachable:
            return
        lang = pick_language(person.language_code)
        await self.messenger.send(telegram_id, OutgoingMessage(t(lang, key, **params)))


def rotation_of(team: Team) -> Rotation | None:
    hand_over = parse_hhmm(team.hand_over or "")
    if team.rotation_kind is None or hand_over is None or team.anchor is None:
        return None
    return Rotation(
        kind=team.rotation_kind,
        hand_over=hand_over,
        zone=team.zone,
        weekday=team.weekday or 0,
        anchor=team.anchor,
    )


def _local(when: datetime, zone: str) -> datetime:
    from datetime import UTC
    from zoneinfo import ZoneInfo

    return when.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))


__all__ += ["Refused", "next_hand_over", "rotation_of"]
