"""The aiohttp transport tells the client the same as httpx's own: every fault of the sandbox,
on both transports, ends in the same error and the same answer to "may Kavenegar have created
this call?" (``request_sent``), so a paid call is never repeated because of the transport."""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from aiohttp import web

from kavenegar import (
    APIConnectionError,
    APIResponseValidationError,
    KavenegarClient,
    KavenegarError,
    RetryPolicy,
)
from kavenegar.aiohttp_transport import AiohttpTransport, env_proxy
from kavenegar.sandbox import KavenegarSandbox
from kavenegar.testing import LoopbackServer

from ..helpers import free_port, tls_server
from .conftest import API_TOKEN, fixture_json

TRANSPORTS: dict[str, Callable[[], httpx.AsyncBaseTransport | None]] = {
    "httpx": lambda: None,
    "aiohttp": AiohttpTransport,
}


@pytest.fixture
async def sandbox() -> AsyncIterator[KavenegarSandbox]:
    async with KavenegarSandbox(api_token=API_TOKEN) as sb:
        yield sb


def client_on(name: str, base_url: str, **options: Any) -> KavenegarClient:
    options.setdefault("retry_policy", RetryPolicy(initial_delay=0, max_delay=0))
    return KavenegarClient(
        api_token=API_TOKEN, base_url=base_url, transport=TRANSPORTS[name](), **options
    )


async def outcome(name: str, base_url: str, **options: Any) -> tuple[str, bool | None]:
    """What creating a call ends in: the error's class and its ``request_sent``, if any."""
    async with client_on(name, base_url, **options) as client:
        try:
            await client.calls.create(caller="a", receptor="b")
        except KavenegarError as exc:
            return type(exc).__name__, getattr(exc, "request_sent", None)
    return "created", None


FAULTS: list[tuple[str, dict[str, Any], tuple[str, bool | None]]] = [
    ("dropped before creating", {"kind": "reset"}, ("APIConnectionError", True)),
    ("dropped after creating", {"kind": "reset", "after": True}, ("APIConnectionError", True)),
    ("no answer", {"kind": "hang"}, ("APITimeoutError", True)),
    ("garbage", {"kind": "garbage"}, ("APIResponseValidationError", None)),
    ("a 503 after creating", {"status": 503, "after": True}, ("InternalServerError", None)),
]


@pytest.mark.parametrize(("fault", "expected"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
async def test_both_transports_say_the_same_about_every_fault(
    sandbox: KavenegarSandbox, fault: dict[str, Any], expected: tuple[str, bool | None]
) -> None:
    seen = {}
    for name in TRANSPORTS:
        sandbox.add_fault(method="POST", path="/calls", times=1, **fault)
        seen[name] = await outcome(name, sandbox.base_url, timeout=0.3, total_timeout=1.0)
    assert seen == {"httpx": expected, "aiohttp": expected}
    assert sum(r["method"] == "POST" for r in sandbox.requests) == 2  # never sent twice


@pytest.mark.parametrize("name", TRANSPORTS)
async def test_nobody_listening_is_certainly_not_sent(name: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/user/v1"
    assert await outcome(name, url, max_retries=0) == ("APIConnectionError", False)


async def test_no_free_connection_in_time_is_certainly_not_sent(
    sandbox: KavenegarSandbox,
) -> None:
    """The one connection hangs on a first call; the second call never gets a connection."""
    sandbox.add_fault(method="POST", path="/calls", kind="hang", times=1)
    async with KavenegarClient(
        api_token=API_TOKEN,
        base_url=sandbox.base_url,
        transport=AiohttpTransport(max_connections=1),
        timeout=httpx.Timeout(5.0, connect=0.1, pool=0.1),
        max_retries=0,
    ) as client:
        first = asyncio.create_task(client.calls.create(caller="a", receptor="b"))
        while not sandbox.requests:  # noqa: ASYNC110 (the sandbox has no event for it)
            await asyncio.sleep(0.01)
        with pytest.raises(APIConnectionError) as info:
            await client.calls.create(caller="c", receptor="d")
        first.cancel()
    assert info.value.request_sent is False
    assert len(sandbox.requests) == 1  # the second never left


async def test_requests_arrive_as_the_client_wrote_them(sandbox: KavenegarSandbox) -> None:
    async with client_on("aiohttp", sandbox.base_url) as client:
        call = await client.calls.create(caller="a", receptor="b", max_duration=120)
        assert (await client.calls.get(call.id)).id == call.id
    post, get = sandbox.requests
    assert post["authorization"] == f"Bearer {API_TOKEN}"
    assert post["content_type"] == "application/json"
    assert json.loads(post["body"])["maxDuration"] == 120
    assert (get["method"], get["path"], get["body"]) == ("GET", f"/calls/{call.id}", "")


class Gzipping(LoopbackServer):
    """Answers every request with a gzip-encoded call, as a server behind a proxy may."""

    def __init__(self, call: dict[str, Any]) -> None:
        super().__init__()
        self.seen: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._answer)
        self.body = gzip.compress(json.dumps(call).encode())

    async def _answer(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        return web.Response(
            body=self.body,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )


async def test_a_compressed_answer_is_decoded_once(sandbox: KavenegarSandbox) -> None:
    async with client_on("httpx", sandbox.base_url) as client:
        created = await client.calls.create(caller="a", receptor="b")
    raw = json.loads((await _raw_get(sandbox, f"/calls/{created.id}")).decode())
    async with Gzipping(raw) as server, client_on("aiohttp", server.root_url) as client:
        call = await client.calls.get(created.id)
    assert call.id == created.id
    assert "gzip" in server.seen[0].get("Accept-Encoding", "")
    assert "aiohttp" not in server.seen[0].get("User-Agent", "")


async def _raw_get(sandbox: KavenegarSandbox, path: str) -> bytes:
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers) as http:
        return (await http.get(path)).content


async def test_closing_ends_the_session_and_a_later_request_opens_another(
    sandbox: KavenegarSandbox,
) -> None:
    transport = AiohttpTransport()
    for _ in range(2):
        async with KavenegarClient(
            api_token=API_TOKEN, base_url=sandbox.base_url, transport=transport
        ) as client:
            await client.calls.create(caller="a", receptor="b")
    await transport.aclose()  # twice is fine
    assert len(sandbox.state.calls) == 2


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        AiohttpTransport(max_connections=0)


async def test_an_unreadable_answer_is_not_a_transport_error(sandbox: KavenegarSandbox) -> None:
    sandbox.add_fault(method="GET", kind="garbage", times=1)
    async with client_on("aiohttp", sandbox.base_url, max_retries=0) as client:
        call = await client.calls.create(caller="a", receptor="b")
        with pytest.raises(APIResponseValidationError):
            await client.calls.get(call.id)


class Proxy(LoopbackServer):
    """A forward proxy that answers every request itself, with a call, noting the host asked."""

    def __init__(self) -> None:
        super().__init__()
        self.hosts: list[str] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._answer)

    async def _answer(self, request: web.Request) -> web.Response:
        self.hosts.append(request.host)
        return web.json_response(fixture_json("call_detail.json"))


async def test_the_environments_proxy_is_used_and_no_proxy_respected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As httpx's client does: ``HTTP_PROXY`` carries the requests, except to hosts in
    ``NO_PROXY`` (looked up once per host, not on every request)."""
    async with Proxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.root_url)
        monkeypatch.setenv("NO_PROXY", "direct.invalid")
        env_proxy.cache_clear()
        try:
            assert env_proxy("http", "kavenegar.invalid") == proxy.root_url
            assert env_proxy("http", "direct.invalid") is None
            assert env_proxy("https", "kavenegar.invalid") is None  # none named for https
            async with client_on("aiohttp", "http://kavenegar.invalid/user/v1") as client:
                call = await client.calls.get("c-1")
        finally:
            env_proxy.cache_clear()
    assert call.id == fixture_json("call_detail.json")["id"]
    assert proxy.hosts == ["kavenegar.invalid"]


async def test_an_unknown_authority_is_refused_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TLS as httpx does it: a certificate from an authority certifi does not know (a man in the
    middle) is refused during the handshake, so the call certainly was not created; a context of
    your own, or ``SSL_CERT_FILE``, makes it trusted."""
    authority, seen = trustme.CA(), list[str]()

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response(fixture_json("call_detail.json"))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    async with tls_server(app, authority) as root:
        base = f"{root}/user/v1"
        for name in TRANSPORTS:
            assert await outcome(name, base) == ("APIConnectionError", False)
        assert seen == []
        trusting = ssl.create_default_context()
        authority.configure_trust(trusting)
        async with KavenegarClient(
            api_token=API_TOKEN, base_url=base, transport=AiohttpTransport(verify=trusting)
        ) as client:
            await client.calls.get("c-1")
        authority.cert_pem.write_to_path(str(tmp_path / "authority.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "authority.pem"))
        async with client_on("aiohttp", base) as client:
            await client.calls.get("c-2")
    assert seen == ["/user/v1/calls/c-1", "/user/v1/calls/c-2"]
