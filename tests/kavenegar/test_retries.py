"""Retries repeat what is safe and never send a paid POST twice."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from kavenegar import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
)
from kavenegar._retry import parse_retry_after, should_retry_exception, should_retry_status

from .conftest import fixture_text, make_client

OK_CALL = fixture_text("create_call_response.json")


class Script:
    """A handler that plays a list of outcomes (a status, or an exception class) and counts."""

    def __init__(self, *outcomes: int | type[Exception], headers: dict[str, str] | None = None):
        self.outcomes = list(outcomes)
        self.headers = headers or {}
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        outcome = self.outcomes.pop(0) if self.outcomes else 200
        if isinstance(outcome, type):
            raise outcome("simulated", request=request)  # type: ignore[call-arg]
        body = OK_CALL if outcome == 200 else '{"status":"x"}'
        return httpx.Response(outcome, text=body, headers=self.headers)


async def test_post_calls_is_sent_once_after_a_read_timeout() -> None:
    script = Script(httpx.ReadTimeout)
    async with make_client(script, max_retries=5) as kv:
        with pytest.raises(APITimeoutError):
            await kv.calls.create(caller="a", receptor="b")
    assert script.calls == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_post_calls_is_never_repeated_after_a_server_error(status: int) -> None:
    script = Script(status)
    async with make_client(script, max_retries=5) as kv:
        with pytest.raises(InternalServerError):
            await kv.calls.create(caller="a", receptor="b")
    assert script.calls == 1


@pytest.mark.parametrize("exc", [httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteTimeout])
async def test_post_is_not_repeated_after_it_may_have_been_sent(exc: type[Exception]) -> None:
    script = Script(exc)
    async with make_client(script, max_retries=5) as kv:
        with pytest.raises(APIConnectionError):
            await kv.calls.create(caller="a", receptor="b")
    assert script.calls == 1


@pytest.mark.parametrize("exc", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_post_is_retried_when_it_never_left(exc: type[Exception]) -> None:
    script = Script(exc, exc)
    async with make_client(script, max_retries=2) as kv:
        call = await kv.calls.create(caller="a", receptor="b")
    assert call.id
    assert script.calls == 3


async def test_post_is_retried_after_429() -> None:
    script = Script(429, headers={"Retry-After": "0"})
    async with make_client(script) as kv:
        await kv.calls.create(caller="a", receptor="b")
    assert script.calls == 2


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_reads_retry_transient_statuses(status: int) -> None:
    script = Script(status, status)
    async with make_client(script, max_retries=2) as kv:
        call = await kv.calls.get("c")
    assert call.id
    assert script.calls == 3


async def test_reads_retry_read_timeouts() -> None:
    script = Script(httpx.ReadTimeout)
    async with make_client(script) as kv:
        await kv.calls.get("c")
    assert script.calls == 2


async def test_reads_do_not_retry_500_or_4xx() -> None:
    for status in (500, 400, 404):
        script = Script(status)
        async with make_client(script) as kv:
            with pytest.raises(APIStatusError):
                await kv.calls.get("c")
        assert script.calls == 1, status


async def test_retries_stop_at_max_retries() -> None:
    script = Script(503, 503, 503, 503, 503)
    async with make_client(script, max_retries=2) as kv:
        with pytest.raises(InternalServerError):
            await kv.calls.get("c")
    assert script.calls == 3


async def test_a_long_retry_after_is_not_waited_for() -> None:
    script = Script(429, headers={"Retry-After": "3600"})
    async with make_client(script) as kv:
        with pytest.raises(RateLimitError) as info:
            await kv.calls.get("c")
    assert script.calls == 1
    assert info.value.retry_after == 3600


async def test_the_total_deadline_bounds_the_whole_operation() -> None:
    script = Script(503, 503, 503)
    policy = RetryPolicy(initial_delay=10, max_delay=10)
    async with make_client(script, retry_policy=policy, total_timeout=1.0) as kv:
        with pytest.raises(InternalServerError):
            await kv.calls.get("c")  # the 10 s backoff would pass the deadline: no retry
    assert script.calls == 1


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=4.0, jitter=0.25, random=lambda: 0.0)
    assert [policy.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    jittered = RetryPolicy(initial_delay=1.0, jitter=0.25, random=lambda: 1.0)
    assert jittered.delay(0) == 0.75
    assert policy.delay(0, retry_after=3.0) == 3.0
    assert policy.delay(0, retry_after=600.0) is None


def test_retry_decisions() -> None:
    request = httpx.Request("GET", "http://x")
    assert should_retry_exception("POST", httpx.ConnectError("x", request=request))
    assert not should_retry_exception("POST", httpx.ReadTimeout("x", request=request))
    assert should_retry_exception("GET", httpx.ReadTimeout("x", request=request))
    assert should_retry_status("POST", 429)
    assert not should_retry_status("POST", 503)
    assert should_retry_status("GET", 503)
    assert not should_retry_status("GET", 500)


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    assert parse_retry_after(None) is None
