"""The schema as SQLAlchemy tables: what the queries use and what migrations are checked against.

``users`` maps a Telegram user to a stable Kavenegar username and remembers what we last saw of
them, with their consent flags. ``uncallable_people`` holds admins' decisions by Telegram id, so
they outlive a person's record. ``calls`` records every attempt to place a call; its unique key on
(chat_id, message_id) is taken *before* Kavenegar is asked, so one Telegram message creates at
most one call whatever happens. ``access_rules`` holds the allow/deny decisions admins make at run
time; ``access_notices`` remembers which chats were already told they are not allowed;
``processed_updates`` lets exactly one replica handle each Telegram update; ``heartbeat`` is the
row ``/healthz`` writes to prove the database takes writes; ``replicas`` holds each running
process's last sign of life, so that they share Telegram's bot-wide budget. Access tokens are
never stored.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

__all__ = [
    "access_notices",
    "access_rules",
    "calls",
    "covers",
    "endpoint_registrations",
    "heartbeat",
    "invites",
    "join_handles",
    "line_offers",
    "line_requests",
    "lines",
    "metadata",
    "pages",
    "processed_updates",
    "replicas",
    "swaps",
    "team_members",
    "teams",
    "uncallable_people",
    "users",
]

metadata = MetaData()

#: Column limits the queries enforce before writing (PostgreSQL refuses longer values).
NAME_MAX, USERNAME_MAX, LANGUAGE_MAX, ERROR_MAX = 256, 64, 16, 200

users = Table(
    "users",
    metadata,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("username", String(USERNAME_MAX), nullable=True, index=True),  # lower-case, no "@"
    Column("first_name", String(NAME_MAX), nullable=False),
    Column("last_name", String(NAME_MAX), nullable=True),
    Column("language_code", String(LANGUAGE_MAX), nullable=True),
    Column("is_bot", Boolean, nullable=False, default=False),
    Column("kavenegar_username", String(50), nullable=False, unique=True),
    Column("platform", String(16), nullable=True),
    # True once the user pressed Start in private (the bot may write to them); False again
    # when Telegram refuses a private message (blocked, deactivated).
    Column("dm_open", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # The person asked not to receive calls (/dnd on).
    Column("dnd", Boolean, nullable=False, default=False, server_default=false()),
    # The person pressed Start since this record was made: their consent to be called.
    Column("started", Boolean, nullable=False, default=False, server_default=false()),
    # Their own verified number in E.164 ("+989120822930"): one account per number.
    Column("phone", String(16), nullable=True),
    Column("phone_verified_at", DateTime, nullable=True),
    UniqueConstraint("phone", name="uq_users_phone"),
)

#: A person's endpoint to (re)register with Kavenegar (``POST /endpoints``) after they verified
#: a number: worked on by one replica at a time, retried until Kavenegar takes it.
endpoint_registrations = Table(
    "endpoint_registrations",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # the Telegram id
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_check_at", DateTime, nullable=True, index=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime, nullable=True),
)

uncallable_people = Table(
    "uncallable_people",
    metadata,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("changed_by", BigInteger, nullable=True),
    Column("changed_at", DateTime, nullable=False),
)

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("caller_id", BigInteger, nullable=False, index=True),
    Column("callee_id", BigInteger, nullable=False),
    Column("max_duration", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # a bot.core.records.CallStatus value
    Column("kavenegar_call_id", Text, nullable=True),  # Kavenegar does not bound its ids
    Column("error", String(ERROR_MAX), nullable=True),
    Column("caller_delivery", String(32), nullable=True),
    Column("callee_delivery", String(32), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # What the failure was (a text key such as kv_busy), for /stats.
    Column("failure", String(32), nullable=True),
    # How the call ended, from Kavenegar's call detail (a bot.core.records.CallOutcome value).
    Column("outcome", String(16), nullable=True),
    Column("finish_reason", String(64), nullable=True),
    Column("duration_ms", BigInteger, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    # Follow-up work: when a replica should next look at the call (poll it, or end its ring),
    # and which replica holds it until when. NULL: nothing left to do.
    Column("next_check_at", DateTime, nullable=True, index=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime, nullable=True),
    Column("polls", Integer, nullable=False, default=0, server_default="0"),
    # The messages to edit when the call ends: the notice where /call was typed (none for a
    # private /call) and each person's private message.
    Column("notice_message_id", BigInteger, nullable=True),
    Column("caller_message_id", BigInteger, nullable=True),
    Column("callee_message_id", BigInteger, nullable=True),
    # An attempt of a page (not counted against quotas: the page is) and when it connected.
    Column("page_id", Integer, nullable=True, index=True),
    Column("connected_at", DateTime, nullable=True),
    UniqueConstraint("chat_id", "message_id", name="uq_calls_chat_message"),
    Index("ix_calls_caller_created", "caller_id", "created_at"),
    Index("ix_calls_callee_created", "callee_id", "created_at"),
)

#: The join page's references to calls (``WEBAPP_URL?call=<handle>``): only the SHA-256 of each
#: random handle is kept, so the database alone cannot open a join page. A call placed again
#: after its placer died gets a second handle.
join_handles = Table(
    "join_handles",
    metadata,
    Column("handle_hash", String(64), primary_key=True),  # hex SHA-256
    Column("call_id", Integer, nullable=False, index=True),  # calls.id
    Column("created_at", DateTime, nullable=False),
)

access_rules = Table(
    "access_rules",
    metadata,
    Column("kind", String(8), primary_key=True),  # "user" or "chat"
    Column("subject_id", BigInteger, primary_key=True, autoincrement=False),
    Column("allowed", Boolean, nullable=False),
    Column("changed_by", BigInteger, nullable=True),
    Column("changed_at", DateTime, nullable=False),
)

access_notices = Table(
    "access_notices",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("noticed_at", DateTime, nullable=False),
)

processed_updates = Table(
    "processed_updates",
    metadata,
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("claimed_at", DateTime, nullable=False, index=True),
)

heartbeat = Table(
    "heartbeat",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("beat_at", DateTime, nullable=False),
)

replicas = Table(
    "replicas",
    metadata,
    Column("owner", String(64), primary_key=True),
    #: One more at each census: alive while it moves (timestamps of other hosts' clocks are not
    #: compared; ``seen_at`` is for people reading the table).
    Column("beat", Integer, nullable=False),
    Column("seen_at", DateTime, nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(32), nullable=False, unique=True),
    Column("owner_id", BigInteger, nullable=False),
    Column("chat_id", BigInteger, nullable=False, index=True),  # the group its notices go to
    Column("zone", String(64), nullable=False),
    Column("rotation_kind", String(8), nullable=True),  # daily | weekly
    Column("hand_over", String(5), nullable=True),  # HH:MM, local
    Column("weekday", Integer, nullable=True),
    Column("anchor", DateTime, nullable=True),
    # Who was last announced on call, and who got the heads-up for the next shift.
    Column("announced_member", BigInteger, nullable=True),
    Column("warned_member", BigInteger, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("next_check_at", DateTime, nullable=True, index=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime, nullable=True),
    # The forum topic of its group it was created in, where its notices go (NULL: "General",
    # or a group without topics).
    Column("thread_id", BigInteger, nullable=True),
    # Quiet hours (HH:MM, local; NULL: none), whether an "urgent" page still calls in them,
    # whether the weekend is quiet all day, and the team a page in them goes to (issue 22).
    Column("quiet_start", String(5), nullable=True),
    Column("quiet_end", String(5), nullable=True),
    Column("quiet_urgent", Boolean, nullable=False, default=False, server_default=false()),
    Column("quiet_weekend", Boolean, nullable=False, default=False, server_default=false()),
    Column("after_hours_team_id", Integer, nullable=True),
    sqlite_autoincrement=True,  # a deleted team's id is never given to a new one
)

swaps = Table(
    "swaps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", Integer, nullable=False, index=True),
    Column("asked_by", BigInteger, nullable=False),
    # The one person asked privately (``/swap NAME @x``); NULL: the whole team, in its group.
    Column("asked_to", BigInteger, nullable=True),
    # The shift to cover (naive UTC).
    Column("starts", DateTime, nullable=False),
    Column("ends", DateTime, nullable=False),
    Column("status", String(16), nullable=False),  # open | taken | expired | cancelled
    Column("taken_by", BigInteger, nullable=True),
    Column("chat_id", BigInteger, nullable=False),  # where the request's notice is
    Column("notice_message_id", BigInteger, nullable=True),
    Column("created_at", DateTime, nullable=False),
    # An open request's deadline (the shift's start), leased by the replica expiring it.
    Column("next_check_at", DateTime, nullable=True, index=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime, nullable=True),
    sqlite_autoincrement=True,
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", Integer, primary_key=True, autoincrement=False),
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, nullable=False),
    Column("added_at", DateTime, nullable=False),
)

covers = Table(
    "covers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", Integer, nullable=False, index=True),
    Column("member", BigInteger, nullable=False),
    Column("starts", DateTime, nullable=False),
    Column("ends", DateTime, nullable=False),
    Column("created_by", BigInteger, nullable=False),
    sqlite_autoincrement=True,  # a cover's id names its calendar event: never reused
)

pages = Table(
    "pages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", Integer, nullable=False, index=True),
    Column("paged_by", BigInteger, nullable=False),
    Column("reason", String(200), nullable=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("notice_message_id", BigInteger, nullable=True),
    # active | answered | exhausted | acknowledged | stopped; one active page per team at most
    Column("status", String(16), nullable=False),
    # The escalation order at the start (JSON list of ids), the step reached in it, the calls
    # placed so far, the attempt in progress, and what each step did (JSON, for the notice).
    Column("plan", Text, nullable=False),
    Column("step", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("current_call_id", Integer, nullable=True),
    Column("answered_by", BigInteger, nullable=True),
    Column("log", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("next_check_at", DateTime, nullable=True, index=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime, nullable=True),
    # The team's name when paged (a deleted team's page still names it), and who paged it again
    # while it ran (JSON list of {"event": "joined", "who": id, "reason": ...}; NULL: nobody).
    Column("team_name", String(32), nullable=True),
    Column("joins", Text, nullable=True),
    UniqueConstraint("chat_id", "message_id", name="uq_pages_chat_message"),
    Index("ix_pages_paged_by_created", "paged_by", "created_at"),
    # At most one running page per team, whichever replica starts it: a second /page joins it.
    Index(
        "uq_pages_team_running",
        "team_id",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
    sqlite_autoincrement=True,
)

invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", Integer, nullable=False, index=True),
    # SHA-256 of the code: the code itself is never stored.
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("created_by", BigInteger, nullable=False),
    Column("uses_left", Integer, nullable=False),
    Column("used", Integer, nullable=False, default=0),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
)

#: A team open to newcomers as a support line (``/line NAME on [HOURS]``).
lines = Table(
    "lines",
    metadata,
    Column("team_id", Integer, primary_key=True, autoincrement=False),
    Column("enabled", Boolean, nullable=False),
    Column("hours", String(200), nullable=True),  # bot.support_lines.hours text; NULL: always open
    Column("changed_by", BigInteger, nullable=False),
    Column("changed_at", DateTime, nullable=False),
)

#: A newcomer asking a line for a call, from the link to the rating: one row, worked on under
#: a lease. ``open_key`` is 1 while the request is open and NULL once it ended, so the unique
#: key lets a newcomer hold one open place per line however often they press Start.
line_requests = Table(
    "line_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", Integer, nullable=False, index=True),
    Column("newcomer_id", BigInteger, nullable=False, index=True),
    Column("status", String(16), nullable=False),  # a bot.core.records.LineStatus value
    Column("open_key", Integer, nullable=True),
    # Members offered the call in this round (JSON list), the offer out now, who took it.
    Column("tried", Text, nullable=False, default="[]"),
    Column("current_offer_id", Integer, nullable=True),
    Column("accepted_by", BigInteger, nullable=True),
    Column("call_id", Integer, nullable=True),
    # The newcomer's "Connecting you…" message, edited with their place in the queue.
    Column("status_message_id", BigInteger, nullable=True),
    Column("position", Integer, nullable=True),
    Column("result", String(16), nullable=True),  # answered | missed | failed | nobody | closed
    Column("rating", Integer, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("accepted_at", DateTime, nullable=True),
    Column("ended_at", DateTime, nullable=True),
    Column("next_check_at", DateTime, nullable=True, index=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime, nullable=True),
    UniqueConstraint("team_id", "newcomer_id", "open_key", name="uq_line_requests_open"),
    sqlite_autoincrement=True,
)

#: One member offered one request's call, with the Accept button's message.
line_offers = Table(
    "line_offers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, nullable=False, index=True),
    Column("member_id", BigInteger, nullable=False, index=True),
    Column("message_id", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),  # open | accepted | expired | taken
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    # A member holds at most one open offer, whichever replica makes it.
    Index(
        "uq_line_offers_member_open",
        "member_id",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
    sqlite_autoincrement=True,
)
