"""What a private chat gets for what no command takes: an unknown ``/command`` or plain text.

A newcomer typing "hello" (or ``/frobnicate``) to the bot would otherwise meet silence; they get
one short pointer to ``/call @username`` and ``/help``, sent as a courtesy (coalesced with its
repeats under load, like other courtesies). Groups are left alone: what is not addressed to the
bot there is none of its business. Someone the allow-lists leave out gets nothing here (the
preflight answers their commands).
"""

from __future__ import annotations

from bot.core.messages import MessageKind
from bot.telegram.handlers.base import Command, Invocation

__all__ = ["PrivateFallback"]


class PrivateFallback(Command):
    async def run(self, invocation: Invocation) -> None:
        if not invocation.private:
            return
        refusal = await self.services.access.refusal(
            user_id=invocation.sender.telegram_id, chat_id=invocation.chat_id, private=True
        )
        if refusal is not None:
            return
        await self.reply(invocation, invocation.text("fallback_private"), kind=MessageKind.COURTESY)
