"""Inline button presses: answered once, with a toast or an alert; the domain decides."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.core.errors import StoreUnavailable
from bot.core.texts import pick_language, t
from bot.services import Services
from bot.support_lines.service import LINE_PRESS
from bot.telegram.handlers.base import profile_of

__all__ = ["ButtonPress"]

logger = logging.getLogger(__name__)


class ButtonPress:
    """Every ``callback_query``: act on it through the press service, then answer it."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        lang = pick_language(query.from_user.language_code)
        messenger = self.services.messenger
        try:
            if (query.data or "").startswith(LINE_PRESS):  # a support line's buttons
                answer = await self.services.lines.press(query.from_user.id, query.data)
            else:
                answer = await self.services.presses.press(profile_of(query.from_user), query.data)
        except StoreUnavailable as exc:
            logger.warning("update %s: storage unavailable: %s", update.update_id, exc)
            await messenger.answer_callback(query.id, t(lang, "store_unavailable"), alert=True)
            return
        except Exception:
            logger.exception("update %s: button press failed", update.update_id)
            await messenger.answer_callback(query.id, t(lang, "internal_error"), alert=True)
            return
        await messenger.answer_callback(query.id, answer.text(lang), alert=answer.alert)
