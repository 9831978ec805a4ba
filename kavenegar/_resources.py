"""Resource namespaces: ``client.calls`` and ``client.endpoints``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._exceptions import APIResponseValidationError
from ._models import (
    Call,
    CallsPage,
    CreateCallParams,
    CreateEndpointParams,
    Endpoint,
    EndpointsPage,
    Participant,
    Platform,
)

if TYPE_CHECKING:
    from ._client import KavenegarClient, TimeoutTypes

__all__ = ["Calls", "Endpoints"]


class Calls:
    """``/calls``: create a call, read one, list them."""

    def __init__(self, client: KavenegarClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        caller: str | Participant,
        receptor: str | Participant,
        max_duration: int | None = None,
        timeout: TimeoutTypes | None = None,
    ) -> Call:
        """Create a call (``POST /calls``). Unknown usernames are created by Kavenegar.

        The call lives for one minute: each side must join with ``call.id`` and its own
        ``access_token`` before then. This request is never retried once it may have reached
        the server, so one ``create`` is at most one paid call.

        Args:
            caller: a username or a :class:`Participant` (display name, platform).
            receptor: a username or a :class:`Participant`.
            max_duration: the longest conversation in seconds (a positive integer).
            timeout: overrides the client's per-attempt timeouts for this call.

        Raises:
            ValueError: invalid input, before any request is made.
            APIStatusError: the API refused (a subclass per status).
            APIConnectionError: no response; ``APITimeoutError`` means the call may exist.
        """
        params = CreateCallParams(
            caller=_participant(caller),
            receptor=_participant(receptor),
            max_duration=max_duration,
        )
        return await self._client.request_model(
            Call, "POST", "/calls", content=params.to_wire(), timeout=timeout
        )

    async def get(self, call_id: str, *, timeout: TimeoutTypes | None = None) -> Call:
        """Read one call (``GET /calls/{id}``), with start, finish, duration and recording."""
        if not isinstance(call_id, str) or not call_id.strip():
            raise ValueError("call_id must be a non-empty string")
        path = f"/calls/{quote(call_id, safe='')}"
        return await self._client.request_model(Call, "GET", path, timeout=timeout)

    async def list(
        self,
        *,
        endpoint_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 0,
        size: int = 20,
        timeout: TimeoutTypes | None = None,
    ) -> CallsPage:
        """List calls (``GET /calls``), newest filters first; ``page`` is 0-based.

        ``since`` and ``until`` are sent without a UTC offset, as the API writes its dates; pass
        naive datetimes in the service's zone.
        """
        if page < 0:
            raise ValueError("page must be >= 0")
        if size < 1:
            raise ValueError("size must be >= 1")
        params: dict[str, Any] = {"page": page, "size": size}
        if endpoint_id is not None:
            params["endpointId"] = _positive_id(endpoint_id, "endpoint_id")
        if since is not None:
            params["since"] = format_datetime(since)
        if until is not None:
            params["until"] = format_datetime(until)
        return await self._client.request_model(
            CallsPage, "GET", "/calls", params=params, timeout=timeout
        )


class Endpoints:
    """``/endpoints``: the users (devices) that make and receive calls."""

    def __init__(self, client: KavenegarClient) -> None:
        self._client = client

    async def create(
        self,
        *,
        username: str,
        display_name: str | None = None,
        mobile_number: str | None = None,
        platform: Platform | None = None,
        timeout: TimeoutTypes | None = None,
    ) -> Endpoint:
        """Create an endpoint (``POST /endpoints``). Optional: calls create unknown users."""
        params = CreateEndpointParams(
            username=username,
            display_name=display_name,
            mobile_number=mobile_number,
            platform=platform,
        )
        return await self._client.request_model(
            Endpoint, "POST", "/endpoints", content=params.to_wire(), timeout=timeout
        )

    async def list(self, *, timeout: TimeoutTypes | None = None) -> EndpointsPage:
        """List endpoints (``GET /endpoints``, used by Kavenegar's samples, not documented)."""
        response = await self._client.request("GET", "/endpoints", timeout=timeout)
        try:
            data = json.loads(response.content)
        except ValueError as exc:
            raise APIResponseValidationError(
                response=response, method="GET", path="/endpoints", detail="EndpointsPage"
            ) from exc
        if isinstance(data, list):  # tolerate a bare array as well as the usual envelope
            data = {"result": data}
        try:
            return EndpointsPage.model_validate(data)
        except ValueError as exc:
            raise APIResponseValidationError(
                response=response, method="GET", path="/endpoints", detail="EndpointsPage"
            ) from exc

    async def get(self, endpoint_id: int, *, timeout: TimeoutTypes | None = None) -> Endpoint:
        """Read one endpoint (``GET /endpoints/{id}``)."""
        path = f"/endpoints/{_positive_id(endpoint_id, 'endpoint_id')}"
        return await self._client.request_model(Endpoint, "GET", path, timeout=timeout)


def format_datetime(value: datetime) -> str:
    """The API's date format: ISO 8601 without an offset, minutes when seconds are zero."""
    if value.tzinfo is not None:
        raise ValueError("pass a naive datetime: the API's dates carry no UTC offset")
    if value.second == 0 and value.microsecond == 0:
        return value.isoformat(timespec="minutes")
    return value.isoformat(timespec="seconds")


def _participant(value: str | Participant) -> Participant:
    if isinstance(value, Participant):
        return value
    if isinstance(value, str):
        return Participant(username=value)
    raise TypeError("a participant is a username (str) or a Participant")


def _positive_id(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer")
    return value
