"""Issue 20: what an operator scrapes and probes, after a scripted session over both simulators.

The session: a refused /call, a /call that is placed and missed, a page that escalates from Bob
(who misses) to Carol (who answers), and one 429 from Telegram on a group message. /metrics then
says exactly that; /livez and /readyz answer as a load balancer needs.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.clock import ManualClock
from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ...helpers import ALICE, GROUP, free_port, until, visible
from ..conftest import Bot, bot_running

CAROL = 4003


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(
    scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def refuse_writes(path: str) -> None:
    with sqlite3.connect(path, timeout=30) as db:
        for verb in ("INSERT", "UPDATE"):
            db.execute(
                f"CREATE TRIGGER no_{verb.lower()} BEFORE {verb} ON heartbeat"
                " BEGIN SELECT RAISE(ABORT, 'read-only'); END"
            )
    db.close()


@pytest.fixture
async def operated(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str, clock: ManualClock
) -> AsyncIterator[tuple[Bot, str]]:
    port = free_port()
    async with bot_running(
        tg, kv, sqlite_url, clock=clock, page_retries=0, metrics_port=port
    ) as bot:
        yield bot, f"http://127.0.0.1:{port}"


async def scrape(base: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return samples(await response.text())


async def test_metrics_say_what_the_session_did(
    operated: tuple[Bot, str], clock: ManualClock
) -> None:
    bot, base = operated
    await bot.onboard_pair()
    await bot.onboard(CAROL, "Carol", "carol_k")
    # a refused /call (Alice calls herself)
    await bot.say(ALICE, "/call @alice_k", chat_id=GROUP)
    # one 429 from Telegram on the next group message, then a /call placed and missed
    bot.tg.add_fault(
        method="sendMessage", chat_id=GROUP, status=429, retry_after=1,
        description="Too Many Requests: retry after 1", times=1,
    )  # fmt: skip
    await bot.say(ALICE, "/call @bob_k", chat_id=GROUP)
    await until(bot, clock, lambda: len(bot.kv.state.calls) == 1, what="the call", step=1.0)
    # a page that escalates: Bob misses, Carol answers
    await bot.say(ALICE, "/team new ops", chat_id=GROUP)
    await bot.say(ALICE, "/team add ops @bob_k @carol_k", chat_id=GROUP)
    await bot.say(ALICE, "/page ops disk full", chat_id=GROUP)
    await until(bot, clock, lambda: len(bot.kv.state.calls) == 3, what="Carol rung", step=5.0,
                limit=600)  # fmt: skip
    carol = [c for c in bot.kv.state.calls.values() if c.receptor.username == f"tg{CAROL}"]
    bot.kv.state.answer(carol[0].id)

    def answered() -> bool:
        return any("Answered by Carol" in visible(m.text) for m in bot.tg.sent_to(GROUP))

    await until(bot, clock, answered, what="the page answered", step=2.0, limit=600)

    def direct_call_missed() -> bool:  # the /call to Bob, followed to its end
        return any("Alice called Bob: missed" in visible(m.text) for m in bot.tg.sent_to(GROUP))

    await until(bot, clock, direct_call_missed, what="the /call missed", step=5.0, limit=600)
    scraped = await scrape(base)
    assert value(scraped, "kcb_calls_placed_total", origin="call", result="refused") == 1
    assert value(scraped, "kcb_call_refusals_total", reason="call_self") == 1
    assert value(scraped, "kcb_calls_placed_total", origin="call", result="placed") == 1
    assert value(scraped, "kcb_calls_placed_total", origin="page", result="placed") == 2
    assert value(scraped, "kcb_pages_ended_total", result="answered") == 1
    assert value(scraped, "kcb_page_answer_seconds_count") == 1
    assert value(scraped, "kcb_telegram_requests_total", method="sendMessage", status="429") == 1
    assert value(scraped, "kcb_kavenegar_requests_total", endpoint="POST /calls", status="2xx") == 3
    assert value(scraped, "kcb_kavenegar_request_seconds_count", endpoint="POST /calls") == 3
    # the /call and Bob's page attempt were missed; Carol's is still going
    assert value(scraped, "kcb_calls_finished_total", outcome="missed") == 2
    assert any(name == "kcb_build_info" for name, _ in scraped)
    assert value(scraped, "kcb_telegram_retry_after_seconds_total") == 1
    assert value(scraped, "kcb_updates_total", type="message") == 8  # each thing typed
    assert value(scraped, "kcb_intake_queued_updates") == 0  # all of it handled
    assert value(scraped, "kcb_pacing_waiting") == 0
    assert ("kcb_poll_budget_used", frozenset()) in scraped
    assert ("kcb_followed_calls", frozenset()) in scraped
    # no person, chat or call is ever a label
    for _, labels in scraped:
        for _, label_value in labels:
            assert str(ALICE) not in label_value and str(GROUP) not in label_value


async def test_liveness_and_readiness_as_a_load_balancer_needs(
    operated: tuple[Bot, str],
) -> None:
    bot, base = operated
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/livez") as live, http.get(f"{base}/readyz") as ready:
            assert (live.status, ready.status) == (200, 200)
        async with http.get(f"{base}/healthz") as health:
            assert health.status == 200
        # the database refuses writes: not ready (no traffic), still alive (no restart)
        await asyncio.to_thread(refuse_writes, bot.db_url.removeprefix("sqlite+aiosqlite:///"))
        async with http.get(f"{base}/livez") as live, http.get(f"{base}/readyz") as ready:
            assert live.status == 200
            assert ready.status == 503 and (await ready.json())["status"] != "ok"


async def test_readiness_turns_503_during_a_graceful_stop(
    tg: TelegramSimulator, kv: KavenegarSandbox, sqlite_url: str
) -> None:
    from ..conftest import webhook_settings

    port = free_port()
    settings = {**webhook_settings(port), "stop_drain_seconds": 1.0}
    base = f"http://127.0.0.1:{port}"
    context = bot_running(tg, kv, sqlite_url, **settings)
    await context.__aenter__()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/readyz") as ready:
            assert ready.status == 200
        stopping = asyncio.create_task(context.__aexit__(None, None, None))
        await asyncio.sleep(0.3)  # the stop has begun: draining
        async with http.get(f"{base}/readyz") as ready, http.get(f"{base}/livez") as live:
            assert ready.status == 503 and (await ready.json())["status"] == "stopping"
            assert live.status == 200
        await stopping
