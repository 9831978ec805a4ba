"""A group upgraded to a supergroup: Telegram moves it to a new id, and the bot follows it.

Telegram says so three ways, in any order, any of which may be lost: a service message in the
old group (``migrate_to_chat_id``), one in the new supergroup (``migrate_from_chat_id``), and a
request naming the old id refused with the new one (python-telegram-bot's ``ChatMigrated``,
which the messenger turns into a send to the new id and a call of ``chat_moved``). Each asks
the domain to move what is stored by the old id (``OnCallService.move_chat``): the first does
it, on whichever replica, and the others find nothing left to move.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.core.errors import StoreUnavailable
from bot.services import Services
from bot.telegram.delivery import TelegramMessenger

__all__ = ["ChatMigration", "follow_moves"]

logger = logging.getLogger(__name__)


class ChatMigration:
    """The service messages of a group's upgrade (``filters.StatusUpdate.MIGRATE``)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id is not None:  # in the old group
            old, new = message.chat_id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id is not None:  # in the new supergroup
            old, new = message.migrate_from_chat_id, message.chat_id
        else:
            return
        try:
            await self.services.oncall.move_chat(old, new)
        except StoreUnavailable:  # the next message to the old id is refused and tries again
            logger.warning("chat %s: not moved to %s yet (the store is unavailable)", old, new)


def follow_moves(services: Services) -> None:
    """A message refused because its group moved to a new id moves what is stored by the old
    id (the messenger sends it to the new one itself)."""
    if isinstance(services.messenger, TelegramMessenger):
        services.messenger.chat_moved = services.oncall.move_chat
