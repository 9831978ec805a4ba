"""``/page``: ring a team's on-call person, then escalate until someone answers.

A page is a row (``pages``) worked on by one replica at a time under a lease, so it survives a
restart and never runs a step twice. The plan is fixed when the page starts: the team's rotation
order beginning with the person on call. Each person in turn is rung ``PAGE_RETRIES`` + 1 times,
for ``PAGE_ROUNDS`` rounds, until someone answers (their call connects); people who cannot be
rung (never started, do not disturb, blocked the bot, made uncallable) or who left the team are
skipped and named. One paid call at a time per page, at most ``PAGE_MAX_ATTEMPTS`` in all. The
group sees one notice, edited as the page goes; when nobody answers, the pager is told privately.
A page counts once against the pager's quota; its attempts do not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.calls.service import CallService, Origin, unfollowed_and_over
from bot.core.clock import Clock
from bot.core.errors import StoreUnavailable
from bot.core.messages import OutgoingMessage
from bot.core.people import UserRecord
from bot.core.records import (
    CallKey,
    CallOutcome,
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
from bot.core.work import LeasedWorker
from bot.oncall.rotation import escalation_order
from bot.oncall.service import OnCallService
from bot.storage import Store

__all__ = ["PageService", "PageSettings"]

logger = logging.getLogger(__name__)
CHECK_EVERY = timedelta(seconds=2)
#: How long to wait before trying the same step again after Kavenegar said "busy" (429).
BUSY_PAUSE = timedelta(seconds=30)


@dataclass(frozen=True)
class PageSettings:
    retries: int = 1
    rounds: int = 1
    max_attempts: int = 10
    max_duration: int = 600
    quotas: tuple[Quota, ...] = ()
    phones_required: bool = False


class PageService(LeasedWorker[Page]):
    """Starts pages and takes their next step when due (:meth:`tick`)."""

    #: Longer than any one step can take (a 25 s POST, the token messages, flood waits), and
    #: renewed before each paid step: a page's step never runs on two replicas.
    LEASE = timedelta(seconds=120)
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
    ) -> str | None:
        """Start a page; the refusal to answer with, or None once the notice is posted."""
        if self.settings.phones_required and pager.phone is None:
            return t(lang, "call_caller_no_phone")
        members = await self.store.teams.members(team.id)
        if not members:
            return t(lang, "page_empty", name=team.name)
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
            paged_by=pager.telegram_id,
            reason=reason,
            chat_id=chat_id,
            message_id=message_id,
            plan=plan,
            now=now,
            quota_check=quota_check,
        )
        match claim:
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
        receipt = await self.messenger.send(
            chat_id, OutgoingMessage("\n".join(lines), reply_to_message_id=message_id)
        )
        try:
            await self.store.teams.set_page_notice(page_id, receipt.message_id)
        except StoreUnavailable:
            logger.warning("page %s: its notice id could not be recorded", page_id)
        return None

    # -- the escalation, one step at a time ----------------------------------------------------

    async def claim(self, now: datetime, limit: int) -> list[Page]:
        return await self.store.teams.claim_due_pages(
            self.owner, now=now, lease=self.LEASE, limit=limit
        )

    def describe(self, page: Page) -> str:
        return f"page {page.id}"

    async def step(self, page: Page, now: datetime) -> None:
        await self._advance(page)

    def _slots(self, plan: list[int]) -> list[int]:
        """Who is rung at each step: each person retries+1 times, for every round."""
        tries = self.settings.retries + 1
        return [m for _ in range(self.settings.rounds) for m in plan for _ in range(tries)]

    async def _advance(self, page: Page) -> None:
        team = await self.store.teams.by_id(page.team_id)
        log = list(page.log)
        step, attempts = page.step, page.attempts
        slots = self._slots(page.plan)
        if page.current_call_id is not None:
            call = await self.store.get_call(page.current_call_id)
            if call is not None and call.connected_at is not None:
                log.append(PageEvent(PageEventKind.ANSWERED, who=call.callee_id))
                await self._finish(
                    page, team, PageStatus.ANSWERED, log, step, attempts, call.callee_id
                )
                return
            if (
                call is not None
                and call.outcome is None
                and not unfollowed_and_over(call, self.clock.now())
            ):
                await self._save(page, team, log, step, attempts, page.current_call_id)
                return
            how = (call.outcome or CallOutcome.UNKNOWN).value if call else "unknown"
            log.append(
                PageEvent(
                    PageEventKind.NO_ANSWER,
                    who=page.current_call_id and (call.callee_id if call else 0),
                    how=how,
                )
            )
            step += 1
        members = set(await self.store.teams.members(page.team_id)) if team else set()
        while step < len(slots) and attempts < self.settings.max_attempts:
            member = slots[step]
            if member not in members:
                log.append(PageEvent(PageEventKind.LEFT, who=member))
                step = _next_person(slots, step)
                continue
            person = await self.store.get_user(member)
            why = (
                person.why_not_ringable(phones_required=self.settings.phones_required)
                if person is not None
                else "not_started"
            )
            if why is not None:
                log.append(PageEvent(PageEventKind.SKIPPED, who=member, why=why))
                step = _next_person(slots, step)
                continue
            assert person is not None
            until = self.clock.now() + self.LEASE
            if not await self.store.teams.renew_page(
                page.id, self.owner, step=page.step, attempts=page.attempts, until=until
            ):
                return  # another replica has moved this page on
            outcome, row_id = await self._ring(page, team, person, attempts)
            if (
                outcome is PlaceResult.BUSY
            ):  # Kavenegar said "not now": the same step, a little later
                await self._save(page, team, log, step, attempts, None, pause=BUSY_PAUSE)
                return
            attempts += 1
            if row_id is None:
                log.append(PageEvent(PageEventKind.NOT_PLACED, who=member))
                step += 1
                continue
            log.append(PageEvent(PageEventKind.RINGING, who=member, attempt=attempts))
            await self._save(page, team, log, step, attempts, row_id)
            return
        await self._finish(page, team, PageStatus.EXHAUSTED, log, step, attempts, None)

    async def _ring(
        self, page: Page, team: Team | None, person: UserRecord, attempts: int
    ) -> tuple[PlaceResult, int | None]:
        """Ring ``person`` for the page, through the one money path: the result and the call row.

        ``MAYBE``: Kavenegar may have created the call; it is the attempt all the same (waited
        out, never placed again). The key makes each attempt at most one call, ever: after a
        crash between placing and saving, the call already placed is taken up again.
        """
        pager = await self.store.get_user(page.paged_by)
        if pager is None:
            return PlaceResult.FAILED, None
        name = team.name if team else "?"

        def note(lang: str) -> str:
            reason = page.reason or t(lang, "page_no_reason")
            return t(lang, "page_note", name=name, pager=pager.display_name, reason=reason)

        report = await self.calls.place_for(
            CallKey.page_attempt(page.chat_id, page.id, attempts),
            pager,
            person,
            self.settings.max_duration,
            origin=Origin(chat_id=page.chat_id, private=False, quiet=True),
            note=note,
            page_id=page.id,
        )
        match report.outcome:
            case PlaceResult.PLACED | PlaceResult.MAYBE:
                return report.outcome, report.call_row_id
            case PlaceResult.DUPLICATE if report.call_row_id is not None:
                return PlaceResult.PLACED, report.call_row_id  # placed before: taken up again
            case PlaceResult.BUSY:
                return PlaceResult.BUSY, None
        return PlaceResult.FAILED, None

    async def _save(
        self,
        page: Page,
        team: Team | None,
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
            await self._edit_notice(page, team, log, PageStatus.ACTIVE, attempts)

    async def _finish(
        self,
        page: Page,
        team: Team | None,
        status: PageStatus,
        log: list[PageEvent],
        step: int,
        attempts: int,
        answered_by: int | None,
    ) -> None:
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
        await self._edit_notice(page, team, log, status, attempts)
        if status is PageStatus.EXHAUSTED:
            pager = await self.store.get_user(page.paged_by)
            if pager is not None and pager.reachable:
                lang = pick_language(pager.language_code)
                text = t(lang, "page_nobody_private", name=team.name if team else "?")
                await self.messenger.send(pager.telegram_id, OutgoingMessage(text))

    async def _edit_notice(
        self,
        page: Page,
        team: Team | None,
        log: list[PageEvent],
        status: PageStatus,
        attempts: int,
    ) -> None:
        if page.notice_message_id is None:
            return
        pager = await self.store.get_user(page.paged_by)
        lang = pick_language(pager.language_code if pager else None)
        current = Page(**{**page.__dict__, "log": log, "status": status, "attempts": attempts})
        text = await self._notice(lang, current, team)
        await self.messenger.edit(page.chat_id, page.notice_message_id, OutgoingMessage(text))

    async def _notice(self, lang: str, page: Page, team: Team | None) -> str:
        """The group's notice: who paged whom and why, then one line per step so far."""
        lines = [
            t(
                lang,
                "page_title",
                pager=await self.oncall.name(page.paged_by),
                name=team.name if team else "?",
            )
        ]
        if page.reason:
            lines.append(t(lang, "page_reason", reason=page.reason))
        for event in page.log:
            if event.kind is None:  # written by a newer version: not shown
                continue
            who = await self.oncall.name(event.who or None)
            match event.kind:
                case PageEventKind.RINGING:
                    lines.append(t(lang, "page_ringing", person=who, attempt=event.attempt))
                case PageEventKind.NO_ANSWER:
                    how = t(lang, f"word_{event.how or 'unknown'}", talk="", reason="?")
                    lines.append(t(lang, "page_no_answer", person=who, how=how))
                case PageEventKind.SKIPPED:
                    why = t(lang, f"ready_{event.why}")
                    lines.append(t(lang, "page_skipped", person=who, why=why))
                case PageEventKind.LEFT:
                    lines.append(t(lang, "page_left", person=who))
                case PageEventKind.NOT_PLACED:
                    lines.append(t(lang, "page_not_placed", person=who))
                case PageEventKind.ANSWERED:
                    lines.append(t(lang, "page_answered", person=who, attempts=page.attempts))
        if page.status is PageStatus.EXHAUSTED:
            lines.append(t(lang, "page_nobody"))
        return "\n".join(lines)


def _next_person(slots: list[int], step: int) -> int:
    """The first step after ``step`` that rings someone else."""
    member = slots[step]
    step += 1
    while step < len(slots) and slots[step] == member:
        step += 1
    return step
