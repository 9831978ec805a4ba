"""Two bot processes, one PostgreSQL database, every update delivered to both: one bot, which
also keeps to one bot's share of Telegram's limits."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from ..helpers import BOT_TOKEN, GROUP, KV_TOKEN, free_port, visible
from .bot_process import BotProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SECRET = "replica-shared-secret-0123456789-abcdef"
ADMIN, ALICE, BOB, EVE = 1, 2, 3, 4


async def wait_healthy(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never became healthy")


class Replicas:
    """What two running replicas left behind: their exit codes and their logs."""

    codes: list[int | None]
    logs: list[str]


@contextlib.asynccontextmanager
async def two_replicas(
    tmp_path: Path, tg: TelegramSimulator, kv: KavenegarSandbox, empty_postgres_url: str, **env: str
) -> AsyncIterator[Replicas]:
    """Two webhook replicas on one database, every update delivered to both; stopped with
    SIGTERM at the end, their exit codes and logs then in the yielded :class:`Replicas`."""
    replicas, hooks, ended = [], [], Replicas()
    for _ in range(2):
        port = free_port()
        hook = f"http://127.0.0.1:{port}/telegram"
        hooks.append(hook)
        replicas.append(
            BotProcess(
                tmp_path,
                TELEGRAM_BOT_TOKEN=BOT_TOKEN,
                KAVENEGAR_API_TOKEN=KV_TOKEN,
                TELEGRAM_BASE_URL=tg.base_url,
                KAVENEGAR_BASE_URL=kv.base_url,
                DATABASE_URL=empty_postgres_url,
                WEBHOOK_URL=hook,
                WEBHOOK_LISTEN="127.0.0.1",
                WEBHOOK_PORT=str(port),
                WEBHOOK_SECRET=SECRET,
                LOG_LEVEL="DEBUG",
                **env,
            )
        )
    await asyncio.gather(*(r.start() for r in replicas))  # both migrate at once
    try:
        await asyncio.gather(*(wait_healthy(h.replace("/telegram", "/healthz")) for h in hooks))
        tg.webhook_targets = hooks  # every update goes to both replicas
        yield ended
    finally:
        ended.codes = list(await asyncio.gather(*(r.stop(signal.SIGTERM) for r in replicas)))
        ended.logs = list(await asyncio.gather(*(r.logs() for r in replicas)))


async def test_two_replicas_behave_as_one_bot(tmp_path: Path, empty_postgres_url: str) -> None:
    async with TelegramSimulator(token=BOT_TOKEN) as tg, KavenegarSandbox(api_token=KV_TOKEN) as kv:
        tg.add_group(GROUP, "Ops")
        for user_id, name in ((ADMIN, "ada"), (ALICE, "alice"), (BOB, "bob"), (EVE, "eve")):
            tg.add_user(user_id, name.title(), username=f"{name}_k")
        async with two_replicas(
            tmp_path,
            tg,
            kv,
            empty_postgres_url,
            ALLOWED_USER_IDS=f"{ALICE},{BOB}",
            ADMIN_USER_IDS=str(ADMIN),
            CALLS_PER_MINUTE="1",
        ) as ended:
            for user_id in (ADMIN, ALICE, BOB):
                await tg.user_sends(user_id, "/start")
            await tg.wait_until(lambda: all(tg.sent_to(u) for u in (ADMIN, ALICE, BOB)))
            await tg.user_sends(ALICE, "/call @bob_k", chat_id=GROUP)
            await tg.wait_until(lambda: len(tg.sent_to(GROUP)) >= 1, what="the notice")
            await tg.user_sends(ALICE, "/call @bob_k", chat_id=GROUP)  # quota is 1 a minute
            await tg.wait_until(lambda: len(tg.sent_to(GROUP)) >= 2, what="the refusal")
            await tg.user_sends(EVE, "/start")  # not allowed ...
            await tg.wait_until(lambda: len(tg.sent_to(EVE)) >= 1, what="eve's refusal")
            await tg.user_sends(ADMIN, f"/allow {EVE}")  # ... until an admin says so
            await tg.wait_until(lambda: len(tg.sent_to(ADMIN)) >= 2, what="the admin's answer")
            await tg.user_sends(EVE, "/start")
            await tg.wait_until(lambda: len(tg.sent_to(EVE)) >= 2, what="eve's welcome")
            await tg.wait_idle()
            await asyncio.sleep(1)  # a duplicate, if any, would arrive now
    codes, logs = ended.codes, ended.logs
    assert codes == [0, 0], logs
    assert {status for _, status in tg.webhook_log} == {"200"}
    assert len(kv.state.calls) == 1  # one paid call, though both replicas saw the command
    group = [visible(m.text) for m in tg.sent_to(GROUP)]
    assert group[0] == "📞 Alice is calling Bob: check your private chat with me."
    assert group[1].startswith("You have reached your limit of calls (1 per minute).")
    assert len(group) == 2
    for user_id in (ALICE, BOB):
        assert len(tg.sent_to(user_id)) == 2  # one welcome, one token message: nothing twice
    eve = [visible(m.text) for m in tg.sent_to(EVE)]
    assert len(eve) == 2
    assert "only for its team" in eve[0]
    assert eve[1].startswith("👋 Hi Eve!")
    for text in logs:
        assert "Processing update" in text  # both replicas really received updates
        for secret in (SECRET, BOT_TOKEN.split(":")[1], KV_TOKEN):
            assert secret not in text


async def test_two_replicas_share_the_bots_budget(tmp_path: Path, empty_postgres_url: str) -> None:
    """Telegram counts 30 messages a second per bot: two replicas each sending at 30 would
    send 60. After their census each keeps to 15, so a burst of 30 private /calls (60 token
    messages, handled by both) is delivered without a single flood error."""
    callers, callees = range(100, 130), range(200, 230)
    async with TelegramSimulator(token=BOT_TOKEN) as tg, KavenegarSandbox(api_token=KV_TOKEN) as kv:
        for user_id in (*callers, *callees):
            tg.add_user(user_id, f"P{user_id}", username=f"p{user_id}_k")
        async with two_replicas(tmp_path, tg, kv, empty_postgres_url) as ended:
            for user_id in (*callers, *callees):
                await tg.user_sends(user_id, "/start")
            everyone = (*callers, *callees)
            await tg.wait_until(lambda: all(tg.sent_to(u) for u in everyone), timeout=60)
            await asyncio.sleep(6)  # a census each (every 5 s) since both were up
            tg.state.flood.enabled = True
            await asyncio.gather(
                *(tg.user_sends(a, f"/call @p{b}_k") for a, b in zip(callers, callees, strict=True))
            )
            await tg.wait_until(
                lambda: all(len(tg.sent_to(u)) == 2 for u in everyone), timeout=60, what="tokens"
            )
            violations = tg.state.flood.violations
    assert ended.codes == [0, 0], ended.logs
    assert len(kv.state.calls) == 30
    assert violations == 0
    for text in ended.logs:
        assert "2 replicas send for this bot" in text  # each learned of the other
        assert "Processing update" in text  # and each was given every update
