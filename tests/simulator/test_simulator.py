"""The Telegram simulator answers like the Bot API, so tests against it mean something."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MessageOriginUser,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.simulator import FloodControl, TelegramSimulator
from bot.simulator._state import ApiError
from bot.telegram.join_page import check_init_data

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
    assert codes == [200] * 20  # a group takes 20 in any minute
    refused = await call(sim, "sendMessage", chat_id=-9, text="x")
    assert refused.status_code == 429
    # a strict window: no room until the first of the 20 is a minute old
    assert 55 <= refused.json()["parameters"]["retry_after"] <= 60
    assert sim.state.flood.violations == 1
    assert sim.state.flood.violations_by_chat == {-9: 1}
    await sim.user_sends(7, "/start")
    private = [(await call(sim, "sendMessage", chat_id=7, text="x")).status_code for _ in range(4)]
    assert private == [200, 200, 200, 429]  # about one a second in a private chat, a burst of 3


def test_flood_windows_are_strict_sliding_windows() -> None:
    flood = FloodControl()
    flood.enabled = True
    for i in range(30):  # 30 private chats, one message each, all within the same second
        flood.check(1000 + i, now=10.0 + i * 0.01)
    with pytest.raises(ApiError) as refused:
        flood.check(2000, now=10.9)  # a 31st within a second of the first
    assert refused.value.code == 429 and refused.value.retry_after == 1
    flood.check(2000, now=11.0)  # the first is a second old: room for exactly one
    with pytest.raises(ApiError):
        flood.check(2001, now=11.005)  # the second is not yet a second old
    flood.check(2001, now=11.01)
    # no refill in between: a group that took 20 by t=30 waits until t=60 for the 21st
    for i in range(20):
        flood.check(-5, now=20.0 + i * 0.5)  # 20.0 .. 29.5
    for now in (30.0, 45.0, 79.9):
        with pytest.raises(ApiError):
            flood.check(-5, now=now)
    flood.check(-5, now=80.0)
    assert flood.violations == 5
    assert flood.violations_by_chat == {2000: 1, 2001: 1, -5: 3}


def test_flood_control_is_off_by_default() -> None:
    flood = FloodControl()
    for _ in range(100):
        flood.check(-5, now=1.0)
    assert flood.violations == 0


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
    again = await call(sim, "editMessageText", chat_id=-9, message_id=sent["message_id"],
                       text="third")  # fmt: skip
    assert again.json()["description"] == "Bad Request: message to edit not found"


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


KEYBOARD = {
    "inline_keyboard": [
        [
            {"text": "Answer", "callback_data": "ans:c1"},
            {"text": "Decline", "callback_data": "dec:c1"},
        ],
        [{"text": "Join", "url": "https://app.example.com/call/c1"}],
    ]
}


async def bot_sends(sim: TelegramSimulator, chat_id: int, text: str, **params: object) -> int:
    response = await call(sim, "sendMessage", chat_id=chat_id, text=text, **params)
    assert response.status_code == 200, response.json()
    return int(response.json()["result"]["message_id"])


async def test_callback_buttons_sit_beside_link_buttons(sim: TelegramSimulator) -> None:
    await sim.user_sends(7, "/start")
    message_id = await bot_sends(sim, 7, "Alice is calling", reply_markup=KEYBOARD)
    message = sim.current(7, message_id)
    assert message.callback_buttons == [("Answer", "ans:c1"), ("Decline", "dec:c1")]
    assert [b["url"] for b in message.buttons] == ["https://app.example.com/call/c1"]
    assert [b["text"] for b in message.keyboard] == ["Answer", "Decline", "Join"]
    (entry,) = [e for e in sim.transcript(7) if e.author != "Ann"]
    assert entry.buttons == ("https://app.example.com/call/c1",)
    assert entry.callback_buttons == ("Answer", "Decline")


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "x", "callback_data": ""}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "x", "callback_data": "é" * 33}, "Bad Request: BUTTON_DATA_INVALID"),  # 66 bytes
        ({"text": "x", "callback_data": 5}, "Bad Request: BUTTON_DATA_INVALID"),
        (
            {"text": "x"},
            "Bad Request: can't parse inline keyboard button: Text buttons are "
            "unallowed in the inline keyboard",
        ),
        (
            {"callback_data": "a"},
            "Bad Request: can't parse inline keyboard button: Can't find field \"text\"",
        ),
    ],
)
async def test_bad_buttons_are_refused(
    sim: TelegramSimulator, button: dict[str, object], description: str
) -> None:
    markup = {"inline_keyboard": [[button]]}
    response = await call(sim, "sendMessage", chat_id=-9, text="x", reply_markup=markup)
    assert (response.status_code, response.json()["description"]) == (400, description)
    assert sim.sent_to(-9) == []


async def test_callback_data_of_64_bytes_is_fine(sim: TelegramSimulator) -> None:
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "é" * 32}]]}
    await bot_sends(sim, -9, "x", reply_markup=markup)


async def test_a_press_reaches_the_bot_as_telegram_sends_it(sim: TelegramSimulator) -> None:
    await sim.user_sends(7, "/start")
    message_id = await bot_sends(sim, 7, "Alice is calling", reply_markup=KEYBOARD)
    query = await sim.press_button(7, 7, message_id, text="Decline")
    updates = (await call(sim, "getUpdates", offset=2, timeout=0)).json()["result"]
    assert [u["callback_query"] for u in updates] == [query]
    assert set(query) == {"id", "from", "message", "chat_instance", "data"}
    assert query["data"] == "dec:c1"
    assert query["from"] == {"id": 7, "is_bot": False, "first_name": "Ann", "username": "ann_k",
                             "language_code": "en"}  # fmt: skip
    assert query["message"]["message_id"] == message_id
    assert query["message"]["from"]["is_bot"] is True
    assert query["message"]["reply_markup"] == KEYBOARD
    second = await sim.press_button(7, 7, message_id, text="Decline")
    assert second["id"] != query["id"]  # every press is its own query
    assert second["chat_instance"] == query["chat_instance"]
    assert sim.transcript(7)[-1].pressed == "dec:c1"
    assert sim.answer_to(query["id"]) is None


async def test_press_sees_the_message_as_it_is_now(sim: TelegramSimulator) -> None:
    message_id = await bot_sends(sim, -9, "Ringing", reply_markup=KEYBOARD)
    again = {"inline_keyboard": [[{"text": "Call again", "callback_data": "again"}]]}
    await call(
        sim, "editMessageText", chat_id=-9, message_id=message_id, text="Ended", reply_markup=again
    )
    query = await sim.press_button(7, -9, message_id, text="Call again")
    assert query["message"]["text"] == "Ended"
    assert "edit_date" in query["message"]
    with pytest.raises(AssertionError, match="no callback button 'Answer'"):
        await sim.press_button(7, -9, message_id, text="Answer")  # gone with the edit


async def test_forged_and_impossible_presses(sim: TelegramSimulator) -> None:
    await sim.user_sends(7, "/start")
    sim.add_user(8, "Bo")
    message_id = await bot_sends(sim, -9, "plain notice")
    forged = await sim.press_button(8, -9, message_id, "ans:someone-else")
    assert forged["data"] == "ans:someone-else"
    private = await bot_sends(sim, 7, "yours", reply_markup=KEYBOARD)
    with pytest.raises(AssertionError, match="cannot see"):
        await sim.press_button(8, 7, private, "ans:c1")  # Ann's private chat
    with pytest.raises(AssertionError, match="no bot message"):
        await sim.press_button(7, -9, 999, text="Answer")
    user_message = await sim.user_sends(7, "hello", chat_id=-9)
    with pytest.raises(AssertionError, match="no bot message"):
        await sim.press_button(7, -9, user_message["message_id"], "x")
    await call(sim, "deleteMessage", chat_id=-9, message_id=message_id)
    with pytest.raises(AssertionError, match="no bot message"):
        await sim.press_button(7, -9, message_id, "x")
    with pytest.raises(ValueError, match="not both"):
        await sim.press_button(7, 7, private, "ans:c1", text="Answer")
    with pytest.raises(ValueError, match="not both"):
        await sim.press_button(7, 7, private)


async def test_answer_callback_query_once_and_recorded(sim: TelegramSimulator) -> None:
    message_id = await bot_sends(sim, -9, "Ringing", reply_markup=KEYBOARD)
    query = await sim.press_button(7, -9, message_id, text="Answer")
    async with httpx.AsyncClient() as http:  # form body, as python-telegram-bot sends it
        response = await http.post(
            f"{sim.base_url}{TOKEN}/answerCallbackQuery",
            data={"callback_query_id": query["id"], "text": "Only Bob can answer",
                  "show_alert": "true"},
        )  # fmt: skip
    assert response.json() == {"ok": True, "result": True}
    answer = sim.answer_to(query["id"])
    assert answer is not None
    assert (answer.text, answer.show_alert, answer.user_id, answer.data) == (
        "Only Bob can answer", True, 7, "ans:c1",
    )  # fmt: skip
    assert sim.callback_answers == [answer]
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    twice = await call(sim, "answerCallbackQuery", callback_query_id=query["id"])
    unknown = await call(sim, "answerCallbackQuery", callback_query_id="123")
    for refused in (twice, unknown):
        assert (refused.status_code, refused.json()["description"]) == (400, too_old)
    quiet = await sim.press_button(7, -9, message_id, text="Decline")
    long = await call(sim, "answerCallbackQuery", callback_query_id=quiet["id"], text="x" * 201)
    assert long.json()["description"] == "Bad Request: MESSAGE_TOO_LONG"
    assert (await call(sim, "answerCallbackQuery", callback_query_id=quiet["id"])).is_success
    assert sim.answer_to(quiet["id"]) == sim.callback_answers[-1]
    assert sim.callback_answers[-1].text is None
    assert sim.callback_answers[-1].show_alert is False


async def test_a_late_answer_is_too_old_when_a_timeout_is_set(sim: TelegramSimulator) -> None:
    message_id = await bot_sends(sim, -9, "Ringing", reply_markup=KEYBOARD)
    sim.state.callback_query_timeout = 0.05
    query = await sim.press_button(7, -9, message_id, text="Answer")
    await asyncio.sleep(0.1)
    late = await call(sim, "answerCallbackQuery", callback_query_id=query["id"])
    assert late.json()["description"].startswith("Bad Request: query is too old")
    assert sim.answer_to(query["id"]) is None


async def test_edit_refusals(sim: TelegramSimulator) -> None:
    await sim.user_sends(7, "/start")
    own = await bot_sends(sim, 7, "to Ann")
    user_message = await sim.user_sends(7, "hi there", chat_id=-9)
    cases = [
        ({"chat_id": -9, "message_id": user_message["message_id"]},
         "Bad Request: message can't be edited"),
        ({"chat_id": -9, "message_id": 999}, "Bad Request: message to edit not found"),
        ({"chat_id": -9, "message_id": own + 5}, "Bad Request: message to edit not found"),
        ({"chat_id": -9}, "Bad Request: message identifier is not specified"),
        ({"inline_message_id": "abc"}, "Bad Request: MESSAGE_ID_INVALID"),
        ({"chat_id": 123456, "message_id": own}, "Bad Request: chat not found"),
    ]  # fmt: skip
    for method in ("editMessageText", "editMessageReplyMarkup"):
        for where, description in cases:
            response = await call(sim, method, **where, text="new")
            assert (response.status_code, response.json()["description"]) == (400, description)
    await sim.block(7)
    blocked = await call(sim, "editMessageText", chat_id=7, message_id=own, text="new")
    assert blocked.status_code == 403


async def test_edit_message_reply_markup(sim: TelegramSimulator) -> None:
    message_id = await bot_sends(
        sim, -9, "<b>Ringing</b>", parse_mode="HTML", reply_markup=KEYBOARD
    )
    again = {"inline_keyboard": [[{"text": "Call again", "callback_data": "again:c1"}]]}
    response = await call(sim, "editMessageReplyMarkup", chat_id=-9, message_id=message_id,
                          reply_markup=again)  # fmt: skip
    result = response.json()["result"]
    assert (result["text"], result["reply_markup"]) == ("Ringing", again)
    assert "edit_date" in result
    now = sim.current(-9, message_id)
    assert (now.text, now.raw_text, now.edited) == ("Ringing", "<b>Ringing</b>", True)
    assert now.callback_buttons == [("Call again", "again:c1")]
    same = await call(sim, "editMessageReplyMarkup", chat_id=-9, message_id=message_id,
                      reply_markup=again)  # fmt: skip
    assert same.json()["description"].startswith("Bad Request: message is not modified")
    too_long = {"inline_keyboard": [[{"text": "x", "callback_data": "y" * 65}]]}
    bad = await call(
        sim, "editMessageReplyMarkup", chat_id=-9, message_id=message_id, reply_markup=too_long
    )
    assert bad.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"
    removed = await call(sim, "editMessageReplyMarkup", chat_id=-9, message_id=message_id)
    assert "reply_markup" not in removed.json()["result"]
    assert sim.current(-9, message_id).reply_markup is None
    empty = await call(sim, "editMessageReplyMarkup", chat_id=-9, message_id=message_id,
                       reply_markup={"inline_keyboard": []})  # fmt: skip
    assert empty.json()["description"].startswith("Bad Request: message is not modified")
    assert len(sim.sent_to(-9)) == 3  # the message and its two versions
    assert [e.edited for e in sim.transcript(-9)] == [False, True, True]


async def test_edit_text_without_markup_drops_the_keyboard(sim: TelegramSimulator) -> None:
    message_id = await bot_sends(sim, -9, "Ringing", reply_markup=KEYBOARD)
    await call(sim, "editMessageText", chat_id=-9, message_id=message_id, text="Ended")
    assert sim.current(-9, message_id).keyboard == []
    assert [m.text for m in sim.current_in(-9)] == ["Ended"]
    with pytest.raises(AssertionError, match="no bot message"):
        sim.current(-9, message_id + 1)


async def test_edits_count_against_flood_control(sim: TelegramSimulator) -> None:
    message_id = await bot_sends(sim, -9, "0")
    sim.state.flood.enabled = True
    codes = []
    for i in range(1, 22):
        response = await call(sim, "editMessageText", chat_id=-9, message_id=message_id,
                              text=str(i))  # fmt: skip
        codes.append(response.status_code)
    assert codes == [200] * 20 + [429]
    assert sim.state.flood.violations == 1


async def test_press_and_answers_over_http(sim: TelegramSimulator) -> None:
    message_id = await bot_sends(sim, -9, "Ringing", reply_markup=KEYBOARD)
    async with httpx.AsyncClient(base_url=sim.control_url) as control:
        pressed = await control.post(
            "/press", json={"user_id": 7, "chat_id": -9, "message_id": message_id, "text": "Answer"}
        )
        assert pressed.status_code == 200
        query = pressed.json()
        assert query["data"] == "ans:c1"
        missing = await control.post(
            "/press", json={"user_id": 7, "chat_id": -9, "message_id": message_id, "text": "Nope"}
        )
        assert missing.status_code == 400
        assert "no callback button" in missing.text
        forged = await control.post(
            "/press", json={"user_id": 7, "chat_id": -9, "message_id": message_id, "data": "zz"}
        )
        assert forged.json()["data"] == "zz"
        await call(sim, "answerCallbackQuery", callback_query_id=query["id"], text="ok")
        answers = (await control.get("/callback_answers")).json()
    assert [(a["callback_query_id"], a["text"]) for a in answers] == [(query["id"], "ok")]


async def test_a_press_goes_to_the_webhook(sim: TelegramSimulator) -> None:
    received: list[dict[str, object]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        await call(sim, "setWebhook", url=f"http://127.0.0.1:{port}/hook")
        message_id = await bot_sends(sim, -9, "Ringing", reply_markup=KEYBOARD)
        query = await sim.press_button(7, -9, message_id, text="Answer")
        await sim.wait_until(lambda: bool(received), what="the webhook delivery")
    finally:
        await runner.cleanup()
    assert received[0]["callback_query"] == query


async def test_python_telegram_bot_reads_presses_and_edits(sim: TelegramSimulator) -> None:
    async with Bot(TOKEN, base_url=sim.base_url) as bot:
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Answer", callback_data="ans:c1")],
             [InlineKeyboardButton("Join", url="https://app.example.com/c1")]]
        )  # fmt: skip
        sent = await bot.send_message(-9, "<b>Ringing</b>", parse_mode="HTML", reply_markup=markup)
        pressed = await sim.press_button(7, -9, sent.message_id, text="Answer")
        (update,) = await bot.get_updates(offset=1, timeout=0)
        query = update.callback_query
        assert query is not None
        assert (query.id, query.data, query.from_user.id) == (pressed["id"], "ans:c1", 7)
        assert query.message is not None
        assert query.message.message_id == sent.message_id
        assert await query.answer("Only Bob can answer", show_alert=True) is True
        edited = await query.edit_message_text("Ended")
        assert not isinstance(edited, bool)
        assert edited.text == "Ended"
        assert edited.reply_markup is None
        again = InlineKeyboardMarkup([[InlineKeyboardButton("Call again", callback_data="again")]])
        await bot.edit_message_reply_markup(-9, sent.message_id, reply_markup=again)
    answer = sim.answer_to(pressed["id"])
    assert answer is not None
    assert (answer.text, answer.show_alert) == ("Only Bob can answer", True)
    assert sim.current(-9, sent.message_id).callback_buttons == [("Call again", "again")]


# -- reply keyboards and contacts ------------------------------------------------------------

SHARE = {
    "keyboard": [[{"text": "Share my number", "request_contact": True}], ["Cancel"]],
    "resize_keyboard": True,
    "is_persistent": True,
    "input_field_placeholder": "Tap the button",
}
ONE_TIME = {**SHARE, "one_time_keyboard": True}
ANN_PHONE = "989120822930"


@pytest.fixture
async def ann(sim: TelegramSimulator) -> TelegramSimulator:
    """Ann with a phone number, who has pressed Start."""
    sim.state.users[7].phone_number = ANN_PHONE
    await sim.user_sends(7, "/start")
    return sim


async def test_a_contact_request_keyboard_in_a_private_chat(ann: TelegramSimulator) -> None:
    response = await call(ann, "sendMessage", chat_id=7, text="Share your number?",
                          reply_markup=SHARE)  # fmt: skip
    assert response.status_code == 200, response.json()
    assert "reply_markup" not in response.json()["result"]  # a Message carries inline ones only
    (sent,) = ann.sent_to(7)
    assert sent.reply_keyboard == [
        {"text": "Share my number", "request_contact": True},
        {"text": "Cancel"},
    ]
    assert (sent.keyboard, sent.removes_keyboard) == ([], False)
    assert ann.reply_keyboard(7) == sent.reply_keyboard
    assert ann.transcript(7)[-1].reply_buttons == ("Share my number", "Cancel")
    # later messages without a reply keyboard leave it shown
    await bot_sends(ann, 7, "Still there?", reply_markup=KEYBOARD)
    await ann.user_sends(7, "hm")
    assert ann.reply_keyboard(7) == sent.reply_keyboard
    assert ann.reply_keyboard(-9) is None


@pytest.mark.parametrize("supergroup", [False, True])
async def test_contact_request_buttons_are_for_private_chats_only(supergroup: bool) -> None:
    async with TelegramSimulator(token=TOKEN) as sim:
        sim.add_group(-100123, "Team", supergroup=supergroup)
        response = await call(sim, "sendMessage", chat_id=-100123, text="x", reply_markup=SHARE)
        assert (response.status_code, response.json()["description"]) == (
            400,
            "Bad Request: phone number can be requested in private chats only",
        )
        assert sim.sent_to(-100123) == []
        assert sim.reply_keyboard(-100123) is None
        plain = {"keyboard": [["Yes", "No"]]}  # text buttons are fine in a group
        await bot_sends(sim, -100123, "Coming?", reply_markup=plain)
        assert sim.reply_keyboard(-100123) == [{"text": "Yes"}, {"text": "No"}]


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        ({"keyboard": "Share"}, 'Bad Request: field "keyboard" must be of type Array'),
        ({"keyboard": ["Share"]}, 'Bad Request: field "keyboard" must be an Array of Arrays'),
        (
            {"keyboard": [[5]]},
            "Bad Request: can't parse keyboard button: KeyboardButton must be a String or an "
            "Object",
        ),
        (
            {"keyboard": [[{"request_contact": True}]]},
            "Bad Request: can't parse keyboard button: Can't find field \"text\"",
        ),
        (
            {"keyboard": [[{"text": None}]]},
            'Bad Request: can\'t parse keyboard button: Field "text" must be of type String',
        ),
        (
            {"keyboard": [[{"text": "x", "request_contact": "yes"}]]},
            'Bad Request: can\'t parse keyboard button: Field "request_contact" must be of '
            "type Boolean",
        ),
        (
            {"keyboard": [["x"]], "one_time_keyboard": "true"},
            'Bad Request: field "one_time_keyboard" must be of type Boolean',
        ),
        ([["x"]], "Bad Request: can't parse reply keyboard markup JSON object"),
    ],
)
async def test_malformed_reply_keyboards_are_refused(
    ann: TelegramSimulator, markup: object, description: str
) -> None:
    response = await call(ann, "sendMessage", chat_id=7, text="x", reply_markup=markup)
    assert (response.status_code, response.json()["description"]) == (400, description)
    assert ann.sent_to(7) == []


async def test_unparsable_reply_markup_in_a_form_body(ann: TelegramSimulator) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{ann.base_url}{TOKEN}/sendMessage",
            data={"chat_id": "7", "text": "x", "reply_markup": '{"keyboard": [['},
        )
    assert (response.status_code, response.json()["description"]) == (
        400,
        "Bad Request: can't parse reply keyboard markup JSON object",
    )


async def test_empty_keyboards_show_nothing(ann: TelegramSimulator) -> None:
    await bot_sends(ann, 7, "a", reply_markup={"keyboard": []})
    await bot_sends(ann, 7, "b", reply_markup={"keyboard": [[""], []]})  # empty texts are dropped
    assert [m.reply_markup for m in ann.sent_to(7)] == [None, None]
    assert ann.reply_keyboard(7) is None


async def test_remove_keyboard_hides_it(ann: TelegramSimulator) -> None:
    await bot_sends(ann, 7, "Share your number?", reply_markup=SHARE)
    await bot_sends(ann, 7, "Thanks", reply_markup={"remove_keyboard": True})
    assert ann.reply_keyboard(7) is None
    thanks = ann.sent_to(7)[-1]
    assert (thanks.removes_keyboard, thanks.reply_keyboard) == (True, [])
    with pytest.raises(AssertionError, match="shows no reply keyboard button"):
        await ann.share_contact(7)
    # a new keyboard, then the message that brought it deleted: gone with it
    message_id = await bot_sends(ann, 7, "Again?", reply_markup=SHARE)
    assert ann.reply_keyboard(7) is not None
    await call(ann, "deleteMessage", chat_id=7, message_id=message_id)
    assert ann.reply_keyboard(7) is None


async def test_edits_take_inline_keyboards_only(ann: TelegramSimulator) -> None:
    message_id = await bot_sends(ann, 7, "Share your number?", reply_markup=SHARE)
    for method in ("editMessageText", "editMessageReplyMarkup"):
        for markup in (SHARE, {"remove_keyboard": True}):
            response = await call(ann, method, chat_id=7, message_id=message_id, text="New?",
                                  reply_markup=markup)  # fmt: skip
            assert (response.status_code, response.json()["description"]) == (
                400,
                "Bad Request: inline keyboard expected",
            )
    edited = await call(ann, "editMessageText", chat_id=7, message_id=message_id, text="New?")
    assert edited.status_code == 200
    assert ann.current(7, message_id).reply_keyboard == ann.sent_to(7)[0].reply_keyboard
    assert ann.reply_keyboard(7) is not None  # an edit cannot touch the chat's keyboard
    same = await call(ann, "editMessageText", chat_id=7, message_id=message_id, text="New?")
    assert same.json()["description"].startswith("Bad Request: message is not modified")


async def test_share_contact_sends_the_users_own_number(ann: TelegramSimulator) -> None:
    ann.state.users[7].last_name = "Karimi"
    await bot_sends(ann, 7, "Share your number?", reply_markup=SHARE)
    message = await ann.share_contact(7)
    assert message["contact"] == {"phone_number": ANN_PHONE, "first_name": "Ann",
                                  "last_name": "Karimi", "user_id": 7}  # fmt: skip
    assert "text" not in message
    assert message["from"]["id"] == 7
    assert message["chat"]["id"] == 7
    (update,) = (await call(ann, "getUpdates", offset=2, timeout=0)).json()["result"]
    assert update["message"] == message
    entry = ann.transcript(7)[-1]
    assert (entry.author, entry.contact, entry.message_id) == ("Ann", ANN_PHONE,
                                                                message["message_id"])  # fmt: skip
    assert ann.reply_keyboard(7) is not None  # not one-time: it stays
    again = await ann.share_contact(7)
    assert again["message_id"] == message["message_id"] + 1


async def test_one_time_keyboard_hides_after_a_press(ann: TelegramSimulator) -> None:
    await bot_sends(ann, 7, "Share your number?", reply_markup=ONE_TIME)
    await ann.share_contact(7)
    assert ann.reply_keyboard(7) is None
    with pytest.raises(AssertionError, match="shows no reply keyboard button"):
        await ann.share_contact(7)
    await bot_sends(ann, 7, "Or cancel", reply_markup=ONE_TIME)
    cancelled = await ann.press_reply_button(7, "Cancel")
    assert cancelled["text"] == "Cancel"
    assert ann.reply_keyboard(7) is None


async def test_press_reply_button(ann: TelegramSimulator) -> None:
    await bot_sends(ann, 7, "Share your number?", reply_markup=SHARE)
    shared = await ann.press_reply_button(7, "Share my number")
    assert shared["contact"]["user_id"] == 7
    with pytest.raises(AssertionError, match="no reply keyboard button 'Nope'"):
        await ann.press_reply_button(7, "Nope")
    where = {"keyboard": [[{"text": "Where am I", "request_location": True}]]}
    await bot_sends(ann, 7, "Location?", reply_markup=where)
    with pytest.raises(AssertionError, match="cannot press the request button"):
        await ann.press_reply_button(7, "Where am I")


async def test_share_contact_needs_a_button_and_a_number(sim: TelegramSimulator) -> None:
    await sim.user_sends(7, "/start")
    with pytest.raises(AssertionError, match="shows no reply keyboard button"):
        await sim.share_contact(7)  # nothing shown
    await bot_sends(sim, 7, "Pick", reply_markup={"keyboard": [["Yes", "No"]]})
    with pytest.raises(AssertionError, match=r"it shows \['Yes', 'No'\]"):
        await sim.share_contact(7)  # a keyboard, but no request_contact button on it
    await bot_sends(sim, 7, "Share your number?", reply_markup=ONE_TIME)
    with pytest.raises(ValueError, match="no phone_number"):
        await sim.share_contact(7)
    assert sim.reply_keyboard(7) is not None  # the failed press used nothing up
    sim.add_user(8, "Bo", phone_number="447700900123")
    with pytest.raises(AssertionError):
        await sim.share_contact(8)  # the keyboard is in Ann's chat, not Bo's
    assert all("contact" not in u["message"] for u in sim.state.pending)


async def test_send_contact_with_and_without_a_user_id(ann: TelegramSimulator) -> None:
    ann.add_user(8, "Bo", phone_number="447700900123")
    card = await ann.send_contact(7, "447700900123", first_name="Bo", contact_user_id=8)
    assert card["contact"] == {"phone_number": "447700900123", "first_name": "Bo", "user_id": 8}
    stranger = await ann.send_contact(7, "12025550143")
    assert stranger["contact"] == {"phone_number": "12025550143", "first_name": "Someone"}
    assert "forward_origin" not in stranger
    in_group = await ann.send_contact(7, "12025550143", first_name="Cy", last_name="D",
                                      chat_id=-9)  # fmt: skip
    assert in_group["chat"]["id"] == -9
    assert in_group["contact"]["last_name"] == "D"
    assert [e.contact for e in ann.transcript(7)][-2:] == ["447700900123", "12025550143"]


async def test_forward_contact_carries_the_origin(ann: TelegramSimulator) -> None:
    bo = ann.add_user(8, "Bo", phone_number="447700900123")
    await ann.user_sends(8, "/start")
    await bot_sends(ann, 8, "Share your number?", reply_markup=SHARE)
    bos = await ann.share_contact(8)
    forwarded = await ann.forward_contact(7, bos)
    assert forwarded["contact"] == bos["contact"]
    assert forwarded["contact"]["user_id"] == 8  # not Ann's own number
    assert forwarded["from"]["id"] == 7
    assert forwarded["chat"]["id"] == 7
    assert forwarded["forward_origin"] == {"type": "user", "date": bos["date"],
                                           "sender_user": bo.as_json()}  # fmt: skip
    again = await ann.forward_contact(7, forwarded)  # a forward of a forward keeps the origin
    assert again["forward_origin"] == forwarded["forward_origin"]
    with pytest.raises(ValueError, match="with a contact"):
        await ann.forward_contact(7, await ann.user_sends(7, "hi"))


async def test_python_telegram_bot_reads_contacts(ann: TelegramSimulator) -> None:
    ann.add_user(8, "Bo", username="bo_bo", phone_number="447700900123")
    await ann.user_sends(8, "/start")
    async with Bot(TOKEN, base_url=ann.base_url) as bot:
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton("Share my number", request_contact=True)]],
            one_time_keyboard=True, resize_keyboard=True,
        )  # fmt: skip
        asked = await bot.send_message(7, "Share your number?", reply_markup=markup)
        assert asked.reply_markup is None
        await bot.send_message(8, "Share your number?", reply_markup=markup)
        assert ann.reply_keyboard(7) == [{"text": "Share my number", "request_contact": True}]
        shared = await ann.share_contact(7)
        bos = await ann.share_contact(8)
        forwarded = await ann.forward_contact(7, bos)
        card = await ann.send_contact(7, "12025550143", first_name="Cy")
        updates = await bot.get_updates(offset=3, timeout=0)
        assert [u.message.message_id for u in updates if u.message] == [
            shared["message_id"], bos["message_id"], forwarded["message_id"],
            card["message_id"],
        ]  # fmt: skip
        own, _, fwd, other = (u.message for u in updates)
        assert own is not None and own.contact is not None and own.from_user is not None
        assert (own.contact.phone_number, own.contact.user_id) == (ANN_PHONE, 7)
        assert own.contact.user_id == own.from_user.id  # the sender's own number
        assert own.text is None and own.forward_origin is None
        assert fwd is not None and fwd.contact is not None
        assert fwd.contact.user_id == 8
        origin = fwd.forward_origin
        assert isinstance(origin, MessageOriginUser)
        assert (origin.sender_user.id, origin.sender_user.username) == (8, "bo_bo")
        assert other is not None and other.contact is not None
        assert other.contact.user_id is None
        removed = await bot.send_message(7, "Thanks", reply_markup=ReplyKeyboardRemove())
        assert removed.text == "Thanks"
    assert ann.sent_to(7)[-1].removes_keyboard
    assert ann.reply_keyboard(7) is None


def test_contact_updates_parse_without_a_bot() -> None:
    sender = {"id": 8, "is_bot": False, "first_name": "Bo"}
    update = Update.de_json(
        {
            "update_id": 1,
            "message": {
                "message_id": 2, "date": 1700000100,
                "chat": {"id": 7, "type": "private", "first_name": "Ann"},
                "from": {"id": 7, "is_bot": False, "first_name": "Ann"},
                "forward_origin": {"type": "user", "date": 1700000000, "sender_user": sender},
                "contact": {"phone_number": "447700900123", "first_name": "Bo", "user_id": 8},
            },
        },
        bot=None,
    )  # fmt: skip
    message = update.message
    assert message is not None and message.contact is not None
    assert message.contact.user_id == 8
    assert isinstance(message.forward_origin, MessageOriginUser)
    assert message.forward_origin.sender_user.id == 8


def test_command_entities_end_where_telegram_ends_them() -> None:
    from bot.simulator._state import compute_entities

    assert compute_entities("/call-now @bob_k")[0] == {
        "type": "bot_command",
        "offset": 0,
        "length": 5,
    }
    assert compute_entities("/call@Bot x")[0]["length"] == 9
    assert compute_entities("/ hello") == []


# Issue 23: Mini App buttons, as Telegram takes them.
JOIN = {"inline_keyboard": [[{"text": "Join", "web_app": {"url": "https://bot.example/join"}}]]}


@pytest.mark.parametrize("supergroup", [False, True])
async def test_web_app_buttons_are_for_private_chats_only(supergroup: bool) -> None:
    async with TelegramSimulator(token=TOKEN) as sim:
        sim.add_user(7, "Ann", username="ann_k")
        sim.add_group(-100123, "Team", supergroup=supergroup)
        await sim.user_sends(7, "/start")
        refused = await call(sim, "sendMessage", chat_id=-100123, text="x", reply_markup=JOIN)
        assert (refused.status_code, refused.json()["description"]) == (
            400,
            "Bad Request: BUTTON_TYPE_INVALID",
        )
        assert sim.sent_to(-100123) == []
        sent = await call(sim, "sendMessage", chat_id=7, text="Join?", reply_markup=JOIN)
        assert sent.status_code == 200
        assert sent.json()["result"]["reply_markup"] == JOIN
        # an edit cannot put one into a group's message either
        group = await call(sim, "sendMessage", chat_id=-100123, text="x")
        edit = await call(
            sim,
            "editMessageText",
            chat_id=-100123,
            message_id=group.json()["result"]["message_id"],
            text="y",
            reply_markup=JOIN,
        )
        assert edit.json()["description"] == "Bad Request: BUTTON_TYPE_INVALID"


async def test_web_app_urls_must_be_https_but_loopback(sim: TelegramSimulator) -> None:
    def markup(url: str) -> dict[str, object]:
        return {"inline_keyboard": [[{"text": "Join", "web_app": {"url": url}}]]}

    await sim.user_sends(7, "/start")
    plain = await call(sim, "sendMessage", chat_id=7, text="x", reply_markup=markup("http://a.b/"))
    assert plain.json()["description"] == "Bad Request: BUTTON_URL_INVALID"
    local = markup("http://127.0.0.1:8080/join")  # the simulator's leniency, for tests
    assert (await call(sim, "sendMessage", chat_id=7, text="x", reply_markup=local)).is_success


async def test_opening_a_web_app_button_signs_init_data_for_the_user(
    sim: TelegramSimulator,
) -> None:
    await sim.user_sends(7, "/start")
    sent = await call(sim, "sendMessage", chat_id=7, text="Join?", reply_markup=JOIN)
    url = sim.open_web_app(7, sent.json()["result"]["message_id"], auth_date=1_800_000_000)
    page, _, fragment = url.partition("#")
    assert page == "https://bot.example/join"
    (init_data,) = parse_qs(fragment)["tgWebAppData"]
    user = check_init_data(init_data, TOKEN, now=1_800_000_000)
    assert (user.id, user.language_code) == (7, "en")
    with pytest.raises(AssertionError):
        sim.open_web_app(7, await bot_sends(sim, 7, "no button"), auth_date=0)
