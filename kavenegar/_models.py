"""Typed request and response models. Attributes are snake_case; the wire stays camelCase."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from ._constants import USERNAME_MAX_LENGTH

__all__ = [
    "Call",
    "CallParticipant",
    "CallStatus",
    "CallsPage",
    "CreateCallParams",
    "CreateEndpointParams",
    "Endpoint",
    "EndpointsPage",
    "FinishReason",
    "PageInfo",
    "Participant",
    "Platform",
    "Recording",
]

Platform = Literal["ios", "android"]


class CallStatus(StrEnum):
    """Call statuses seen in the docs; ``Call.status`` is a plain ``str``, so new ones pass."""

    NEW = "new"
    TRYING = "trying"
    RINGING = "ringing"
    ACCEPTED = "accepted"
    CONVERSATION = "conversation"
    FINISHED = "finished"


class FinishReason(StrEnum):
    """Finish reasons seen in the docs and SDKs. ``Call.finish_reason`` stays a plain ``str``."""

    HANGUP = "hangup"
    NO_ONE_CONNECTED = "no_one_connected"
    UNREACHABLE = "unreachable"
    MISSED = "missed"
    REJECTED = "rejected"
    BUSY = "busy"
    CALL_DURATION_EXCEEDED = "call_duration_exceeded"


class _WireModel(BaseModel):
    """Base of request bodies: strict, nothing unknown, camelCase on the wire."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    def to_wire(self) -> bytes:
        """The JSON body: camelCase keys in field order, unset optionals left out."""
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class _ResponseModel(BaseModel):
    """Base of response models: tolerant of new fields, which stay readable as attributes."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Unknown fields may hold secrets the API adds later; keep them out of repr.
        for name, field in type(self).model_fields.items():
            if field.repr:
                yield name, getattr(self, name)


def _check_username(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("username must not be empty")
    if len(value) > USERNAME_MAX_LENGTH:
        raise ValueError(f"username must be at most {USERNAME_MAX_LENGTH} characters")
    return value


class Participant(_WireModel):
    """One side of a call to create: a unique username (mobile, e-mail or any id, <= 50 chars)."""

    username: str
    #: Shown to the other side. Left out, Kavenegar keeps the display name it already has.
    display_name: str | None = None
    platform: Platform | None = None

    _validate_username = field_validator("username")(_check_username)


class CreateCallParams(_WireModel):
    """The body of ``POST /calls``."""

    caller: Participant
    receptor: Participant
    #: Longest conversation in seconds; the application's own maximum wins if it is stricter.
    max_duration: int | None = Field(default=None, gt=0, strict=True)


class CreateEndpointParams(_WireModel):
    """The body of ``POST /endpoints``."""

    # Field order follows the documented example body.
    username: str
    mobile_number: str | None = None
    platform: Platform | None = None
    display_name: str | None = None

    _validate_username = field_validator("username")(_check_username)


class CallParticipant(_ResponseModel):
    """A side of a created or finished call, as the API returns it."""

    id: int | None = None
    username: str
    display_name: str | None = None
    platform: str | None = None
    #: The secret this participant's app joins the call with. Kept out of ``repr``.
    access_token: str | None = Field(default=None, repr=False)
    #: Endpoint status, e.g. ``"offline"`` or ``"available"``.
    status: str | None = None
    events: list[Any] = Field(default_factory=list)
    application_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Recording(_ResponseModel):
    """The recording of a finished call."""

    id: int | None = None
    name: str | None = None
    url: str | None = None
    status: str | None = None


class Call(_ResponseModel):
    """A call. ``create`` fills the first fields; ``get`` and ``list`` add the rest when known."""

    #: The callId both apps join with.
    id: str
    created_at: datetime | None = None
    #: ``"new"`` after creation; any string the API sends is kept (see :class:`CallStatus`).
    status: str | None = None
    caller: CallParticipant
    receptor: CallParticipant
    application_id: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: Conversation length in milliseconds.
    duration: int | None = None
    #: e.g. ``"hangup"`` or ``"no_one_connected"`` (see :class:`FinishReason`).
    finish_reason: str | None = None
    recording: Recording | None = None

    @property
    def duration_timedelta(self) -> timedelta | None:
        """``duration`` as a :class:`~datetime.timedelta`."""
        return None if self.duration is None else timedelta(milliseconds=self.duration)


class PageInfo(_ResponseModel):
    """Pagination of a list: 0-based page ``number``, page ``size`` and ``total`` items."""

    number: int = 0
    size: int | None = None
    total: int | None = None


class CallsPage(_ResponseModel):
    """A page of ``GET /calls``."""

    page: PageInfo = Field(default_factory=PageInfo)
    result: list[Call] = Field(default_factory=list)


class Endpoint(_ResponseModel):
    """An endpoint: a user who can make and receive calls."""

    id: int
    username: str
    display_name: str | None = None
    mobile_number: str | None = None
    platform: str | None = None
    #: ``"available"``, ``"offline"``, ...
    status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    api_token: str | None = Field(default=None, repr=False)
    access_token: str | None = Field(default=None, repr=False)
    tags: list[Any] | None = None


class EndpointsPage(_ResponseModel):
    """``GET /endpoints``: the ``result`` list, with ``page`` when the API sends one."""

    page: PageInfo | None = None
    result: list[Endpoint] = Field(default_factory=list)
