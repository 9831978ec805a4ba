"""The building blocks of the stand-in servers: the fault book and the loopback server."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
import pytest
from aiohttp import web

from kavenegar.testing import FaultBook, FaultRule, LoopbackServer, hang


@dataclass
class Rule(FaultRule):
    """A rule as a server would define one: its own match field, and a name to tell it apart."""

    name: str = ""
    path: str | None = None

    def matches(self, path: str) -> bool:
        return self.path is None or path.startswith(self.path)


def take(book: FaultBook[Rule], path: str) -> str | None:
    rule = book.take(lambda r: r.matches(path))
    return None if rule is None else rule.name


def test_a_rule_is_used_times_times_then_gone() -> None:
    book: FaultBook[Rule] = FaultBook()
    book.add(Rule(name="twice", path="/calls", times=2))
    assert [take(book, "/calls/1") for _ in range(3)] == ["twice", "twice", None]
    assert len(book) == 0


def test_a_rule_is_used_once_by_default_and_only_when_it_matches() -> None:
    book: FaultBook[Rule] = FaultBook()
    book.add(Rule(name="once", path="/calls"))
    assert take(book, "/endpoints") is None
    assert [r.times for r in book] == [1]  # a miss does not count
    assert take(book, "/calls") == "once"
    assert take(book, "/calls") is None


def test_first_match_wins() -> None:
    book: FaultBook[Rule] = FaultBook()
    book.add(Rule(name="calls", path="/calls", times=1))
    book.add(Rule(name="anything", times=2))
    book.add(Rule(name="calls again", path="/calls", times=None))
    assert take(book, "/endpoints") == "anything"
    assert take(book, "/calls") == "calls"
    assert take(book, "/calls") == "anything"  # the first one is used up: the next in line
    assert [take(book, "/calls") for _ in range(3)] == ["calls again"] * 3
    assert take(book, "/endpoints") is None


def test_a_forever_rule_stays() -> None:
    book: FaultBook[Rule] = FaultBook()
    forever = book.add(Rule(name="forever", times=None))
    assert all(take(book, "/x") == "forever" for _ in range(100))
    assert list(book) == [forever]
    assert forever.times is None


@pytest.mark.parametrize("times", [0, -1])
def test_a_rule_that_could_never_be_used_is_refused(times: int) -> None:
    book: FaultBook[Rule] = FaultBook()
    with pytest.raises(ValueError, match="times"):
        book.add(Rule(name="never", times=times))
    assert len(book) == 0


async def test_clear_removes_rules_and_latency() -> None:
    book: FaultBook[Rule] = FaultBook()
    book.add(Rule(times=None))
    book.latency = 0.05
    started = time.perf_counter()
    await book.delay()
    assert time.perf_counter() - started >= 0.04
    book.clear()
    assert (len(book), book.latency) == (0, 0.0)
    assert take(book, "/x") is None


async def test_latency_counts_from_arrival_and_is_never_cut_short() -> None:
    """A stand-in "taking 100 ms" answers no sooner than 100 ms after the request arrived,
    whatever reading it took (its timer is set early and the rest waited out exactly)."""
    book: FaultBook[Rule] = FaultBook()
    book.latency = 0.05
    loop = asyncio.get_running_loop()
    for spent in (0.0, 0.02, 0.049, 0.08):  # time already taken reading the request
        arrived = loop.time() - spent
        await book.delay(since=arrived)
        assert loop.time() >= arrived + 0.05


class Server(LoopbackServer):
    """A stand-in with one fast route, one that never answers, and a record of what ended."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list[str] = []
        self.two_started = asyncio.Event()
        self.cancelled: list[str] = []
        self.app = web.Application()
        self.app.router.add_get("/ok", self._ok)
        self.app.router.add_get("/hang", self._hang)

    async def _ok(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def _hang(self, request: web.Request) -> web.Response:
        self.started.append(request.query["n"])
        if len(self.started) == 2:
            self.two_started.set()
        try:
            await hang()
        except asyncio.CancelledError:
            self.cancelled.append(request.query["n"])
            raise


async def test_loopback_server_picks_a_free_port_and_serves() -> None:
    async with Server() as server:
        assert server.port != 0
        assert server.root_url == f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{server.root_url}/ok")).json() == {"ok": True}


async def test_stop_is_prompt_and_ends_every_handler() -> None:
    """Open requests, and handlers whose client already left, end with the server."""
    server = Server()
    await server.start()
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ReadTimeout):  # this client gives up; its handler runs on
            await http.get(f"{server.root_url}/hang", params={"n": "left"}, timeout=0.05)
        waiting = asyncio.create_task(http.get(f"{server.root_url}/hang", params={"n": "open"}))
        await asyncio.wait_for(server.two_started.wait(), 5)
        started = time.perf_counter()
        await server.stop()
        assert time.perf_counter() - started < 0.3
        assert sorted(server.cancelled) == ["left", "open"]
        with pytest.raises(httpx.RemoteProtocolError):
            await waiting
    await server.stop()  # twice is harmless
