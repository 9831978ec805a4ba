"""Admin commands: /allow, /deny, /access, /uncallable, /callable. Ids only, never usernames."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from ..services import Services
from ..texts import pick_language, t
from .common import Handler, reply_html


class AdminHandler(Handler):
    """Checks the sender is an admin, then runs :meth:`run`."""

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = pick_language(user.language_code)
        if not self.services.access.is_admin(user.id):
            await reply_html(message, t(lang, "admin_only"))
            return
        await self.run(message, user.id, lang, context.args or [])

    async def run(self, message: Message, admin_id: int, lang: str, args: list[str]) -> None:
        raise NotImplementedError


def _subject(message: Message, args: list[str]) -> tuple[str, int] | None:
    """("user"|"chat", id) from an id argument, or this group when there is none."""
    if len(args) == 1:
        try:
            subject_id = int(args[0])
        except ValueError:
            return None
        return ("chat" if subject_id < 0 else "user"), subject_id
    if not args and message.chat.type != ChatType.PRIVATE:
        return "chat", message.chat_id
    return None


class SetAccess(AdminHandler):
    def __init__(self, services: Services, *, allowed: bool) -> None:
        super().__init__(services)
        self.allowed = allowed

    async def run(self, message: Message, admin_id: int, lang: str, args: list[str]) -> None:
        subject = _subject(message, args)
        if subject is None:
            await reply_html(message, t(lang, "access_usage"))
            return
        kind, subject_id = subject
        await self.services.store.set_access_rule(
            kind, subject_id, self.allowed, changed_by=admin_id
        )
        key = "access_allowed" if self.allowed else "access_denied"
        await reply_html(message, t(lang, key, kind=t(lang, f"kind_{kind}"), subject_id=subject_id))


class ShowAccess(AdminHandler):
    async def run(self, message: Message, admin_id: int, lang: str, args: list[str]) -> None:
        view = await self.services.access.view()

        def listing(ids: frozenset[int], empty: str) -> str:
            return ", ".join(str(i) for i in sorted(ids)) or t(lang, empty)

        await reply_html(
            message,
            t(
                lang,
                "access_list",
                users=listing(view.users, "access_open"),
                chats=listing(view.chats, "access_open"),
                denied=listing(view.denied_users | view.denied_chats, "access_none"),
                admins=listing(view.admins, "access_none"),
            ),
        )


class SetCallable(AdminHandler):
    """/uncallable and /callable: by reply, numeric id, or @username."""

    def __init__(self, services: Services, *, callable_: bool) -> None:
        super().__init__(services)
        self.callable = callable_

    async def run(self, message: Message, admin_id: int, lang: str, args: list[str]) -> None:
        store = self.services.store
        target_id: int | None = None
        name = args[0] if args else ""
        replied = message.reply_to_message
        if not args and replied is not None and replied.from_user is not None:
            target_id, name = replied.from_user.id, replied.from_user.full_name
        elif len(args) == 1 and args[0].lstrip("-").isdigit():
            target_id = int(args[0])
        elif len(args) == 1 and args[0].startswith("@"):
            record = await store.find_by_username(args[0])
            target_id = record.telegram_id if record else None
        else:
            await reply_html(message, t(lang, "callable_usage"))
            return
        if target_id is None or not await store.set_uncallable(target_id, not self.callable):
            await reply_html(message, t(lang, "unknown_person", name=name))
            return
        key = "callable_done" if self.callable else "uncallable_done"
        await reply_html(message, t(lang, key, name=name))
