"""/call: turn the message into a CallRequest and let the call service do the rest."""

from __future__ import annotations

from telegram import Message, MessageEntity

from bot.calls.service import CallRequest
from bot.core.people import UserProfile
from bot.telegram.handlers.base import Command, Invocation, mentions_in, topic_of


def is_call_command(message: Message | None, bot_username: str) -> bool:
    """The message is one python-telegram-bot's ``CommandHandler`` gives to ``/call``: its first
    entity is a bot command at offset 0 naming ``call`` in any case, addressed to this bot or to
    none. The preflight and :class:`Call` decide with this one function who takes the update."""
    if message is None or not message.text or not message.entities:
        return False
    entity = message.entities[0]
    if entity.type != MessageEntity.BOT_COMMAND or entity.offset != 0:
        return False
    name, _, addressee = message.text[1 : entity.length].partition("@")
    return name.lower() == "call" and addressee.lower() in ("", bot_username.lower())


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
        thread_id=topic_of(message),
    )


class Call(Command):
    """The call service answers for itself (refusals, faults, the notice). It also takes the
    update (the preflight leaves a new ``/call`` to it): in the transaction that claims the call,
    or before a refusal is sent."""

    async def run(self, invocation: Invocation) -> None:
        # the same test the preflight made: if it took the update itself, it is not ours to take
        ours = is_call_command(invocation.message, self.services.bot_username)
        request = call_request_from(
            invocation.message, invocation.sender, invocation.update_key if ours else None
        )
        await self.services.calls.handle(request)
