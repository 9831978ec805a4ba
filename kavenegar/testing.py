"""Building blocks for local stand-in servers in tests: a loopback aiohttp server and a book of
injectable faults.

:class:`LoopbackServer` serves an aiohttp application on a loopback port inside the running event
loop and stops at once, even with requests still open. :class:`FaultBook` holds the failures a
test switched on: each server subclasses :class:`FaultRule` with its own match fields (an HTTP
method and path, a Bot API method and chat, ...) and what the failure does; the book finds the
first rule that matches a request and counts it down. :mod:`kavenegar.sandbox` is built on both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Self, TypeVar

from aiohttp import web

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

__all__ = ["SHUTDOWN_TIMEOUT", "FaultBook", "FaultRule", "LoopbackServer", "hang"]

#: Seconds :meth:`LoopbackServer.stop` lets a request still in progress finish before cancelling
#: it. Stand-in servers keep requests open on purpose (long polls, hanging faults), so waiting
#: longer only slows every test's teardown.
SHUTDOWN_TIMEOUT = 0.01

#: Upper bound on waiting, once the server is down, for cancelled request handlers to end.
_HANDLER_GRACE = 1.0


class LoopbackServer:
    """Serves ``self.app`` (set by the subclass) on ``host:port``; port 0 picks a free one, read
    back after :meth:`start`. Use it as an async context manager.

    :meth:`stop` does not wait for open requests: they get :data:`SHUTDOWN_TIMEOUT` to finish and
    are then cancelled, as are handlers still running for clients that left; :meth:`stop` returns
    once they have all ended.
    """

    app: web.Application

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._handling: set[asyncio.Task[Any]] = set()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        if not self.app.frozen:  # a second start reuses the app, tracker included
            self.app.middlewares.insert(0, self._tracker())
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        # Handlers whose client already left are not the runner's any more (a hang, a slow
        # answer): end them too, so that nothing of the server outlives it.
        handling = list(self._handling)
        for task in handling:
            task.cancel()
        if handling:
            await asyncio.wait(handling, timeout=_HANDLER_GRACE)

    def _tracker(self) -> Middleware:
        """An outermost middleware that keeps the task of every request being handled."""

        @web.middleware
        async def track(request: web.Request, handler: Handler) -> web.StreamResponse:
            task = asyncio.current_task()
            assert task is not None
            self._handling.add(task)
            try:
                return await handler(request)
            finally:
                self._handling.discard(task)

        return track

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def hang() -> NoReturn:
    """Never answer: a hanging fault. The client's timeout fires; the server's stop cancels it."""
    await asyncio.get_running_loop().create_future()
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class FaultRule:
    """One injectable failure, used up after ``times`` uses (None: forever).

    A server subclasses it (as a dataclass) with the fields a request is matched on and the
    fields saying what the failure does; ``times`` is keyword-only, so it can come first.
    """

    times: int | None = field(default=1, kw_only=True)


RuleT = TypeVar("RuleT", bound=FaultRule)
#: How early :meth:`FaultBook.delay` sets its timer, to wait the rest out precisely.
TIMER_SLACK = 0.002


class FaultBook(Generic[RuleT]):
    """The active fault rules, in the order added, plus a latency for every request.

    :meth:`take` returns the first rule that matches a request and counts one use; a rule is
    removed when its ``times`` runs out and never when ``times`` is None.
    """

    def __init__(self) -> None:
        self.rules: list[RuleT] = []
        #: Seconds to wait before answering each request (0: none); see :meth:`delay`.
        self.latency = 0.0

    def add(self, rule: RuleT) -> RuleT:
        if rule.times is not None and rule.times < 1:
            raise ValueError(f"times must be None (forever) or at least 1, not {rule.times}")
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule and the latency."""
        self.rules.clear()
        self.latency = 0.0

    def take(self, matches: Callable[[RuleT], bool]) -> RuleT | None:
        """The first rule ``matches`` accepts, with one use counted; None when none does."""
        for index, rule in enumerate(self.rules):
            if matches(rule):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        del self.rules[index]
                return rule
        return None

    async def delay(self, since: float | None = None) -> None:
        """Wait until :attr:`latency` seconds have passed since ``since`` (the event loop's time
        when the request arrived; now if None): reading the request is part of the latency,
        not added to it, so a stand-in "taking 100 ms" takes 100 ms.

        asyncio's timers wake late (the selector's timeout is rounded up to a whole millisecond,
        then the loop has to come round): 0.3-0.4 ms late on a 100 ms sleep, measured. So the
        timer is set :data:`TIMER_SLACK` early and the rest is waited out yielding to the loop
        (other requests are served meanwhile; the loop is busy for at most those 2 ms), which
        keeps the stand-in's time to within a few microseconds of ``latency``.
        """
        if self.latency > 0:
            loop = asyncio.get_running_loop()
            until = (loop.time() if since is None else since) + self.latency
            if until - loop.time() > TIMER_SLACK:
                await asyncio.sleep(until - loop.time() - TIMER_SLACK)
            while loop.time() < until:  # noqa: ASYNC110 (a spin of under 2 ms, on purpose)
                await asyncio.sleep(0)

    def __iter__(self) -> Iterator[RuleT]:
        return iter(list(self.rules))

    def __len__(self) -> int:
        return len(self.rules)
