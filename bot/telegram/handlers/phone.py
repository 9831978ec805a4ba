"""/phone and shared contacts: a person proves their own number; admins look one up."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.core.messages import OutgoingMessage
from bot.core.parsing import Mention, parse_id
from bot.core.people import UserProfile
from bot.core.texts import pick_language, t
from bot.onboarding.phones import readable
from bot.onboarding.verification import Verified
from bot.services import Services
from bot.telegram.handlers.answering import Answering
from bot.telegram.handlers.base import Command, Invocation, mentions_in, profile_of

__all__ = ["Phone", "SharedContact"]

logger = logging.getLogger(__name__)


class Phone(Command):
    """``/phone``: share a (new) number. ``/phone @someone`` (admins): show theirs.
    ``/phone release NUMBER`` (admins): free a number another account holds."""

    async def run(self, invocation: Invocation) -> None:
        if invocation.args and invocation.args[0].lower() == "release":
            await self._release(invocation)
            return
        _, mentions, reply_to = mentions_in(invocation.message)
        if mentions or reply_to is not None or invocation.args:
            await self._show(invocation, mentions[0] if mentions else None, reply_to)
            return
        if not invocation.private:
            await self.reply(invocation, invocation.text("phone_in_group"))
            return
        await self.reply_with(invocation, self.services.phones.request(invocation.lang))

    async def _release(self, invocation: Invocation) -> None:
        """``/phone release NUMBER`` (admins, in private): free a number held by an account."""
        if not self.services.access.is_admin(invocation.sender.telegram_id):
            await self.reply(invocation, invocation.text("phone_admin_only"))
            return
        if not invocation.private:  # a number never goes to a group, even an admin's
            await self.reply(invocation, invocation.text("phone_private_only"))
            return
        number = " ".join(invocation.args[1:])
        answer = await self.services.phones.release(invocation.lang, number)
        await self.reply(invocation, answer)

    async def _show(
        self, invocation: Invocation, mention: Mention | None, reply_to: UserProfile | None
    ) -> None:
        if not self.services.access.is_admin(invocation.sender.telegram_id):
            await self.reply(invocation, invocation.text("phone_admin_only"))
            return
        if not invocation.private:  # a number never goes to a group, even an admin's
            await self.reply(invocation, invocation.text("phone_private_only"))
            return
        people = self.services.people
        record = None
        name = " ".join(invocation.args)
        user = (mention.user if mention else None) or reply_to
        if user is not None:
            record = await people.get(user.telegram_id)
            name = user.display_name
        elif mention is not None and mention.username:
            record = await people.find(mention.username)
        elif (telegram_id := parse_id(name)) is not None:
            record = await people.get(telegram_id)
        if record is None:
            await self.reply(invocation, invocation.text("phone_unknown", name=name))
            return
        if record.phone is None:
            await self.reply(invocation, invocation.text("phone_none", name=record.display_name))
            return
        text = invocation.text("phone_of", name=record.display_name, phone=readable(record.phone))
        await self.reply(invocation, text)


class SharedContact:
    """A contact sent in the private chat: the person's own number, or a polite refusal."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None or message.contact is None:
            return
        if message.chat.type != ChatType.PRIVATE:
            return  # a contact card posted in a group is the group's business
        lang = pick_language(user.language_code)
        contact = message.contact
        messenger = self.services.messenger

        async def fail(key: str) -> None:
            await messenger.send(message.chat_id, OutgoingMessage(t(lang, key)))

        verified: Verified | None = None
        counted = self.services.metrics.handler_failed
        async with Answering(update.update_id, "a shared contact", fail, counted):
            if await self.services.access.denied(user.id):
                return  # denied by an admin: nothing of theirs is recorded or registered
            verified = await self.services.phones.verify(
                profile_of(user),
                contact.phone_number,
                contact_user_id=contact.user_id,
                forwarded=message.forward_origin is not None,
            )
        if verified is None:
            return
        await messenger.send(message.chat_id, verified.message)
        if not verified.ok:
            return
        try:  # a support line waiting for the number goes on now (its own messages)
            await self.services.after_verification(profile_of(user))
        except Exception:  # the request stays held; pressing the line's link again resumes it
            logger.exception("update %s: could not resume a held line request", update.update_id)
