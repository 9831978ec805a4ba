"""Small helpers shared by every test package: ports, a migrated SQLite template, a TLS server."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import socket
import ssl
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import trustme
from aiohttp import web

__all__ = ["free_port", "migrated_sqlite_template", "tls_server"]


def free_port() -> int:
    """A loopback port nothing listens on (closed again at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
