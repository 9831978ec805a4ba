"""The command base: one preamble, one reply path, one answer per command, whatever fails."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import ClassVar

from telegram import Message, MessageEntity, Update, User
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.core.messages import Button, MessageKind, OutgoingMessage, Receipt
from bot.core.parsing import Mention
from bot.core.people import UserProfile
from bot.core.texts import pick_language, t
from bot.services import Services
from bot.telegram.handlers.answering import Answering

__all__ = ["Command", "Invocation", "mentions_in", "profile_of", "topic_of"]

logger = logging.getLogger(__name__)


def profile_of(user: User) -> UserProfile:
    return UserProfile.from_attributes(user, telegram_id=user.id)


def topic_of(message: Message) -> int | None:
    """The forum topic ``message`` was written in (its ``message_thread_id``); None in "General"
    and in chats without topics (where a reply's thread id names no topic)."""
    return message.message_thread_id if message.is_topic_message else None


def mentions_in(message: Message) -> tuple[str, list[Mention], UserProfile | None]:
    """The text after the command, the people it mentions in order (``@name`` or a text
    mention), and the replied-to author, if any."""
    text = message.text or ""
    entities = message.parse_entities(
        [MessageEntity.BOT_COMMAND, MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    )
    ordered = sorted(entities.items(), key=lambda item: item[0].offset)
    command_text = next(
        (s for e, s in ordered if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), ""
    )
    mentions = []
    for entity, entity_text in ordered:
        if entity.type == MessageEntity.MENTION:
            mentions.append(Mention(text=entity_text, username=entity_text.removeprefix("@")))
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            mentions.append(Mention(text=entity_text, user=profile_of(entity.user)))
    reply_to = None
    replied = message.reply_to_message
    # In forum topics every message "replies" to the topic's first message: not a person.
    if replied is not None and replied.from_user is not None and not replied.forum_topic_created:
        reply_to = profile_of(replied.from_user)
    return text[len(command_text) :], mentions, reply_to


@dataclass(frozen=True)
class Invocation:
    """One command as a handler needs it: who, where, in which language, with what arguments."""

    message: Message
    sender: UserProfile
    lang: str
    args: list[str]
    #: (bot id, update id): the update's key among the replicas (see the preflight).
    update_key: tuple[int, int] = (0, 0)

    @property
    def chat_id(self) -> int:
        return self.message.chat_id

    @property
    def private(self) -> bool:
        return self.message.chat.type == ChatType.PRIVATE

    @property
    def thread_id(self) -> int | None:
        """The forum topic the command was typed in (None: "General", or no topics): its
        answers go there."""
        return topic_of(self.message)

    def text(self, key: str, **params: object) -> str:
        """The text ``key`` in the sender's language."""
        return t(self.lang, key, **params)


class Command:
    """A command handler holding the services; subclasses implement :meth:`run`.

    Every command gets exactly one answer, whatever fails (see :class:`Answering`).
    """

    #: Only the bot's admins may run it; others are told so.
    admin_only: ClassVar[bool] = False

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        invocation = Invocation(
            message=message,
            sender=profile_of(user),
            lang=pick_language(user.language_code),
            args=list(context.args or []),
            update_key=(context.bot.id, update.update_id),
        )

        async def fail(key: str) -> None:
            await self.reply(invocation, invocation.text(key))

        counted = self.services.metrics.handler_failed
        async with Answering(update.update_id, type(self).__name__, fail, counted):
            if self.admin_only and not self.services.access.is_admin(user.id):
                await self.reply(invocation, invocation.text("admin_only"))
                return
            await self.run(invocation)

    async def run(self, invocation: Invocation) -> None:
        raise NotImplementedError

    async def reply_with(self, invocation: Invocation, message: OutgoingMessage) -> Receipt:
        """Answer the command with a prepared message (a keyboard, a removal), quoting it, in
        the topic it was typed in."""
        quoting = replace(
            message,
            reply_to_message_id=invocation.message.message_id,
            addressee=invocation.sender.telegram_id,
            message_thread_id=invocation.thread_id,
        )
        return await self.services.messenger.send(invocation.chat_id, quoting)

    async def reply(
        self,
        invocation: Invocation,
        html: str,
        buttons: tuple[Button, ...] = (),
        *,
        kind: MessageKind = MessageKind.ANSWER,
    ) -> Receipt:
        """Answer the command in its chat (and topic), quoting it."""
        message = OutgoingMessage(
            html,
            buttons,
            reply_to_message_id=invocation.message.message_id,
            kind=kind,
            addressee=invocation.sender.telegram_id,
            message_thread_id=invocation.thread_id,
        )
        return await self.services.messenger.send(invocation.chat_id, message)
