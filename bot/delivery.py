"""Sending through Telegram: the one place that turns Bot API errors into a :class:`Delivery`.

A private message that Telegram refuses is an answer, not a crash: "bot can't initiate
conversation" (never pressed Start), "bot was blocked by the user", "user is deactivated". HTML
that Telegram cannot parse is sent again as plain text rather than lost. A 429 is waited out
(the rate limiter retries first; this is the last line). A timeout is not retried: the message
may have arrived, and a duplicate token message is worse than a reported failure.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from .messages import Delivery, OutgoingMessage
from .texts import fit, plain

__all__ = ["TelegramMessenger", "classify_forbidden", "retry_after_seconds"]

logger = logging.getLogger(__name__)
MAX_FLOOD_WAITS = 3
MAX_FLOOD_WAIT_SECONDS = 60.0


def classify_forbidden(message: str) -> Delivery:
    text = message.lower()
    if "deactivated" in text:
        return Delivery.DEACTIVATED
    if "blocked" in text:
        return Delivery.BLOCKED
    if "initiate conversation" in text or "chat not found" in text:
        return Delivery.NOT_STARTED
    return Delivery.BLOCKED


def retry_after_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whether PTB hands out an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramMessenger:
    """:class:`~bot.messages.Messenger` over a python-telegram-bot ``Bot``."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, message: OutgoingMessage) -> Delivery:
        markup = (
            InlineKeyboardMarkup(
                [[InlineKeyboardButton(b.text, url=b.url)] for b in message.buttons]
            )
            if message.buttons
            else None
        )
        reply = (
            ReplyParameters(message.reply_to_message_id, allow_sending_without_reply=True)
            if message.reply_to_message_id is not None
            else None
        )
        text, is_html = fit(message.html)
        parse_mode: str | None = ParseMode.HTML if is_html else None
        flood_waits = 0
        while True:
            try:
                await self.bot.send_message(
                    chat_id,
                    text,
                    parse_mode=parse_mode,
                    reply_markup=markup,
                    reply_parameters=reply,
                )
                return Delivery.SENT
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                flood_waits += 1
                if flood_waits > MAX_FLOOD_WAITS or wait > MAX_FLOOD_WAIT_SECONDS:
                    logger.warning("giving up on chat %s after flood control", chat_id)
                    return Delivery.FAILED
                logger.info("flood control on chat %s: waiting %.1f s", chat_id, wait)
                await asyncio.sleep(wait)
            except Forbidden as exc:
                logger.info("chat %s refused a message: %s", chat_id, exc.message)
                return classify_forbidden(exc.message)
            except BadRequest as exc:
                if "parse entities" in exc.message.lower() and parse_mode is not None:
                    logger.warning("chat %s: HTML refused (%s); sending plain text", chat_id, exc)
                    text, parse_mode = fit(plain(message.html))[0], None
                    continue
                if "chat not found" in exc.message.lower():
                    return Delivery.NOT_STARTED
                logger.warning("chat %s: message refused: %s", chat_id, exc.message)
                return Delivery.FAILED
            except NetworkError as exc:  # includes TimedOut
                logger.warning("chat %s: message not confirmed: %s", chat_id, exc)
                return Delivery.FAILED
            except TelegramError as exc:
                logger.warning("chat %s: message failed: %s", chat_id, exc)
                return Delivery.FAILED
