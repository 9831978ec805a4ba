"""Inline buttons the bot issued, pressed: "Call again", and a ring's "Answer" / "Decline".

Every press is checked before anything happens: the data must be one the bot issued, for a call
it knows, pressed by the person it was for (the caller for "Call again", the callee for a ring).
Anything else gets an alert and does nothing. One press is at most one call, however often it
is pressed or delivered and on however many replicas: "Call again" claims the key (the caller's
private chat, minus the old call's row id) exactly as a ``/call`` message claims its own, and a
ring moves from ringing to placing once, in one conditional update.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from bot.calls.outcomes import AGAIN_PREFIX, Announcer
from bot.calls.service import RING_ANSWER, RING_DECLINE, CallRequest, CallService, Origin
from bot.core.messages import OutgoingMessage
from bot.core.people import UserProfile
from bot.core.records import CallOutcome, CallRecord, CallStatus
from bot.core.texts import pick_language, t

__all__ = ["PressAnswer", "PressService"]

logger = logging.getLogger(__name__)
_DATA = re.compile(r"^(again:|ring:a:|ring:d:)([0-9]{1,18})$")


@dataclass(frozen=True)
class PressAnswer:
    """What to answer a press with: a toast, or an alert the person must dismiss."""

    key: str
    alert: bool = False
    params: dict[str, object] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return t(lang, self.key, **self.params)


UNKNOWN = PressAnswer("callback_unknown", alert=True)
NOT_YOURS = PressAnswer("callback_not_yours", alert=True)
RING_OVER = PressAnswer("callback_ring_over", alert=True)


class PressService:
    """Acts on a button press; never raises but :class:`~bot.storage.StoreUnavailable`."""

    def __init__(self, calls: CallService, announcer: Announcer) -> None:
        self.calls = calls
        self.store = calls.store
        self.announcer = announcer

    async def press(self, presser: UserProfile, data: str | None) -> PressAnswer:
        match = _DATA.match(data or "")
        if match is None:
            return UNKNOWN
        prefix, row_id = match.group(1), int(match.group(2))
        record = await self.store.get_call(row_id)
        if record is None:
            return UNKNOWN
        if prefix == AGAIN_PREFIX:
            return await self._again(presser, record)
        if presser.telegram_id != record.callee_id:
            return NOT_YOURS
        if prefix == RING_ANSWER:
            return await self._answer(record)
        assert prefix == RING_DECLINE
        return await self._decline(record)

    async def _again(self, presser: UserProfile, record: CallRecord) -> PressAnswer:
        if presser.telegram_id != record.caller_id:
            return NOT_YOURS
        if record.outcome is None or not record.outcome.may_call_again or record.from_a_line:
            return UNKNOWN
        if await self.store.get_user(presser.telegram_id) is None:  # forgotten since
            return UNKNOWN
        callee = await self.store.get_user(record.callee_id)
        reply_to = (
            callee.profile if callee else UserProfile(record.callee_id, str(record.callee_id))
        )
        report = await self.calls.handle(
            CallRequest(
                chat_id=presser.telegram_id,
                message_id=-record.id,  # one "Call again" per call, whoever presses how often
                caller=presser,
                args_text=f" {record.max_duration}s",
                reply_to=reply_to,
            )
        )
        if report.outcome == "duplicate":
            return PressAnswer("callback_already")
        if report.outcome in ("refused", "failed"):
            return PressAnswer("callback_see_chat")  # the answer is in the chat
        return PressAnswer("callback_calling", params={"name": reply_to.name})

    async def _answer(self, record: CallRecord) -> PressAnswer:
        if not await self.store.take_ring(record.id):
            return RING_OVER
        caller = await self.store.get_user(record.caller_id)
        callee = await self.store.get_user(record.callee_id)
        if caller is None or callee is None:  # one of them left with /forget meanwhile
            await self.store.close_call(
                record.id, outcome=CallOutcome.UNKNOWN, status=CallStatus.RANG, announce=False
            )
            return UNKNOWN
        callee_lang = pick_language(callee.language_code)
        if record.callee_message_id is not None:  # the ring's buttons go: answered
            await self.calls.messenger.edit(
                callee.telegram_id,
                record.callee_message_id,
                _plain(t(callee_lang, "ring_answered", caller=caller.display_name)),
            )
        origin = Origin(
            chat_id=record.chat_id,
            private=record.in_private_chat,
            quote_id=record.message_id if record.message_id > 0 else None,
            notice_message_id=record.notice_message_id,
        )
        lang = pick_language(caller.language_code)
        await self.calls.place(origin, lang, record.id, caller, callee, record.max_duration)
        return PressAnswer("callback_calling", params={"name": caller.name})

    async def _decline(self, record: CallRecord) -> PressAnswer:
        closed = await self.store.close_call(
            record.id,
            outcome=CallOutcome.DECLINED,
            status=CallStatus.RANG,
            from_status=CallStatus.RINGING,
            finished_at=self.calls.clock.now(),
        )
        if not closed:
            return RING_OVER
        await self._announce(record.id)
        return PressAnswer("callback_already")

    async def ring_timed_out(self, record: CallRecord) -> None:
        """A ring nobody answered in time: missed; its buttons go (a late press does nothing)."""
        closed = await self.store.close_call(
            record.id,
            outcome=CallOutcome.MISSED,
            status=CallStatus.RANG,
            from_status=CallStatus.RINGING,
            finished_at=self.calls.clock.now(),
        )
        if closed:
            await self._announce(record.id)

    async def _announce(self, row_id: int) -> None:
        record = await self.store.get_call(row_id)
        if record is not None:
            await self.announcer.announce(record)
            await self.store.announced(row_id)


def _plain(html: str) -> OutgoingMessage:
    return OutgoingMessage(html)
