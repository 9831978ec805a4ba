"""/history (a person's last calls) and /stats (admins: how calls went lately)."""

from __future__ import annotations

from bot.core.parsing import parse_number
from bot.core.people import isolate
from bot.core.records import CallRecord, CallStatus
from bot.core.texts import format_talk
from bot.core.timezones import format_local
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
        past = await self.services.history.recent(invocation.sender.telegram_id, limit=HISTORY_SIZE)
        if not past:
            await self.reply(invocation, invocation.text("history_empty"))
            return
        zone = self.services.settings.default_timezone
        lines = [invocation.text("history_title")]
        for call in past:
            created = call.created_at or self.services.clock.now()
            lines.append(
                invocation.text(
                    "history_line",
                    when=format_local(created, zone, invocation.lang, with_zone=False),
                    arrow="→" if call.outgoing else "←",
                    other=isolate(call.other_name),
                    outcome=outcome_word(invocation, call.record),
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
            typed = parse_number(args[0], 1, MAX_DAYS) if len(args) == 1 else None
            if typed is None:  # ۷ and ٧ are 7 (ascii_digits)
                await self.reply(invocation, invocation.text("stats_usage"))
                return
            days = typed
        history = self.services.history
        stats = await history.stats(days)
        share = stats.answered_share
        text = invocation.text(
            "stats",
            days=days,
            placed=stats.placed,
            answered=stats.answered,
            share=f"{100 * share:.0f}%" if share is not None else "–",
            minutes=round(stats.talk_ms / 60_000),
            per_day=f"{stats.placed / days:.1f}",
            failures=", ".join(f"{k} {n}" for k, n in stats.failures)
            or invocation.text("stats_none"),
        )
        lines = await self.services.lines.stats(invocation.lang, history.since(days))
        if lines:
            text = "\n".join([text, "", invocation.text("stats_lines_title"), *lines])
        await self.reply(invocation, text)
