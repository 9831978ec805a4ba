"""Small helpers shared by handlers."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, User
from telegram.constants import ParseMode

from ..services import Services
from ..storage import UserProfile

__all__ = ["Handler", "profile_of", "reply_html"]


class Handler:
    """A handler is an object holding the services, called with (update, context)."""

    def __init__(self, services: Services) -> None:
        self.services = services


def profile_of(user: User) -> UserProfile:
    return UserProfile(
        telegram_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
        is_bot=user.is_bot,
    )


async def reply_html(message: Message, text: str, *, button: tuple[str, str] | None = None) -> None:
    """Answer ``message`` in its chat with an HTML text and an optional link button."""
    markup = (
        InlineKeyboardMarkup([[InlineKeyboardButton(button[0], url=button[1])]]) if button else None
    )
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup, do_quote=True)
