"""Admin commands: /allow, /deny, /access, /uncallable, /callable. Ids only, never usernames."""

from __future__ import annotations

from bot.core.parsing import parse_id
from bot.core.records import RuleKind
from bot.services import Services
from bot.telegram.handlers.base import Command, Invocation


def _subject(invocation: Invocation) -> tuple[RuleKind, int] | None:
    """("user"|"chat", id) from an id argument, or this group when there is none; None for
    anything else (``--5``, ``²``, an id outside Telegram's 64-bit range: see `parse_id`)."""
    args = invocation.args
    if len(args) == 1:
        subject_id = parse_id(args[0])
        if subject_id is None:
            return None
        return ("chat" if subject_id < 0 else "user"), subject_id
    if not args and not invocation.private:
        return "chat", invocation.chat_id
    return None


class SetAccess(Command):
    admin_only = True

    def __init__(self, services: Services, *, allowed: bool) -> None:
        super().__init__(services)
        self.allowed = allowed

    async def run(self, invocation: Invocation) -> None:
        subject = _subject(invocation)
        if subject is None:
            await self.reply(invocation, invocation.text("access_usage"))
            return
        kind, subject_id = subject
        await self.services.access.set_rule(
            kind, subject_id, self.allowed, changed_by=invocation.sender.telegram_id
        )
        key = "access_allowed" if self.allowed else "access_denied"
        text = invocation.text(key, kind=invocation.text(f"kind_{kind}"), subject_id=subject_id)
        await self.reply(invocation, text)


class ShowAccess(Command):
    admin_only = True

    async def run(self, invocation: Invocation) -> None:
        view = await self.services.access.view()

        def listing(ids: frozenset[int], empty: str) -> str:
            return ", ".join(str(i) for i in sorted(ids)) or invocation.text(empty)

        text = invocation.text(
            "access_list",
            users=listing(view.users, "access_open"),
            chats=listing(view.chats, "access_open"),
            denied=listing(view.denied_users | view.denied_chats, "access_none"),
            admins=listing(view.admins, "access_none"),
        )
        await self.reply(invocation, text)


class SetCallable(Command):
    """/uncallable and /callable: by reply, numeric id, or @username.

    The decision is kept by Telegram id, so it holds for people the bot has not met yet (by id)
    and outlives a person's ``/forget``.
    """

    admin_only = True

    def __init__(self, services: Services, *, callable_: bool) -> None:
        super().__init__(services)
        self.callable = callable_

    async def run(self, invocation: Invocation) -> None:
        people = self.services.people
        args = invocation.args
        target_id: int | None = None
        name = args[0] if args else ""
        replied = invocation.message.reply_to_message
        if not args and replied is not None and replied.from_user is not None:
            target_id, name = replied.from_user.id, replied.from_user.full_name
        elif len(args) == 1 and (typed_id := parse_id(args[0])) is not None:
            target_id = typed_id
        elif len(args) == 1 and args[0].startswith("@"):
            record = await people.find(args[0])
            target_id = record.telegram_id if record else None
        else:
            await self.reply(invocation, invocation.text("callable_usage"))
            return
        if target_id is None:
            await self.reply(invocation, invocation.text("unknown_person", name=name))
            return
        await people.set_callable(
            target_id, self.callable, changed_by=invocation.sender.telegram_id
        )
        key = "callable_done" if self.callable else "uncallable_done"
        await self.reply(invocation, invocation.text(key, name=name))
