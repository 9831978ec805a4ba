"""/history (a person's last calls) and /stats (admins: how calls went lately)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import utcnow
from bot.core.people import isolate
from bot.core.records import CallOutcome, CallRecord, CallStatus
from bot.core.texts import format_talk
from bot.telegram.handlers.base import Command, Invocation

HISTORY_SIZE = 10
DEFAULT_DAYS, MAX_DAYS = 7, 365


def outcome_word(invocation: Invocation, record: CallRecord) -> str:
    """How one call went, in a word or two."""
    if record.outcome is not None:
        return invocation.text(
            f"word_{record.outcome.value}",
            talk=format_talk(record.duration_ms or 0),
            reason=record.finish_reason or "?",
        )
    match record.status:
        case CallStatus.RINGING:
            return invocation.text("word_ringing")
        case CallStatus.CREATED | CallStatus.PENDING:
            return invocation.text("word_live")
        case CallStatus.UNKNOWN:
            return invocation.text("word_maybe")
    return invocation.text("word_failed")


class History(Command):
    """The person's last calls, both directions: when, with whom, how it went."""

    async def run(self, invocation: Invocation) -> None:
        if not invocation.private:
            await self.reply(invocation, invocation.text("history_private_only"))
            return
        me = invocation.sender.telegram_id
        store = self.services.store
        records = await store.history(me, limit=HISTORY_SIZE)
        if not records:
            await self.reply(invocation, invocation.text("history_empty"))
            return
        zone = ZoneInfo(self.services.settings.default_timezone)
        lines = [invocation.text("history_title")]
        names: dict[int, str] = {}
        for record in records:
            other_id = record.callee_id if record.caller_id == me else record.caller_id
            if other_id not in names:
                other = await store.get_user(other_id)
                names[other_id] = other.name if other else str(other_id)
            created = record.created_at or utcnow()
            when = created.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
            lines.append(
                invocation.text(
                    "history_line",
                    when=when.strftime("%Y-%m-%d %H:%M"),
                    arrow="→" if record.caller_id == me else "←",
                    other=isolate(names[other_id]),
                    outcome=outcome_word(invocation, record),
                )
            )
        await self.reply(invocation, "\n".join(lines))


class Stats(Command):
    """Admins: calls placed, answered share, talk time, calls per day, failures by kind."""

    admin_only = True

    async def run(self, invocation: Invocation) -> None:
        args = invocation.args
        days = DEFAULT_DAYS
        if args:
            if len(args) != 1 or not args[0].isascii() or not args[0].isdigit():
                await self.reply(invocation, invocation.text("stats_usage"))
                return
            days = int(args[0])
            if not 1 <= days <= MAX_DAYS:
                await self.reply(invocation, invocation.text("stats_usage"))
                return
        records = await self.services.store.calls_since(utcnow() - timedelta(days=days))
        placed = [r for r in records if r.status is CallStatus.CREATED]
        answered = [r for r in placed if r.outcome is CallOutcome.ANSWERED]
        talk_ms = sum(r.duration_ms or 0 for r in answered)
        failures = Counter(
            r.failure or r.status.value
            for r in records
            if r.status in (CallStatus.FAILED, CallStatus.UNKNOWN) or r.failure
        )
        share = f"{100 * len(answered) / len(placed):.0f}%" if placed else "–"
        text = invocation.text(
            "stats",
            days=days,
            placed=len(placed),
            answered=len(answered),
            share=share,
            minutes=round(talk_ms / 60_000),
            per_day=f"{len(placed) / days:.1f}",
            failures=", ".join(f"{k} {n}" for k, n in failures.most_common())
            or invocation.text("stats_none"),
        )
        lines = await self.services.lines.stats(invocation.lang, utcnow() - timedelta(days=days))
        if lines:
            text = "\n".join([text, "", invocation.text("stats_lines_title"), *lines])
        await self.reply(invocation, text)
