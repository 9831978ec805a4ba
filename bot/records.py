"""What the registry returns about calls, quotas and access: plain values, no database types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

__all__ = [
    "AccessRule",
    "CallRecord",
    "CallStatus",
    "Claim",
    "Claimed",
    "Duplicate",
    "OverQuota",
    "Quota",
    "RuleKind",
]

RuleKind = Literal["user", "chat"]


class CallStatus(StrEnum):
    """Where a call attempt stands. Stored as its value."""

    #: Claimed in the database; Kavenegar not asked yet, or its answer not recorded yet.
    PENDING = "pending"
    #: Kavenegar created the call.
    CREATED = "created"
    #: Kavenegar certainly did not create it (refused, or the request never left).
    FAILED = "failed"
    #: Kavenegar may have created it (no answer, 5xx, a reset, an unreadable or incomplete answer).
    UNKNOWN = "unknown"

    @property
    def counts_against_quota(self) -> bool:
        """Placed, possibly placed, or being placed: a paid call or maybe one."""
        return self is not CallStatus.FAILED


@dataclass(frozen=True)
class CallRecord:
    """One attempt to place a call."""

    id: int
    chat_id: int
    message_id: int
    caller_id: int
    callee_id: int
    max_duration: int
    status: CallStatus
    kavenegar_call_id: str | None
    error: str | None
    caller_delivery: str | None
    callee_delivery: str | None


@dataclass(frozen=True)
class AccessRule:
    """An admin's run-time decision about a person or a chat."""

    kind: RuleKind
    subject_id: int
    allowed: bool


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` calls per ``window`` seconds (0: unlimited)."""

    limit: int
    window: int


@dataclass(frozen=True)
class Claimed:
    """The (chat, message) key is ours: place the call and record it on row ``row_id``."""

    row_id: int


@dataclass(frozen=True)
class Duplicate:
    """This message already placed (or is placing) a call: do nothing."""


@dataclass(frozen=True)
class OverQuota:
    """``quota`` is spent; the caller may call again at ``retry_at`` (naive UTC)."""

    quota: Quota
    retry_at: datetime


Claim = Claimed | Duplicate | OverQuota
