"""Sending through Telegram: the one place that turns Bot API errors into a :class:`Delivery`.

Every send and edit takes its turn from a :class:`~bot.telegram.pacing.Pacer`, in its own chat's
line and
under Telegram's limits, so a 429 should not happen; one that does is honoured for that chat only
(its ``retry_after``), at most :data:`MAX_FLOOD_WAITS` times and :data:`MAX_FLOOD_WAIT_SECONDS`
in all, and counted. Access tokens go first. A refusal identical to one the same person got in
the same chat within 30 s is not sent again, and refusals and courtesies (``/help``, ``/start``)
are dropped rather than queued when their chat's budget is spent (:attr:`Delivery.COLLAPSED`).

A private message that Telegram refuses is an answer, not a crash: "bot can't initiate
conversation" (never pressed Start), "bot was blocked by the user", "user is deactivated". HTML
that Telegram cannot parse is sent again as plain text rather than lost. A timeout is not
retried: the message may have arrived, and a duplicate token message is worse than a reported
failure. Edits follow the same rules; editing a message that is gone (deleted) is
:attr:`Delivery.GONE`, and "message is not modified" counts as done. Answers to button presses
are not paced: Telegram does not count them against any chat.

Forum topics: a message's ``message_thread_id`` is sent as Telegram's ``message_thread_id``. A
topic that was deleted ("message thread not found") or closed ("TOPIC_CLOSED") gets the message
in the group's "General" instead (once per message, logged). A group upgraded to a supergroup
(400 with ``migrate_to_chat_id``: python-telegram-bot's ``ChatMigrated``) has a new id: the
message is sent there (without its quote or topic, which stayed in the old group) and
:attr:`TelegramMessenger.chat_moved` is told, so that what is stored by the old id follows; an
edit of a message left in the old group is :attr:`Delivery.GONE`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.core.messages import Button, Delivery, MessageKind, OutgoingMessage, Receipt
from bot.core.texts import callback_text, fit, plain
from bot.telegram.pacing import Pacer, RecentAnswers

__all__ = ["TelegramMessenger", "classify_forbidden", "rank_of", "retry_after_seconds"]

logger = logging.getLogger(__name__)
#: 429s honoured for one message, and the seconds waited for them in all, before it is FAILED.
MAX_FLOOD_WAITS = 3
MAX_FLOOD_WAIT_SECONDS = 60.0
#: Seconds within which an identical refusal to the same person in the same chat is not repeated.
COLLAPSE_SECONDS = 30.0
_RANKS = {
    MessageKind.CALL: 1,
    MessageKind.ANSWER: 2,
    MessageKind.COURTESY: 3,
    MessageKind.REFUSAL: 3,
}

#: One attempt: (text, parse mode) -> the message Telegram returned (or True for an edit).
Attempt = Callable[[str, str | None], Awaitable[Message | bool]]
#: What to do when a group moved to a new id: (old chat id, new chat id).
ChatMoved = Callable[[int, int], Awaitable[object]]
#: Telegram's words for a topic that cannot take a message: deleted (or never made), closed.
_TOPIC_GONE = ("message thread not found", "topic_closed")


class _Moved(Exception):
    """The chat was upgraded to a supergroup: its new id."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(new_chat_id)
        self.new_chat_id = new_chat_id


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


def rank_of(message: OutgoingMessage) -> int:
    """Its place among waiting messages: tokens (0), a paid call's (1), answers (2), the rest."""
    return 0 if message.carries_secret else _RANKS[message.kind]


def _fingerprint(message: OutgoingMessage) -> int:
    """The same text and buttons in the same topic (whatever it quotes): the same answer."""
    return hash((message.html, message.buttons, message.contact_button, message.message_thread_id))


def _markup(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.text,
                    url=b.url,
                    callback_data=b.data,
                    web_app=WebAppInfo(b.web_app) if b.web_app else None,
                )
            ]
            for b in buttons
        ]
    )


def _send_markup(
    message: OutgoingMessage,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """Inline buttons, or else the "share my number" keyboard, or its removal.

    A message carries one markup: a request for the number goes without inline buttons.
    """
    if message.contact_button is not None:
        button = KeyboardButton(message.contact_button, request_contact=True)
        return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)
    if message.buttons:
        return _markup(message.buttons)
    if message.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


class TelegramMessenger:
    """:class:`~bot.core.messages.Messenger` over a python-telegram-bot ``Bot``, paced by
    ``pacer``."""

    def __init__(
        self,
        bot: Bot,
        *,
        pacer: Pacer | None = None,
        recent: RecentAnswers | None = None,
        chat_moved: ChatMoved | None = None,
    ) -> None:
        self.bot = bot
        self.pacer = pacer if pacer is not None else Pacer()
        #: Told of each flood-control wait Telegram asks for (seconds), for the metrics.
        self.on_flood: Callable[[float], None] | None = None
        self.recent = (
            recent
            if recent is not None
            else RecentAnswers(COLLAPSE_SECONDS, clock=self.pacer.clock)
        )
        #: Told when Telegram says a group moved to a new id (set once the services exist).
        self.chat_moved = chat_moved

    async def send(self, chat_id: int, message: OutgoingMessage) -> Receipt:
        key = None
        if message.kind is MessageKind.REFUSAL and not message.carries_secret:
            key = (chat_id, message.addressee, _fingerprint(message))
            if not self.recent.first(key):
                self.pacer.stats.collapsed += 1
                logger.info(
                    "chat %s: an identical refusal went out just now; not repeated", chat_id
                )
                return Receipt(Delivery.COLLAPSED)
        markup = _send_markup(message)
        target, thread, quote = chat_id, message.message_thread_id, message.reply_to_message_id

        async def attempt(text: str, parse_mode: str | None) -> Message:
            reply = (
                ReplyParameters(quote, allow_sending_without_reply=True)
                if quote is not None
                else None
            )
            return await self.bot.send_message(
                target,
                text,
                parse_mode=parse_mode,
                reply_markup=markup,
                reply_parameters=reply,
                message_thread_id=thread,
            )

        def to_general() -> bool:
            """Send it to "General" from now on (without its topic, or the quote that would
            take it back there); False when it was already going there."""
            nonlocal thread, quote
            if thread is None and quote is None:
                return False
            thread, quote = None, None
            return True

        try:
            delivery, sent = await self._deliver(chat_id, message, attempt, to_general)
        except _Moved as moved:
            # its quote and topic stayed in the old group: the message goes without them
            await self._moved(chat_id, moved.new_chat_id)
            target, thread, quote = moved.new_chat_id, None, None
            try:
                delivery, sent = await self._deliver(target, message, attempt)
            except _Moved:  # a supergroup is never upgraded again
                logger.warning("chat %s: moved twice; message not sent", chat_id)
                delivery, sent = Delivery.FAILED, None
        if key is not None and delivery is not Delivery.SENT:
            self.recent.forget(key)  # they did not get it: the next identical one may go
        message_id = sent.message_id if isinstance(sent, Message) else None
        return Receipt(delivery, message_id)

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage) -> Delivery:
        markup = _markup(message.buttons)

        async def attempt(text: str, parse_mode: str | None) -> Message | bool:
            return await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, parse_mode=parse_mode,
                reply_markup=markup,
            )  # fmt: skip

        try:
            delivery, _ = await self._deliver(chat_id, message, attempt)
        except _Moved as moved:  # the message stayed in the old group: it can't be edited now
            await self._moved(chat_id, moved.new_chat_id)
            return Delivery.GONE
        return delivery

    async def send_document(
        self, chat_id: int, file_name: str, data: bytes, message: OutgoingMessage
    ) -> Receipt:
        quote = message.reply_to_message_id

        async def attempt(text: str, parse_mode: str | None) -> Message:
            reply = (
                ReplyParameters(quote, allow_sending_without_reply=True)
                if quote is not None
                else None
            )
            return await self.bot.send_document(  # a multipart upload of the bytes
                chat_id,
                InputFile(data, filename=file_name),
                caption=text or None,
                parse_mode=parse_mode,
                reply_markup=_markup(message.buttons),
                reply_parameters=reply,
                message_thread_id=message.message_thread_id,
            )

        try:
            delivery, sent = await self._deliver(chat_id, message, attempt)
        except _Moved as moved:
            await self._moved(chat_id, moved.new_chat_id)
            return Receipt(Delivery.FAILED)
        return Receipt(delivery, sent.message_id if isinstance(sent, Message) else None)

    async def edit_buttons(
        self, chat_id: int, message_id: int, buttons: tuple[Button, ...] = ()
    ) -> Delivery:
        markup = _markup(buttons)

        async def attempt(text: str, parse_mode: str | None) -> Message | bool:
            return await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=markup
            )

        try:  # paced as a paid call's message: it says the call is taken care of
            delivery, _ = await self._deliver(
                chat_id, OutgoingMessage("", kind=MessageKind.CALL), attempt
            )
        except _Moved as moved:
            await self._moved(chat_id, moved.new_chat_id)
            return Delivery.GONE
        return delivery

    async def _moved(self, old: int, new: int) -> None:
        """Telegram says group ``old`` is supergroup ``new`` now: whatever is stored by the old
        id follows (once, however often this is said)."""
        logger.info("chat %s was upgraded to supergroup %s: sending there", old, new)
        if self.chat_moved is None:
            return
        try:
            await self.chat_moved(old, new)
        except Exception as exc:  # the next message to the old id tries again
            logger.warning(
                "chat %s: records not moved to %s yet (%s)", old, new, type(exc).__name__
            )

    async def answer_callback(
        self, callback_id: str, text: str | None = None, *, alert: bool = False
    ) -> None:
        if text is not None:
            text = callback_text(text)  # no markup there, and at most 200 characters
        try:
            await self.bot.answer_callback_query(callback_id, text=text, show_alert=alert)
        except TelegramError as exc:  # too late, or already answered: the press is handled
            logger.info("callback %s not answered: %s", callback_id, exc)

    async def _deliver(
        self,
        chat_id: int,
        message: OutgoingMessage,
        attempt: Attempt,
        to_general: Callable[[], bool] | None = None,
    ) -> tuple[Delivery, Message | bool | None]:
        """One message's turns and attempts until it is sent or cannot be; ``to_general``
        switches a send to "General" when its topic cannot take it. Raises :class:`_Moved`
        when the chat moved to a new id."""
        text, is_html = fit(message.html)
        parse_mode: str | None = ParseMode.HTML if is_html else None
        rank, droppable = rank_of(message), message.droppable
        coalesce = _fingerprint(message) if droppable else None
        place = self.pacer.ticket_number()  # kept across retries: a retry is not sent to the back
        flood_waits, flood_waited = 0, 0.0
        while True:
            grant = await self.pacer.acquire(
                chat_id, rank, droppable=droppable, coalesce=coalesce, seq=place
            )
            if grant is None:
                logger.info(
                    "chat %s: budget spent; a %s message was dropped", chat_id, message.kind
                )
                return Delivery.COLLAPSED, None
            try:
                return Delivery.SENT, await attempt(text, parse_mode)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                if self.on_flood is not None:
                    self.on_flood(wait)
                grant.hold(wait)
                flood_waits += 1
                flood_waited += wait
                if flood_waits > MAX_FLOOD_WAITS or flood_waited > MAX_FLOOD_WAIT_SECONDS:
                    logger.warning("giving up on chat %s after flood control", chat_id)
                    return Delivery.FAILED, None
                logger.warning("flood control on chat %s: it waits %.1f s", chat_id, wait)
            except Forbidden as exc:
                logger.info("chat %s refused a message: %s", chat_id, exc.message)
                return classify_forbidden(exc.message), None
            except ChatMigrated as exc:
                raise _Moved(int(exc.new_chat_id)) from None
            except BadRequest as exc:
                reason = exc.message.lower()
                if any(words in reason for words in _TOPIC_GONE) and to_general and to_general():
                    logger.warning(
                        "chat %s: the topic can't take messages (%s); sending to General",
                        chat_id,
                        exc.message,
                    )
                    continue
                if "parse entities" in reason and parse_mode is not None:
                    logger.warning("chat %s: HTML refused (%s); sending plain text", chat_id, exc)
                    text, parse_mode = fit(plain(message.html))[0], None
                    continue
                if "not modified" in reason:
                    return Delivery.SENT, None
                if "message to edit not found" in reason or "can't be edited" in reason:
                    return Delivery.GONE, None
                if "chat not found" in reason:
                    return Delivery.NOT_STARTED, None
                logger.warning("chat %s: message refused: %s", chat_id, exc.message)
                return Delivery.FAILED, None
            except NetworkError as exc:  # includes TimedOut
                logger.warning("chat %s: message not confirmed: %s", chat_id, exc)
                return Delivery.FAILED, None
            except TelegramError as exc:
                logger.warning("chat %s: message failed: %s", chat_id, exc)
                return Delivery.FAILED, None
            finally:
                grant.release()
