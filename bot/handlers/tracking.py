"""Every update refreshes what we know of its sender."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
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


class PrivateChatMembership(Handler):
    """A person blocked (or unblocked) the bot: stop (or resume) sending them calls at once."""

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None or change.chat.type != ChatType.PRIVATE:
            return
        status = change.new_chat_member.status
        reachable = status not in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        await self.services.store.set_dm_open(change.chat.id, reachable)
