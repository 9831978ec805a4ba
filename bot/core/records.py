"""What the registry returns about calls, quotas and access: plain values, no database types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

__all__ = [
    "LINE_KEY",
    "NOW_KEY",
    "ROTATION_KINDS",
    "AccessRule",
    "CallKey",
    "CallOutcome",
    "CallRecord",
    "CallStatus",
    "Claim",
    "Claimed",
    "Duplicate",
    "Invite",
    "Line",
    "LineOffer",
    "LineRequest",
    "LineStatus",
    "OfferStatus",
    "OverQuota",
    "Page",
    "PageEvent",
    "PageEventKind",
    "PageStatus",
    "PlaceResult",
    "Quota",
    "RequestResult",
    "RotationKind",
    "RuleKind",
    "Swap",
    "SwapStatus",
    "Team",
    "parse_rotation_kind",
]

RuleKind = Literal["user", "chat"]


#: A support line's call is keyed (newcomer's chat, -(LINE_KEY + request id)), apart from every
#: other key (messages have positive ids; "Call again" and pages use far smaller negative ones).
LINE_KEY = 10**12
#: A page's attempts are keyed (page's chat, -(PAGE_KEY * page id + attempt)).
PAGE_KEY = 1000
#: A "Call now" press is keyed (presser's chat, -(NOW_KEY + the button's message)), below every
#: support line's key (line request ids stay far under NOW_KEY - LINE_KEY).
NOW_KEY = 10**15


@dataclass(frozen=True)
class CallKey:
    """What a call is placed for, unique among all calls: at most one call per key, ever.

    A ``/call`` message is its own key (chat, message id). Every other origin has a synthetic,
    negative "message id", built here and nowhere else, so keys of different origins never meet.
    """

    chat_id: int
    message_id: int

    @classmethod
    def message(cls, chat_id: int, message_id: int) -> CallKey:
        """A ``/call`` typed in ``chat_id`` (its message's id is positive)."""
        return cls(chat_id, message_id)

    @classmethod
    def again(cls, caller_id: int, call_row_id: int) -> CallKey:
        """ "Call again" under call ``call_row_id``: one per call, however often it is pressed."""
        return cls(caller_id, -call_row_id)

    @classmethod
    def page_attempt(cls, chat_id: int, page_id: int, attempt: int) -> CallKey:
        """The ``attempt``-th call (0-based) of page ``page_id``."""
        return cls(chat_id, -(page_id * PAGE_KEY + attempt + 1))

    @classmethod
    def call_now(cls, presser_id: int, team_id: int, message_id: int, *, in_group: bool) -> CallKey:
        """ "Call now" of team ``team_id`` pressed by ``presser_id`` on message ``message_id``
        (of the team's group, or of the presser's private chat): one call per button and
        presser, however often it is pressed, on however many replicas."""
        button = ((team_id << 32) | (message_id & 0xFFFFFFFF)) << 1 | int(in_group)
        return cls(presser_id, -(NOW_KEY + button))

    @property
    def call_now_of(self) -> tuple[int, bool] | None:
        """A "Call now" key's team id and whether it was pressed in the team's group (see
        :meth:`call_now`); None for a key of another origin. Only for a call that is not a
        page's (their keys are of their own)."""
        if self.message_id > -NOW_KEY:
            return None
        button = -self.message_id - NOW_KEY
        return button >> 33, bool(button & 1)

    @classmethod
    def line(cls, newcomer_id: int, request_id: int) -> CallKey:
        """The call of support-line request ``request_id`` (the newcomer calls the member)."""
        return cls(newcomer_id, -(LINE_KEY + request_id))


class PlaceResult(StrEnum):
    """How an attempt to place a call ended, for whoever asked for it."""

    #: Kavenegar created the call; the tokens went out.
    PLACED = "placed"
    #: Ring-first flow: the callee is being rung in Telegram; nothing is paid yet.
    RINGING = "ringing"
    #: Kavenegar may have created it (no answer, 5xx, an unreadable answer): never place it again.
    MAYBE = "maybe"
    #: Kavenegar said "not now" (429): certainly not created; the same key may try again later.
    BUSY = "busy"
    #: Certainly not created (refused by Kavenegar, the request never left, unreachable people).
    FAILED = "failed"
    #: A rule said no before anything was spent (who may call whom, quotas); see the reason.
    REFUSED = "refused"
    #: The key was placed (or is being placed) already: nothing new was done.
    DUPLICATE = "duplicate"


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
    #: Ring-first flow: the callee was rung in Telegram; nothing is paid until they answer.
    RINGING = "ringing"
    #: Ring-first flow: the ring ended unanswered or declined; no call was created.
    RANG = "rang"

    @property
    def counts_against_quota(self) -> bool:
        """Placed, possibly placed, or being placed: a paid call or maybe one."""
        return self is not CallStatus.FAILED


class CallOutcome(StrEnum):
    """How a call (or a ring) ended, as people are told."""

    ANSWERED = "answered"
    MISSED = "missed"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"
    #: Ended for another reason; the reason is Kavenegar's ``finishReason``.
    ENDED = "ended"
    #: Kavenegar no longer knows the call (404).
    UNKNOWN = "unknown"
    #: It never reported an end within ``maxDuration`` plus the grace period.
    EXPIRED = "expired"

    @property
    def may_call_again(self) -> bool:
        """Worth a "Call again" button: nobody talked."""
        return self in (CallOutcome.MISSED, CallOutcome.DECLINED, CallOutcome.UNREACHABLE)

    @classmethod
    def from_finish(cls, finish_reason: str | None, duration_ms: int | None) -> CallOutcome:
        """The outcome of a call Kavenegar reports finished: talk time means it was answered;
        without it, a call hung up (or never joined) was missed."""
        if duration_ms:
            return cls.ANSWERED
        match finish_reason:
            case "no_one_connected" | "missed" | "hangup" | None:
                return cls.MISSED
            case "rejected":
                return cls.DECLINED
            case "unreachable":
                return cls.UNREACHABLE
        return cls.ENDED


@dataclass(frozen=True)
class CallRecord:
    """One attempt to place a call, and how it ended."""

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
    created_at: datetime | None = None
    failure: str | None = None
    outcome: CallOutcome | None = None
    finish_reason: str | None = None
    duration_ms: int | None = None
    next_check_at: datetime | None = None
    polls: int = 0
    notice_message_id: int | None = None
    caller_message_id: int | None = None
    callee_message_id: int | None = None
    page_id: int | None = None
    connected_at: datetime | None = None

    @property
    def in_private_chat(self) -> bool:
        """``/call`` was typed in the caller's private chat (or is a "Call again")."""
        return self.chat_id == self.caller_id

    @property
    def from_a_line(self) -> bool:
        """A support line's call: repeated through the line (its queue, hours and quota),
        never by "Call again"."""
        return self.message_id <= -LINE_KEY

    @property
    def lost_while_placing(self) -> bool:
        """Closed as "may exist" with no call id: its placer died before Kavenegar's answer
        was kept, so nobody holds its tokens (see ``CallWatcher``)."""
        return (
            self.status is CallStatus.UNKNOWN
            and self.kavenegar_call_id is None
            and (self.outcome is CallOutcome.UNKNOWN)
        )

    @property
    def offers_call_again(self) -> bool:
        """Ended with nobody talking, and a direct call: a line's call is repeated through the
        line, a page's attempt by the page itself (a "Call again" beside a page that still
        escalates would be a second paid call on the side)."""
        return (
            self.outcome is not None
            and self.outcome.may_call_again
            and not self.from_a_line
            and self.page_id is None
        )


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

#: How often a team's on-call person changes. Stored as is (``teams.rotation_kind``).
RotationKind = Literal["daily", "weekly"]
ROTATION_KINDS: tuple[RotationKind, ...] = ("daily", "weekly")


def parse_rotation_kind(text: str | None) -> RotationKind | None:
    """``text`` as a rotation kind, exactly as written (``/rotation``'s word, a stored value);
    None for anything else."""
    for kind in ROTATION_KINDS:
        if text == kind:
            return kind
    return None


@dataclass(frozen=True)
class Team:
    """An on-call team, bound to the group (and forum topic) its notices go to."""

    id: int
    name: str
    owner_id: int
    chat_id: int
    zone: str
    rotation_kind: RotationKind | None = None
    hand_over: str | None = None  # "HH:MM", local
    weekday: int | None = None
    anchor: datetime | None = None
    announced_member: int | None = None
    warned_member: int | None = None
    #: The forum topic of the group it was created in, where its notices go (None: "General",
    #: or a group without topics).
    thread_id: int | None = None
    #: Quiet hours, "HH:MM" local (both None: none); in them a page calls nobody (issue 22)...
    quiet_start: str | None = None
    quiet_end: str | None = None
    #: ...unless it is ``urgent`` and the team said ``urgent-only``.
    quiet_urgent: bool = False
    #: The weekend is quiet all day too (Thursday and Friday in Iran's week).
    quiet_weekend: bool = False
    #: The team a page in quiet hours goes to instead (None: none).
    after_hours_team_id: int | None = None


class SwapStatus(StrEnum):
    """Where a shift swap request stands. Stored as its value."""

    #: Waiting for someone to press Take, until its deadline.
    OPEN = "open"
    #: Taken: the taker covers the shift (``taken_by``).
    TAKEN = "taken"
    #: Nobody took it by its deadline (or its team was deleted).
    EXPIRED = "expired"
    #: Ended before anyone took it: the asker no longer has that shift (left the team, the
    #: rotation changed), or the request could not be delivered.
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Swap:
    """A request by ``asked_by`` to have their shift of a team (``starts``-``ends``, naive UTC)
    taken by a teammate (``asked_to``: one person asked privately; None: the whole team)."""

    id: int
    team_id: int
    asked_by: int
    asked_to: int | None
    starts: datetime
    ends: datetime
    status: SwapStatus
    taken_by: int | None
    chat_id: int
    notice_message_id: int | None
    created_at: datetime
    #: Its deadline while open (the shift's start, or its end for a shift already on).
    next_check_at: datetime | None


class PageStatus(StrEnum):
    """Where a page stands. Stored as its value; a team has at most one ``active`` page."""

    #: Escalating (the one running page of its team: the database allows no second one).
    ACTIVE = "active"
    #: A call of the page connected (both sides joined).
    ANSWERED = "answered"
    #: Everyone was tried (or the attempts ran out) and nobody answered.
    EXHAUSTED = "exhausted"
    #: The person rung pressed "I'm on it" (``answered_by``).
    ACKNOWLEDGED = "acknowledged"
    #: Given up before its end; the log's last entry (:attr:`PageEventKind.STOPPED`) says why.
    STOPPED = "stopped"

    @property
    def running(self) -> bool:
        return self is PageStatus.ACTIVE


class PageEventKind(StrEnum):
    """What one step of a page did. Stored as its value (a log entry's ``"event"``)."""

    #: ``who`` is being rung, the page's ``attempt``-th call (1-based).
    RINGING = "ringing"
    #: ``who`` did not answer; ``how`` is the call's outcome (a :class:`CallOutcome` value).
    NO_ANSWER = "no_answer"
    #: ``who`` cannot be rung now; ``why`` is the reason (a ``ready_*`` text key's suffix).
    SKIPPED = "skipped"
    #: ``who`` left the team since the page started.
    LEFT = "left"
    #: ``who``'s call could not be placed.
    NOT_PLACED = "not_placed"
    #: ``who`` answered: the page is over.
    ANSWERED = "answered"
    #: Kavenegar answered "busy" (429) to ``who``'s call: tried again later. Shown while it is
    #: the latest entry.
    BUSY = "busy"
    #: ``who``, the person rung, pressed "I'm on it": the page is over.
    ACKNOWLEDGED = "acknowledged"
    #: The page was given up; ``why``: ``kv_credentials``, ``kv_busy`` or ``team_deleted``.
    STOPPED = "stopped"
    #: ``who`` paged the team again while this page ran, with ``reason`` (a page's ``joins``).
    JOINED = "joined"


#: A page log entry's keys, in the order they are written.
_PAGE_EVENT_KEYS = ("event", "who", "how", "why", "attempt", "reason")


@dataclass(frozen=True)
class PageEvent:
    """One entry of a page's log, stored as a JSON object (see :meth:`to_json`)."""

    #: None: an entry this version does not know; kept whole in ``extra``, written back as read.
    kind: PageEventKind | None
    who: int | None = None
    how: str | None = None
    why: str | None = None
    attempt: int | None = None
    #: What someone who joined a running page said (:attr:`PageEventKind.JOINED`).
    reason: str | None = None
    #: Keys this version does not know, in the order read: written back as they were.
    extra: tuple[tuple[str, object], ...] = ()

    def to_json(self) -> dict[str, object]:
        """The entry as stored: ``{"event": kind, "who": id, ...}``, unset fields left out."""
        out: dict[str, object] = {}
        if self.kind is not None:
            out["event"] = self.kind.value
            fields = {
                "who": self.who,
                "how": self.how,
                "why": self.why,
                "attempt": self.attempt,
                "reason": self.reason,
            }
            out.update((key, value) for key, value in fields.items() if value is not None)
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PageEvent:
        """An entry as stored (today's or an older one's); keys it does not know are kept."""
        try:
            kind = PageEventKind(str(data.get("event")))
        except ValueError:
            return cls(None, extra=tuple(data.items()))
        return cls(
            kind,
            who=_int_or_none(data.get("who")),
            how=_str_or_none(data.get("how")),
            why=_str_or_none(data.get("why")),
            attempt=_int_or_none(data.get("attempt")),
            reason=_str_or_none(data.get("reason")),
            extra=tuple((k, v) for k, v in data.items() if k not in _PAGE_EVENT_KEYS),
        )


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Page:
    """A page of a team: who paged, why, how far the escalation has got."""

    id: int
    team_id: int
    paged_by: int
    reason: str | None
    chat_id: int
    message_id: int
    notice_message_id: int | None
    status: PageStatus
    plan: list[int]
    step: int
    attempts: int
    current_call_id: int | None
    answered_by: int | None
    log: list[PageEvent]
    created_at: datetime
    #: The team's name when it was paged (None on pages older than it): a deleted team's page
    #: still names it.
    team_name: str | None = None
    #: Who paged the team again while this page ran, and why (:attr:`PageEventKind.JOINED`).
    joins: list[PageEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Invite:
    """A live or spent invite link (its code is never stored, only a hash of it)."""

    id: int
    team_id: int
    created_by: int
    uses_left: int
    used: int
    expires_at: datetime
    revoked: bool


class LineStatus(StrEnum):
    """Where a newcomer's request to a support line stands."""

    #: Waiting for the newcomer's verified number (REQUIRE_PHONE); nothing is due.
    HELD = "held"
    #: In the queue: due to be offered to the next free member.
    WAITING = "waiting"
    #: An offer is out (``current_offer_id``), due again when it expires.
    OFFERING = "offering"
    #: A member accepted; the call is being placed (idempotently, by its key).
    CALLING = "calling"
    #: The call was placed; followed until it ends, then the newcomer rates it.
    CONNECTED = "connected"
    #: The line is closed (out of hours, or nobody took it): "Call me back" was offered.
    CLOSED = "closed"
    #: The newcomer asked to be called back: due when the line opens.
    CALLBACK = "callback"
    #: Over (``result`` says how).
    DONE = "done"

    @property
    def is_open(self) -> bool:
        return self is not LineStatus.DONE


@dataclass(frozen=True)
class Line:
    """A team open to newcomers, and its hours (None: always open)."""

    team_id: int
    enabled: bool
    hours: str | None


class RequestResult(StrEnum):
    """How a support line's request ended (``LineRequest.result``). Stored as its value."""

    #: The call connected: the newcomer may rate it.
    ANSWERED = "answered"
    #: The line was turned off (or its team, or the newcomer, is gone).
    CLOSED = "closed"
    #: An admin denied the newcomer.
    DENIED = "denied"
    #: The call ended without being answered, and is not to be tried again.
    ENDED = "ended"
    #: Nobody came back for a held or closed place in time.
    EXPIRED = "expired"
    #: The call was certainly not placed.
    FAILED = "failed"
    #: The newcomer used ``/forget`` (or was denied by ``/deny``).
    FORGOTTEN = "forgotten"
    #: The call was missed, declined or unreachable: "Call me back" was offered.
    MISSED = "missed"
    #: A whole round and nobody accepted (the request is closed, "Call me back" offered).
    NOBODY = "nobody"
    #: The newcomer's hourly cap of line calls was reached meanwhile.
    QUOTA = "quota"
    #: The newcomer (or the accepted member) cannot be reached.
    UNREACHABLE = "unreachable"
    #: The call may have been placed, or its end is unknown: never tried again.
    UNSURE = "unsure"


@dataclass(frozen=True)
class LineRequest:
    id: int
    team_id: int
    newcomer_id: int
    status: LineStatus
    tried: list[int]
    current_offer_id: int | None
    accepted_by: int | None
    call_id: int | None
    status_message_id: int | None
    position: int | None
    #: How it ended (or, while closed, why); None while it goes on, or for a result this
    #: version does not know (no reader asks for one).
    result: RequestResult | None
    rating: int | None
    created_at: datetime
    accepted_at: datetime | None


class OfferStatus(StrEnum):
    """Where an offer of a request to a member stands. Stored as its value."""

    #: Out, waiting for Accept until it expires (at most one open offer per member).
    OPEN = "open"
    #: The member took the call.
    ACCEPTED = "accepted"
    #: Over without being accepted (timed out, withdrawn, never delivered). A status this
    #: version does not know reads as this.
    EXPIRED = "expired"


@dataclass(frozen=True)
class LineOffer:
    id: int
    request_id: int
    member_id: int
    message_id: int | None
    status: OfferStatus
    expires_at: datetime
