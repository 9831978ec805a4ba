"""Telling people how a call ended: the notice is edited in place, the tokens are withdrawn.

Where ``/call`` was typed in a group, the bot's notice ("Alice is calling Bob") is edited to the
outcome. Each participant's private token message is edited too: the access token is replaced by
the outcome. That only hides it (notifications and forwards keep copies, and Kavenegar may give a
person the same token for every call): a token is treated as a standing credential. The
caller's gets a "Call again" button after a missed, declined or unreachable call. A message
someone deleted is not an error; only where the outcome would otherwise be lost (the group
notice) is it sent anew.
"""

from __future__ import annotations

import logging

from bot.core.buttons import PressKind, encode
from bot.core.messages import Button, Delivery, Messenger, OutgoingMessage
from bot.core.metrics import Metrics
from bot.core.people import UserRecord, isolate
from bot.core.records import CallOutcome, CallRecord, CallStatus
from bot.core.texts import format_talk, pick_language, t
from bot.storage import Store

__all__ = ["Announcer", "outcome_text"]

logger = logging.getLogger(__name__)


def outcome_text(lang: str, record: CallRecord, caller: str, callee: str) -> str:
    """One line: who called whom and how it went (``caller``/``callee`` already isolated)."""
    outcome = record.outcome or CallOutcome.UNKNOWN
    if record.status is CallStatus.RANG:  # a ring that never became a call
        return t(lang, f"ring_over_{outcome.value}", caller=caller, callee=callee)
    if record.lost_while_placing:
        return t(lang, "outcome_maybe", caller=caller, callee=callee)
    return t(
        lang,
        f"outcome_{outcome.value}",
        caller=caller,
        callee=callee,
        talk=format_talk(record.duration_ms or 0),
        reason=record.finish_reason or "?",
    )


def name_of(person: UserRecord | None, telegram_id: int) -> str:
    """A person's shown name; their id if they are no longer known (``/forget``)."""
    return person.display_name if person is not None else isolate(str(telegram_id))


class Announcer:
    """Announces closed calls. Called once per call: :meth:`Store.close_call` decides who."""

    def __init__(self, store: Store, messenger: Messenger, metrics: Metrics | None = None) -> None:
        self.store = store
        self.messenger = messenger
        self.metrics = metrics or Metrics()

    async def announce(self, record: CallRecord) -> None:
        if record.outcome is not None:
            self.metrics.finished(record.outcome.value)
        caller = await self.store.get_user(record.caller_id)
        callee = await self.store.get_user(record.callee_id)
        caller_name, callee_name = (
            name_of(caller, record.caller_id),
            name_of(callee, record.callee_id),
        )
        lang = pick_language(caller.language_code if caller else None)
        line = outcome_text(lang, record, caller_name, callee_name)
        if record.notice_message_id is not None:
            buttons: tuple[Button, ...] = ()
            if record.in_private_chat and record.caller_message_id is None:
                buttons = self._again(record, lang)  # a ring in private: the notice is all
            notice = OutgoingMessage(line, buttons)
            delivery = await self.messenger.edit(record.chat_id, record.notice_message_id, notice)
            if delivery is Delivery.GONE and not record.in_private_chat:
                await self.messenger.send(record.chat_id, notice)  # else the group never knows
        elif record.lost_while_placing and record.page_id is None and not record.from_a_line:
            # its placer died before any answer: the chat that asked hears it now (a page's or
            # a line's call is told by the page or the line)
            quote = record.message_id if record.message_id > 0 else None
            await self.messenger.send(
                record.chat_id, OutgoingMessage(line, reply_to_message_id=quote)
            )
        for person, message_id, is_caller in (
            (caller, record.caller_message_id, True),
            (callee, record.callee_message_id, False),
        ):
            if person is None or message_id is None:
                continue
            withdrawn = self._withdrawn(record, person, is_caller, caller_name, callee_name)
            await self.messenger.edit(person.telegram_id, message_id, withdrawn)
        logger.info("call %s ended: %s", record.id, record.outcome)

    @staticmethod
    def _again(record: CallRecord, lang: str) -> tuple[Button, ...]:
        """A "Call again" button, when nobody talked on a direct call (see
        :attr:`CallRecord.offers_call_again`)."""
        if not record.offers_call_again:
            return ()
        data = encode(PressKind.CALL_AGAIN, record.id)
        return (Button(t(lang, "button_call_again"), data=data),)

    def _withdrawn(
        self, record: CallRecord, person: UserRecord, is_caller: bool, caller: str, callee: str
    ) -> OutgoingMessage:
        """The token (or ring) message with the token replaced by the outcome."""
        lang = pick_language(person.language_code)
        line = outcome_text(lang, record, caller, callee)
        buttons = self._again(record, lang) if is_caller else ()
        if record.status is CallStatus.RANG or record.lost_while_placing:  # no token was sent
            return OutgoingMessage(line, buttons)
        return OutgoingMessage(f"{line}\n\n{t(lang, 'token_withdrawn')}", buttons)
