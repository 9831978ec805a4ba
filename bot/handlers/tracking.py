"""Every update refreshes what we know of its sender."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from .common import Handler, profile_of


class OncePerUpdate(Handler):
    """Stop an update another replica (or an earlier delivery) already took."""

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self.services.store.claim_update(context.bot.id, update.update_id):
            raise ApplicationHandlerStop


class TrackSender(Handler):
    """Upsert the sender; a message in their private chat means the bot may write to them."""

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None:
            return
        chat = update.effective_chat
        private = chat is not None and chat.type == ChatType.PRIVATE and chat.id == user.id
        await self.services.store.upsert_user(
            profile_of(user), dm_open=True if private and update.message else None
        )
