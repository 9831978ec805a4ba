"""Support lines: a newcomer taps ``t.me/<bot>?start=line-NAME`` and gets a call with whoever
in team NAME is free.

- ``/line NAME on [HOURS]`` opens team NAME as a line (hours like ``sat-wed 09:00-17:00`` in
  the team's time zone; default: always open), ``/line NAME off`` closes it, ``/line NAME``
  shows it with its link.
- A newcomer's request is a row (``line_requests``) worked on by one replica at a time under a
  lease, like a page. It is offered to one available member at a time (reachable, taking calls,
  with a verified number when numbers are required, not in a call and not holding another
  offer): the person on call first, then the others in rotation order. Each offer is a private
  message with **Accept**, valid ``OFFER_TIMEOUT`` seconds.
- The first Accept wins, in one transaction over the offer and the request: a second press, or
  another member pressing at the same instant, finds it taken. The call (the newcomer calls the
  member) is claimed under a key of its own (the newcomer's chat, minus a large offset and the
  request's id), so a replica that takes over a half-placed request never places it twice.
- While every untried member is busy, the newcomer waits and sees their place in the queue.
  Outside the hours, or after a whole round in which nobody accepted, the newcomer is told when
  the line opens and gets **Call me back**: the request is then due when the line opens (or, when
  nobody accepted during open hours, after ``NOBODY_PAUSE``).
- After an answered call the newcomer rates it 1-5; a call that did not connect offers
  **Call me back**. ``/queue NAME`` shows members who waits; ``/stats`` has per-line figures.
- A newcomer holds one open place per line however often they press Start, and gets at most
  ``LINE_CALLS_PER_HOUR`` calls from lines per hour. Outsiders (not in ``ALLOWED_USER_IDS``) may
  use lines, and nothing else.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.calls.service import CallService, Origin, unfollowed_and_over
from bot.core.buttons import NOT_YOURS, UNKNOWN, Press, PressAnswer, PressKind, encode
from bot.core.clock import Clock
from bot.core.errors import StoreUnavailable
from bot.core.messages import Button, MessageKind, OutgoingMessage
from bot.core.people import UserRecord
from bot.core.records import (
    CallKey,
    CallOutcome,
    LineOffer,
    LineRequest,
    LineStatus,
    OfferStatus,
    PlaceResult,
    RequestResult,
    Team,
)
from bot.core.texts import format_wait, pick_language, t
from bot.core.work import LeasedWorker
from bot.oncall.rotation import escalation_order, format_local, parse_zone
from bot.oncall.service import NAME_PATTERN, OnCallService, Refused
from bot.storage import Store
from bot.support_lines.hours import ALWAYS, Hours, parse_hours

__all__ = ["LINE_PAYLOAD", "LINE_PRESSES", "LineService", "LineSettings"]

logger = logging.getLogger(__name__)

LINE_PAYLOAD = "line-"
#: A line's buttons: Accept (an offer), Call me back and a rating.
LINE_PRESSES = frozenset({PressKind.LINE_ACCEPT, PressKind.LINE_CALL_BACK, PressKind.LINE_RATE})
CHECK_EVERY = timedelta(seconds=2)
FOLLOW_EVERY = timedelta(seconds=3)
#: How long an accepted request is left to the press that accepted it before a replica takes
#: its placing over (the key makes sure it is placed once either way).
ACCEPT_GRACE = timedelta(seconds=90)
#: When nobody accepted during open hours, "Call me back" tries again this much later.
NOBODY_PAUSE = timedelta(minutes=10)
#: How long a request waits for the newcomer's number, or for "Call me back" once closed.
HELD_FOR = CLOSED_FOR = timedelta(days=1)


@dataclass(frozen=True)
class LineSettings:
    offer_timeout: int = 20
    calls_per_hour: int = 3
    max_duration: int = 600
    phones_required: bool = False
    #: Longest call there can be: a member in a call older than this is not busy any more.
    longest_call: int = 3600


class LineService(LeasedWorker[LineRequest]):
    """Configures lines, takes newcomers in, offers their calls and follows them (:meth:`tick`)."""

    LEASE = timedelta(seconds=15)
    RENEWS = True
    BATCH = 10

    def __init__(
        self,
        store: Store,
        calls: CallService,
        oncall: OnCallService,
        clock: Clock,
        settings: LineSettings,
        *,
        owner: str,
        contact_request: Callable[[str, str], OutgoingMessage],
        denied: Callable[[int], Awaitable[bool]] | None = None,
    ) -> None:
        self.store = store
        self.calls = calls
        self.oncall = oncall
        self.messenger = calls.messenger
        self.clock = clock
        self.settings = settings
        self.owner = owner
        #: (language, text key) -> the "share my number" message (bot.onboarding.verification).
        self.contact_request = contact_request
        #: Whether an admin denied the person (bot.onboarding.access): their requests end.
        self.denied = denied

    def link(self, team: Team) -> str:
        return f"https://t.me/{self.calls.bot_username}?start={LINE_PAYLOAD}{team.name}"

    # -- /line and /queue ----------------------------------------------------------------------

    async def configure(self, lang: str, actor: int, team: Team, args: list[str]) -> str:
        action = args[0].lower() if args else ""
        zone = None
        if action == "on":
            self.oncall.may_manage(lang, team, actor)
            words = args[1:]
            # an optional time zone at the end (/line NAME on HOURS TZ) is the team's from now on
            zone = parse_zone(words[-1]) if words else None
            if zone is not None:
                words = words[:-1]
            hours = parse_hours(" ".join(words))
            if hours is None:
                raise Refused(t(lang, "line_bad_hours"))
            text = None if hours == ALWAYS else hours.describe()
            await self.store.lines.set_line(
                team.id, enabled=True, hours=text, changed_by=actor, now=self.clock.now()
            )
            if zone is not None:
                team = await self.oncall.move_zone(team, zone)
        elif action == "off":
            self.oncall.may_manage(lang, team, actor)
            await self.store.lines.set_line(
                team.id, enabled=False, hours=None, changed_by=actor, now=self.clock.now()
            )
            return t(lang, "line_off", name=team.name)
        elif action:
            raise Refused(t(lang, "line_usage"))
        line = await self.store.lines.get(team.id)
        if line is None or not line.enabled:
            return t(lang, "line_is_off", name=team.name)
        shown = hours_of(line.hours).show(lang, team.zone)
        if zone is not None:  # the zone just set: the hours are read in it
            shown = t(lang, "line_hours_zone", hours=shown, zone=zone)
        return t(
            lang,
            "line_on",
            name=team.name,
            hours=shown,
            link=self.link(team),
        )

    async def queue_text(
        self, lang: str, actor: int, team: Team, *, chat_id: int, private: bool
    ) -> str:
        """Who waits on the line: for its members, owner and the admins, in the team's own
        group or in private (newcomers' names are not for another group's eyes)."""
        members = await self.store.teams.members(team.id)
        if actor not in members and actor != team.owner_id and actor not in self.oncall.admins:
            raise Refused(t(lang, "line_members_only", name=team.name))
        if not private and chat_id != team.chat_id:
            raise Refused(t(lang, "team_other_chat", name=team.name))
        waiting = await self.store.lines.queue(team.id)
        if not waiting:
            return t(lang, "queue_empty", name=team.name)
        now = self.clock.now()
        lines = [t(lang, "queue_title", name=team.name)]
        for place, request in enumerate(waiting, start=1):
            state = t(lang, f"queue_{request.status.value}")
            lines.append(
                t(
                    lang,
                    "queue_line",
                    place=place,
                    person=await self.oncall.name(request.newcomer_id),
                    wait=format_wait((now - request.created_at).total_seconds(), lang),
                    state=state,
                )
            )
        return "\n".join(lines)

    # -- a newcomer arrives --------------------------------------------------------------------

    @staticmethod
    def is_line(payload: str) -> bool:
        return payload.startswith(LINE_PAYLOAD) and bool(
            NAME_PATTERN.match(payload.removeprefix(LINE_PAYLOAD))
        )

    async def arrive(self, newcomer: UserRecord, payload: str) -> bool:
        """Start ``t.me/<bot>?start=line-NAME``: False when it is not an open line (the normal
        welcome then); otherwise the newcomer has been answered."""
        if not self.is_line(payload):
            return False
        team = await self.store.teams.get(payload.removeprefix(LINE_PAYLOAD))
        line = await self.store.lines.get(team.id) if team else None
        if team is None or line is None or not line.enabled:
            return False
        lang = pick_language(newcomer.language_code)
        person = newcomer.telegram_id
        existing = await self.store.lines.open_request(team.id, person)
        if existing is not None:  # pressing Start again keeps the one place
            await self._again(lang, team, newcomer, existing, hours_of(line.hours))
            return True
        refusal = await self._over_hourly_cap(lang, person)
        if refusal is not None:
            await self.messenger.send(person, OutgoingMessage(refusal))
            return True
        now = self.clock.now()
        held = self._needs_phone(newcomer)
        request = await self.store.lines.create_request(
            team.id,
            person,
            status=LineStatus.HELD if held else LineStatus.WAITING,
            now=now,
            next_check_at=now + HELD_FOR if held else now,
        )
        if request is None:  # a second Start at the same instant: tell it where the first is
            existing = await self.store.lines.open_request(team.id, person)
            if existing is not None:
                await self._tell_status(lang, team, existing)
            return True
        if held:
            await self.messenger.send(person, self._phone_first(lang, team))
            return True
        await self._enter(lang, team, request, hours_of(line.hours))
        return True

    async def _again(
        self, lang: str, team: Team, newcomer: UserRecord, request: LineRequest, hours: Hours
    ) -> None:
        """Start pressed again while a request is open: resume it where that makes sense."""
        if request.status is LineStatus.HELD and not self._needs_phone(newcomer):
            await self.release_held(newcomer)
            return
        now = self.clock.now()
        if (
            request.status is LineStatus.CLOSED
            and hours.is_open(now, team.zone)
            and await self.store.lines.change(
                request.id,
                expect=(LineStatus.CLOSED,),
                now=now,
                status=LineStatus.WAITING,
                tried=[],
                result=None,
                next_check_at=now,
            )
        ):
            await self._enter(lang, team, request, hours)
            return
        await self._tell_status(lang, team, request)

    async def release_held(self, newcomer: UserRecord) -> None:
        """Their number is verified: requests that waited for it join the queue."""
        lang = pick_language(newcomer.language_code)
        for request in await self.store.lines.held_by(newcomer.telegram_id):
            team = await self.store.teams.by_id(request.team_id)
            line = await self.store.lines.get(request.team_id) if team else None
            now = self.clock.now()
            if team is None or line is None or not line.enabled:
                await self.store.lines.change(
                    request.id,
                    expect=(LineStatus.HELD,),
                    status=LineStatus.DONE,
                    result=RequestResult.CLOSED,
                )
                continue
            if await self.store.lines.change(
                request.id,
                expect=(LineStatus.HELD,),
                now=now,
                status=LineStatus.WAITING,
                next_check_at=now,
            ):
                await self._enter(lang, team, request, hours_of(line.hours))

    async def _enter(self, lang: str, team: Team, request: LineRequest, hours: Hours) -> None:
        """Tell a request now in the queue where it stands (or that the line is closed)."""
        now = self.clock.now()
        if not hours.is_open(now, team.zone):
            if await self.store.lines.change(
                request.id,
                expect=(LineStatus.WAITING,),
                now=now,
                status=LineStatus.CLOSED,
                next_check_at=hours.next_open(now, team.zone) + CLOSED_FOR,
            ):
                await self._offer_call_back(lang, team, request, hours, "line_closed")
            return
        position = 1 + await self.store.lines.count_open(team.id, request.id)
        text = t(lang, "line_connecting", name=team.name, position=position)
        receipt = await self.messenger.send(request.newcomer_id, OutgoingMessage(text))
        try:  # the message to edit with the place in the queue (answered either way)
            await self.store.lines.change(
                request.id,
                expect=(LineStatus.WAITING, LineStatus.OFFERING),
                status_message_id=receipt.message_id,
                position=position,
            )
        except StoreUnavailable:
            logger.warning("line request %s: its message id could not be recorded", request.id)

    def _phone_first(self, lang: str, team: Team) -> OutgoingMessage:
        ask = self.contact_request(lang, "phone_ask")
        text = t(lang, "line_needs_phone", name=team.name)
        return OutgoingMessage(f"{text}\n\n{ask.html}", contact_button=ask.contact_button)

    async def _tell_status(self, lang: str, team: Team, request: LineRequest) -> None:
        if request.status is LineStatus.HELD:
            message = self._phone_first(lang, team)
        elif request.status in (LineStatus.WAITING, LineStatus.OFFERING):
            position = 1 + await self.store.lines.count_open(team.id, request.id)
            message = OutgoingMessage(
                t(lang, "line_already_waiting", name=team.name, position=position)
            )
        elif request.status is LineStatus.CALLBACK:
            message = OutgoingMessage(t(lang, "line_callback_already", name=team.name))
        elif request.status is LineStatus.CLOSED:
            line = await self.store.lines.get(team.id)
            await self._offer_call_back(
                lang, team, request, hours_of(line.hours if line else None), "line_closed"
            )
            return
        else:
            message = OutgoingMessage(t(lang, "line_in_call", name=team.name))
        await self.messenger.send(request.newcomer_id, message)

    async def _over_hourly_cap(self, lang: str, person: int) -> str | None:
        limit = self.settings.calls_per_hour
        if limit <= 0:
            return None
        now = self.clock.now()
        taken = await self.store.lines.calls_since(person, now - timedelta(hours=1))
        if len(taken) < limit:
            return None
        wait = (taken[-limit] + timedelta(hours=1) - now).total_seconds()
        return t(lang, "line_quota", limit=limit, wait=format_wait(wait, lang))

    async def _offer_call_back(
        self, lang: str, team: Team, request: LineRequest, hours: Hours, key: str
    ) -> None:
        opens = hours.next_open(self.clock.now(), team.zone)
        text = t(lang, key, name=team.name, opens=format_local(opens, team.zone, lang))
        data = encode(PressKind.LINE_CALL_BACK, request.id)
        button = Button(t(lang, "button_call_me_back"), data=data)
        await self.messenger.send(request.newcomer_id, OutgoingMessage(text, (button,)))

    # -- the work that is due ------------------------------------------------------------------

    async def claim(self, now: datetime, limit: int) -> list[LineRequest]:
        """Due requests, first come first served."""
        return await self.store.lines.claim_due(self.owner, now=now, lease=self.LEASE, limit=limit)

    def describe(self, request: LineRequest) -> str:
        return f"line request {request.id}"

    async def renew(self, request: LineRequest, until: datetime) -> bool:
        return await self.store.lines.renew(request.id, self.owner, until=until)

    async def step(self, request: LineRequest, now: datetime) -> None:
        # the lease runs from now for each request, however long the ones before took
        if await self.store.lines.renew(
            request.id, self.owner, until=self.clock.now() + self.LEASE
        ):
            await self._advance(request)

    async def _advance(self, request: LineRequest) -> None:
        team = await self.store.teams.by_id(request.team_id)
        match request.status:
            case LineStatus.WAITING | LineStatus.CALLBACK:
                await self._offer_next(request, team, request.tried)
            case LineStatus.OFFERING:
                await self._offer_over(request, team)
            case LineStatus.CALLING:
                await self._connect(request, team, self.owner)
            case LineStatus.CONNECTED:
                await self._follow(request, team)
            case LineStatus.HELD | LineStatus.CLOSED:  # nobody came back for it in time
                await self._end(
                    request, RequestResult.EXPIRED, self.owner, expect=(request.status,)
                )
            case _:
                await self.store.lines.save(request.id, self.owner, next_check_at=None)

    async def _offer_over(self, request: LineRequest, team: Team | None) -> None:
        offer = (
            await self.store.lines.offer(request.current_offer_id)
            if request.current_offer_id is not None
            else None
        )
        now = self.clock.now()
        if offer is not None and offer.status is OfferStatus.OPEN and offer.expires_at > now:
            await self.store.lines.save(
                request.id,
                self.owner,
                next_check_at=offer.expires_at,
                expect=(LineStatus.OFFERING,),
            )
            return
        if offer is not None and not await self.store.lines.end_offer(
            offer.id, OfferStatus.EXPIRED
        ):
            now_reads = await self.store.lines.offer(offer.id)
            if now_reads is not None and now_reads.status is OfferStatus.ACCEPTED:
                return  # accepted at the last moment: the press took the request over
            offer = None  # expired already (its message never went out): on to the next
        if offer is not None:
            self.calls.metrics.offer_ended("expired")
        if offer is not None and offer.message_id is not None:
            member = await self.store.get_user(offer.member_id)
            lang = pick_language(member.language_code if member else None)
            await self.messenger.edit(
                offer.member_id, offer.message_id, OutgoingMessage(t(lang, "offer_expired"))
            )
        await self._offer_next(request, team, request.tried)

    async def _offer_next(self, request: LineRequest, team: Team | None, tried: list[int]) -> None:
        newcomer = await self.store.get_user(request.newcomer_id)
        line = await self.store.lines.get(team.id) if team else None
        lang = pick_language(newcomer.language_code if newcomer else None)
        if team is None or line is None or not line.enabled or newcomer is None:
            if await self._end(request, RequestResult.CLOSED, self.owner) and team and newcomer:
                text = t(lang, "line_gone", name=team.name)
                await self.messenger.send(request.newcomer_id, OutgoingMessage(text))
            return
        if not newcomer.reachable:  # blocked the bot since: a call they can't join costs money
            await self._end(request, RequestResult.UNREACHABLE, self.owner)
            return
        if self.denied is not None and await self.denied(newcomer.telegram_id):
            await self._end(request, RequestResult.DENIED, self.owner)
            return
        refusal = await self._over_hourly_cap(lang, newcomer.telegram_id)
        if refusal is not None:  # calls from other lines meanwhile
            if await self._end(request, RequestResult.QUOTA, self.owner):
                await self.messenger.send(request.newcomer_id, OutgoingMessage(refusal))
            return
        hours = hours_of(line.hours)
        now = self.clock.now()
        if not hours.is_open(now, team.zone):
            if request.status is LineStatus.CALLBACK:  # asked to be called back: when it opens
                await self.store.lines.save(
                    request.id, self.owner, next_check_at=hours.next_open(now, team.zone)
                )
            elif await self.store.lines.save(
                request.id,
                self.owner,
                next_check_at=hours.next_open(now, team.zone) + CLOSED_FOR,
                status=LineStatus.CLOSED,
                tried=[],
            ):
                await self._offer_call_back(lang, team, request, hours, "line_closed")
            return
        members = await self.store.teams.members(team.id)
        first = (await self.oncall.on_call_now(team, members)).member
        order = [m for m in escalation_order(members, first) if m != request.newcomer_id]
        since = now - timedelta(seconds=self.settings.longest_call)
        busy = await self.store.lines.busy(order, now=now, since=since)
        # first come, first served: a member an older waiting request has yet to ask is theirs
        for older in await self.store.lines.older_waiting(team.id, request.id):
            busy |= {m for m in order if m not in older.tried}
        tried = list(tried)
        someone_busy = False
        for member_id in order:
            if member_id in tried:
                continue
            member = await self.store.get_user(member_id)
            if member is None or not self._available(member):
                continue
            if self.denied is not None and await self.denied(member_id):
                continue  # an admin denied them: not offered what they may not take
            if member_id in busy:
                someone_busy = True
                continue
            match await self._offer(request, team, newcomer, member, tried):
                case "offered" | "lost":
                    return
                case "busy":  # another replica offered them something this instant
                    someone_busy = True
                case "unreachable":
                    tried.append(member_id)
        if someone_busy:
            await self._wait_in_queue(request, team, lang, tried)
            return
        # a whole round and nobody took it: call back later
        if await self.store.lines.save(
            request.id,
            self.owner,
            next_check_at=now + CLOSED_FOR,
            status=LineStatus.CLOSED,
            tried=[],
            result=RequestResult.NOBODY,
        ):
            await self._offer_call_back(lang, team, request, hours, "line_nobody")

    def _needs_phone(self, person: UserRecord) -> bool:
        return self.settings.phones_required and person.phone is None

    def _available(self, member: UserRecord) -> bool:
        return member.why_not_ringable(phones_required=self.settings.phones_required) is None

    async def _wait_in_queue(
        self, request: LineRequest, team: Team, lang: str, tried: list[int]
    ) -> None:
        position = 1 + await self.store.lines.count_open(team.id, request.id)
        saved = await self.store.lines.save(
            request.id,
            self.owner,
            next_check_at=self.clock.now() + CHECK_EVERY,
            status=LineStatus.WAITING,
            tried=tried,
            position=position,
        )
        if saved and position != request.position and request.status_message_id is not None:
            text = t(lang, "line_connecting", name=team.name, position=position)
            await self.messenger.edit(
                request.newcomer_id, request.status_message_id, OutgoingMessage(text)
            )

    async def _offer(
        self,
        request: LineRequest,
        team: Team,
        newcomer: UserRecord,
        member: UserRecord,
        tried: list[int],
    ) -> Literal["offered", "busy", "lost", "unreachable"]:
        """Offer the call to ``member``: recorded first (so an instant Accept finds it), then
        sent; its window runs from when the member got it."""
        now = self.clock.now()
        window = timedelta(seconds=self.settings.offer_timeout)
        made = await self.store.lines.offer_to(
            request.id,
            self.owner,
            member.telegram_id,
            tried=tried,
            now=now,
            expires_at=now + window,
        )
        if made == "busy" or made == "lost":
            return made
        lang = pick_language(member.language_code)
        text = t(
            lang,
            "offer",
            person=newcomer.display_name,
            name=team.name,
            wait=format_wait((now - request.created_at).total_seconds(), lang),
            seconds=self.settings.offer_timeout,
        )
        button = Button(t(lang, "button_accept"), data=encode(PressKind.LINE_ACCEPT, made))
        receipt = await self.messenger.send(
            member.telegram_id, OutgoingMessage(text, (button,), kind=MessageKind.CALL)
        )
        if receipt.message_id is None:
            await self.store.lines.end_offer(made, OfferStatus.EXPIRED)
            if receipt.delivery.unreachable:
                await self.store.set_dm_open(member.telegram_id, False)
            return "unreachable"
        expires = self.clock.now() + window
        await self.store.lines.set_offer_message(made, receipt.message_id, expires_at=expires)
        await self.store.lines.save(
            request.id, self.owner, next_check_at=expires, expect=(LineStatus.OFFERING,)
        )
        return "offered"  # (or already accepted, by a press faster than this save)

    # -- Accept, and the call ------------------------------------------------------------------

    async def press(self, presser: int, press: Press) -> PressAnswer:
        if press.kind not in LINE_PRESSES:
            return UNKNOWN
        if press.kind is PressKind.LINE_ACCEPT:
            return await self._accept(presser, press.id)
        request = await self.store.lines.request(press.id)
        if request is None:
            return UNKNOWN
        if request.newcomer_id != presser:
            return NOT_YOURS
        if press.kind is PressKind.LINE_CALL_BACK:
            return await self._call_back(request)
        if press.stars is None or request.result is not RequestResult.ANSWERED:
            return UNKNOWN
        await self.store.lines.change(request.id, expect=(LineStatus.DONE,), rating=press.stars)
        return PressAnswer("line_rated", params={"stars": "★" * press.stars})

    async def _accept(self, presser: int, offer_id: int) -> PressAnswer:
        offer = await self.store.lines.offer(offer_id)
        if offer is None:
            return UNKNOWN
        if offer.member_id != presser:
            return NOT_YOURS
        now = self.clock.now()
        void = await self._void(offer, now)
        if void is not None:
            return void
        request = await self.store.lines.accept(
            offer_id,
            presser,
            now=now,
            grace=ACCEPT_GRACE,
            hourly_cap=self.settings.calls_per_hour,
        )
        if request is None:
            now_reads = await self.store.lines.offer(offer_id)  # after the press that won
            if now_reads is not None and now_reads.status is OfferStatus.ACCEPTED:
                return PressAnswer("offer_already_yours")
            return PressAnswer("offer_over", alert=True)
        self.calls.metrics.offer_ended("accepted")
        # Taken: from here on the answer is "it's yours"; if the store fails, the tick finishes
        # the placing once the grace is over (the call's key keeps it to one call).
        try:
            team = await self.store.teams.by_id(request.team_id)
            result = await self._connect(request, team, None)
            if isinstance(result, PressAnswer):  # refused: why, on the offer and in the alert
                offer_now = await self.store.lines.offer(offer_id)
                if offer_now is not None and offer_now.message_id is not None:
                    member = await self.store.get_user(presser)
                    lang = pick_language(member.language_code if member else None)
                    await self.messenger.edit(
                        presser, offer_now.message_id, OutgoingMessage(result.text(lang))
                    )
                return result
            if result == "placed":  # (an unsure call's people got a message saying so)
                await self._tell_offers(request, offer_id, presser)
        except StoreUnavailable as exc:
            logger.warning(
                "line request %s: storage unavailable after Accept (%s)", request.id, exc
            )
            return PressAnswer("offer_accepted")
        if result == "gone":
            return PressAnswer("offer_newcomer_gone", alert=True)
        if result == "failed":
            return PressAnswer("offer_failed", alert=True)
        return PressAnswer("offer_accepted")

    async def _void(self, offer: LineOffer, now: datetime) -> PressAnswer | None:
        """Why an open offer is no longer good (its line turned off or out of its hours, its
        newcomer no longer waiting): the offer is withdrawn, its button goes, and its request is
        due at once (its worker ends it or waits for the hours); None while it is good."""
        if offer.status is not OfferStatus.OPEN:
            return None  # over, or taken: the accept itself says which
        request = await self.store.lines.request(offer.request_id)
        team = await self.store.teams.by_id(request.team_id) if request is not None else None
        line = await self.store.lines.get(team.id) if team is not None else None
        key = None
        if request is None or request.status is not LineStatus.OFFERING or team is None:
            key = "offer_not_waiting"
        elif line is None or not line.enabled:
            key = "offer_line_off"
        elif not hours_of(line.hours).is_open(now, team.zone):
            key = "offer_line_closed"
        if key is None:
            return None
        if not await self.store.lines.end_offer(offer.id, OfferStatus.EXPIRED):
            return None  # taken (or expired) a moment ago: the accept says which
        self.calls.metrics.offer_ended("withdrawn")
        if offer.message_id is not None:
            member = await self.store.get_user(offer.member_id)
            lang = pick_language(member.language_code if member else None)
            await self.messenger.edit(
                offer.member_id, offer.message_id, OutgoingMessage(t(lang, key))
            )
        if request is not None and request.status is LineStatus.OFFERING:
            await self.store.lines.change(
                request.id, expect=(LineStatus.OFFERING,), next_check_at=now
            )
        return PressAnswer(key, alert=True)

    async def withdraw_offers(self, newcomer_id: int) -> None:
        """The newcomer leaves (``/forget``): every open offer of theirs is withdrawn, its
        message saying so in place of their name and a live-looking Accept. Called before their
        record and requests go (after, nothing tells these offers from expired ones)."""
        for offer in await self.store.lines.open_offers_for(newcomer_id):
            if not await self.store.lines.end_offer(offer.id, OfferStatus.EXPIRED):
                continue  # accepted or expired a moment ago: that press or tick tells it
            self.calls.metrics.offer_ended("withdrawn")
            if offer.message_id is None:
                continue
            member = await self.store.get_user(offer.member_id)
            lang = pick_language(member.language_code if member else None)
            await self.messenger.edit(
                offer.member_id, offer.message_id, OutgoingMessage(t(lang, "offer_withdrawn"))
            )

    async def _tell_offers(self, request: LineRequest, offer_id: int, taker: int) -> None:
        """Every offer of the request now says who took it (the taker's, that it is theirs)."""
        member = await self.store.get_user(taker)
        member_name = member.display_name if member else str(taker)
        for other in await self.store.lines.offers_of(request.id):
            if other.message_id is None:
                continue
            person = await self.store.get_user(other.member_id)
            lang = pick_language(person.language_code if person else None)
            key = "offer_yours" if other.id == offer_id else "offer_taken"
            await self.messenger.edit(
                other.member_id, other.message_id, OutgoingMessage(t(lang, key, member=member_name))
            )

    async def _connect(
        self, request: LineRequest, team: Team | None, owner: str | None
    ) -> Literal["placed", "unsure", "failed", "gone"] | PressAnswer:
        """Create the accepted call once (its key), deliver both tokens, follow it.

        ``owner``: the replica holding the request, or None for the press that accepted it. A
        call ``/call``'s rules now refuse (the member went do-not-disturb, an admin denied
        someone) places nothing: the request waits for the next member, and the refusal is
        returned for the press to show.
        """
        newcomer = await self.store.get_user(request.newcomer_id)
        member = await self.store.get_user(request.accepted_by) if request.accepted_by else None
        calling = (LineStatus.CALLING,)
        if team is None or newcomer is None or member is None or not newcomer.reachable:
            await self._end(request, RequestResult.UNREACHABLE, owner, expect=calling)
            return "gone"
        lang = pick_language(newcomer.language_code)

        def note(reader: str) -> str:
            return t(reader, "line_note", name=team.name)

        report = await self.calls.place_for(
            CallKey.line(request.newcomer_id, request.id),
            newcomer,
            member,
            self.settings.max_duration,
            origin=Origin(chat_id=newcomer.telegram_id, private=True, quiet=True),
            note=note,
            outsider=True,  # a line serves newcomers the allow-lists leave out
        )
        if report.outcome is PlaceResult.DUPLICATE and report.call_row_id is None:
            await self._end(request, RequestResult.FAILED, owner, expect=calling)
            return "failed"
        if report.outcome is PlaceResult.REFUSED:  # nothing placed: on to the next member
            await self.store.lines.change(
                request.id,
                expect=calling,
                status=LineStatus.WAITING,
                accepted_by=None,
                accepted_at=None,
                tried=[*request.tried, member.telegram_id],
                next_check_at=self.clock.now(),
                lease_owner=None,
                lease_until=None,
            )
            return PressAnswer(report.reason or "offer_failed", True, report.params)
        # placed now, or before (a press, or a replica since gone): followed from here on
        if report.outcome in (PlaceResult.PLACED, PlaceResult.DUPLICATE):
            await self.store.lines.save(
                request.id,
                owner,
                next_check_at=self.clock.now() + FOLLOW_EVERY,
                expect=calling,
                status=LineStatus.CONNECTED,
                call_id=report.call_row_id,
            )
            if report.outcome is PlaceResult.PLACED:
                waited = (self.clock.now() - request.created_at).total_seconds()
                self.calls.metrics.line_connect_seconds.observe(waited)
            return "placed"
        if report.may_exist:
            # The call may exist: never "try again" (a second paid call); both are told.
            if not await self._end(
                request, RequestResult.UNSURE, owner, expect=calling, call_id=report.call_row_id
            ):
                return "unsure"  # a replica took it over meanwhile and tells them itself
            for person in (newcomer, member):
                text = t(pick_language(person.language_code), "line_unsure", name=team.name)
                await self.messenger.send(person.telegram_id, OutgoingMessage(text))
            return "unsure"
        if await self._end(
            request, RequestResult.FAILED, owner, expect=calling, call_id=report.call_row_id
        ):
            await self._offer_call_back(lang, team, request, ALWAYS, "line_failed")
        return "failed"

    async def _follow(self, request: LineRequest, team: Team | None) -> None:
        call = await self.store.get_call(request.call_id) if request.call_id else None
        now = self.clock.now()
        connected = (LineStatus.CONNECTED,)
        if call is None or call.outcome is None or call.lost_while_placing:
            if call is not None and call.outcome is None and not unfollowed_and_over(call, now):
                await self.store.lines.save(
                    request.id, self.owner, next_check_at=now + FOLLOW_EVERY, expect=connected
                )
                return
            # nobody will ever report how it ended (its placer died before Kavenegar's answer
            # was kept, or nothing follows it): over, not a "try again", and both are told
            if await self._end(request, RequestResult.UNSURE, self.owner, expect=connected):
                await self._tell_unsure(request, team)
            return
        newcomer = await self.store.get_user(request.newcomer_id)
        lang = pick_language(newcomer.language_code if newcomer else None)
        member = await self.oncall.name(request.accepted_by)
        if call.connected_at is not None or call.outcome is CallOutcome.ANSWERED:
            if await self._end(request, RequestResult.ANSWERED, self.owner, expect=connected):
                buttons = tuple(
                    Button("★" * n, data=encode(PressKind.LINE_RATE, request.id, n))
                    for n in range(1, 6)
                )
                text = t(lang, "line_rate", person=member)
                await self.messenger.send(request.newcomer_id, OutgoingMessage(text, buttons))
            return
        if not call.outcome.may_call_again:  # it was taken up, or its end is unknown: no retry
            await self._end(request, RequestResult.ENDED, self.owner, expect=connected)
            return
        if (
            await self._end(request, RequestResult.MISSED, self.owner, expect=connected)
            and team is not None
        ):
            await self._offer_call_back(lang, team, request, ALWAYS, "line_missed")

    async def _tell_unsure(self, request: LineRequest, team: Team | None) -> None:
        name = team.name if team is not None else "?"
        for person_id in (request.newcomer_id, request.accepted_by):
            if person_id is None:
                continue
            person = await self.store.get_user(person_id)
            if person is None or not person.reachable:
                continue
            text = t(pick_language(person.language_code), "line_unsure", name=name)
            await self.messenger.send(person_id, OutgoingMessage(text))

    async def _call_back(self, request: LineRequest) -> PressAnswer:
        team = await self.store.teams.by_id(request.team_id)
        line = await self.store.lines.get(request.team_id) if team else None
        if team is None or line is None or not line.enabled:
            return PressAnswer("line_gone_short", alert=True)
        if self.denied is not None and await self.denied(request.newcomer_id):
            return UNKNOWN
        hours = hours_of(line.hours)
        now = self.clock.now()
        opens = hours.next_open(now, team.zone)
        if request.status is LineStatus.CLOSED:
            # closed hours: when it opens; nobody took it while open: a little later
            due = (
                max(opens, now + NOBODY_PAUSE) if request.result is RequestResult.NOBODY else opens
            )
            if await self.store.lines.change(
                request.id,
                expect=(LineStatus.CLOSED,),
                now=now,
                status=LineStatus.CALLBACK,
                tried=[],
                result=None,
                next_check_at=due,
            ):
                return PressAnswer("line_call_back_set", params={"name": team.name})
            return PressAnswer("line_callback_already", params={"name": team.name})
        if request.status is not LineStatus.DONE:
            return PressAnswer("line_callback_already", params={"name": team.name})
        if request.result in (
            RequestResult.ANSWERED,
            RequestResult.UNSURE,
        ):  # no such button was ever given
            return UNKNOWN
        # over (not connected, not placed, lapsed): a new place in the queue
        newcomer = await self.store.get_user(request.newcomer_id)
        if newcomer is None:
            return UNKNOWN
        lang = pick_language(newcomer.language_code)
        refusal = await self._over_hourly_cap(lang, newcomer.telegram_id)
        if refusal is not None:
            await self.messenger.send(newcomer.telegram_id, OutgoingMessage(refusal))
            return PressAnswer("callback_see_chat")
        again = await self.store.lines.create_request(
            team.id, newcomer.telegram_id, status=LineStatus.CALLBACK, now=now, next_check_at=opens
        )
        if again is None:  # another place of theirs is open: say where it stands
            other = await self.store.lines.open_request(team.id, newcomer.telegram_id)
            if other is not None:
                await self._tell_status(lang, team, other)
            return PressAnswer("callback_see_chat")
        return PressAnswer("line_call_back_set", params={"name": team.name})

    async def _end(
        self,
        request: LineRequest,
        result: RequestResult,
        owner: str | None,
        *,
        expect: tuple[LineStatus, ...] | None = None,
        **values: object,
    ) -> bool:
        """Close the request (``owner``: the replica holding it, None for a press); False if
        it was no longer ours to close."""
        ended = await self.store.lines.save(
            request.id,
            owner,
            next_check_at=None,
            expect=expect,
            status=LineStatus.DONE,
            result=result,
            ended_at=self.clock.now(),
            **values,
        )
        if ended:
            self.calls.metrics.line_request_ended(RequestResult(result).value)
        return ended

    # -- /stats --------------------------------------------------------------------------------

    async def stats(self, lang: str, since: datetime) -> list[str]:
        """One line per support line: calls, answered share, median wait, ratings."""
        requests = await self.store.lines.finished_since(since)
        by_team: dict[int, list[LineRequest]] = {}
        for request in requests:
            by_team.setdefault(request.team_id, []).append(request)
        out = []
        for team_id, items in sorted(by_team.items()):
            team = await self.store.teams.by_id(team_id)
            placed = [r for r in items if r.call_id is not None]
            answered = [r for r in placed if r.result is RequestResult.ANSWERED]
            waits = [
                (r.accepted_at - r.created_at).total_seconds()
                for r in items
                if r.accepted_at is not None
            ]
            ratings = [r.rating for r in items if r.rating is not None]
            out.append(
                t(
                    lang,
                    "stats_line",
                    name=team.name if team else f"#{team_id}",
                    requests=len(items),
                    calls=len(placed),
                    answered=f"{100 * len(answered) // len(placed)}%" if placed else "—",
                    wait=format_wait(statistics.median(waits), lang) if waits else "—",
                    rating=f"{statistics.fmean(ratings):.1f}★ ({len(ratings)})" if ratings else "—",
                )
            )
        return out


def hours_of(text: str | None) -> Hours:
    """A line's stored hours (None: always open)."""
    return (parse_hours(text) if text else None) or ALWAYS
