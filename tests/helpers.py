"""Small helpers shared by every test package: ports, a migrated SQLite template."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import socket
import tempfile
from pathlib import Path

__all__ = ["free_port", "migrated_sqlite_template"]


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
