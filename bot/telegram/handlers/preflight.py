"""What runs before any handler: take the update once, refresh its sender, apply the allow-list.

One handler, so that a failure in any step stops the update: a claim that could not be written
must not let the update fall through to the commands (another replica may be handling it).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.core.errors import StoreUnavailable
from bot.core.messages import MessageKind, OutgoingMessage
from bot.core.texts import pick_language, t
from bot.services import Services
from bot.support_lines.service import LineService
from bot.telegram.handlers.answering import Answering
from bot.telegram.handlers.base import profile_of, topic_of
from bot.telegram.handlers.call import is_call_command

__all__ = ["Preflight", "PrivateChatMembership"]

logger = logging.getLogger(__name__)


#: The kinds of update the bot receives, in the order they are looked for.
_KINDS = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
    "channel_post",
    "edited_channel_post",
)


def _kind_of(update: Update) -> str:
    """The update's kind (a closed set: anything else is "other")."""
    return next((kind for kind in _KINDS if getattr(update, kind, None) is not None), "other")


def _is_command(update: Update) -> bool:
    message = update.message
    return message is not None and (message.text or "").startswith("/")


def _opens_a_line(update: Update) -> bool:
    """``/start line-NAME``: what a support line's link sends."""
    words = (update.message.text or "").split() if update.message else []
    return (
        len(words) == 2 and words[0].partition("@")[0] == "/start" and LineService.is_line(words[1])
    )


class Preflight:
    """Claim the update, upsert the sender, and stop commands from outside the allow-lists."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.services.metrics.update(_kind_of(update))

        async def fail(key: str) -> None:
            await self._answer(update, key)

        # a failed step stops the update: nothing after it may act on an unclaimed update
        counted = self.services.metrics.handler_failed
        async with Answering(update.update_id, "preflight", fail, counted) as attempt:
            await self._check(update, context.bot.id)
        if attempt.failed:
            raise ApplicationHandlerStop

    async def _check(self, update: Update, bot_id: int) -> None:
        user, chat = update.effective_user, update.effective_chat
        private = (
            user is not None and chat is not None and chat.type == ChatType.PRIVATE
            and chat.id == user.id
        )  # fmt: skip
        # one transaction: the update is ours, and what we know of its sender is fresh
        sender = profile_of(user) if user is not None else None
        dm_open = True if private and update.message else None
        # a new /call is taken with the call's key, in one transaction (bot.calls.service): one
        # commit before the paid POST, not two
        new_call = is_call_command(update.message, self.services.bot_username)
        if not new_call and not await self.services.people.take_update(
            bot_id, update.update_id, sender, dm_open=dm_open
        ):
            raise ApplicationHandlerStop
        if user is None:
            return
        if chat is None or not _is_command(update):
            return
        key = await self.services.access.refusal(user_id=user.id, chat_id=chat.id, private=private)
        if key is None:
            return
        if private and _opens_a_line(update) and await self.services.access.only_unlisted(user.id):
            return  # support lines are for outsiders too (and nothing else is)
        if await self.services.access.first_notice(chat.id):
            await self._answer(
                update, key, kind=MessageKind.REFUSAL, user_id=user.id, chat_id=chat.id
            )
        raise ApplicationHandlerStop

    async def _answer(
        self, update: Update, key: str, *, kind: MessageKind = MessageKind.ANSWER, **params: object
    ) -> None:
        """Reply to a command message, in its topic (other updates get no answer)."""
        if not _is_command(update):
            return
        message = update.message
        assert message is not None
        lang = pick_language(message.from_user.language_code if message.from_user else None)
        await self.services.messenger.send(
            message.chat_id,
            OutgoingMessage(
                t(lang, key, **params),
                reply_to_message_id=message.message_id,
                kind=kind,
                addressee=message.from_user.id if message.from_user else None,
                message_thread_id=topic_of(message),
            ),
        )


class PrivateChatMembership:
    """A person blocked (or unblocked) the bot: stop (or resume) sending them calls at once."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        status = change.new_chat_member.status
        reachable = status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        try:
            await self.services.people.set_reachable(change.chat.id, reachable)
        except StoreUnavailable:
            logger.warning(
                "could not record that chat %s is reachable=%s", change.chat.id, reachable
            )
