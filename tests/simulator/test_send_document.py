"""``sendDocument`` in the simulator: a multipart upload, checked as Telegram checks it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, InputFile

from bot.simulator import TelegramSimulator

TOKEN = "42:SIMULATOR-TEST-token-abcdefghijkl"


@pytest.fixture
async def sim() -> AsyncIterator[TelegramSimulator]:
    async with TelegramSimulator(token=TOKEN) as simulator:
        simulator.add_user(7, "Ann", username="ann_k")
        simulator.add_group(-9, "Team")
        yield simulator


async def upload(
    sim: TelegramSimulator, data: dict[str, str], files: dict[str, object]
) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{sim.base_url}{TOKEN}/sendDocument", data=data, files=files)  # type: ignore[arg-type]


async def test_python_telegram_bot_uploads_a_file_with_its_caption(sim: TelegramSimulator) -> None:
    bot = Bot(TOKEN, base_url=sim.base_url)
    async with bot:
        message = await bot.send_document(
            -9,
            InputFile(b"BEGIN:VCALENDAR\r\n", filename="ops.ics"),
            caption="<b>ops</b>",
            parse_mode="HTML",
        )
    assert message.document is not None and message.document.file_name == "ops.ics"
    assert message.caption == "ops" and message.text is None
    (sent,) = sim.sent_to(-9)
    assert sent.document is not None and sent.document.data == b"BEGIN:VCALENDAR\r\n"
    assert sent.document.mime_type == "text/calendar"


async def test_an_attached_part_is_taken_by_its_name(sim: TelegramSimulator) -> None:
    response = await upload(
        sim,
        {"chat_id": "-9", "document": "attach://cal"},
        {"cal": ("a.ics", b"x", "text/calendar")},
    )
    assert response.status_code == 200 and response.json()["result"]["document"]["file_size"] == 1


NO_DOCUMENT = "Bad Request: there is no document in the request"
BAD_ID = "Bad Request: wrong file identifier/HTTP URL specified"
EMPTY = "Bad Request: file must be non-empty"
LONG = "Bad Request: message caption is too long"
NOT_STARTED = "Forbidden: bot can't initiate conversation with a user"
URL = "https://example.com/a.ics"


@pytest.mark.parametrize(
    ("data", "files", "code", "description"),
    [
        ({"chat_id": "-9"}, {"other": ("a.ics", b"x")}, 400, NO_DOCUMENT),
        ({"chat_id": "-9", "document": URL}, {"x": ("a", b"x")}, 400, BAD_ID),
        ({"chat_id": "-9"}, {"document": ("a.ics", b"")}, 400, EMPTY),
        ({"chat_id": "-9", "caption": "c" * 1025}, {"document": ("a.ics", b"x")}, 400, LONG),
        ({"chat_id": "7"}, {"document": ("a.ics", b"x")}, 403, NOT_STARTED),
    ],
)
async def test_refusals(
    sim: TelegramSimulator,
    data: dict[str, str],
    files: dict[str, object],
    code: int,
    description: str,
) -> None:
    response = await upload(sim, data, files)
    assert (response.status_code, response.json()["description"]) == (code, description)
    assert sim.sent_to(-9) == []
