"""/call: turn the message into a CallRequest and let the call service do the rest."""

from __future__ import annotations

from telegram import Message

from ..calls import CallRequest
from ..people import UserProfile
from .base import Command, Invocation, mentions_in


def call_request_from(
    message: Message, caller: UserProfile, update_key: tuple[int, int] | None = None
) -> CallRequest:
    """The command's arguments, its mentions in order, and the replied-to author, if any."""
    args_text, mentions, reply_to = mentions_in(message)
    return CallRequest(
        chat_id=message.chat_id,
        message_id=message.message_id,
        caller=caller,
        args_text=args_text,
        mentions=mentions,
        reply_to=reply_to,
        update_key=update_key,
    )


class Call(Command):
    """The call service answers for itself (refusals, faults, the notice). It also takes the
    update (the preflight leaves a new ``/call`` to it): in the transaction that claims the call,
    or before a refusal is sent."""

    async def run(self, invocation: Invocation) -> None:
        request = call_request_from(invocation.message, invocation.sender, invocation.update_key)
        await self.services.calls.handle(request)
