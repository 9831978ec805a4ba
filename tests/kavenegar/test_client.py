"""Request shape, configuration, timeouts and secret hygiene of the client."""

from __future__ import annotations

import json
import logging
import socket
from datetime import UTC, datetime

import httpx
import pytest

from kavenegar import (
    DEFAULT_BASE_URL,
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    KavenegarClient,
    KavenegarError,
    Participant,
)

from .conftest import API_TOKEN, BASE_URL, fixture_json, fixture_text, make_client


async def test_create_call_sends_the_documented_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=fixture_text("create_call_response.json"))

    async with make_client(handler) as kv:
        call = await kv.calls.create(
            caller=Participant(
                username="mohsen_k", display_name="mohsen karimi", platform="android"
            ),
            receptor=Participant(
                username="mohammad_r", display_name="mohammad razipour", platform="ios"
            ),
            max_duration=100,
        )
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == BASE_URL + "/calls"
    assert request.headers["Authorization"] == f"Bearer {API_TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert API_TOKEN not in str(request.url)
    expected = json.dumps(fixture_json("create_call_request.json"), separators=(",", ":"))
    assert request.content == expected.encode()
    assert call.id == "eead251d-7895-4954-9292-cee624e400b4"
    assert call.receptor.access_token == "9c161bd8-0f73-46b5-970b-c2866a45ec51"


async def test_plain_usernames_are_accepted() -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(200, text=fixture_text("create_call_response.json"))

    async with make_client(handler) as kv:
        await kv.calls.create(caller="mohsen_k", receptor="mohammad_r")
    assert bodies == [b'{"caller":{"username":"mohsen_k"},"receptor":{"username":"mohammad_r"}}']


async def test_get_and_list_calls() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/calls"):
            return httpx.Response(200, text=fixture_text("calls_page.json"))
        return httpx.Response(200, text=fixture_text("call_detail.json"))

    async with make_client(handler) as kv:
        detail = await kv.calls.get("ed7a310e-da2e-4014-b9c7-8df918b9bef7")
        page = await kv.calls.list(
            endpoint_id=175, since=datetime(2018, 5, 26), until=datetime(2018, 10, 3, 12, 30, 15)
        )
    assert detail.duration == 4992
    assert page.page.total == 1839
    assert seen[0].method == "GET"
    assert seen[0].url.path == "/user/v1/calls/ed7a310e-da2e-4014-b9c7-8df918b9bef7"
    assert dict(seen[1].url.params) == {
        "page": "0",
        "size": "20",
        "endpointId": "175",
        "since": "2018-05-26T00:00",
        "until": "2018-10-03T12:30:15",
    }


async def test_call_ids_are_escaped_in_the_path() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(200, text=fixture_text("call_detail.json"))

    async with make_client(handler) as kv:
        await kv.calls.get("../endpoints/1")
    assert paths == ["/user/v1/calls/..%2Fendpoints%2F1"]


async def test_aware_datetimes_are_refused() -> None:
    async with make_client(lambda r: httpx.Response(200, json={})) as kv:
        with pytest.raises(ValueError, match="naive"):
            await kv.calls.list(since=datetime(2020, 1, 1, tzinfo=UTC))


async def test_endpoints_create_list_get() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST" or request.url.path.endswith("/86"):
            return httpx.Response(200, text=fixture_text("endpoint.json"))
        return httpx.Response(200, json={"result": [fixture_json("endpoint.json")]})

    async with make_client(handler) as kv:
        created = await kv.endpoints.create(
            username="mohsen_k",
            mobile_number="0912123456",
            platform="android",
            display_name="Mohsen Karimi",
        )
        listed = await kv.endpoints.list()
        fetched = await kv.endpoints.get(created.id)
    assert json.loads(seen[0].content) == fixture_json("create_endpoint_request.json")
    assert (
        seen[0].content
        == json.dumps(fixture_json("create_endpoint_request.json"), separators=(",", ":")).encode()
    )
    assert [e.username for e in listed.result] == ["mohsen_k"]
    assert listed.page is None
    assert fetched.id == 86
    assert seen[2].url.path == "/user/v1/endpoints/86"


async def test_a_bare_array_of_endpoints_is_tolerated() -> None:
    handler = lambda r: httpx.Response(200, json=[fixture_json("endpoint.json")])  # noqa: E731
    async with make_client(handler) as kv:
        assert [e.id for e in (await kv.endpoints.list()).result] == [86]


def test_token_and_base_url_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAVENEGAR_API_TOKEN", "env-token")
    monkeypatch.setenv("KAVENEGAR_BASE_URL", "http://127.0.0.1:9/user/v1/")
    client = KavenegarClient()
    assert client.base_url == "http://127.0.0.1:9/user/v1"
    monkeypatch.delenv("KAVENEGAR_BASE_URL")
    assert KavenegarClient().base_url == DEFAULT_BASE_URL == "https://api.kavenegar.io/user/v1"


def test_a_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAVENEGAR_API_TOKEN", raising=False)
    with pytest.raises(KavenegarError, match="KAVENEGAR_API_TOKEN"):
        KavenegarClient()


async def test_an_injected_http_client_is_used_and_left_open() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text=fixture_text("call_detail.json"))

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with KavenegarClient(api_token=API_TOKEN, base_url=BASE_URL, http_client=http) as kv:
        await kv.calls.get("x")
    assert not http.is_closed
    assert seen[0].headers["Authorization"] == f"Bearer {API_TOKEN}"
    await http.aclose()


async def test_garbage_success_body_is_a_validation_error() -> None:
    async with make_client(lambda r: httpx.Response(200, text="<html>oops</html>")) as kv:
        with pytest.raises(APIResponseValidationError) as info:
            await kv.calls.create(caller="a", receptor="b")
    assert info.value.body == "<html>oops</html>"
    assert "POST /calls" in str(info.value)


async def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with KavenegarClient(
        api_token=API_TOKEN, base_url=f"http://127.0.0.1:{port}/user/v1", max_retries=0
    ) as kv:
        with pytest.raises(APIConnectionError) as info:
            await kv.calls.get("abc")
    assert not isinstance(info.value, APITimeoutError)
    assert "GET /calls/abc" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_read_timeout_is_a_timeout_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with make_client(handler, max_retries=0) as kv:
        with pytest.raises(APITimeoutError):
            await kv.calls.create(caller="a", receptor="b")


async def test_per_call_timeout_overrides_the_client_default() -> None:
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, text=fixture_text("call_detail.json"))

    async with make_client(handler, timeout=httpx.Timeout(7.0, connect=2.0)) as kv:
        await kv.calls.get("a")
        await kv.calls.get("a", timeout=1.5)
    assert seen[0] == {"connect": 2.0, "read": 7.0, "write": 7.0, "pool": 7.0}
    assert seen[1] == {"connect": 1.5, "read": 1.5, "write": 1.5, "pool": 1.5}


async def test_token_never_reaches_repr_str_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/fail"):
            return httpx.Response(401, json={"status": "unauthorized", "reasons": ["bad_token"]})
        return httpx.Response(200, text=fixture_text("create_call_response.json"))

    kv = make_client(handler)
    call = await kv.calls.create(caller="mohsen_k", receptor="mohammad_r")
    with pytest.raises(AuthenticationError) as info:
        await kv.calls.get("fail")
    await kv.aclose()
    texts = [repr(kv), str(kv), repr(kv._auth), str(info.value), repr(info.value), caplog.text]
    texts += [repr(call), repr(info.value.response.request)]
    for text in texts:
        assert API_TOKEN not in text
        assert "9c161bd8" not in text  # nor an accessToken
    assert "POST /calls -> 200" in caplog.text
    assert "GET /calls/fail -> 401" in caplog.text
