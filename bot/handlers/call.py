"""/call: turn the message into a CallRequest and let the call service do the rest."""

from __future__ import annotations

from telegram import Message, MessageEntity

from ..calls import CallRequest
from ..parsing import Mention
from ..people import UserProfile
from .base import Command, Invocation, profile_of


def call_request_from(message: Message, caller: UserProfile) -> CallRequest:
    """The command's arguments, its mentions in order, and the replied-to author, if any."""
    text = message.text or ""
    entities = message.parse_entities(
        [MessageEntity.BOT_COMMAND, MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    )
    ordered = sorted(entities.items(), key=lambda item: item[0].offset)
    command_text = next(
        (s for e, s in ordered if e.type == MessageEntity.BOT_COMMAND and e.offset == 0), ""
    )
    mentions = []
    for entity, entity_text in ordered:
        if entity.type == MessageEntity.MENTION:
            mentions.append(Mention(text=entity_text, username=entity_text.removeprefix("@")))
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
            mentions.append(Mention(text=entity_text, user=profile_of(entity.user)))
    reply_to = None
    replied = message.reply_to_message
    # In forum topics every message "replies" to the topic's first message: not a callee.
    if replied is not None and replied.from_user is not None and not replied.forum_topic_created:
        reply_to = profile_of(replied.from_user)
    return CallRequest(
        chat_id=message.chat_id,
        message_id=message.message_id,
        caller=caller,
        args_text=text[len(command_text) :],
        mentions=mentions,
        reply_to=reply_to,
    )


class Call(Command):
    """The call service answers for itself (refusals, faults, the notice)."""

    async def run(self, invocation: Invocation) -> None:
        request = call_request_from(invocation.message, invocation.sender)
        await self.services.calls.handle(request)
