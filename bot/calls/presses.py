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
from typing import Literal

from bot.calls.outcomes import Announcer
from bot.calls.service import CallRequest, CallService, Origin
from bot.core.buttons import NOT_YOURS, UNKNOWN, Press, PressAnswer, PressKind
from bot.core.messages import OutgoingMessage
from bot.core.people import UserProfile
from bot.core.records import CallKey, CallOutcome, CallRecord, CallStatus, PlaceResult
from bot.core.texts import pick_language, t

__all__ = ["CALL_PRESSES", "PressService"]

logger = logging.getLogger(__name__)

#: The buttons of calls: "Call again", and a ring's "Answer" / "Decline".
CALL_PRESSES = frozenset({PressKind.CALL_AGAIN, PressKind.RING_ANSWER, PressKind.RING_DECLINE})
RING_OVER = PressAnswer("callback_ring_over", alert=True)


class PressService:
    """Acts on a button press; never raises but :class:`~bot.storage.StoreUnavailable`."""

    def __init__(self, calls: CallService, announcer: Announcer) -> None:
        self.calls = calls
        self.store = calls.store
        self.announcer = announcer

    async def press(self, presser: UserProfile, press: Press) -> PressAnswer:
        if press.kind not in CALL_PRESSES:
            return UNKNOWN
        record = await self.store.get_call(press.id)
        if record is None:
            return UNKNOWN
        if press.kind is PressKind.CALL_AGAIN:
            return await self._again(presser, record)
        if presser.telegram_id != record.callee_id:
            return NOT_YOURS
        if press.kind is PressKind.RING_ANSWER:
            return await self._answer(record)
        return await self._decline(record)

    async def _rules_chat(self, record: CallRecord) -> int | Literal[False] | None:
        """The chat whose rules the rung call passes when answered, if not its own: a "Call now"
        pressed in its team's group is checked as ``/call`` typed there, also at the answer.
        False when that team (and so the group whose rules apply) is gone: not placed."""
        now_of = (
            None
            if record.page_id is not None
            else CallKey(record.chat_id, record.message_id).call_now_of
        )
        if now_of is None or not now_of[1]:
            return None
        team = await self.store.teams.by_id(now_of[0])
        return team.chat_id if team is not None else False

    async def _again(self, presser: UserProfile, record: CallRecord) -> PressAnswer:
        if presser.telegram_id != record.caller_id:
            return NOT_YOURS
        if not record.offers_call_again:
            return UNKNOWN
        if await self.store.get_user(presser.telegram_id) is None:  # forgotten since
            return UNKNOWN
        callee = await self.store.get_user(record.callee_id)
        reply_to = (
            callee.profile if callee else UserProfile(record.callee_id, str(record.callee_id))
        )
        key = CallKey.again(presser.telegram_id, record.id)  # one per call, however pressed
        report = await self.calls.handle(
            CallRequest(
                chat_id=key.chat_id,
                message_id=key.message_id,
                caller=presser,
                args_text=f" {record.max_duration}s",
                reply_to=reply_to,
            )
        )
        if report.outcome is PlaceResult.DUPLICATE:
            return PressAnswer("callback_already")
        if report.outcome is PlaceResult.REFUSED:  # why, at once (and in the chat)
            return PressAnswer(report.reason or "callback_unknown", True, report.params)
        if report.outcome not in (PlaceResult.PLACED, PlaceResult.RINGING):
            return PressAnswer("callback_see_chat")  # the answer is in the chat
        return PressAnswer("callback_calling", params={"name": reply_to.name})

    async def _answer(self, record: CallRecord) -> PressAnswer:
        """The callee answered the ring: the call is placed through the one money path, which
        takes the ring from ringing (one press wins) after the rules ``/call`` obeys."""
        if record.status is not CallStatus.RINGING:
            return RING_OVER
        deadline = record.next_check_at
        if deadline is not None and deadline <= self.calls.clock.now():
            return RING_OVER  # its time is up: nothing is said to be on its way
        caller = await self.store.get_user(record.caller_id)
        callee = await self.store.get_user(record.callee_id)
        if caller is None or callee is None:  # one of them left with /forget meanwhile
            closed = await self.store.close_call(
                record.id,
                outcome=CallOutcome.UNKNOWN,
                status=CallStatus.RANG,
                from_status=CallStatus.RINGING,
                announce=False,
            )
            return UNKNOWN if closed else RING_OVER
        rules_chat = await self._rules_chat(record)
        if rules_chat is False:  # a group's Call now whose team is deleted: its rules unknown
            return PressAnswer("call_now_team_gone", alert=True)  # (the ring times out, told)
        origin = Origin(
            chat_id=record.chat_id,
            private=record.in_private_chat,
            quote_id=record.message_id if record.message_id > 0 else None,
            notice_message_id=record.notice_message_id,
            rules_chat_id=rules_chat,
        )
        callee_lang = pick_language(callee.language_code)
        refused = await self.calls.rules_refusal(caller, callee, record.max_duration, origin)
        if refused is None and record.callee_message_id is not None:
            # the ring's buttons go before the tokens come: answered
            await self._tell_callee(
                record, t(callee_lang, "ring_answered", caller=caller.display_name)
            )
        report = await self.calls.place_for(
            CallKey(record.chat_id, record.message_id),
            caller,
            callee,
            record.max_duration,
            origin=origin,
            rung=record,
        )
        match report.outcome:
            case PlaceResult.DUPLICATE:
                return RING_OVER
            case PlaceResult.REFUSED:  # the ring is closed: its buttons go, the reason stays
                answer = PressAnswer(report.reason or "callback_unknown", True, report.params)
                await self._tell_callee(record, answer.text(callee_lang))
                return answer
            case PlaceResult.FAILED | PlaceResult.BUSY | PlaceResult.MAYBE:
                # "your access token follows" no longer holds: say what became of the call
                text = report.failure_text(callee_lang)
                await self._tell_callee(record, text)
                return PressAnswer("callback_see_chat", alert=True)
        return PressAnswer("callback_calling", params={"name": caller.name})

    async def _tell_callee(self, record: CallRecord, html: str) -> None:
        """Put ``html`` in place of the ring's message (its buttons go with it)."""
        if record.callee_message_id is not None:
            await self.calls.messenger.edit(
                record.callee_id, record.callee_message_id, _plain(html)
            )

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
        return PressAnswer("callback_declined")

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
