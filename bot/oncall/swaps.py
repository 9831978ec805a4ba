"""Shift swaps from chat (issue 22, item 2): ``/swap NAME [now|next]`` and ``/swap NAME @x``.

The person on call (or due next) asks for their shift to be taken. In the team's group a
request is posted with a **Take** button; ``/swap NAME @x`` asks one teammate privately instead.
The first teammate to press Take covers the shift with the existing cover machinery (a cover
from the shift's start, or from the moment of the Take for a shift already on, to its end): one
conditional update of the request decides among any number of Takes on any replicas, and the
cover is written in the same transaction, so a taken shift always has its cover and a request
is never taken twice. Both people are told privately, and the group's notice is edited to who
took it.

Every request ends, told: it expires at its deadline (the shift's start; for a shift already
on, its end) if nobody took it; the request is a row, expired by one replica under a lease on
the injectable clock (:class:`SwapService` is a :class:`~bot.core.work.LeasedWorker`), and the
asker is told that the shift is still theirs.

Decisions: which shift: ``now`` is the shift on now, ``next`` the asker's next one within 8
weeks, a date (``2026-12-03``, or Solar Hijri ``1405-09-12``, Persian digits too) the one on
that local day; without a word, the one on now if it is theirs, else their next; a word and a
person together (``/swap ops 2026-12-03 @dave``) ask that person for that shift. A Take adds a
cover for exactly that shift, replacing the asker's own cover of it, and is refused only if it
would overlap another person's cover (a team may have several covers, none overlapping).

At Take, the asker must still have that shift (still a member, on call for all of it): else the
request ends as cancelled, its notice edited (no button) and the asker told. A person the admins'
rules leave out (denied; no call would reach them) neither takes a shift nor is asked privately.
A request whose message could not be delivered (the person asked blocked the bot, the group is
gone) is cancelled at once and the asker told that nothing was asked. A request of a team
deleted meanwhile still expires told.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import date, datetime, timedelta

from persiantools.jdatetime import JalaliDate

from bot.core.buttons import NOT_YOURS, UNKNOWN, Press, PressAnswer, PressKind, encode
from bot.core.clock import Clock
from bot.core.messages import Button, Delivery, Messenger, OutgoingMessage
from bot.core.parsing import Mention, ascii_digits
from bot.core.people import UserRecord
from bot.core.records import Swap, SwapStatus, Team
from bot.core.texts import pick_language, t
from bot.core.timezones import to_local, zone
from bot.core.work import LeasedWorker
from bot.oncall.rotation import format_local, on_call
from bot.oncall.schedule import Shift
from bot.oncall.service import CALENDAR_DAYS, OnCallService, Refused, rotation_of
from bot.storage import Store

__all__ = ["SWAP_PRESSES", "SwapService", "parse_day"]

logger = logging.getLogger(__name__)

#: The buttons of this feature.
SWAP_PRESSES = frozenset({PressKind.SWAP_TAKE})
_DAY = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})", re.ASCII)
#: A typed year before this is a Solar Hijri one (1405 is 2026-2027).
JALALI_BEFORE = 1700


class SwapService(LeasedWorker[Swap]):
    """Asks for swaps, takes them (a press of Take) and expires those nobody took."""

    LEASE = timedelta(seconds=30)
    BATCH = 20
    UNAVAILABLE_NOTE = "; retrying"

    def __init__(
        self,
        store: Store,
        oncall: OnCallService,
        messenger: Messenger,
        clock: Clock,
        *,
        owner: str,
    ) -> None:
        self.store = store
        self.oncall = oncall
        self.messenger = messenger
        self.clock = clock
        self.owner = owner

    # -- /swap ---------------------------------------------------------------------------------

    async def request(
        self,
        lang: str,
        asker: UserRecord,
        team: Team,
        words: list[str],
        mentions: list[Mention],
        *,
        reply_to: tuple[int, int | None] | None = None,
    ) -> str | None:
        """``/swap NAME [now|next]`` or ``/swap NAME @x`` by ``asker``; the answer, or None
        once the request's notice is posted in the team's group (quoting the command when
        ``reply_to``, its (message id, topic), is in that group)."""
        members = await self.store.teams.members(team.id)
        if asker.telegram_id not in members:
            raise Refused(t(lang, "swap_not_member", name=team.name))
        # at most one word (now, next or a day) and at most one person, in any combination
        when = words[0].lower() if len(words) == 1 else None
        day = parse_day(when) if when is not None else None
        if (
            len(words) > 1
            or len(mentions) > 1
            or (words and when not in ("now", "next") and day is None)
        ):
            raise Refused(t(lang, "swap_usage"))
        shift = await self._shift_of(team, asker.telegram_id, day or when)
        if shift is None or shift.ends is None:
            raise Refused(t(lang, "swap_not_on_call", name=team.name))
        asked: UserRecord | None = None
        if mentions:
            people, refused = await self.oncall.resolve(lang, mentions, None)
            if not people:
                raise Refused("\n".join(refused) or t(lang, "swap_usage"))
            asked = people[0]
            if asked.telegram_id not in members or asked.telegram_id == asker.telegram_id:
                raise Refused(t(lang, "swap_asked_not_member", person=asked.display_name))
            if not asked.reachable:
                raise Refused(t(lang, "swap_asked_unreachable", person=asked.display_name))
            if await self.oncall.left_out(asked.telegram_id):
                raise Refused(t(lang, "shift_left_out", person=asked.display_name))
        now = self.clock.now()
        deadline = shift.starts if shift.starts > now else shift.ends
        swap = await self.store.teams.create_swap(
            team_id=team.id,
            asked_by=asker.telegram_id,
            asked_to=asked.telegram_id if asked else None,
            starts=shift.starts,
            ends=shift.ends,
            chat_id=asked.telegram_id if asked else team.chat_id,
            deadline=deadline,
            now=now,
        )
        if swap is None:
            raise Refused(t(lang, "swap_already", name=team.name))
        if asked is not None:
            their = pick_language(asked.language_code)
            text = t(their, "swap_asked_private", **self._params(their, swap, team, asker))
            receipt = await self.messenger.send(
                asked.telegram_id, OutgoingMessage(text, self._take(their, swap))
            )
            if receipt.delivery is not Delivery.SENT:  # nobody can press it: nothing asked
                await self.store.teams.cancel_swap(swap.id)
                raise Refused(t(lang, "swap_asked_not_delivered", person=asked.display_name))
            await self.store.teams.set_swap_notice(swap.id, receipt.message_id)
            until = format_local(deadline, team.zone, lang)
            return t(lang, "swap_asked_done", person=asked.display_name, until=until)
        quote, thread = reply_to if reply_to is not None else (None, team.thread_id)
        text = t(lang, "swap_notice", **self._params(lang, swap, team, asker))
        receipt = await self.messenger.send(
            team.chat_id,
            OutgoingMessage(
                text,
                self._take(lang, swap),
                reply_to_message_id=quote,
                message_thread_id=thread,
            ),
        )
        if receipt.delivery is not Delivery.SENT:
            await self.store.teams.cancel_swap(swap.id)
            raise Refused(t(lang, "swap_notice_not_posted", name=team.name))
        await self.store.teams.set_swap_notice(swap.id, receipt.message_id)
        return None if reply_to is not None else t(lang, "swap_posted", name=team.name)

    async def _shift_of(self, team: Team, person: int, when: str | date | None) -> Shift | None:
        """The asker's shift: on now (``now``), their next (``next``), the one on a local
        ``date`` (starting that day, or going on through it), or now's else the next (None)."""
        schedule = await self.oncall.schedule(team, CALENDAR_DAYS)
        theirs = [shift for shift in schedule if shift.member == person]
        if isinstance(when, date):
            return next((s for s in theirs if _on_day(s, when, team.zone)), None)
        if when in (None, "now") and schedule and schedule[0].member == person:
            return schedule[0]
        if when == "now":
            return None
        return next((s for s in theirs if s is not schedule[0]), None)

    def _params(self, lang: str, swap: Swap, team: Team, asker: UserRecord) -> dict[str, object]:
        deadline = swap.next_check_at or swap.ends
        return {
            "person": asker.display_name,
            "name": team.name,
            "start": format_local(max(swap.starts, swap.created_at), team.zone, lang),
            "end": format_local(swap.ends, team.zone, lang),
            "until": format_local(deadline, team.zone, lang),
        }

    @staticmethod
    def _take(lang: str, swap: Swap) -> tuple[Button, ...]:
        return (Button(t(lang, "button_swap_take"), data=encode(PressKind.SWAP_TAKE, swap.id)),)

    # -- Take ----------------------------------------------------------------------------------

    async def press(self, presser: int, press: Press) -> PressAnswer:
        """A press of Take: the first teammate (the one asked, if one was) covers the shift."""
        if press.kind not in SWAP_PRESSES:
            return UNKNOWN
        swap = await self.store.teams.swap(press.id)
        if swap is None:
            return UNKNOWN
        team = await self.store.teams.by_id(swap.team_id)
        if team is None:  # deleted: the request ends now, told (not at its deadline)
            if swap.status is SwapStatus.OPEN and await self.store.teams.cancel_swap(swap.id):
                await self._gone(swap, await self.store.get_user(swap.asked_by))
            return PressAnswer("swap_over", alert=True)
        if swap.asked_to is not None and presser != swap.asked_to:
            return NOT_YOURS
        if presser == swap.asked_by:
            return PressAnswer("swap_own", alert=True)
        members = await self.store.teams.members(team.id)
        if presser not in members:
            return PressAnswer("swap_members_only", alert=True, params={"name": team.name})
        if await self.oncall.left_out(presser):  # no call would reach them: refused
            person = await self.oncall.name(presser)
            return PressAnswer("shift_left_out", alert=True, params={"person": person})
        if swap.status is SwapStatus.OPEN and not await self._still_theirs(team, swap, members):
            return await self._cancel(team, swap)
        result, after = await self.store.teams.take_swap(swap.id, presser, now=self.clock.now())
        if result == "blocked":
            return PressAnswer("swap_blocked", alert=True, params={"name": team.name})
        if result == "gone" or after is None:
            if after is not None and after.status is SwapStatus.TAKEN and after.taken_by:
                taker = await self.oncall.name(after.taken_by)
                return PressAnswer("swap_gone", alert=True, params={"person": taker})
            return PressAnswer("swap_over", alert=True)
        logger.info("swap %s of %s taken by %s", swap.id, team.name, presser)
        await self._taken(team, after)
        return PressAnswer("swap_take_done", params={"name": team.name})

    async def _still_theirs(self, team: Team, swap: Swap, members: list[int]) -> bool:
        """Does the asker still have that shift: a member whom the rotation (or their own
        cover) puts on call for all of what is left of it? Others' covers do not count (a Take
        over one is refused as "blocked")."""
        if swap.asked_by not in members:
            return False
        now = self.clock.now()
        own = [c for c in await self.oncall.covers(team, now) if c.member == swap.asked_by]
        rotation = rotation_of(team)
        moment = max(swap.starts, now)
        while moment < swap.ends:
            current = on_call(members, rotation, own, moment)
            if current.member != swap.asked_by:
                return False
            if current.until is None:
                return True
            moment = current.until
        return True

    async def _cancel(self, team: Team, swap: Swap) -> PressAnswer:
        """The asker no longer has that shift: the request ends, cancelled, told (its notice
        edited, without its button, and the asker privately)."""
        if await self.store.teams.cancel_swap(swap.id):
            logger.info("swap %s of %s cancelled: no longer the asker's shift", swap.id, team.name)
            asker = await self.store.get_user(swap.asked_by)
            if asker is not None:
                ended = replace(swap, status=SwapStatus.CANCELLED)
                await self._edit_notice(ended, team, asker, "swap_cancelled_notice")
                if asker.reachable:
                    lang = pick_language(asker.language_code)
                    text = t(lang, "swap_cancelled_asker", **self._params(lang, swap, team, asker))
                    await self.messenger.send(asker.telegram_id, OutgoingMessage(text))
        return PressAnswer("swap_cancelled", alert=True)

    async def _taken(self, team: Team, swap: Swap) -> None:
        """The request was taken: its notice says by whom, both people are told privately."""
        asker = await self.store.get_user(swap.asked_by)
        taker = await self.store.get_user(swap.taken_by or 0)
        if asker is None or taker is None:
            return
        await self._edit_notice(swap, team, asker, "swap_taken_notice", taker=taker.display_name)
        for person, key in ((asker, "swap_taken_asker"), (taker, "swap_taken_taker")):
            if not person.reachable:
                continue
            lang = pick_language(person.language_code)
            params = {**self._params(lang, swap, team, asker), "taker": taker.display_name}
            await self.messenger.send(person.telegram_id, OutgoingMessage(t(lang, key, **params)))

    async def _edit_notice(
        self, swap: Swap, team: Team, asker: UserRecord, key: str, **extra: object
    ) -> None:
        if swap.notice_message_id is None:
            return
        owner = await self.store.get_user(swap.asked_to or team.owner_id)
        lang = pick_language(owner.language_code if owner else asker.language_code)
        text = t(lang, key, **{**self._params(lang, swap, team, asker), **extra})
        await self.messenger.edit(swap.chat_id, swap.notice_message_id, OutgoingMessage(text))

    # -- expiry: a leased row ------------------------------------------------------------------

    async def claim(self, now: datetime, limit: int) -> list[Swap]:
        return await self.store.teams.claim_due_swaps(
            self.owner, now=now, lease=self.LEASE, limit=limit
        )

    def describe(self, swap: Swap) -> str:
        return f"swap {swap.id}"

    async def step(self, swap: Swap, now: datetime) -> None:
        """Nobody took it by its deadline: it expires (unless taken meanwhile), told."""
        if not await self.store.teams.expire_swap(swap.id, self.owner):
            return  # taken at the last moment, or another replica's now
        team = await self.store.teams.by_id(swap.team_id)
        asker = await self.store.get_user(swap.asked_by)
        if team is None:  # deleted meanwhile: ended all the same, told
            await self._gone(swap, asker)
            return
        if asker is None:
            return
        expired = replace(swap, status=SwapStatus.EXPIRED)
        await self._edit_notice(expired, team, asker, "swap_expired_notice")
        if asker.reachable:
            lang = pick_language(asker.language_code)
            text = t(lang, "swap_expired_asker", **self._params(lang, swap, team, asker))
            await self.messenger.send(asker.telegram_id, OutgoingMessage(text))

    async def _gone(self, swap: Swap, asker: UserRecord | None) -> None:
        """The request of a deleted team expired: its notice (if the chat still has it) says so,
        without its button, and so is the asker told privately."""
        lang = pick_language(asker.language_code if asker else None)
        if swap.notice_message_id is not None:
            text = t(lang, "swap_gone_notice")
            await self.messenger.edit(swap.chat_id, swap.notice_message_id, OutgoingMessage(text))
        if asker is not None and asker.reachable:
            await self.messenger.send(
                asker.telegram_id, OutgoingMessage(t(lang, "swap_gone_asker"))
            )


def parse_day(text: str) -> date | None:
    """A typed date: ``2026-12-03``, or a Solar Hijri one (``1405-09-12``, ``۱۴۰۵/۰۹/۱۲``: a
    year before 1700 is read as Jalali, as Iranians write dates); None for anything else."""
    match = _DAY.fullmatch(ascii_digits(text.strip()))
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        if year < JALALI_BEFORE:
            # persiantools' constructor is not annotated; it checks the date itself
            gregorian: date = JalaliDate(year, month, day).to_gregorian()  # type: ignore[no-untyped-call]
            return gregorian
        return date(year, month, day)
    except ValueError:
        return None


def _on_day(shift: Shift, day: date, zone_name: str) -> bool:
    """Does ``shift`` start on local ``day``, or go on through its start?"""
    starts = to_local(shift.starts, zone(zone_name)).date()
    if starts == day:
        return True
    ends = to_local(shift.ends, zone(zone_name)) if shift.ends is not None else None
    return starts < day and (ends is None or ends.date() > day)
