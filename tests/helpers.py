"""Small helpers shared by every test package: the people and tokens of the tests, ports, a
migrated SQLite template, a TLS server, a Kavenegar client that gives up quickly, a fake
monotonic clock and :func:`until`, the one way a test moves a :class:`ManualClock` until
something happened."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import socket
import ssl
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

import trustme
from aiohttp import web

from bot.core.clock import ManualClock
from bot.core.people import FSI, PDI
from kavenegar import KavenegarClient, RetryPolicy
from kavenegar.aiohttp_transport import AiohttpTransport
from kavenegar.sandbox import KavenegarSandbox

__all__ = [
    "ALICE",
    "BOB",
    "BOT_TOKEN",
    "GROUP",
    "KV_TOKEN",
    "MonotonicClock",
    "free_port",
    "migrated_sqlite_template",
    "quick_client",
    "tls_server",
    "until",
    "visible",
]

BOT_TOKEN = "987654321:TEST-secret-bot-token-0123456789abcdef"
KV_TOKEN = "kv-secret-api-token-7a1f3c"
GROUP = -100123
ALICE, BOB = 4001, 4002


def free_port() -> int:
    """A loopback port nothing listens on (closed again at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def visible(text: str) -> str:
    """A text as a person reads it: without the invisible isolates around inserted names."""
    return text.replace(FSI, "").replace(PDI, "")


def quick_client(kv: KavenegarSandbox) -> KavenegarClient:
    """A Kavenegar client that gives up within two seconds and retries without waiting, on the
    transport the bot uses (so the fault tables run through it). (Half a second per attempt
    proved too short for a loaded 2-core CI machine: a POST timed out that was merely slow.)"""
    return KavenegarClient(
        api_token=KV_TOKEN,
        base_url=kv.base_url,
        transport=AiohttpTransport(),
        timeout=1.0,
        total_timeout=2.0,
        retry_policy=RetryPolicy(initial_delay=0, max_delay=0),
    )


@functools.cache
def migrated_sqlite_template() -> Path:
    """An SQLite file with every migration applied, made once per test session."""
    from bot.storage import Store

    path = Path(tempfile.mkdtemp(prefix="kcb-template-")) / "template.db"

    async def make() -> None:
        store = await Store.open(f"sqlite+aiosqlite:///{path}")
        await store.close()

    # In a thread of its own: callers may be inside a running event loop.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, make()).result()
    return path


class MonotonicClock:
    """A fake ``time.monotonic``: call it for the time, add to ``now`` to move it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Settles(Protocol):
    async def settle(self) -> None:
        """Wait until the work the last step started is done."""
        ...


async def until(
    runner: Settles,
    clock: ManualClock,
    done: Callable[[], bool],
    *,
    step: float = 1.0,
    limit: int = 200,
    pause: float = 0.02,
    what: str = "it",
) -> None:
    """Move ``clock`` ``step`` seconds at a time until ``done()``, letting ``runner`` settle
    before each look (a running bot: its handlers; the domain layer: one scheduler tick).

    ``pause``: real seconds given to whatever wakes when the clock moves (a running bot's
    scheduler); the domain layer, which has nothing running by itself, needs none.
    """
    for _ in range(limit):
        await runner.settle()
        if done():
            return
        clock.advance(step)
        await asyncio.sleep(pause)
    raise AssertionError(f"never happened: {what}")


@contextlib.asynccontextmanager
async def tls_server(app: web.Application, authority: trustme.CA) -> AsyncIterator[str]:
    """``app`` over HTTPS on a free loopback port, with a certificate for 127.0.0.1 signed by
    ``authority`` (which nobody trusts unless told to); yields the root URL."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
