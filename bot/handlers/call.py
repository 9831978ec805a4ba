"""/call: turn the message into a CallRequest and let the call service do the rest."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.ext import ContextTypes

from ..calls import CallRequest
from ..parsing import Mention
from ..storage import UserProfile
from .common import Handler, profile_of


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


class Call(Handler):
    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        await self.services.calls.handle(call_request_from(message, profile_of(user)))
