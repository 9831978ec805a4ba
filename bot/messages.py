"""What the bot sends, as plain data: text (HTML), link buttons, an optional reply target."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

__all__ = ["Button", "Delivery", "Messenger", "OutgoingMessage"]


@dataclass(frozen=True)
class Button:
    """An inline button that opens ``url``."""

    text: str
    url: str


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send: HTML text, link buttons, the message it answers, if any."""

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

    @property
    def unreachable(self) -> bool:
        """The person cannot get private messages until they press Start (again)."""
        return self in (Delivery.NOT_STARTED, Delivery.BLOCKED, Delivery.DEACTIVATED)


class Messenger(Protocol):
    """Sends a message to a chat and says what became of it; never raises for Telegram errors."""

    async def send(self, chat_id: int, message: OutgoingMessage) -> Delivery: ...
