"""Two bot processes, one PostgreSQL database, every update delivered to both: one bot."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import httpx
import pytest

from bot.simulator import TelegramSimulator
from kavenegar.sandbox import KavenegarSandbox

from .conftest import BOT_TOKEN, GROUP, KV_TOKEN, visible
from .processes import BotProcess

pytestmark = pytest.mark.postgres

SECRET = "replica-shared-secret-0123456789-abcdef"
ADMIN, ALICE, BOB, EVE = 1, 2, 3, 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


async def test_two_replicas_behave_as_one_bot(tmp_path: Path, postgres_url: str) -> None:
    async with TelegramSimulator(token=BOT_TOKEN) as tg, KavenegarSandbox(api_token=KV_TOKEN) as kv:
        tg.add_group(GROUP, "Ops")
        for user_id, name in ((ADMIN, "ada"), (ALICE, "alice"), (BOB, "bob"), (EVE, "eve")):
            tg.add_user(user_id, name.title(), username=f"{name}_k")
        replicas, hooks = [], []
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
                    DATABASE_URL=postgres_url,
                    WEBHOOK_URL=hook,
                    WEBHOOK_LISTEN="127.0.0.1",
                    WEBHOOK_PORT=str(port),
                    WEBHOOK_SECRET=SECRET,
                    ALLOWED_USER_IDS=f"{ALICE},{BOB}",
                    ADMIN_USER_IDS=str(ADMIN),
                    CALLS_PER_MINUTE="1",
                    LOG_LEVEL="DEBUG",
                )
            )
        await asyncio.gather(*(r.start() for r in replicas))  # both migrate at once
        try:
            await asyncio.gather(*(wait_healthy(h.replace("/telegram", "/healthz")) for h in hooks))
            tg.webhook_targets = hooks  # every update goes to both replicas

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
        finally:
            codes = await asyncio.gather(*(r.stop(signal.SIGTERM) for r in replicas))
            logs = await asyncio.gather(*(r.logs() for r in replicas))

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
