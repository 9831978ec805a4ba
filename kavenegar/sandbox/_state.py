"""What the sandbox knows: endpoints, calls and the call lifecycle, free of any HTTP.

A call's ``status`` over its life: ``new`` when created, ``ringing`` once one side has joined,
``conversation`` once both have, ``finished`` at the end, with a ``finishReason``. Kavenegar's
REST docs show only ``new`` (in the create-call example); the later values are the ones the
mobile SDKs report (:class:`kavenegar.CallStatus`), so a real ``GET /calls/{id}`` may word a live
call differently (or show ``trying``/``accepted`` in between). Code that follows a call should
rely on ``finished`` and ``finishReason``, and treat any other status as still live.

How calls end here: :meth:`SandboxState.hangup` (``hangup``); the one-minute window
(``no_one_connected``, or ``unreachable`` when only the caller joined); ``maxDuration``
(``call_duration_exceeded``); or :meth:`SandboxState.finish` with any reason a test names
(``rejected``, ``missed``, ``busy``, ``media_connection_broken``...). A call has a ``startedAt``,
a ``duration`` and a recording only if both sides were connected.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

__all__ = [
    "CALL_WINDOW",
    "DEFAULT_LIST_MAX_SIZE",
    "ListOrder",
    "SandboxClock",
    "SandboxState",
    "SimCall",
    "SimEndpoint",
]

#: A created call waits this long for both sides to connect (create-call and iOS docs).
CALL_WINDOW = timedelta(minutes=1)
#: The largest ``size`` ``GET /calls`` accepts unless a test sets another (the docs give none).
DEFAULT_LIST_MAX_SIZE = 100
#: The orders ``GET /calls`` can list in (the docs give none): ``shuffled`` is a new random
#: order for every request, so pages of one listing may overlap and leave calls out.
ListOrder = Literal["newest", "oldest", "shuffled"]


class SandboxClock:
    """Wall-clock time (naive, UTC, like the API's dates) that tests can move forward."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC).replace(tzinfo=None))
        self._offset = timedelta()

    def now(self) -> datetime:
        return self._now() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)


def format_date(value: datetime | None) -> str | None:
    """The API's date format: ISO 8601, milliseconds, no offset (``2018-08-26T16:18:18.163``)."""
    return None if value is None else value.isoformat(timespec="milliseconds")


@dataclass
class SimEndpoint:
    id: int
    username: str
    access_token: str
    api_token: str
    created_at: datetime
    updated_at: datetime
    display_name: str | None = None
    mobile_number: str | None = None
    platform: str | None = None

    def as_json(self, *, application_id: int, status: str = "available") -> dict[str, Any]:
        return {
            "id": self.id,
            "applicationId": application_id,
            "username": self.username,
            "displayName": self.display_name,
            "mobileNumber": self.mobile_number,
            "createdAt": format_date(self.created_at),
            "updatedAt": format_date(self.updated_at),
            "platform": self.platform,
            "apiToken": self.api_token,
            "status": status,
        }


@dataclass
class SimCall:
    id: str
    caller: SimEndpoint
    receptor: SimEndpoint
    created_at: datetime
    max_duration: int | None
    status: str = "new"
    #: Another Kavenegar application's call (None: the sandbox's own application).
    application_id: int | None = None
    caller_joined_at: datetime | None = None
    receptor_joined_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    finish_reason: str | None = None
    recording_id: int | None = None

    @property
    def duration_ms(self) -> int | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return int((self.finished_at - self.started_at) / timedelta(milliseconds=1))

    def created_json(self) -> dict[str, Any]:
        """The create-call response, shaped like the documented example."""
        return {
            "id": self.id,
            "createdAt": format_date(self.created_at),
            "status": self.status,
            "caller": _side_json(self.caller),
            "receptor": _side_json(self.receptor),
        }

    def detail_json(self, *, application_id: int) -> dict[str, Any]:
        """The call-detail response, shaped like the documented example."""
        application_id = self.application_id or application_id
        data: dict[str, Any] = {
            "id": self.id,
            "applicationId": application_id,
            "createdAt": format_date(self.created_at),
            "startedAt": format_date(self.started_at),
            "finishedAt": format_date(self.finished_at),
            "duration": self.duration_ms,
            "status": self.status,
            "caller": self._endpoint_json(self.caller, application_id),
            "receptor": self._endpoint_json(self.receptor, application_id),
            "finishReason": self.finish_reason,
        }
        if self.recording_id is not None:
            data["recording"] = {
                "id": self.recording_id,
                "name": self.id,
                "url": f"https://static.kavenegar.io/recordings/{self.id}/final.mp3",
                "status": "done",
            }
        return data

    @staticmethod
    def _endpoint_json(endpoint: SimEndpoint, application_id: int) -> dict[str, Any]:
        data = endpoint.as_json(application_id=application_id, status="offline")
        del data["apiToken"]
        data["accessToken"] = endpoint.access_token
        return data


def _side_json(endpoint: SimEndpoint) -> dict[str, Any]:
    data: dict[str, Any] = {"id": endpoint.id, "username": endpoint.username}
    if endpoint.display_name is not None:
        data["displayName"] = endpoint.display_name
    data["accessToken"] = endpoint.access_token
    data["events"] = []
    return data


class SandboxError(Exception):
    """A request the real API would refuse: carries the documented error body."""

    def __init__(self, http_status: int, status: str, *reasons: str) -> None:
        super().__init__(f"{http_status} {status}: {', '.join(reasons)}")
        self.http_status = http_status
        self.body = {"status": status, "reasons": list(reasons)}


@dataclass
class SandboxState:
    """Endpoints keyed by username, calls keyed by id, and the lifecycle rules."""

    clock: SandboxClock = field(default_factory=SandboxClock)
    application_id: int = 1
    #: The application's own maximum conversation length (seconds); None is unlimited.
    app_max_duration: int | None = None
    endpoints: dict[str, SimEndpoint] = field(default_factory=dict)
    calls: dict[str, SimCall] = field(default_factory=dict)
    # What the docs leave open about ``GET /calls``, as switches a test sets.
    #: The largest page ``size`` accepted; a larger one is a 400 ``invalid_input_parameter``.
    list_max_size: int = DEFAULT_LIST_MAX_SIZE
    #: If True, a larger ``size`` is not refused but cut to :attr:`list_max_size` (pages then
    #: count in that size and say so in ``page.size``): a service that caps silently.
    list_caps_silently: bool = False
    #: The order of the list (by ``createdAt``), or a new random one for every request.
    list_order: ListOrder = "newest"
    #: Ids of calls the list never shows (``GET /calls/{id}`` still does).
    list_omits: set[str] = field(default_factory=set)
    _shuffle: random.Random = field(default_factory=lambda: random.Random(21))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))
    _recordings: itertools.count[int] = field(default_factory=lambda: itertools.count(2000))

    def upsert_endpoint(
        self,
        username: str,
        *,
        display_name: str | None = None,
        platform: str | None = None,
        mobile_number: str | None = None,
    ) -> SimEndpoint:
        """Find or auto-create an endpoint; sent fields overwrite, omitted ones are kept."""
        now = self.clock.now()
        endpoint = self.endpoints.get(username)
        if endpoint is None:
            endpoint = SimEndpoint(
                id=next(self._ids),
                username=username,
                access_token=str(uuid.uuid4()),
                api_token=str(uuid.uuid4()),
                created_at=now,
                updated_at=now,
            )
            self.endpoints[username] = endpoint
        for name, value in (
            ("display_name", display_name),
            ("platform", platform),
            ("mobile_number", mobile_number),
        ):
            if value is not None:
                setattr(endpoint, name, value)
                endpoint.updated_at = now
        return endpoint

    def endpoint_by_id(self, endpoint_id: int) -> SimEndpoint:
        for endpoint in self.endpoints.values():
            if endpoint.id == endpoint_id:
                return endpoint
        raise SandboxError(404, "not_found", "endpoint_not_found")

    def create_call(
        self, caller: dict[str, Any], receptor: dict[str, Any], max_duration: int | None
    ) -> SimCall:
        if caller["username"] == receptor["username"]:
            raise SandboxError(422, "unprocessable_entity", "caller_and_receptor_are_same")
        call = SimCall(
            id=str(uuid.uuid4()),
            caller=self.upsert_endpoint(**caller),
            receptor=self.upsert_endpoint(**receptor),
            created_at=self.clock.now(),
            max_duration=max_duration,
        )
        self.calls[call.id] = call
        return call

    def add_foreign_calls(self, count: int, *, application_id: int = 2) -> list[SimCall]:
        """``count`` calls of another application, created now and finished at once, which the
        list mixes in (a token shared between applications, or a list that filters badly);
        their ``applicationId`` is ``application_id`` and ``GET /calls/{id}`` does not know them."""
        now, made = self.clock.now(), []
        for _ in range(count):
            caller, receptor = (
                SimEndpoint(next(self._ids), uuid.uuid4().hex, "", "", now, now) for _ in "ab"
            )
            call = SimCall(str(uuid.uuid4()), caller, receptor, now, None)
            call.application_id = application_id
            self._finish(call, "no_one_connected", now)
            self.calls[call.id] = call
            made.append(call)
        return made

    def all_calls(self) -> list[SimCall]:
        """Every call, the newest first, whatever the list's switches."""
        for call in self.calls.values():
            self.refresh(call)
        return sorted(self.calls.values(), key=lambda c: c.created_at, reverse=True)

    def get_call(self, call_id: str) -> SimCall:
        call = self.calls.get(call_id)
        if call is None or call.application_id is not None:
            raise SandboxError(404, "not_found", "call_not_found")
        self.refresh(call)
        return call

    def list_calls(
        self,
        *,
        endpoint_id: int | None,
        since: datetime | None,
        until: datetime | None,
    ) -> list[SimCall]:
        """Calls matching the filters (``since``/``until`` on ``createdAt``, both included), in
        :attr:`list_order`, without those in :attr:`list_omits`."""
        found = []
        for call in self.calls.values():
            self.refresh(call)
            if call.id in self.list_omits:
                continue
            if endpoint_id is not None and endpoint_id not in (call.caller.id, call.receptor.id):
                continue
            if since is not None and call.created_at < since:
                continue
            if until is not None and call.created_at > until:
                continue
            found.append(call)
        if self.list_order == "shuffled":
            self._shuffle.shuffle(found)
            return found
        return sorted(found, key=lambda c: c.created_at, reverse=self.list_order == "newest")

    def join(self, call_id: str, side: str) -> SimCall:
        """A participant's app connects, as the SDK's join would."""
        call = self.get_call(call_id)
        if call.status == "finished":
            raise SandboxError(409, "conflict", "call_session_finished")
        now = self.clock.now()
        if side == "caller":
            call.caller_joined_at = call.caller_joined_at or now
        elif side == "receptor":
            call.receptor_joined_at = call.receptor_joined_at or now
        else:
            raise SandboxError(400, "bad_request", "invalid_input_parameter")
        if call.caller_joined_at and call.receptor_joined_at:
            # Joining again (a reconnect) does not restart the conversation.
            call.status, call.started_at = "conversation", call.started_at or now
        else:
            call.status = "ringing"
        return call

    def answer(self, call_id: str) -> SimCall:
        """The receptor answers: both sides are connected now (the caller joins first if not yet).

        A call already in conversation is left as it is.
        """
        call = self.get_call(call_id)
        if call.status == "finished":
            raise SandboxError(409, "conflict", "call_session_finished")
        if call.caller_joined_at is None:
            self.join(call_id, "caller")
        if call.receptor_joined_at is None:
            self.join(call_id, "receptor")
        return call

    def hangup(self, call_id: str) -> SimCall:
        """Either side hangs up."""
        call = self.get_call(call_id)
        if call.status != "finished":
            self._finish(call, "hangup", self.clock.now())
        return call

    def finish(self, call_id: str, reason: str) -> SimCall:
        """End a live call now with any ``finishReason`` (``rejected``, ``busy``, ``missed``,
        ``media_connection_broken``, or one no client knows yet).

        The reason is taken as given, whatever the call went through; ``duration`` and the
        recording exist only if both sides had connected. A call that has already finished
        (including by its window or ``maxDuration`` passing on the clock) is a 409
        ``call_session_finished``, as for :meth:`join`.
        """
        if not reason.strip():
            raise SandboxError(400, "bad_request", "invalid_input_parameter")
        call = self.get_call(call_id)
        if call.status == "finished":
            raise SandboxError(409, "conflict", "call_session_finished")
        self._finish(call, reason, self.clock.now())
        return call

    def refresh(self, call: SimCall) -> None:
        """Apply the time rules: the one-minute window and ``maxDuration``."""
        if call.status == "finished":
            return
        now = self.clock.now()
        if call.started_at is None:
            if now - call.created_at >= CALL_WINDOW:
                reason = "unreachable" if call.caller_joined_at else "no_one_connected"
                self._finish(call, reason, call.created_at + CALL_WINDOW)
            return
        limit = self._effective_max_duration(call)
        if limit is not None and now - call.started_at >= timedelta(seconds=limit):
            self._finish(call, "call_duration_exceeded", call.started_at + timedelta(seconds=limit))

    def _effective_max_duration(self, call: SimCall) -> int | None:
        limits = [x for x in (call.max_duration, self.app_max_duration) if x is not None]
        return min(limits) if limits else None

    def _finish(self, call: SimCall, reason: str, when: datetime) -> None:
        call.status, call.finish_reason, call.finished_at = "finished", reason, when
        if call.started_at is not None:
            call.recording_id = next(self._recordings)
