"""What a load balancer, an orchestrator and Prometheus ask a replica: is it alive, may it take
traffic, what has it done.

- ``GET /livez``: 200 while the event loop answers. Nothing else is asked (a database blip must
  not make an orchestrator restart every replica at once).
- ``GET /readyz``: 200 once the bot has started, while its store answers within
  :data:`READY_WITHIN` seconds with this release's schema and takes a write; 503 with the reason
  (``starting``, ``stopping``, ``unreachable``, ``schema``, ``readonly``, ``timeout``) otherwise,
  including during a graceful stop, so a load balancer drains webhook traffic first.
  ``GET /healthz`` is the same, for existing set-ups.
- ``GET /metrics``: the Prometheus text format (:mod:`bot.core.metrics`).

In webhook mode they are served on the webhook's listener; in polling mode on ``METRICS_PORT``
(off by default; loopback by default, ``METRICS_LISTEN``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.services import Services

__all__ = ["READY_WITHIN", "Readiness", "add_probes", "probe_server"]

logger = logging.getLogger(__name__)

#: The most a readiness probe waits for the store.
READY_WITHIN = 2.0


class Readiness:
    """Whether this replica takes traffic: started, and not stopping."""

    def __init__(self) -> None:
        self.started = False
        self.stopping = False

    def state(self) -> str | None:
        """None when ready; else why not."""
        if self.stopping:
            return "stopping"
        if not self.started:
            return "starting"
        return None


def add_probes(web_app: web.Application, services: Services, readiness: Readiness) -> None:
    """``/livez``, ``/readyz`` (and ``/healthz``) and ``/metrics`` on ``web_app``."""

    async def livez(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        problem = readiness.state()
        if problem is None:
            try:
                problem = await asyncio.wait_for(services.health(), READY_WITHIN)
            except TimeoutError:
                problem = "timeout"
        if problem is None:
            return web.json_response({"status": "ok"})
        return web.json_response({"status": problem}, status=503)

    web_app.router.add_get("/livez", livez)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/healthz", readyz)
    web_app.router.add_get("/metrics", make_aiohttp_handler(services.metrics.registry))


@asynccontextmanager
async def probe_server(
    services: Services, readiness: Readiness, listen: str, port: int
) -> AsyncIterator[web.AppRunner]:
    """The probes and metrics on their own listener (polling mode), until the block ends."""
    web_app = web.Application()
    add_probes(web_app, services, readiness)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=2)
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
        logger.info("probes and metrics on %s:%s", listen, port)
        yield runner
    finally:
        await runner.cleanup()
