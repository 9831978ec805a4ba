"""What the bot sends, as plain data, and the interface every message goes out through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

__all__ = ["Button", "Delivery", "MessageKind", "Messenger", "OutgoingMessage", "Receipt"]


@dataclass(frozen=True)
class Button:
    """An inline button that opens ``url``, or sends ``data`` back to the bot when pressed, or
    opens ``web_app`` as a Telegram Mini App (private chats only: Telegram refuses it elsewhere).
    """

    text: str
    url: str | None = None
    data: str | None = None
    web_app: str | None = None


class MessageKind(StrEnum):
    """What a message is to its chat, which decides how it is paced (see
    :mod:`bot.telegram.pacing`).

    Token messages (``carries_secret``) go before everything; then, in this order:
    """

    #: About a paid call (its notice, outcome, ring, "couldn't reach"): never dropped.
    CALL = "call"
    #: The default: an answer that waits for its chat's turn and is never dropped.
    ANSWER = "answer"
    #: ``/help``, ``/start`` and the like: dropped when its chat's budget is spent, and
    #: coalesced with the same text already waiting for that chat.
    COURTESY = "courtesy"
    #: A refusal: like ``COURTESY``, and sent once when identical to one its ``addressee`` got
    #: in the same chat within the last 30 s.
    REFUSAL = "refusal"


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send: HTML text, buttons, the message it answers, if any."""

    html: str
    buttons: tuple[Button, ...] = ()
    reply_to_message_id: int | None = None
    #: It holds an access token: it goes to its owner's private chat only, ahead of other sends.
    carries_secret: bool = False
    kind: MessageKind = MessageKind.ANSWER
    #: The person it answers (a refusal is collapsed per person and chat); None: the chat.
    addressee: int | None = None
    #: The label of a "share my number" keyboard button (Telegram's ``request_contact``) shown
    #: under the typing field until used; private chats only, and never on an edit.
    contact_button: str | None = None
    #: Take such a keyboard away (after the number arrived).
    remove_keyboard: bool = False
    #: The forum topic of the group to post it in (Telegram's ``message_thread_id``); None:
    #: "General" (or, for a reply, the topic of the message it answers). A topic that is gone
    #: or closed gets it in "General" instead. Ignored by edits: a message stays where it is.
    message_thread_id: int | None = None

    @property
    def droppable(self) -> bool:
        """It may be coalesced or dropped rather than wait: never a paid call's message."""
        return not self.carries_secret and self.kind in (MessageKind.COURTESY, MessageKind.REFUSAL)


class Delivery(StrEnum):
    """What became of a message."""

    SENT = "sent"
    NOT_STARTED = "not_started"  # never pressed Start: Telegram forbids the bot to write first
    BLOCKED = "blocked"
    DEACTIVATED = "deactivated"
    FAILED = "failed"  # Telegram failed or did not answer; the message may not have arrived
    #: The message to edit no longer exists (its chat deleted it), or can no longer be edited:
    #: its group became a supergroup with a new id, and it stayed in the old group's history.
    GONE = "gone"
    #: Not sent on purpose: the same answer went out moments ago, or the chat's budget was
    #: spent (only ever for a ``COURTESY`` or ``REFUSAL`` message).
    COLLAPSED = "collapsed"

    @property
    def unreachable(self) -> bool:
        """The person cannot get private messages until they press Start (again)."""
        return self in (Delivery.NOT_STARTED, Delivery.BLOCKED, Delivery.DEACTIVATED)


@dataclass(frozen=True)
class Receipt:
    """What became of a sent message, and its id when it arrived."""

    delivery: Delivery
    message_id: int | None = None


class Messenger(Protocol):
    """Talks to Telegram and says what became of each message; never raises for its errors."""

    async def send(self, chat_id: int, message: OutgoingMessage) -> Receipt:
        """Send a new message."""
        ...

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage) -> Delivery:
        """Replace a message's text and buttons; "not modified" counts as done."""
        ...

    async def send_document(
        self, chat_id: int, file_name: str, data: bytes, message: OutgoingMessage
    ) -> Receipt:
        """Send a file (``sendDocument``) named ``file_name``, ``message`` its caption (with
        where it goes: the message it answers, the topic)."""
        ...

    async def edit_buttons(
        self, chat_id: int, message_id: int, buttons: tuple[Button, ...] = ()
    ) -> Delivery:
        """Replace only a message's inline buttons (none: take them away), its text kept (a
        token message's text is never stored); "not modified" counts as done."""
        ...

    async def answer_callback(
        self, callback_id: str, text: str | None = None, *, alert: bool = False
    ) -> None:
        """Answer a button press (a toast, or an alert the person must dismiss)."""
        ...
