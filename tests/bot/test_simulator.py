"""The Telegram simulator answers like the Bot API, so tests against it mean something."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.simulator import TelegramSimulator

TOKEN = "42:SIMULATOR-TEST-token-abcdefghijkl"


@pytest.fixture
async def sim() -> AsyncIterator[TelegramSimulator]:
    async with TelegramSimulator(token=TOKEN) as simulator:
        simulator.add_user(7, "Ann", username="ann_k")
        simulator.add_group(-9, "Team")
        yield simulator


async def call(sim: TelegramSimulator, method: str, **params: object) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{sim.base_url}{TOKEN}/{method}", json=params)


async def test_wrong_token_is_401(sim: TelegramSimulator) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{sim.base_url}1:wrong/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


@pytest.mark.parametrize(
    ("prepare", "code", "description"),
    [
        ("never_started", 403, "Forbidden: bot can't initiate conversation with a user"),
        ("block", 403, "Forbidden: bot was blocked by the user"),
        ("deactivate", 403, "Forbidden: user is deactivated"),
    ],
)
async def test_private_chat_refusals(
    sim: TelegramSimulator, prepare: str, code: int, description: str
) -> None:
    if prepare != "never_started":
        await sim.user_sends(7, "/start")
    if prepare == "block":
        await sim.block(7)
    elif prepare == "deactivate":
        sim.deactivate(7)
    response = await call(sim, "sendMessage", chat_id=7, text="hi")
    assert response.status_code == code
    assert response.json()["description"] == description


async def test_unknown_chat_and_bad_html_are_400(sim: TelegramSimulator) -> None:
    response = await call(sim, "sendMessage", chat_id=123456, text="hi")
    assert (response.status_code, response.json()["description"]) == (
        400,
        "Bad Request: chat not found",
    )
    response = await call(sim, "sendMessage", chat_id=-9, text="<b>x", parse_mode="HTML")
    assert response.status_code == 400
    assert response.json()["description"].startswith("Bad Request: can't parse entities")
    response = await call(sim, "sendMessage", chat_id=-9, text="a & b", parse_mode="HTML")
    assert response.status_code == 400


async def test_form_bodies_like_python_telegram_bot_sends(sim: TelegramSimulator) -> None:
    markup = {"inline_keyboard": [[{"text": "Go", "url": "https://example.com"}]]}
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{sim.base_url}{TOKEN}/sendMessage",
            data={"chat_id": "-9", "text": "<b>hi</b> &amp; bye", "parse_mode": "HTML",
                  "reply_markup": json.dumps(markup)},
        )  # fmt: skip
    result = response.json()["result"]
    assert result["text"] == "hi & bye"
    assert result["chat"] == {"id": -9, "type": "group", "title": "Team"}
    (sent,) = sim.sent_to(-9)
    assert sent.buttons == [{"text": "Go", "url": "https://example.com"}]


async def test_flood_control_answers_429_with_retry_after(sim: TelegramSimulator) -> None:
    sim.state.flood.enabled = True
    codes = [(await call(sim, "sendMessage", chat_id=-9, text="x")).status_code for _ in range(20)]
    assert codes == [200] * 20  # a group takes 20 a minute
    refused = await call(sim, "sendMessage", chat_id=-9, text="x")
    assert refused.status_code == 429
    assert 1 <= refused.json()["parameters"]["retry_after"] <= 3  # a slot every 3 s
    assert sim.state.flood.violations == 1
    await sim.user_sends(7, "/start")
    private = [(await call(sim, "sendMessage", chat_id=7, text="x")).status_code for _ in range(3)]
    assert private == [200, 200, 429]  # about one a second in a private chat


async def test_updates_long_poll_and_confirm(sim: TelegramSimulator) -> None:
    message = await sim.user_sends(7, "/call@KavenegarCallBot @ann_k 5m")
    assert message["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 22},
        {"type": "mention", "offset": 23, "length": 6},
    ]
    first = (await call(sim, "getUpdates", timeout=0)).json()["result"]
    assert [u["update_id"] for u in first] == [1]
    again = (await call(sim, "getUpdates", offset=2, timeout=0)).json()["result"]
    assert again == []
    assert sim.state.pending == []


async def test_entity_offsets_count_utf16_units(sim: TelegramSimulator) -> None:
    message = await sim.user_sends(7, "/call 😀 @ann_k")
    assert message["entities"][1] == {"type": "mention", "offset": 9, "length": 6}


async def test_unknown_method_is_404(sim: TelegramSimulator) -> None:
    response = await call(sim, "sendRocket", chat_id=7)
    assert response.status_code == 404


async def test_edit_delete_and_callback_answers(sim: TelegramSimulator) -> None:
    sent = (await call(sim, "sendMessage", chat_id=-9, text="first")).json()["result"]
    edited = await call(sim, "editMessageText", chat_id=-9, message_id=sent["message_id"],
                        text="second")  # fmt: skip
    assert edited.json()["result"]["text"] == "second"
    same = await call(sim, "editMessageText", chat_id=-9, message_id=sent["message_id"],
                      text="second")  # fmt: skip
    assert same.status_code == 400
    assert same.json()["description"].startswith("Bad Request: message is not modified")
    missing = await call(sim, "editMessageText", chat_id=-9, message_id=999, text="x")
    assert missing.json()["description"] == "Bad Request: message to edit not found"
    assert (await call(sim, "deleteMessage", chat_id=-9, message_id=sent["message_id"])).json()[
        "result"
    ] is True
    assert sim.sent_to(-9) == []
    answered = await call(sim, "answerCallbackQuery", callback_query_id="q1")
    assert answered.json() == {"ok": True, "result": True}


async def test_invalid_button_urls_are_refused(sim: TelegramSimulator) -> None:
    markup = {"inline_keyboard": [[{"text": "Join", "url": "javascript:alert(1)"}]]}
    response = await call(sim, "sendMessage", chat_id=-9, text="x", reply_markup=markup)
    assert response.status_code == 400
    assert "inline keyboard button URL" in response.json()["description"]


async def test_faults_count_down_per_method_and_chat(sim: TelegramSimulator) -> None:
    await sim.user_sends(7, "/start")
    sim.add_fault(method="sendMessage", chat_id=-9, status=500, times=2)
    sim.add_fault(method="sendMessage", kind="bad_gateway", times=None)
    codes = [(await call(sim, "sendMessage", chat_id=-9, text="x")).status_code for _ in range(3)]
    assert codes == [500, 500, 502]  # the first match wins; when it is used up, the next one
    assert (await call(sim, "sendMessage", chat_id=7, text="x")).status_code == 502
    assert (await call(sim, "getMe")).status_code == 200
    sim.faults.clear()
    assert (await call(sim, "sendMessage", chat_id=-9, text="x")).status_code == 200


async def test_fault_with_retry_after_over_http(sim: TelegramSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.control_url) as control:
        fault = {"method": "sendMessage", "status": 429, "description": "Too Many Requests",
                 "retry_after": 3}  # fmt: skip
        assert (await control.post("/faults", json=fault)).status_code == 200
        assert (await control.post("/faults", json={**fault, "times": 0})).status_code == 400
        assert (await control.post("/faults", json={"nope": 1})).status_code == 400
    response = await call(sim, "sendMessage", chat_id=-9, text="x")
    assert response.json() == {"ok": False, "error_code": 429, "description": "Too Many Requests",
                               "parameters": {"retry_after": 3}}  # fmt: skip
    assert (await call(sim, "sendMessage", chat_id=-9, text="x")).status_code == 200


async def test_stop_answers_a_waiting_long_poll_at_once() -> None:
    simulator = TelegramSimulator(token=TOKEN)
    await simulator.start()
    async with httpx.AsyncClient(timeout=30) as http:
        poll = asyncio.create_task(
            http.post(f"{simulator.base_url}{TOKEN}/getUpdates", json={"timeout": 25})
        )
        await simulator.wait_until(lambda: bool(simulator.calls_of("getUpdates")))
        started = time.perf_counter()
        await simulator.stop()
        assert time.perf_counter() - started < 0.3
        response = await poll
    assert response.json() == {"ok": True, "result": []}
