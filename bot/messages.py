"""What the bot sends, as plain data, and the interface every message goes out through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

__all__ = ["Button", "Delivery", "Messenger", "OutgoingMessage", "Receipt"]


@dataclass(frozen=True)
class Button:
    """An inline button that opens ``url``, or sends ``data`` back to the bot when pressed."""

    text: str
    url: str | None = None
    data: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send: HTML text, buttons, the message it answers, if any."""

    html: str
    buttons: tuple[Button, ...] = ()
    reply_to_message_id: int | None = None
    #: It holds an access token: it goes to its owner's private chat only, ahead of other sends.
    carries_secret: bool = False


class Delivery(StrEnum):
    """What became of a message."""

    SENT = "sent"
    NOT_STARTED = "not_started"  # never pressed Start: Telegram forbids the bot to write first
    BLOCKED = "blocked"
    DEACTIVATED = "deactivated"
    FAILED = "failed"  # Telegram failed or did not answer; the message may not have arrived
    GONE = "gone"  # the message to edit no longer exists (its chat deleted it)

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

    async def answer_callback(
        self, callback_id: str, text: str | None = None, *, alert: bool = False
    ) -> None:
        """Answer a button press (a toast, or an alert the person must dismiss)."""
        ...
