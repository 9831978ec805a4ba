"""Inline button presses: routed to their feature by pattern, answered once, with a toast or an
alert; the domain decides.

One ``CallbackQueryHandler`` per feature, each with a pattern from :mod:`bot.core.buttons`
(calls: "Call again" and a ring's buttons; support lines: Accept, Call me back and ratings;
pages: "I'm on it"; on call: "Call now", a swap's "Take"),
then one without a pattern for everything else (garbled, forged or stale data, a game), which
gets the "unknown button" alert. Every press gets exactly one answer, whatever fails.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Update, User
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.calls.presses import CALL_PRESSES
from bot.core.buttons import UNKNOWN, Press, PressAnswer, decode, matching
from bot.core.texts import pick_language, t
from bot.oncall.call_now import CALL_NOW_PRESSES
from bot.oncall.paging import PAGE_PRESSES
from bot.oncall.swaps import SWAP_PRESSES
from bot.services import Services
from bot.support_lines.service import LINE_PRESSES
from bot.telegram.handlers.answering import Answering
from bot.telegram.handlers.base import profile_of

__all__ = [
    "AnswerPress",
    "CallNowPress",
    "CallPress",
    "LinePress",
    "PagePress",
    "SwapPress",
    "UnknownPress",
    "handlers",
]

logger = logging.getLogger(__name__)

PressHandler = CallbackQueryHandler[ContextTypes.DEFAULT_TYPE, None]


def handlers(services: Services) -> tuple[PressHandler, ...]:
    """The press handlers, in the order they are to be registered (the catch-all last)."""
    return (
        CallbackQueryHandler(CallPress(services), pattern=matching(CALL_PRESSES)),
        CallbackQueryHandler(LinePress(services), pattern=matching(LINE_PRESSES)),
        CallbackQueryHandler(PagePress(services), pattern=matching(PAGE_PRESSES)),
        CallbackQueryHandler(CallNowPress(services), pattern=matching(CALL_NOW_PRESSES)),
        CallbackQueryHandler(SwapPress(services), pattern=matching(SWAP_PRESSES)),
        CallbackQueryHandler(UnknownPress(services)),
    )


class AnswerPress:
    """A ``callback_query``: decoded, acted on through the domain (:meth:`act`, per feature),
    then answered exactly once, with the domain's answer or the failure's alert."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def act(self, presser: User, press: Press) -> PressAnswer:
        raise NotImplementedError

    async def act_on(self, query: CallbackQuery, press: Press) -> PressAnswer:
        """Act on ``press`` of ``query`` (by default, knowing only who pressed)."""
        return await self.act(query.from_user, press)

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        lang = pick_language(query.from_user.language_code)
        messenger = self.services.messenger
        # (A query without data passes every pattern: it decodes to nothing, and is unknown.)
        press = decode(query.data)

        async def fail(key: str) -> None:
            await messenger.answer_callback(query.id, t(lang, key), alert=True)

        answer: PressAnswer | None = None
        text: str | None = None
        counted = self.services.metrics.handler_failed
        async with Answering(update.update_id, "button press", fail, counted):
            answer = UNKNOWN if press is None else await self.act_on(query, press)
            text = answer.text(lang)  # (a text that cannot be made is answered as a failure)
        if answer is not None and text is not None:
            await messenger.answer_callback(query.id, text, alert=answer.alert)


class UnknownPress(AnswerPress):
    """A press no feature claims (garbled, forged or stale data, a game): "unknown button"."""

    async def act(self, presser: User, press: Press) -> PressAnswer:
        return UNKNOWN


class CallPress(AnswerPress):
    """A call's button: "Call again", or a ring's "Answer" / "Decline"."""

    async def act(self, presser: User, press: Press) -> PressAnswer:
        return await self.services.presses.press(profile_of(presser), press)


class LinePress(AnswerPress):
    """A support line's button: Accept, Call me back or a rating."""

    async def act(self, presser: User, press: Press) -> PressAnswer:
        return await self.services.lines.press(presser.id, press)


class PagePress(AnswerPress):
    """A page's button: "I'm on it" under the token of the person rung."""

    async def act(self, presser: User, press: Press) -> PressAnswer:
        return await self.services.pages.press(presser.id, press)


class CallNowPress(AnswerPress):
    """On-call's "Call now": it needs the message it is under (one call per button)."""

    async def act_on(self, query: CallbackQuery, press: Press) -> PressAnswer:
        message = query.message
        return await self.services.call_now.press(
            profile_of(query.from_user),
            press,
            chat_id=message.chat.id if message is not None else None,
            message_id=message.message_id if message is not None else None,
        )


class SwapPress(AnswerPress):
    """A shift swap's "Take"."""

    async def act(self, presser: User, press: Press) -> PressAnswer:
        return await self.services.swaps.press(presser.id, press)
