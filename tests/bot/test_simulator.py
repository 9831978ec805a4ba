"""The Telegram simulator answers like the Bot API, so tests against it mean something."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.simulator import FloodControl, TelegramSimulator
from bot.simulator._state import ApiError

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
