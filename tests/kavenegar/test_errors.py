"""Every status maps to its exception, with the documented error fields read defensively."""

from __future__ import annotations

import httpx
import pytest

from kavenegar import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)

from .conftest import fixture_text, make_client


@pytest.mark.parametrize(
    ("status", "body", "cls", "api_status", "reasons"),
    [
        (400, fixture_text("error_bad_request.json"), BadRequestError, "bad_request",
         ["invalid_input_parameter"]),
        (401, '{"status":"unauthorized","reasons":["invalid_api_token"]}', AuthenticationError,
         "unauthorized", ["invalid_api_token"]),
        (403, '{"status":"forbidden","reasons":[]}', PermissionDeniedError, "forbidden", []),
        (404, '{"status":"not_found","reasons":["call_not_found"]}', NotFoundError, "not_found",
         ["call_not_found"]),
        (409, '{"status":"conflict"}', ConflictError, "conflict", []),
        (418, '{"status":"teapot","reasons":"not-a-list"}', APIStatusError, "teapot", []),
        (422, '{"status":"unprocessable_entity","reasons":["x","y"]}', UnprocessableEntityError,
         "unprocessable_entity", ["x", "y"]),
        (429, '{"status":"too_many_requests"}', RateLimitError, "too_many_requests", []),
        (500, '{"status":"internal_server_error"}', InternalServerError, "internal_server_error",
         []),
        (502, "<html><body>Bad Gateway</body></html>", InternalServerError, None, []),
        (503, '{"status":"service_unavailable","reasons":["maintenance"]}', InternalServerError,
         "service_unavailable", ["maintenance"]),
        (504, "", InternalServerError, None, []),
        (400, "[1, 2]", BadRequestError, None, []),
    ],
)  # fmt: skip
async def test_status_maps_to_exception(
    status: int, body: str, cls: type[APIStatusError], api_status: str | None, reasons: list[str]
) -> None:
    async with make_client(lambda r: httpx.Response(status, text=body), max_retries=0) as kv:
        with pytest.raises(APIStatusError) as info:
            await kv.calls.create(caller="a", receptor="b")
    error = info.value
    assert type(error) is cls
    assert error.status_code == status
    assert error.status == api_status
    assert error.reasons == reasons
    assert error.body == body
    assert error.response.status_code == status


async def test_message_reads_well() -> None:
    body = fixture_text("error_bad_request.json")
    async with make_client(lambda r: httpx.Response(400, text=body)) as kv:
        with pytest.raises(BadRequestError) as info:
            await kv.calls.create(caller="a", receptor="b")
    assert str(info.value) == "400 bad_request: invalid_input_parameter (POST /calls)"
    assert "status_code=400" in repr(info.value)


async def test_non_json_message_uses_the_reason_phrase() -> None:
    async with make_client(lambda r: httpx.Response(502, text="<html/>"), max_retries=0) as kv:
        with pytest.raises(InternalServerError) as info:
            await kv.calls.get("c1")
    assert str(info.value) == "502 Bad Gateway (GET /calls/c1)"


async def test_rate_limit_carries_retry_after() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "120"}, json={"status": "x"})

    async with make_client(handler) as kv:
        with pytest.raises(RateLimitError) as info:
            await kv.calls.create(caller="a", receptor="b")
    assert info.value.retry_after == 120.0
