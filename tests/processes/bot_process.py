"""Running ``python -m bot`` as a real process in tests: start, wait, signal, read its logs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """One bot process with its stderr collected; ``env`` adds to a minimal environment."""

    def __init__(self, cwd: Path, **env: str) -> None:
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
        self.env.update(PYTHONPATH=str(ROOT), **env)
        self.process: asyncio.subprocess.Process | None = None
        self._stderr: asyncio.Task[bytes] | None = None

    async def start(self) -> BotProcess:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=self.cwd, env=self.env,
            stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.process.stderr is not None
        self._stderr = asyncio.create_task(self.process.stderr.read())
        return self

    async def stop(self, sig: int = signal.SIGTERM, *, timeout: float = 30) -> int:
        """Send ``sig`` and wait for the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def logs(self) -> str:
        assert self._stderr is not None
        return (await self._stderr).decode(errors="replace")
