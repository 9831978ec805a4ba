"""``/page``: ring a team's on-call person, then escalate until someone answers.

A page is a row (``pages``) worked on by one replica at a time under a short lease, renewed
while a step works: it survives a restart, a replica killed mid-step leaves it to another
within the lease, and no step runs twice. A team has at most one running page (a unique index
of the database decides, whichever replica asks): a second ``/page`` joins it, its reason added
to the notice, and places no call. The plan is fixed when the page starts: the team's rotation
order beginning with the person on call. Each person in turn is rung ``PAGE_RETRIES`` + 1
times, for ``PAGE_ROUNDS`` rounds, until someone answers: their call connects (both sides
joined) or they press "I'm on it" under their token; then the loop is closed: the page's
token and ring messages lose their buttons and everyone it rang, and its pager, are told
privately who took it. People who cannot be rung (never started,
do not disturb, blocked the bot, made uncallable) or who left the team are skipped and named; a
call that can no longer be followed (closed unknown or expired, or never followed and surely
over) is taken as not answered. One paid call at a time per page, at most
``PAGE_MAX_ATTEMPTS`` in all. Kavenegar's "busy" is tried again every :data:`BUSY_PAUSE`, at
most :data:`BUSY_RETRIES` times; its refusal of the bot's credentials, or the team's deletion,
stops the page at once. The group sees one notice, edited as the page goes; when nobody
answered or the page stopped, the pager is told privately. A page counts once against the
pager's quota; its attempts and joins do not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.calls.service import CallService, Origin, unfollowed_and_over
from bot.core.buttons import NOT_YOURS, UNKNOWN, Press, PressAnswer, PressKind, encode
from bot.core.clock import Clock
from bot.core.errors import StoreUnavailable
from bot.core.messages import Button, Delivery, OutgoingMessage
from bot.core.people import UserRecord
from bot.core.records import (
    CallKey,
    CallOutcome,
    CallStatus,
    Claimed,
    Duplicate,
    OverQuota,
    Page,
    PageEvent,
    PageEventKind,
    PageStatus,
    PlaceResult,
    Quota,
    Team,
)
from bot.core.texts import format_wait, pick_language, t
from bot.core.timezones import local_digits
from bot.core.work import LeasedWorker
from bot.oncall.quiet import QuietHours, after_hours_allowed, is_urgent, quiet_hours
from bot.oncall.rotation import escalation_order
from bot.oncall.service import OnCallService, counted, why_not_ready
from bot.storage import Store

__all__ = ["BUSY_PAUSE", "BUSY_RETRIES", "PAGE_PRESSES", "PageService", "PageSettings"]

logger = logging.getLogger(__name__)
CHECK_EVERY = timedelta(seconds=2)
#: How long to wait before trying the same step again after Kavenegar said "busy" (429).
BUSY_PAUSE = timedelta(seconds=30)
#: How many times one page tries again after Kavenegar said "busy": the next "busy" stops it
#: (10 tries, :data:`BUSY_PAUSE` apart: five minutes).
BUSY_RETRIES = 10
#: The buttons of this feature: "I'm on it" under the token of the person a page rings.
PAGE_PRESSES = frozenset({PressKind.PAGE_ACK})
#: A press about a page that is over.
PAGE_OVER = PressAnswer("page_over", alert=True)

#: Why a page stopped (a STOPPED entry's ``why``), and the text that says it.
KV_CREDENTIALS, KV_BUSY, TEAM_DELETED = "kv_credentials", "kv_busy", "team_deleted"
_STOPPED_BY = {
    KV_CREDENTIALS: "kv_credentials",
    KV_BUSY: "page_why_busy",
    TEAM_DELETED: "page_why_deleted",
}
#: The ends of a call that say nothing of whether it was answered: it can no longer be known.
_UNKNOWABLE = frozenset({CallOutcome.UNKNOWN.value, CallOutcome.EXPIRED.value})
_OUTCOMES = frozenset(outcome.value for outcome in CallOutcome)


@dataclass(frozen=True)
class PageSettings:
    retries: int = 1
    rounds: int = 1
    max_attempts: int = 10
    max_duration: int = 600
    quotas: tuple[Quota, ...] = ()
    phones_required: bool = False


@dataclass(frozen=True)
class _Rung:
    """How ringing one person went: the result, the call's row, and why it failed."""

    outcome: PlaceResult
    row_id: int | None = None
    reason: str | None = None


class PageService(LeasedWorker[Page]):
    """Starts pages (or joins the running one), takes their next step when due (:meth:`tick`)
    and acts on "I'm on it" (:meth:`press`)."""

    #: Short, so that a replica killed mid-step (in the middle of a POST) leaves its page to
    #: another within seconds; renewed every quarter of it while a step works (a slow POST,
    #: flood-limited messages) and checked before each paid call: a step never runs twice.
    LEASE = timedelta(seconds=15)
    RENEWS = True
    BATCH = 5
    UNAVAILABLE_NOTE = "; retrying"

    def __init__(
        self,
        store: Store,
        calls: CallService,
        oncall: OnCallService,
        clock: Clock,
        settings: PageSettings,
        *,
        owner: str,
    ) -> None:
        self.store = store
        self.calls = calls
        self.oncall = oncall
        self.messenger = calls.messenger
        self.clock = clock
        self.settings = settings
        self.owner = owner

    async def start(
        self,
        lang: str,
        pager: UserRecord,
        team: Team,
        *,
        chat_id: int,
        message_id: int,
        reason: str | None,
        thread_id: int | None = None,
        after_hours: bool = False,
    ) -> str | None:
        """Start a page; the answer to give (a refusal, or that the team is already being
        paged and this page joined it, or that it is in its quiet hours), or None once the
        notice is posted.

        The notice goes to the team's forum topic (``Team.thread_id``), quoting the ``/page``
        when it was typed there (``thread_id``: the topic it was typed in); typed elsewhere in
        the group, the answer says where the notice is. ``after_hours``: the page of another
        team's after-hours team, whose notice goes where the ``/page`` was typed."""
        if self.settings.phones_required and pager.phone is None:
            return t(lang, "call_caller_no_phone")
        members = await self.store.teams.members(team.id)
        if not members:
            return t(lang, "page_empty", name=team.name)
        hours = quiet_hours(team)
        if hours is not None and _quiet(team, hours, self.clock.now(), reason):
            # one hop: a page of the after-hours team is not sent on again; when that team is
            # quiet too (or gone), this team's person on call is told, as without one
            void = None
            if not after_hours:
                other = await self._after_hours_team(team, reason)
                if other is not None and not after_hours_allowed(team, other):
                    void, other = other, None  # moved or handed over since: quiet, told
                if other is not None:
                    mark = t(lang, "page_after_hours", name=team.name)
                    marked = f"{reason} ({mark})" if reason else mark
                    return await self.start(
                        lang,
                        pager,
                        other,
                        chat_id=chat_id,
                        message_id=message_id,
                        reason=marked[:200],
                        thread_id=thread_id,
                        after_hours=True,
                    )
            answer = await self._quiet(lang, pager, team, members, reason, hours)
            if void is not None:
                answer += " " + t(lang, "page_after_hours_void", other=void.name)
            return answer
        first = (await self.oncall.on_call_now(team, members)).member
        # the pager is not rung by their own page
        plan = [m for m in escalation_order(members, first) if m != pager.telegram_id]
        if not plan:
            return t(lang, "page_empty", name=team.name)
        now = self.clock.now()

        async def quota_check(conn: object, when: object) -> OverQuota | None:
            return await self.store.quota_refusal(
                conn,  # type: ignore[arg-type]
                pager.telegram_id,
                self.settings.quotas,
                now,
            )

        claim = await self.store.teams.claim_page(
            team_id=team.id,
            team_name=team.name,
            paged_by=pager.telegram_id,
            reason=reason,
            chat_id=chat_id,
            message_id=message_id,
            plan=plan,
            now=now,
            quota_check=quota_check,
        )
        match claim:
            case Page() as running:
                return await self._joined(lang, running, team, reason)
            case Duplicate():
                return None
            case OverQuota(quota=quota, retry_at=retry_at):
                key = "quota_minute" if quota.window == 60 else "quota_day"
                wait = format_wait((retry_at - now).total_seconds(), lang)
                return t(lang, key, limit=quota.limit, wait=wait)
            case Claimed(row_id=page_id):
                pass
        # The page is running from here on: whatever fails below, the answer is its notice.
        title = t(lang, "page_title", pager=pager.display_name, name=team.name)
        lines = [title, t(lang, "page_reason", reason=reason)] if reason else [title]
        here = after_hours or thread_id == team.thread_id
        receipt = await self.messenger.send(
            chat_id,
            OutgoingMessage(
                "\n".join(lines),
                reply_to_message_id=message_id if here else None,
                message_thread_id=thread_id if after_hours else team.thread_id,
            ),
        )
        try:
            await self.store.teams.set_page_notice(page_id, receipt.message_id)
        except StoreUnavailable:
            logger.warning("page %s: its notice id could not be recorded", page_id)
        return None if here else t(lang, "page_in_topic", name=team.name)

    async def _after_hours_team(self, team: Team, reason: str | None) -> Team | None:
        """The team a page of ``team`` in its quiet hours goes to, if it has one that is not
        in its own quiet hours."""
        if team.after_hours_team_id is None or team.after_hours_team_id == team.id:
            return None
        other = await self.store.teams.by_id(team.after_hours_team_id)
        if other is None:  # deleted since
            return None
        hours = quiet_hours(other)
        if hours is not None and _quiet(other, hours, self.clock.now(), reason):
            return None
        return other

    async def _quiet(
        self,
        lang: str,
        pager: UserRecord,
        team: Team,
        members: list[int],
        reason: str | None,
        hours: QuietHours,
    ) -> str:
        """A page in the team's quiet hours: no call; the person on call is told privately
        (unless they paged), and the answer says so in the group."""
        member = (await self.oncall.on_call_now(team, members)).member
        told = None
        if member is not None and member != pager.telegram_id:
            person = await self.store.get_user(member)
            if person is not None and person.reachable:
                their = pick_language(person.language_code)
                text = t(
                    their,
                    "page_quiet_private",
                    pager=pager.display_name,
                    name=team.name,
                    reason=reason or t(their, "page_no_reason"),
                )
                receipt = await self.messenger.send(member, OutgoingMessage(text))
                if receipt.delivery is Delivery.SENT:
                    told = person
        span = local_digits(hours.describe(), lang)
        lines = [t(lang, "page_quiet", name=team.name, span=span, zone=team.zone)]
        if told is not None:
            lines.append(t(lang, "page_quiet_told", person=told.display_name))
        else:
            lines.append(t(lang, "page_quiet_nobody_told"))
        if team.quiet_urgent:
            lines.append(t(lang, "page_quiet_urgent"))
        return " ".join(lines)

    async def _joined(self, lang: str, page: Page, team: Team, reason: str | None) -> str:
        """A ``/page`` of a team already being paged joined its running page: the notice shows
        it, and the answer says who has been paging it since when (no call is placed)."""
        await self._show(page)
        seconds = (self.clock.now() - page.created_at).total_seconds()
        since = (
            t(lang, "page_since", ago=format_wait(seconds, lang))
            if seconds >= 2
            else t(lang, "page_since_now")
        )
        pager = await self.oncall.name(page.paged_by, lang)
        key = "page_joined" if reason else "page_joined_no_reason"
        return t(lang, key, name=team.name, pager=pager, since=since)

    # -- "I'm on it" ---------------------------------------------------------------------------

    async def press(self, presser: int, press: Press) -> PressAnswer:
        """ "I'm on it" under the token of one of a page's calls: the person that call rang ends
        the page as acknowledged, whatever it was doing; their call goes on (they may be
        talking)."""
        if press.kind not in PAGE_PRESSES:
            return UNKNOWN
        call = await self.store.get_call(press.id)
        if call is None or call.page_id is None:
            return UNKNOWN
        if call.callee_id != presser:
            return NOT_YOURS
        ended = await self.store.teams.end_running_page(
            call.page_id,
            status=PageStatus.ACKNOWLEDGED,
            answered_by=presser,
            event=PageEvent(PageEventKind.ACKNOWLEDGED, who=presser),
        )
        if ended is None:
            page = await self.store.teams.page(call.page_id)
            if page is None:
                return UNKNOWN
            if page.status is PageStatus.ACKNOWLEDGED and page.answered_by == presser:
                return PressAnswer("callback_already")
            if page.status.running:  # its escalation kept saving steps: ask to press again
                return PressAnswer("store_unavailable", alert=True)
            return PAGE_OVER
        acknowledged = (self.clock.now() - ended.created_at).total_seconds()
        self.calls.metrics.page_ended(PageStatus.ACKNOWLEDGED.value, acknowledged)
        await self._show(ended)
        await self._close_loop(ended, presser, PageStatus.ACKNOWLEDGED)
        return PressAnswer("page_ack_done", params={"name": await self._team_name(ended)})

    @staticmethod
    def _on_it(lang: str, row_id: int) -> tuple[Button, ...]:
        """The buttons under the token of the person rung (``row_id``: their call)."""
        return (Button(t(lang, "button_on_it"), data=encode(PressKind.PAGE_ACK, row_id)),)

    # -- the escalation, one step at a time ----------------------------------------------------

    async def claim(self, now: datetime, limit: int) -> list[Page]:
        return await self.store.teams.claim_due_pages(
            self.owner, now=now, lease=self.LEASE, limit=limit
        )

    def describe(self, page: Page) -> str:
        return f"page {page.id}"

    async def step(self, page: Page, now: datetime) -> None:
        await self._advance(page)

    async def renew(self, page: Page, until: datetime) -> bool:
        """Keep the page while its step works; False once it moved on without us, or ended."""
        return await self.store.teams.renew_page(
            page.id, self.owner, step=page.step, attempts=page.attempts, until=until
        )

    def _slots(self, plan: list[int]) -> list[int]:
        """Who is rung at each step: each person retries+1 times, for every round."""
        tries = self.settings.retries + 1
        return [m for _ in range(self.settings.rounds) for m in plan for _ in range(tries)]

    async def _advance(self, page: Page) -> None:
        team = await self.store.teams.by_id(page.team_id)
        log = list(page.log)
        step, attempts = page.step, page.attempts
        if team is None:  # deleted meanwhile: the page ends as pages end
            log.append(PageEvent(PageEventKind.STOPPED, why=TEAM_DELETED))
            await self._finish(page, PageStatus.STOPPED, log, step, attempts, None)
            return
        slots = self._slots(page.plan)
        if page.current_call_id is not None:
            call = await self.store.get_call(page.current_call_id)
            if call is not None and (
                call.connected_at is not None or call.outcome is CallOutcome.ANSWERED
            ):
                log.append(PageEvent(PageEventKind.ANSWERED, who=call.callee_id))
                await self._finish(page, PageStatus.ANSWERED, log, step, attempts, call.callee_id)
                return
            if (
                call is not None
                and call.outcome is None
                and not unfollowed_and_over(call, self.clock.now())
            ):
                await self._save(page, log, step, attempts, page.current_call_id)
                return
            # Over without an answer, or no longer knowable (closed unknown or expired, never
            # followed and surely over, gone): not answered, and the page moves on.
            who = call.callee_id if call is not None else slots[min(step, len(slots) - 1)]
            how = call.outcome if call is not None and call.outcome is not None else None
            finish = call.finish_reason if call is not None else None  # Kavenegar's own word
            log.append(
                PageEvent(
                    PageEventKind.NO_ANSWER,
                    who=who,
                    how=(how or CallOutcome.UNKNOWN).value,
                    reason=finish,
                )
            )
            step += 1
        members = set(await self.store.teams.members(page.team_id))
        while step < len(slots) and attempts < self.settings.max_attempts:
            member = slots[step]
            if member not in members:
                log.append(PageEvent(PageEventKind.LEFT, who=member))
                step = _next_person(slots, step)
                continue
            person = await self.store.get_user(member)
            why = why_not_ready(person, phones_required=self.settings.phones_required)
            if why is not None:
                log.append(PageEvent(PageEventKind.SKIPPED, who=member, why=why))
                step = _next_person(slots, step)
                continue
            assert person is not None
            until = self.clock.now() + self.LEASE
            if not await self.store.teams.renew_page(
                page.id, self.owner, step=page.step, attempts=page.attempts, until=until
            ):
                return  # another replica has moved this page on, or it ended
            busy = sum(1 for event in log if event.kind is PageEventKind.BUSY)
            # each try has a key of its own (a busy one was not placed), the same after a crash
            rung = await self._ring(page, team, person, attempts + busy)
            if rung.outcome is PlaceResult.BUSY:  # "not now": the same step, a little later
                if busy >= BUSY_RETRIES:
                    log.append(
                        PageEvent(PageEventKind.STOPPED, who=member, why=KV_BUSY, attempt=busy + 1)
                    )
                    await self._finish(page, PageStatus.STOPPED, log, step, attempts, None)
                    return
                log.append(PageEvent(PageEventKind.BUSY, who=member, attempt=busy + 1))
                await self._save(page, log, step, attempts, None, pause=BUSY_PAUSE)
                return
            if rung.outcome is PlaceResult.FAILED and rung.reason == KV_CREDENTIALS:
                # nobody can be rung: say what /call says, and stop
                log.append(PageEvent(PageEventKind.STOPPED, who=member, why=KV_CREDENTIALS))
                await self._finish(page, PageStatus.STOPPED, log, step, attempts, None)
                return
            attempts += 1
            if rung.row_id is None:
                log.append(PageEvent(PageEventKind.NOT_PLACED, who=member))
                step += 1
                continue
            log.append(PageEvent(PageEventKind.RINGING, who=member, attempt=attempts))
            await self._save(page, log, step, attempts, rung.row_id)
            return
        await self._finish(page, PageStatus.EXHAUSTED, log, step, attempts, None)

    async def _ring(self, page: Page, team: Team, person: UserRecord, index: int) -> _Rung:
        """Ring ``person`` for the page, through the one money path, with the page's ``index``-th
        key: how it went.

        ``MAYBE``: Kavenegar may have created the call; it is the attempt all the same (waited
        out, never placed again). The key makes each try at most one call, ever: after a crash
        between placing and saving, the call already placed is taken up again.
        """
        pager = await self.store.get_user(page.paged_by)
        if pager is None:
            return _Rung(PlaceResult.FAILED)

        def note(lang: str) -> str:
            reason = page.reason or t(lang, "page_no_reason")
            return t(lang, "page_note", name=team.name, pager=pager.display_name, reason=reason)

        report = await self.calls.place_for(
            CallKey.page_attempt(page.chat_id, page.id, index),
            pager,
            person,
            self.settings.max_duration,
            origin=Origin(chat_id=page.chat_id, private=False, quiet=True),
            note=note,
            callee_buttons=self._on_it,
            page_id=page.id,
        )
        match report.outcome:
            case PlaceResult.PLACED | PlaceResult.MAYBE:
                return _Rung(report.outcome, report.call_row_id)
            case PlaceResult.DUPLICATE if report.call_row_id is not None:
                return await self._taken_up(report.call_row_id)
            case PlaceResult.BUSY:
                return _Rung(PlaceResult.BUSY, reason=report.reason)
        return _Rung(PlaceResult.FAILED, reason=report.reason)

    async def _taken_up(self, row_id: int) -> _Rung:
        """The try's key was placed before (by a step that stopped before saving): as it went."""
        call = await self.store.get_call(row_id)
        if call is not None and call.status is CallStatus.FAILED:  # certainly not placed
            outcome = PlaceResult.BUSY if call.failure == KV_BUSY else PlaceResult.FAILED
            return _Rung(outcome, reason=call.failure)
        return _Rung(PlaceResult.PLACED, row_id)

    async def _save(
        self,
        page: Page,
        log: list[PageEvent],
        step: int,
        attempts: int,
        current: int | None,
        *,
        pause: timedelta = CHECK_EVERY,
    ) -> None:
        changed = log != page.log
        saved = await self.store.teams.save_page(
            page.id,
            self.owner,
            next_check_at=self.clock.now() + pause,
            log=log,
            step=step,
            attempts=attempts,
            current_call_id=current,
        )
        if saved and changed:
            await self._show_latest(page.id)

    async def _finish(
        self,
        page: Page,
        status: PageStatus,
        log: list[PageEvent],
        step: int,
        attempts: int,
        answered_by: int | None,
    ) -> None:
        """End the page: its notice edited, and its pager told when nobody answered or it
        stopped."""
        saved = await self.store.teams.save_page(
            page.id,
            self.owner,
            next_check_at=None,
            log=log,
            step=step,
            attempts=attempts,
            current_call_id=None,
            status=status,
            answered_by=answered_by,
        )
        if not saved:
            return
        answered = (self.clock.now() - page.created_at).total_seconds()
        self.calls.metrics.page_ended(
            status.value, answered if status is PageStatus.ANSWERED else None
        )
        await self._show_latest(page.id)
        if status is PageStatus.ANSWERED and answered_by is not None:
            await self._close_loop(page, answered_by, status)
        if status not in (PageStatus.EXHAUSTED, PageStatus.STOPPED):
            return
        pager = await self.store.get_user(page.paged_by)
        if pager is None or not pager.reachable:
            return
        lang = pick_language(pager.language_code)
        name = await self._team_name(page)
        if status is PageStatus.EXHAUSTED:
            text = t(lang, "page_nobody_private", name=name)
        else:
            text = t(lang, "page_stopped_private", name=name, why=self._why(lang, log[-1]))
        await self.messenger.send(pager.telegram_id, OutgoingMessage(text))

    # -- closing the loop ----------------------------------------------------------------------

    async def _close_loop(self, page: Page, taker: int, status: PageStatus) -> None:
        """The page was answered or acknowledged by ``taker`` (once: whoever ended it): every
        token and ring message of its calls loses its buttons ("I'm on it", Answer / Decline)
        but those that join a call that goes on (the join page's, JOIN_URL_TEMPLATE's),
        and everyone it rang but the taker, and its pager, get one private word on who took it
        (issue 22, item 5). Best effort: the page has ended whatever fails here."""
        try:
            calls = await self.store.calls_of_page(page.id)
            name = await self._team_name(page)
        except StoreUnavailable:
            logger.warning("page %s: its loop could not be closed (store unavailable)", page.id)
            return
        for call in calls:  # each on its own: one failing leaves the others and the words
            if call.callee_message_id is None:
                continue
            try:  # the page's own buttons go; a call that goes on keeps those to join it with
                callee = await self.store.get_user(call.callee_id)
                keep = await self.calls.join_buttons(call, callee) if callee else ()
            except StoreUnavailable:  # its buttons stay: a late press is told the page is over
                logger.warning(
                    "page %s: call %s kept its buttons (store unavailable)", page.id, call.id
                )
                continue
            await self.messenger.edit_buttons(call.callee_id, call.callee_message_id, keep)
        told = {call.callee_id for call in calls} | {page.paged_by}
        told.discard(taker)
        key = "page_taken_answered" if status is PageStatus.ANSWERED else "page_taken_on_it"
        for person_id in sorted(told):
            try:
                person = await self.store.get_user(person_id)
                if person is None or not person.reachable:
                    continue
                lang = pick_language(person.language_code)
                who = await self.oncall.name(taker, lang)
            except StoreUnavailable:
                logger.warning(
                    "page %s: %s not told who took it (store unavailable)", page.id, person_id
                )
                continue
            text = t(lang, key, person=who, name=name)
            await self.messenger.send(person_id, OutgoingMessage(text))

    # -- the group's notice --------------------------------------------------------------------

    async def _show_latest(self, page_id: int) -> None:
        """Edit the notice to the page as stored now (with whoever joined meanwhile)."""
        page = await self.store.teams.page(page_id)
        if page is not None:
            await self._show(page)

    async def _show(self, page: Page) -> None:
        """Edit the page's notice to ``page``, in its pager's language.

        A page that moved with its group (a group upgraded to a supergroup, see
        ``Store.move_chat``: its ``message_id`` is negative) has no notice it can edit: the
        notice is posted anew in the new group, as a deleted one is."""
        if page.notice_message_id is None and page.message_id > 0:
            return
        pager = await self.store.get_user(page.paged_by)
        lang = pick_language(pager.language_code if pager else None)
        text = await self._notice(lang, page)
        notice = OutgoingMessage(text)
        if page.notice_message_id is not None:
            delivery = await self.messenger.edit(page.chat_id, page.notice_message_id, notice)
            if delivery is not Delivery.GONE:
                return
        team = await self.store.teams.by_id(page.team_id)  # posted in the team's topic
        notice = replace(notice, message_thread_id=team.thread_id if team else None)
        # someone deleted the notice: the group would never learn the page's end. It is sent
        # anew, and later edits go to the new one (as a call's outcome is: Announcer.announce).
        receipt = await self.messenger.send(page.chat_id, notice)
        if receipt.message_id is None:
            return
        try:
            await self.store.teams.set_page_notice(page.id, receipt.message_id)
        except StoreUnavailable:
            logger.warning("page %s: its new notice's id could not be recorded", page.id)

    async def _team_name(self, page: Page) -> str:
        if page.team_name is not None:
            return page.team_name
        team = await self.store.teams.by_id(page.team_id)  # a page older than its name
        return team.name if team is not None else "?"

    @staticmethod
    def _why(lang: str, event: PageEvent) -> str:
        """Why a page stopped (its STOPPED entry), as people are told."""
        key = _STOPPED_BY.get(event.why or "", "word_unknown")
        return t(lang, key, tries=event.attempt or BUSY_RETRIES + 1)

    async def _notice(self, lang: str, page: Page) -> str:
        """The group's notice: who paged whom and why (and who paged again), then one line per
        step so far."""
        name = await self._team_name(page)
        pager = await self.oncall.name(page.paged_by, lang)
        lines = [t(lang, "page_title", pager=pager, name=name)]
        if page.reason:
            lines.append(t(lang, "page_reason", reason=page.reason))
        for join in page.joins:
            if join.kind is not PageEventKind.JOINED:
                continue
            who = await self.oncall.name(join.who, lang)
            if join.reason:
                lines.append(t(lang, "page_also", person=who, reason=join.reason))
            else:
                lines.append(t(lang, "page_also_no_reason", person=who))
        for index, event in enumerate(page.log):
            if event.kind is None:  # written by a newer version: not shown
                continue
            who = await self.oncall.name(event.who or None, lang)
            match event.kind:
                case PageEventKind.RINGING:
                    lines.append(t(lang, "page_ringing", person=who, attempt=event.attempt))
                case PageEventKind.NO_ANSWER:
                    ended = event.how if event.how in _OUTCOMES else CallOutcome.UNKNOWN.value
                    how = t(lang, f"word_{ended}", talk="", reason=event.reason or "?")
                    key = "page_lost" if ended in _UNKNOWABLE else "page_no_answer"
                    lines.append(t(lang, key, person=who, how=how))
                case PageEventKind.SKIPPED:
                    why = t(lang, f"ready_{event.why}")
                    lines.append(t(lang, "page_skipped", person=who, why=why))
                case PageEventKind.LEFT:
                    lines.append(t(lang, "page_left", person=who))
                case PageEventKind.NOT_PLACED:
                    lines.append(t(lang, "page_not_placed", person=who))
                case PageEventKind.ANSWERED:
                    lines.append(
                        counted(
                            lang, "page_answered", page.attempts, person=who, attempts=page.attempts
                        )
                    )
                case PageEventKind.BUSY if page.status.running and index == len(page.log) - 1:
                    wait = format_wait(BUSY_PAUSE.total_seconds(), lang)
                    lines.append(
                        t(
                            lang,
                            "page_busy",
                            person=who,
                            wait=wait,
                            n=event.attempt,
                            most=BUSY_RETRIES,
                        )
                    )
                case PageEventKind.ACKNOWLEDGED:
                    lines.append(
                        counted(
                            lang,
                            "page_acknowledged",
                            page.attempts,
                            person=who,
                            attempts=page.attempts,
                        )
                    )
                case PageEventKind.STOPPED:
                    lines.append(t(lang, "page_stopped", why=self._why(lang, event)))
        if page.status is PageStatus.EXHAUSTED:
            lines.append(t(lang, "page_nobody"))
        return "\n".join(lines)


def _quiet(team: Team, hours: QuietHours, now: datetime, reason: str | None) -> bool:
    """Does a page of ``team`` now, for ``reason``, fall in its quiet hours (and stay quiet)?"""
    return hours.covers(now, team.zone) and not (team.quiet_urgent and is_urgent(reason))


def _next_person(slots: list[int], step: int) -> int:
    """The first step after ``step`` that rings someone else."""
    member = slots[step]
    step += 1
    while step < len(slots) and slots[step] == member:
        step += 1
    return step
