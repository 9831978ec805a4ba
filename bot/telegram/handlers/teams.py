"""/team, /rotation, /oncall, /cover and /page: thin adapters over the on-call domain."""

from __future__ import annotations

import re

from bot.core.messages import OutgoingMessage
from bot.core.parsing import Mention, parse_number
from bot.core.people import UserProfile
from bot.oncall.service import Refused
from bot.telegram.handlers.base import Command, Invocation, mentions_in

__all__ = [
    "Cover",
    "Invite",
    "Invites",
    "LineCommand",
    "OnCall",
    "PageTeam",
    "Queue",
    "Rotation",
    "SwapShift",
    "TeamCommand",
]

_BARE = re.compile(r"^@[A-Za-z0-9_]{1,32}$")
#: ``/team``'s subcommands: typed alone, they get the usage.
_TEAM_ACTIONS = frozenset(
    {"new", "add", "remove", "move", "delete", "zone", "quiet", "after-hours"}
)
#: ``/team move``'s place is clamped to the rotation; anything past this is not a place.
MAX_POSITION = 10**6


def people_in(invocation: Invocation) -> tuple[list[Mention], UserProfile | None]:
    """Mentions (entities, or bare ``@name`` words Telegram did not mark) and the reply."""
    _, mentions, reply_to = mentions_in(invocation.message)
    marked = {m.text for m in mentions}
    for word in invocation.args:
        if _BARE.match(word) and word not in marked:
            mentions.append(Mention(text=word, username=word[1:]))
    return mentions, reply_to


class OnCallCommand(Command):
    """An on-call command: :meth:`answer` returns the answer, or raises :class:`Refused`."""

    async def run(self, invocation: Invocation) -> None:
        try:
            text = await self.answer(invocation)
        except Refused as refused:
            text = refused.text
        if text is not None:
            await self.reply(invocation, text)

    async def answer(self, invocation: Invocation) -> str | None:
        raise NotImplementedError


class TeamCommand(OnCallCommand):
    """``/team``, ``/team NAME``, ``/team new|add|remove|move|delete NAME …``, ``/team zone NAME
    TZ``, ``/team quiet NAME HH:MM-HH:MM [urgent-only]|off``, ``/team after-hours NAME
    OTHER|off``."""

    async def answer(self, invocation: Invocation) -> str:
        oncall, lang, args = self.services.oncall, invocation.lang, invocation.args
        actor, chat = invocation.sender.telegram_id, invocation.chat_id
        if not args:
            return await oncall.list_here(lang, chat)
        action = args[0].lower()
        if action == "new" and len(args) == 2:  # the team of the topic it is made in
            return await oncall.create(
                lang, actor, chat, invocation.private, args[1], thread_id=invocation.thread_id
            )
        if len(args) == 1:
            if action in _TEAM_ACTIONS:  # "/team add" alone: its usage, not "no team called add"
                raise Refused(invocation.text("team_usage"))
            return await oncall.show(lang, await oncall.team_here(lang, args[0], chat))
        if action == "zone" and len(args) == 3:
            team = await oncall.team_here(lang, args[1], chat)
            return await oncall.set_zone(lang, actor, team, args[2])
        if action == "quiet":  # /team quiet NAME 22:00-08:00 [urgent-only] | off
            team = await oncall.team_here(lang, args[1], chat)
            return await oncall.set_quiet(lang, actor, team, args[2:])
        if action == "after-hours":  # /team after-hours NAME OTHER | off
            if len(args) != 3:
                raise Refused(invocation.text("team_after_hours_usage"))
            team = await oncall.team_here(lang, args[1], chat)
            return await oncall.set_after_hours(lang, actor, team, args[2])
        if action not in ("add", "remove", "move", "delete"):
            raise Refused(invocation.text("team_usage"))
        team = await oncall.team_here(lang, args[1], chat)
        mentions, reply_to = people_in(invocation)
        if action == "add":
            return await oncall.add(lang, actor, team, mentions, reply_to)
        if action == "remove":
            return await oncall.remove(lang, actor, team, mentions, reply_to)
        if action == "delete" and len(args) == 2:
            return await oncall.delete(lang, actor, team)
        position = parse_number(args[3], 0, MAX_POSITION) if len(args) == 4 else None
        if action == "move" and position is not None:  # ۲ and ٢ are 2 (ascii_digits)
            return await oncall.move(lang, actor, team, mentions, position)
        raise Refused(invocation.text("team_usage"))


class Rotation(OnCallCommand):
    """``/rotation NAME daily|weekly HH:MM [TZ]``, or ``/rotation NAME calendar``: the next 8
    weeks of shifts as an ``.ics`` file."""

    async def answer(self, invocation: Invocation) -> str | None:
        oncall, lang, args = self.services.oncall, invocation.lang, invocation.args
        if len(args) == 2 and args[1].lower() == "calendar":
            actor, chat = invocation.sender.telegram_id, invocation.chat_id
            team = await oncall.visible_team(lang, actor, chat, invocation.private, args[0])
            file_name, data, caption = await oncall.calendar(lang, team)
            message = OutgoingMessage(
                caption,
                reply_to_message_id=invocation.message.message_id,
                addressee=actor,
                message_thread_id=invocation.thread_id,
            )
            await self.services.messenger.send_document(chat, file_name, data, message)
            return None  # the file is the answer
        if len(args) not in (3, 4):
            raise Refused(invocation.text("rotation_usage"))
        team = await oncall.team_here(lang, args[0], invocation.chat_id)
        zone = args[3] if len(args) == 4 else None
        return await oncall.set_rotation(
            lang, invocation.sender.telegram_id, team, args[1].lower(), args[2], zone
        )


class OnCall(OnCallCommand):
    """``/oncall [NAME]``: who is on call, until when, who is next, with "Call now" buttons;
    ``/oncall NAME week``: the next 7 days of shifts."""

    async def run(self, invocation: Invocation) -> None:
        oncall, args = self.services.oncall, invocation.args
        try:
            if len(args) == 2 and args[1].lower() == "week":  # /oncall NAME week
                team = await oncall.visible_team(
                    invocation.lang,
                    invocation.sender.telegram_id,
                    invocation.chat_id,
                    invocation.private,
                    args[0],
                )
                await self.reply(invocation, await oncall.week(invocation.lang, team))
                return
            text, buttons = await oncall.oncall_reply(  # in private: the asker's own teams
                invocation.lang,
                invocation.sender.telegram_id,
                invocation.chat_id,
                invocation.private,
                args[0] if args else None,
            )
        except Refused as refused:
            text, buttons = refused.text, ()
        await self.reply(invocation, text, buttons)


class Cover(OnCallCommand):
    """``/cover NAME @x DURATION`` or ``/cover NAME off``."""

    async def answer(self, invocation: Invocation) -> str:
        oncall, lang, args = self.services.oncall, invocation.lang, invocation.args
        actor = invocation.sender.telegram_id
        if len(args) < 2:
            raise Refused(invocation.text("cover_usage"))
        team = await oncall.team_here(lang, args[0], invocation.chat_id)
        if len(args) == 2 and args[1].lower() == "off":
            return await oncall.end_cover(lang, actor, team)
        mentions, reply_to = people_in(invocation)
        return await oncall.cover(lang, actor, team, mentions, reply_to, args[-1])


class PageTeam(OnCallCommand):
    """``/page NAME [reason]``: the page's notice answers for itself."""

    async def answer(self, invocation: Invocation) -> str | None:
        oncall, lang, args = self.services.oncall, invocation.lang, invocation.args
        if not args:
            raise Refused(invocation.text("page_usage"))
        team = await oncall.team_here(lang, args[0], invocation.chat_id)
        pager = await self.services.people.get(invocation.sender.telegram_id)
        if pager is None or not pager.reachable:
            raise Refused(invocation.text("call_caller_not_started"))
        words = (invocation.message.text or "").split(None, 2)
        reason = words[2].strip() if len(words) > 2 else None
        return await self.services.pages.start(
            lang,
            pager,
            team,
            chat_id=invocation.chat_id,
            message_id=invocation.message.message_id,
            reason=reason,
            thread_id=invocation.thread_id,
        )


class SwapShift(OnCallCommand):
    """``/swap NAME [now|next]`` or ``/swap NAME @someone``: ask for a shift to be taken."""

    async def answer(self, invocation: Invocation) -> str | None:
        oncall, lang, args = self.services.oncall, invocation.lang, invocation.args
        if not args:
            raise Refused(invocation.text("swap_usage"))
        actor, chat = invocation.sender.telegram_id, invocation.chat_id
        team = await oncall.visible_team(lang, actor, chat, invocation.private, args[0])
        asker = await self.services.people.get(actor)
        if asker is None or not asker.reachable:
            raise Refused(invocation.text("call_caller_not_started"))
        mentions, _ = people_in(invocation)
        words = [w for w in args[1:] if not any(w == m.text for m in mentions)]
        here = not invocation.private and chat == team.chat_id
        return await self.services.swaps.request(
            lang,
            asker,
            team,
            words,
            mentions,
            reply_to=(invocation.message.message_id, invocation.thread_id) if here else None,
        )


class Invite(OnCallCommand):
    """``/invite NAME [USES] [HOURS]`` or ``/invite NAME revoke``."""

    async def answer(self, invocation: Invocation) -> str:
        oncall, lang, args = self.services.oncall, invocation.lang, invocation.args
        actor, invites = invocation.sender.telegram_id, self.services.invites
        if not args:
            raise Refused(invocation.text("invite_usage"))
        team = await oncall.team_here(lang, args[0], invocation.chat_id)
        if len(args) == 2 and args[1].lower() == "revoke":
            return await invites.revoke(lang, actor, team)
        return await invites.create(lang, actor, team, args[1:], self.services.bot_username)


class Invites(OnCallCommand):
    """``/invites NAME``: the live links, never the codes."""

    async def answer(self, invocation: Invocation) -> str:
        oncall, lang, args = self.services.oncall, invocation.lang, invocation.args
        if len(args) != 1:
            raise Refused(invocation.text("invite_usage"))
        team = await oncall.team_here(lang, args[0], invocation.chat_id)
        return await self.services.invites.listing(lang, invocation.sender.telegram_id, team)


class LineCommand(OnCallCommand):
    """``/line NAME on [HOURS]``, ``/line NAME off``, ``/line NAME``: in the team's group."""

    async def answer(self, invocation: Invocation) -> str:
        oncall, lang, args = self.services.oncall, invocation.lang, invocation.args
        if not args:
            raise Refused(invocation.text("line_usage"))
        team = await oncall.team_here(lang, args[0], invocation.chat_id)
        return await self.services.lines.configure(
            lang, invocation.sender.telegram_id, team, args[1:]
        )


class Queue(OnCallCommand):
    """``/queue NAME``: who waits on a line (its members, owner and the admins), anywhere."""

    async def answer(self, invocation: Invocation) -> str:
        lang, args = invocation.lang, invocation.args
        if len(args) != 1:
            raise Refused(invocation.text("line_usage"))
        team = await self.services.oncall.team_named(lang, args[0])
        return await self.services.lines.queue_text(
            lang,
            invocation.sender.telegram_id,
            team,
            chat_id=invocation.chat_id,
            private=invocation.private,
        )
