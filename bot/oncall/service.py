"""Teams and who is on call: the domain behind /team, /rotation, /oncall and /cover.

Plain functions of the store and the clock; each returns the answer to show, in the asker's
language. Team names are ``[a-z0-9_-]{2,32}`` (typed names are lower-cased), unique across the
bot; a team belongs to the group it was created in (and to its forum topic, where its notices
go), and only that group manages it, following it to its new id when Telegram upgrades it to a
supergroup. Owners and the bot's admins change a team; anyone in it may cover for it.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.core.buttons import PressKind, encode
from bot.core.clock import Clock
from bot.core.messages import Button, Messenger, OutgoingMessage
from bot.core.parsing import Mention
from bot.core.people import UserProfile, UserRecord, isolate
from bot.core.records import RotationKind, Team, parse_rotation_kind
from bot.core.texts import DEFAULT_LANGUAGE, pick_language, t
from bot.core.timezones import local_digits, weekday_name
from bot.oncall.calendar import calendar_file
from bot.oncall.quiet import after_hours_allowed, parse_quiet, quiet_hours, weekend_days
from bot.oncall.rotation import (
    Cover,
    OnCall,
    Rotation,
    anchor_keeping,
    format_local,
    next_hand_over,
    on_call,
    parse_hhmm,
    parse_span,
    parse_zone,
)
from bot.oncall.schedule import Shift, shifts
from bot.storage import Store

__all__ = [
    "NAME_PATTERN",
    "OnCallService",
    "TeamView",
    "call_now_button",
    "counted",
    "readiness",
    "why_not_ready",
]

NAME_PATTERN = re.compile(r"^[a-z0-9_-]{2,32}$")
#: ``/oncall NAME week`` lists this many days; ``/rotation NAME calendar`` this many (8 weeks).
WEEK_DAYS, CALENDAR_DAYS = 7, 56
#: What may follow ``/team quiet NAME HH:MM-HH:MM``.
_QUIET_FLAGS = frozenset({"weekend", "urgent-only"})
logger = logging.getLogger(__name__)


def why_not_ready(person: UserRecord | None, *, phones_required: bool) -> str | None:
    """Why a member cannot be rung now (a ``ready_*`` key's suffix), None if they can: the one
    rule of both ``/team NAME``'s marks and ``/page``'s skips."""
    return person.why_not_ringable(phones_required=phones_required) if person else "not_started"


def readiness(lang: str, person: UserRecord | None, *, phones_required: bool = False) -> str:
    """Whether a member can be rung now, as a short mark (:func:`why_not_ready`)."""
    why = why_not_ready(person, phones_required=phones_required)
    return t(lang, f"ready_{why or 'ok'}")


def counted(lang: str, key: str, number: int, /, **params: object) -> str:
    """Text ``key`` for ``number`` things: ``key_one`` when there is one ("1 use", "after 1
    attempt"; Persian's ``_one`` texts are its plural ones, its nouns do not change)."""
    return t(lang, f"{key}_one" if number == 1 else key, **params)


def call_now_button(
    lang: str, team: Team, member: int, person: str, *, named: bool = False
) -> Button:
    """The "Call now" button of ``team`` naming ``member`` (on call now; ``person``: their name,
    as shown): it calls that member only; ``named``: with the team's name, where several teams
    are listed (see :mod:`bot.oncall.call_now`)."""
    key = "button_call_now_team" if named else "button_call_now"
    text = html.unescape(t(lang, key, person=person, name=team.name))  # a label is not HTML
    return Button(text, data=encode(PressKind.CALL_NOW, team.id, member))


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
        phones_required: bool = False,
        allowed_chats: frozenset[int] = frozenset(),
        left_out: Callable[[int], Awaitable[bool]] | None = None,
    ) -> None:
        self.store = store
        self.messenger = messenger
        self.clock = clock
        self.default_zone = default_zone
        self.admins = admins
        #: ``REQUIRE_PHONE``: members without a verified number are not ready (the page's rule;
        #: the page service sets it to its own setting, see :func:`why_not_ready`).
        self.phones_required = phones_required
        #: ``ALLOWED_CHAT_IDS``: a listed group that moves to a new id stays allowed there.
        self.allowed_chats = allowed_chats
        #: The admins' rules leave this person out (denied, or not on the people's allow-list):
        #: they take no shift (a swap, ``/cover``), as no call reaches them.
        self._left_out = left_out

    async def left_out(self, person: int) -> bool:
        """Do the admins' rules leave ``person`` out (no call would reach them)?"""
        return self._left_out is not None and await self._left_out(person)

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

    async def move_chat(self, old: int, new: int) -> bool:
        """Telegram moved group ``old`` to id ``new`` (it became a supergroup): its teams, their
        pages, the admins' rules for it and everything else stored by its id follow, once,
        whoever asks first (its service message, or a message refused with the new id, on any
        replica); a group of ``ALLOWED_CHAT_IDS`` stays allowed at its new id. True if this
        call moved anything."""
        moved = await self.store.move_chat(old, new, allow=old in self.allowed_chats)
        if moved:
            logger.info("chat %s moved to %s: its teams, pages and rules follow it", old, new)
        return moved

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
        now = self.clock.now()
        return on_call(members, rotation_of(team), await self.covers(team, now), now)

    async def covers(self, team: Team, now: datetime) -> list[Cover]:
        """The team's covers not over at ``now`` (several, none overlapping another)."""
        found = await self.store.teams.covers(team.id, now=now)
        return [Cover(member, starts, ends, id=row) for row, member, starts, ends in found]

    async def name(self, telegram_id: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
        """A person's shown name; "someone who left" for one the bot no longer knows (never a
        bare id: these names go to groups)."""
        if telegram_id is None:
            return "—"
        person = await self.store.get_user(telegram_id)
        return person.display_name if person else isolate(t(lang, "person_gone"))

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

    async def create(
        self,
        lang: str,
        actor: int,
        chat_id: int,
        private: bool,
        name: str,
        *,
        thread_id: int | None = None,
    ) -> str:
        """Team ``name`` of this group, and of forum topic ``thread_id`` (where it was created)
        if given: its notices go there."""
        name = name.lower()
        if not NAME_PATTERN.match(name):
            raise Refused(t(lang, "team_bad_name", name=name[:40]))
        if private:
            raise Refused(t(lang, "team_group_only"))
        team = await self.store.teams.create(
            name,
            owner_id=actor,
            chat_id=chat_id,
            zone=self.default_zone,
            now=self.clock.now(),
            thread_id=thread_id,
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
        already = [p.display_name for p in people if p.telegram_id not in added]
        if already:  # add_members keeps members where they are
            lines.append(t(lang, "team_already", name=team.name, people=", ".join(already)))
        if refused:
            lines.append(t(lang, "team_not_added", people="; ".join(refused)))
        await self.store.teams.schedule(team.id, self.clock.now())  # who is on call may change
        return "\n".join(lines)

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
            shown = person.display_name if person else isolate(t(lang, "person_gone"))
            ready = readiness(lang, person, phones_required=self.phones_required)
            lines.append(f"{index}. {shown} {ready}")
        shown = t(
            lang,
            "team_show",
            name=team.name,
            rotation=self._rotation_words(lang, team),
            members="\n".join(lines),
            oncall=await self._line(lang, team, view.now, named=False),
        )
        return "\n".join([shown, *await self._quiet_words(lang, team)])

    async def _quiet_words(self, lang: str, team: Team) -> list[str]:
        """``/team NAME``'s lines on its quiet hours and after-hours team, if it has them."""
        words: list[str] = []
        hours = quiet_hours(team)
        if hours is not None:
            key = "team_show_quiet_urgent" if team.quiet_urgent else "team_show_quiet"
            span = local_digits(hours.describe(), lang)
            words.append(t(lang, key, span=span, zone=team.zone))
            if team.quiet_weekend:
                days = ", ".join(weekday_name(day, lang) for day in weekend_days(team.zone))
                words.append(t(lang, "team_quiet_weekend", days=days))
        if team.after_hours_team_id is not None:
            other = await self.store.teams.by_id(team.after_hours_team_id)
            if other is not None:
                words.append(t(lang, "team_show_after_hours", other=other.name))
        return words

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
        hand_over = local_digits(team.hand_over, lang)
        return t(lang, "team_rotation", kind=kind, time=hand_over, zone=team.zone)

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
        local_weekday = _local(self.clock.now(), zone).weekday()
        updated = await self._rotate(
            team, kind=rotation_kind, hand_over=hand_over, weekday=local_weekday, zone=zone
        )
        line = await self.oncall_line(lang, updated)
        return t(
            lang,
            "rotation_set",
            name=team.name,
            kind=t(lang, f"kind_{rotation_kind}"),
            time=local_digits(hand_over.strftime("%H:%M"), lang),
            zone=zone,
            oncall=line,
        )

    async def _rotate(
        self, team: Team, *, kind: RotationKind, hand_over: time, weekday: int, zone: str
    ) -> Team:
        """Give the team this rotation (a new one, or its own in another zone), re-anchored so
        that whoever the rotation has on call now stays on until the new rotation's next
        hand-over: a change never takes someone off mid-shift. Should someone else be on call
        after all, both are told privately. The team as it is now."""
        now = self.clock.now()
        members = await self.store.teams.members(team.id)
        before = await self.on_call_now(team, members)
        keeping = on_call(members, rotation_of(team), None, now).member  # covers aside
        shift = members.index(keeping) if keeping in members else 0
        rotation = Rotation(kind=kind, hand_over=hand_over, zone=zone, weekday=weekday, anchor=now)
        await self.store.teams.set_rotation(
            team.id,
            kind=kind,
            hand_over=hand_over.strftime("%H:%M"),
            weekday=weekday,
            zone=zone,
            anchor=anchor_keeping(rotation, shift, now),
            next_check_at=now,
        )
        updated = await self.store.teams.by_id(team.id)
        assert updated is not None
        after = await self.on_call_now(updated, members)
        if (
            before.member is not None
            and after.member is not None
            and after.member != before.member
            and after.until is not None
        ):
            until = (after.until, updated.zone)
            await self._tell(after.member, "rotation_you_are_on", until=until, name=team.name)
            await self._tell(
                before.member,
                "rotation_you_are_off",
                until=until,
                name=team.name,
                person=await self.name(after.member),
            )
        return updated

    # -- /team zone ----------------------------------------------------------------------------

    async def set_zone(self, lang: str, actor: int, team: Team, zone_name: str) -> str:
        """``/team zone NAME TZ``: the team's time zone (its rotation's hand-overs, its support
        line's hours, the times it is shown)."""
        self.may_manage(lang, team, actor)
        zone = parse_zone(zone_name)
        if zone is None:
            raise Refused(t(lang, "rotation_bad_zone", zone=zone_name[:64]))
        updated = await self.move_zone(team, zone)
        line = await self.oncall_line(lang, updated)
        return t(lang, "team_zone_set", name=team.name, zone=zone, oncall=line)

    async def move_zone(self, team: Team, zone: str) -> Team:
        """The team keeps time in ``zone`` (an IANA name, as :func:`parse_zone` returns it); its
        rotation keeps its hand-over's wall-clock time and weekday, and whoever is on call."""
        if zone == team.zone:
            return team
        hand_over = parse_hhmm(team.hand_over or "")
        if team.rotation_kind is None or hand_over is None:
            await self.store.teams.set_zone(team.id, zone)
            updated = await self.store.teams.by_id(team.id)
            assert updated is not None
            return updated
        return await self._rotate(
            team,
            kind=team.rotation_kind,
            hand_over=hand_over,
            weekday=team.weekday or 0,  # its weekday, as rotation_of reads it
            zone=zone,
        )

    # -- /team quiet, /team after-hours ----------------------------------------------------------

    async def set_quiet(self, lang: str, actor: int, team: Team, args: list[str]) -> str:
        """``/team quiet NAME HH:MM-HH:MM [weekend] [urgent-only]`` or ``/team quiet NAME off``
        (see :mod:`bot.oncall.quiet`)."""
        self.may_manage(lang, team, actor)
        if len(args) == 1 and args[0].lower() == "off":
            await self.store.teams.set_quiet(team.id, start=None, end=None, urgent=False)
            return t(lang, "team_quiet_off", name=team.name)
        flags = {word.lower() for word in args[1:]}
        if not args or len(flags) != len(args) - 1 or not flags <= _QUIET_FLAGS:
            raise Refused(t(lang, "team_quiet_usage"))
        hours = parse_quiet(args[0])
        if hours is None:
            raise Refused(t(lang, "team_quiet_bad", text=args[0][:20]))
        urgent, weekend = "urgent-only" in flags, "weekend" in flags
        start, end = hours.describe().split("-")
        await self.store.teams.set_quiet(
            team.id, start=start, end=end, urgent=urgent, weekend=weekend
        )
        lines = [
            t(
                lang,
                "team_quiet_set",
                name=team.name,
                span=local_digits(hours.describe(), lang),
                zone=team.zone,
            )
        ]
        if weekend:
            days = ", ".join(weekday_name(day, lang) for day in weekend_days(team.zone))
            lines.append(t(lang, "team_quiet_weekend", days=days))
        lines.append(t(lang, "team_quiet_urgent" if urgent else "team_quiet_no_call"))
        return " ".join(lines)

    async def set_after_hours(self, lang: str, actor: int, team: Team, other_name: str) -> str:
        """``/team after-hours NAME OTHER`` or ``/team after-hours NAME off``."""
        self.may_manage(lang, team, actor)
        if other_name.lower() == "off":
            await self.store.teams.set_after_hours(team.id, None)
            return t(lang, "team_after_hours_off", name=team.name)
        other = await self.team_named(lang, other_name)
        if other.id == team.id:
            raise Refused(t(lang, "team_after_hours_self"))
        if not after_hours_allowed(team, other):  # its people never agreed to this group's pages
            raise Refused(t(lang, "team_after_hours_elsewhere", name=team.name, other=other.name))
        await self.store.teams.set_after_hours(team.id, other.id)
        return t(lang, "team_after_hours_set", name=team.name, other=other.name)

    # -- /oncall -------------------------------------------------------------------------------

    async def oncall_answer(
        self, lang: str, actor: int, chat_id: int, private: bool, name: str | None
    ) -> str:
        """``/oncall [NAME]``'s text (see :meth:`oncall_reply`)."""
        text, _ = await self.oncall_reply(lang, actor, chat_id, private, name)
        return text

    async def oncall_reply(
        self, lang: str, actor: int, chat_id: int, private: bool, name: str | None
    ) -> tuple[str, tuple[Button, ...]]:
        """``/oncall [NAME]``, with a "Call now" button for each team someone else is on call
        for. In a group: its teams, or its team NAME. In private: the asker's own teams (those
        they are in, cover or own), or team NAME when they are in it, own it or are an admin."""
        if name is not None:
            team = await self.visible_team(lang, actor, chat_id, private, name)
            return await self._listed(lang, actor, [team], named=False)
        if not private:
            teams = await self.teams_here(chat_id)
            if not teams:
                raise Refused(t(lang, "team_none_here"))
            return await self._listed(lang, actor, teams, named=len(teams) > 1)
        teams = await self.store.teams.of_member(actor, owned=True)
        if not teams:
            raise Refused(t(lang, "oncall_no_teams"))
        return await self._listed(lang, actor, teams, named=True)

    async def visible_team(
        self, lang: str, actor: int, chat_id: int, private: bool, name: str
    ) -> Team:
        """Team ``name`` as ``/oncall NAME`` may show it: in a group, a team of that group; in
        private, a team the asker is in, owns, or any team for an admin."""
        if not private:
            return await self.team_here(lang, name, chat_id)
        team = await self.team_named(lang, name)
        if (
            actor != team.owner_id
            and actor not in self.admins
            and actor not in await self.store.teams.members(team.id)
        ):
            raise Refused(t(lang, "oncall_members_only", name=team.name))
        return team

    # -- the schedule: /oncall NAME week, /rotation NAME calendar ------------------------------

    async def schedule(self, team: Team, days: int) -> list[Shift]:
        """The team's shifts from the one on now, for ``days`` days (:mod:`bot.oncall.schedule`)."""
        members = await self.store.teams.members(team.id)
        now = self.clock.now()
        found = await self.covers(team, now)
        return shifts(members, rotation_of(team), found, now, now + timedelta(days=days))

    async def week(self, lang: str, team: Team) -> str:
        """``/oncall NAME week``: the next 7 days of shifts, in the team's zone."""
        schedule = await self.schedule(team, WEEK_DAYS)
        if not schedule:
            return t(lang, "oncall_nobody", name=team.name)
        lines = [t(lang, "oncall_week_title", name=team.name, zone=team.zone)]
        for shift in schedule:
            person = await self.name(shift.member, lang)
            if shift.covering:
                person = t(lang, "oncall_week_cover", person=person)
            start = format_local(shift.starts, team.zone, lang, with_zone=False)
            if shift.ends is None:
                lines.append(t(lang, "oncall_week_open", start=start, person=person))
                continue
            end = format_local(shift.ends, team.zone, lang, with_zone=False)
            lines.append(t(lang, "oncall_week_line", start=start, end=end, person=person))
        return "\n".join(lines)

    async def calendar(self, lang: str, team: Team) -> tuple[str, bytes, str]:
        """``/rotation NAME calendar``: the file name, the ``.ics`` of the next
        :data:`CALENDAR_DAYS` days of shifts (:mod:`bot.oncall.calendar`), and its caption."""
        now = self.clock.now()
        schedule = await self.schedule(team, CALENDAR_DAYS)
        names: dict[int, str] = {}
        for shift in schedule:
            person = await self.store.get_user(shift.member)
            names[shift.member] = person.name if person else t(lang, "person_gone")
        data = calendar_file(
            team,
            schedule,
            names,
            until=now + timedelta(days=CALENDAR_DAYS),
            made_at=now,
            cover_word=t(lang, "calendar_cover"),
        )
        caption = t(lang, "rotation_calendar", name=team.name, zone=team.zone)
        return f"{team.name}-oncall.ics", data, caption

    async def _listed(
        self, lang: str, actor: int, teams: list[Team], *, named: bool
    ) -> tuple[str, tuple[Button, ...]]:
        """One line per team, and the buttons to call whoever is on call (not the asker)."""
        lines: list[str] = []
        buttons: list[Button] = []
        for team in teams:
            now = await self.on_call_now(team)
            lines.append(await self._line(lang, team, now, named=True))
            if now.member is not None and now.member != actor:
                person = await self.name(now.member, lang)
                buttons.append(call_now_button(lang, team, now.member, person, named=named))
        return "\n".join(lines), tuple(buttons)

    async def oncall_line(self, lang: str, team: Team) -> str:
        return await self._line(lang, team, await self.on_call_now(team), named=True)

    async def _line(self, lang: str, team: Team, now: OnCall, *, named: bool) -> str:
        if now.member is None:
            return t(lang, "oncall_nobody", name=team.name)
        member = await self.name(now.member, lang)
        if now.until is None:
            line = t(lang, "oncall_line_open", name=team.name, member=member)
        else:
            line = t(
                lang,
                "oncall_line",
                name=team.name,
                member=member,
                until=format_local(now.until, team.zone, lang),
                next=await self.name(now.next_member, lang),
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
        if await self.left_out(person.telegram_id):  # no call would reach them: uncovered
            raise Refused(t(lang, "shift_left_out", person=person.display_name))
        replaced = (await self.on_call_now(team, members)).member
        now = self.clock.now()
        await self.store.teams.set_cover(
            team.id, member=person.telegram_id, starts=now, ends=now + span, by=actor
        )
        await self.store.teams.schedule(team.id, now)
        if replaced is not None and replaced != person.telegram_id:
            await self._tell(
                replaced,
                "cover_you_are_replaced",
                until=(now + span, team.zone),
                person=person.display_name,
                name=team.name,
            )
        until = format_local(now + span, team.zone, lang)
        return t(lang, "cover_set", person=person.display_name, name=team.name, until=until)

    async def end_cover(self, lang: str, actor: int, team: Team) -> str:
        members = await self.store.teams.members(team.id)
        if actor not in members and actor != team.owner_id and actor not in self.admins:
            raise Refused(t(lang, "cover_not_member", name=team.name))
        if not await self.store.teams.end_cover(team.id, now=self.clock.now()):
            raise Refused(t(lang, "cover_none", name=team.name))
        await self.store.teams.schedule(team.id, self.clock.now())
        return t(lang, "cover_off", name=team.name)

    # -- /forget ------------------------------------------------------------------------------

    async def left(self, person: UserProfile, teams: list[Team]) -> None:
        """``person`` left ``teams`` (``/forget`` took them out of them and their covers): each
        team looks again at who is on call (its group hears of a change) and its owner is told
        privately who left."""
        now = self.clock.now()
        for team in teams:
            await self.store.teams.schedule(team.id, now)
            if team.owner_id == person.telegram_id:
                continue
            owner = await self.store.get_user(team.owner_id)
            if owner is None or not owner.reachable:
                continue
            text = t(
                pick_language(owner.language_code),
                "team_member_left",
                person=person.display_name,
                name=team.name,
            )
            await self.messenger.send(owner.telegram_id, OutgoingMessage(text))

    async def _tell(
        self, telegram_id: int, key: str, *, until: tuple[datetime, str], **params: object
    ) -> None:
        """Tell someone privately, in their language; ``until`` (an instant, a zone) as they
        read dates."""
        person = await self.store.get_user(telegram_id)
        if person is None or not person.reachable:
            return
        lang = pick_language(person.language_code)
        params["until"] = format_local(*until, lang)
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
