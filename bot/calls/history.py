"""What the calls were: a person's last calls (/history) and the numbers of recent ones (/stats)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.records import CallOutcome, CallRecord, CallStatus
from bot.storage import Store

__all__ = ["CallHistory", "CallStats", "PastCall"]


@dataclass(frozen=True)
class PastCall:
    """One of a person's calls, seen from their side."""

    record: CallRecord
    outgoing: bool
    other_name: str  # the other person's name, or their id when the bot no longer knows them

    @property
    def created_at(self) -> datetime | None:
        return self.record.created_at


@dataclass(frozen=True)
class CallStats:
    """How calls went over the last ``days`` days."""

    days: int
    placed: int
    answered: int
    talk_ms: int
    failures: tuple[tuple[str, int], ...]  # (kind, count), the most frequent first

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.placed if self.placed else None


class CallHistory:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def recent(self, telegram_id: int, *, limit: int) -> list[PastCall]:
        """Their latest calls, both directions, newest first, each with the other's name."""
        records = await self.store.history(telegram_id, limit=limit)
        names: dict[int, str] = {}
        past = []
        for record in records:
            outgoing = record.caller_id == telegram_id
            other = record.callee_id if outgoing else record.caller_id
            if other not in names:
                person = await self.store.get_user(other)
                names[other] = person.name if person is not None else str(other)
            past.append(PastCall(record, outgoing, names[other]))
        return past

    def since(self, days: int) -> datetime:
        return self.clock.now() - timedelta(days=days)

    async def stats(self, days: int) -> CallStats:
        """Calls placed, answered, talk time and failures by kind over the last ``days`` days."""
        records = await self.store.calls_since(self.since(days))
        placed = [r for r in records if r.status is CallStatus.CREATED]
        answered = [r for r in placed if r.outcome is CallOutcome.ANSWERED]
        failures = Counter(
            r.failure or r.status.value
            for r in records
            if r.status in (CallStatus.FAILED, CallStatus.UNKNOWN) or r.failure
        )
        return CallStats(
            days=days,
            placed=len(placed),
            answered=len(answered),
            talk_ms=sum(r.duration_ms or 0 for r in answered),
            failures=tuple(failures.most_common()),
        )
