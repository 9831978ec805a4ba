"""The allow-list gate: commands from people or chats outside it stop here, answered once."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from ..texts import pick_language, t
from .common import Handler, reply_html


class AccessGate(Handler):
    """Runs before every command handler; stops the update if the sender may not use the bot."""

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user, chat = update.message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None:
            return
        if not (message.text or "").startswith("/"):
            return
        private = chat.type == ChatType.PRIVATE
        key = await self.services.access.refusal(user_id=user.id, chat_id=chat.id, private=private)
        if key is None:
            return
        if await self.services.store.first_access_notice(chat.id):
            lang = pick_language(user.language_code)
            await reply_html(message, t(lang, key, user_id=user.id, chat_id=chat.id))
        raise ApplicationHandlerStop
