"""Running the bot: one context for long polling and webhook mode alike.

Start: initialize the application (``getMe``: a rejected token fails here), open the services,
start the replica census (:mod:`bot.telegram.census`), publish the menus, start the update
processor and
the scheduler (which resumes every unfinished call, ring, page and hand-over in the database),
then start taking updates (polling, or the webhook server). Stop, in reverse: stop taking
updates, stop the scheduler, let the updates already taken finish, leave the census, shut the
application down, close the services. ``__main__``, the demo and
the tests all use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

from telegram import Update

from bot.app import CallBot
from bot.core.clock import SystemClock
from bot.core.work import pause
from bot.services import Services, open_services
from bot.telegram import commands
from bot.telegram.census import ReplicaCensus
from bot.telegram.commands import publish_menus
from bot.telegram.delivery import TelegramMessenger
from bot.telegram.handlers import migration
from bot.telegram.intake import FairUpdateProcessor
from bot.telegram.probes import Readiness, probe_server

__all__ = ["run_until_signalled", "running"]

logger = logging.getLogger(__name__)


@asynccontextmanager
async def running(bot: CallBot, *, poll_timeout: float = 10.0) -> AsyncIterator[CallBot]:
    """Run ``bot`` in the current event loop until the block ends.

    ``poll_timeout`` is the long-polling wait of ``getUpdates`` (tests use a short one).
    """
    app, settings = bot.app, bot.settings
    async with AsyncExitStack() as stack:
        for request in bot.requests:  # last of all, and also when initialize fails
            stack.push_async_callback(request.shutdown)
        await app.initialize()
        stack.push_async_callback(app.shutdown)
        services = await stack.enter_async_context(
            open_services(
                settings,
                messenger=bot.messenger,
                bot_username=app.bot.username,
                redactor=bot.redactor,
                store=bot.store,
                kavenegar=bot.kavenegar,
                clock=bot.clock,
            )
        )
        bot.running_services = services
        for request in bot.requests:  # Bot API requests counted (kcb_telegram_requests_total)
            request.observe = services.metrics.telegram_request
        _watch(bot, services)
        refreshed = asyncio.Event()
        refreshing = asyncio.get_running_loop().create_task(
            _refresh_workload(services, refreshed), name="workload gauges"
        )
        stack.push_async_callback(_finish, refreshed, refreshing)
        stack.callback(setattr, bot, "running_services", None)
        commands.register(app, services)
        # a message refused because its group moved (ChatMigrated) moves what is stored by the
        # old id; the messenger resends it to the new one itself
        migration.follow_moves(services)
        # counted among the replicas until the updates in hand are answered (LIFO: it stops
        # after the update processor has)
        pacer = bot.messenger.pacer if isinstance(bot.messenger, TelegramMessenger) else None
        census = ReplicaCensus(services.store, pacer, owner=services.owner)
        census.start()
        stack.push_async_callback(census.stop)
        await publish_menus(app.bot, settings.admin_user_ids)
        await app.start()
        stack.push_async_callback(_stop_processing, bot)
        scheduler = asyncio.get_running_loop().create_task(
            services.scheduler.run(), name="scheduler"
        )
        stack.push_async_callback(_cancel, scheduler)
        readiness = bot.readiness
        if settings.metrics_port is not None:
            probes = probe_server(
                services, readiness, settings.metrics_listen, settings.metrics_port
            )
            await stack.enter_async_context(probes)
        if settings.webapp_url and not settings.webhook_url:  # (webhook mode: on its server)
            from bot.telegram.join_page import join_page_server

            await stack.enter_async_context(join_page_server(services, settings))
        if settings.webhook_url:
            from bot.telegram.webhook import webhook_server  # aiohttp.web: not loaded when polling

            served = webhook_server(app, services, settings, readiness=readiness)
            await stack.enter_async_context(served)
        else:
            assert app.updater is not None
            await app.updater.start_polling(
                poll_interval=0,
                timeout=timedelta(seconds=poll_timeout),
                allowed_updates=Update.ALL_TYPES,
            )
            stack.push_async_callback(app.updater.stop)
        readiness.started = True
        # LIFO: the first thing a stop does is say so (/readyz 503) and let traffic drain
        drain = settings.stop_drain_seconds if settings.webhook_url else 0.0  # (no inbound traffic)
        stack.push_async_callback(_drain, readiness, drain)
        logger.info("bot @%s ready", app.bot.username)
        yield bot


#: How often the gauges read from the database are refreshed.
WORKLOAD_EVERY = 15.0


def _watch(bot: CallBot, services: Services) -> None:
    """This replica's queues and budgets, read at each scrape."""
    metrics = services.metrics
    if isinstance(bot.messenger, TelegramMessenger):
        bot.messenger.on_flood = metrics.flood_wait
        pacer = bot.messenger.pacer
        metrics.gauge("kcb_pacing_waiting", "Messages waiting for their turn under the flood "
                      "limits.", lambda: pacer.waiting)  # fmt: skip
    queue = bot.app.update_queue
    metrics.gauge("kcb_intake_queued_updates", "Updates received, not yet taken.", queue.qsize)
    processor = bot.app.update_processor
    if isinstance(processor, FairUpdateProcessor):
        metrics.gauge("kcb_intake_busy_chats", "Chats with an update being handled.",
                      lambda: processor.busy_chats)  # fmt: skip
    watcher = services.watcher
    metrics.gauge("kcb_poll_budget_used", "Polls sent in the poll budget's current window "
                  "(of KAVENEGAR_POLL_RPS).", watcher.budget_used)  # fmt: skip


async def _finish(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Let a loop of database reads end between two of them (see :func:`pause`)."""
    stop.set()
    await asyncio.wait([task])


async def _refresh_workload(services: Services, stop: asyncio.Event) -> None:
    """The gauges read from the database (the same on every replica: aggregate with max)."""
    while not stop.is_set():
        try:
            followed, waiting = await services.store.workload()
            services.metrics.followed_calls.set(followed)
            services.metrics.line_requests_waiting.set(waiting)
        except Exception:  # a gauge is never worth a crash; the store's own logs say why
            logger.debug("workload gauges not refreshed", exc_info=True)
        await pause(SystemClock(), WORKLOAD_EVERY, stop)


async def _drain(readiness: Readiness, seconds: float) -> None:
    readiness.stopping = True
    if seconds > 0:
        logger.info("stopping: /readyz says so; draining for %.0f s", seconds)
        await asyncio.sleep(seconds)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _stop_processing(bot: CallBot) -> None:
    """Wait for the updates already taken, then stop the update processor."""
    if bot.app.running:
        await bot.app.stop()


async def run_until_signalled(bot: CallBot) -> None:
    """Run until SIGINT or SIGTERM, then stop gracefully (``python -m bot``)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(bot):
        await stop.wait()
        logger.info("stopping: finishing the updates in hand")
