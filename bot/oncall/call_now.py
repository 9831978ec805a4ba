"""**Call now**: the button under ``/oncall`` and a hand-over notice that calls the person on
call for a team it names, through every check ``/call`` makes (issue 22, item 1).

The button carries the team's id and the member it names ("📞 Call Bob now"): pressed while that
member is on call (covers included) it calls them; pressed after a hand-over (someone else on
call *then*) it places no call and says who is on call now, and that ``/oncall NAME`` gives a new
button: a press never pays for a call to someone its label does not name.
Whoever may ``/page`` the team may press it: anyone in the team's group, and, in a private
chat, its members, its owner and the bot's admins.

One press is at most one call: the press is a ``/call`` with its own key
(:meth:`~bot.core.records.CallKey.call_now`: the presser, the team and the button's message), so
a second press of the same button, a press delivered twice or a press taken by another replica
finds the key claimed and places nothing, and says ``/oncall NAME`` gives a new button.
The call goes through :meth:`CallService.handle`, the one path of ``/call`` (its parsing,
people's and admins' rules, busy and do-not-disturb, quotas, the ring-first flow), which places
it with :meth:`CallService.place_for`; its answers go to the presser's private chat, yet it is
checked exactly as ``/call`` typed where the button was pressed (a group's chat rules and the
presser's: :attr:`CallRequest.rules_chat_id`; in the private list, as a private ``/call``).
"""

from __future__ import annotations

import logging

from bot.calls.service import CallRequest, CallService
from bot.core.buttons import UNKNOWN, Press, PressAnswer, PressKind
from bot.core.people import UserProfile
from bot.core.records import CallKey, PlaceResult, Team
from bot.core.texts import pick_language
from bot.oncall.service import OnCallService, call_now_button
from bot.storage import Store

__all__ = ["CALL_NOW_PRESSES", "CallNowService", "call_now_button"]

logger = logging.getLogger(__name__)

#: The buttons of this feature.
CALL_NOW_PRESSES = frozenset({PressKind.CALL_NOW})


class CallNowService:
    """Acts on a "Call now" press; never raises but :class:`~bot.core.errors.StoreUnavailable`."""

    def __init__(self, store: Store, calls: CallService, oncall: OnCallService) -> None:
        self.store = store
        self.calls = calls
        self.oncall = oncall

    async def press(
        self, presser: UserProfile, press: Press, *, chat_id: int | None, message_id: int | None
    ) -> PressAnswer:
        """``presser`` pressed "Call now" on message ``message_id`` of chat ``chat_id``."""
        if press.kind is not PressKind.CALL_NOW or chat_id is None or message_id is None:
            return UNKNOWN
        team = await self.store.teams.by_id(press.id)
        if team is None:
            return PressAnswer("call_now_team_gone", alert=True)
        in_group = chat_id != presser.telegram_id
        if in_group and chat_id != team.chat_id:
            return UNKNOWN  # the bot puts a team's button in its own group only
        if not in_group and not await self._may_see(presser.telegram_id, team):
            return PressAnswer("oncall_members_only", alert=True, params={"name": team.name})
        member = (await self.oncall.on_call_now(team)).member
        if member is None:
            return PressAnswer("call_now_nobody", alert=True, params={"name": team.name})
        if member != press.member:  # the hand-over came: not the one the button names
            lang = pick_language(presser.language_code)
            named = await self.oncall.name(press.member, lang)
            person = await self.oncall.name(member, lang)
            params: dict[str, object] = {"name": team.name, "person": person, "named": named}
            return PressAnswer("call_now_moved", alert=True, params=params)
        if member == presser.telegram_id:
            return PressAnswer("call_now_yourself", alert=True, params={"name": team.name})
        callee = await self.store.get_user(member)
        if callee is None:
            return PressAnswer("call_now_nobody", alert=True, params={"name": team.name})
        key = CallKey.call_now(presser.telegram_id, team.id, message_id, in_group=in_group)
        report = await self.calls.handle(
            CallRequest(
                chat_id=key.chat_id,
                message_id=key.message_id,
                caller=presser,
                args_text="",
                reply_to=callee.profile,
                # checked exactly as /call typed where it was pressed (a group's /deny holds)
                rules_chat_id=chat_id,
            )
        )
        logger.info("call now of %s by %s: %s", team.name, presser.telegram_id, report.outcome)
        if report.outcome is PlaceResult.DUPLICATE:
            return PressAnswer("call_now_already", params={"name": team.name})
        if report.outcome is PlaceResult.REFUSED:  # why, at once (and in the private chat)
            return PressAnswer(report.reason or "callback_unknown", True, report.params)
        if report.outcome not in (PlaceResult.PLACED, PlaceResult.RINGING):
            return PressAnswer("callback_see_chat")
        return PressAnswer("callback_calling", params={"name": callee.name})

    async def _may_see(self, person: int, team: Team) -> bool:
        if person == team.owner_id or person in self.oncall.admins:
            return True
        return person in await self.store.teams.members(team.id)
