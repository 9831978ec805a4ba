"""Issue 19 items 1 and 2 in the simulator: forum topics and groups upgraded to supergroups,
answered the way the Bot API answers them (and read the way python-telegram-bot reads them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, ChatMigrated

from bot.simulator import TelegramSimulator

TOKEN = "42:SIMULATOR-TEST-token-abcdefghijkl"
ANN, FORUM, GROUP = 7, -1009, -9


@pytest.fixture
async def sim() -> AsyncIterator[TelegramSimulator]:
    async with TelegramSimulator(token=TOKEN) as simulator:
        simulator.add_user(ANN, "Ann", username="ann_k")
        simulator.add_group(GROUP, "Team")
        simulator.add_group(FORUM, "Forum", forum=True)
        yield simulator


async def call(sim: TelegramSimulator, method: str, **params: object) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{sim.base_url}{TOKEN}/{method}", json=params)


async def test_a_message_in_a_topic_is_sent_as_telegram_sends_it(sim: TelegramSimulator) -> None:
    thread = await sim.create_topic(FORUM, "ops", by=ANN)
    created = sim.state.pending[-1]["message"]
    assert created["message_id"] == thread == created["message_thread_id"]
    assert created["forum_topic_created"]["name"] == "ops" and created["is_topic_message"]
    assert created["chat"] == {
        "id": FORUM,
        "type": "supergroup",
        "title": "Forum",
        "is_forum": True,
    }
    message = await sim.user_sends(ANN, "/oncall", chat_id=FORUM, thread_id=thread)
    assert message["message_thread_id"] == thread and message["is_topic_message"] is True
    # a message in a topic replies to the topic's creation, as Telegram sends it
    assert message["reply_to_message"]["forum_topic_created"]["name"] == "ops"
    general = await sim.user_sends(ANN, "hello", chat_id=FORUM)
    assert "message_thread_id" not in general and "reply_to_message" not in general
    with pytest.raises(AssertionError, match="no topic 999"):
        await sim.user_sends(ANN, "x", chat_id=FORUM, thread_id=999)


async def test_send_message_honours_message_thread_id(sim: TelegramSimulator) -> None:
    ops = await sim.create_topic(FORUM, "ops", by=ANN)
    web = await sim.create_topic(FORUM, "web", by=ANN)
    typed = await sim.user_sends(ANN, "/page ops", chat_id=FORUM, thread_id=ops)
    there = (await call(sim, "sendMessage", chat_id=FORUM, text="a", message_thread_id=web)).json()
    assert there["result"]["message_thread_id"] == web and there["result"]["is_topic_message"]
    # without message_thread_id a reply goes to the topic of the message it answers ...
    reply = {"message_id": typed["message_id"], "allow_sending_without_reply": True}
    await call(sim, "sendMessage", chat_id=FORUM, text="b", reply_parameters=reply)
    # ... and anything else to "General"
    general = (await call(sim, "sendMessage", chat_id=FORUM, text="c")).json()["result"]
    assert "message_thread_id" not in general
    assert [m.text for m in sim.sent_in(FORUM, web)] == ["a"]
    assert [m.text for m in sim.sent_in(FORUM, ops)] == ["b"]
    assert [m.text for m in sim.sent_in(FORUM, None)] == ["c"]
    assert [e.thread_id for e in sim.transcript(FORUM) if e.author == "Kavenegar Call"] == [
        web,
        ops,
        None,
    ]


@pytest.mark.parametrize(
    ("chat", "thread"),
    [(FORUM, 999), (GROUP, 1)],  # no such topic; a group without topics
)
async def test_a_thread_that_is_not_there_is_400(
    sim: TelegramSimulator, chat: int, thread: int
) -> None:
    response = await call(sim, "sendMessage", chat_id=chat, text="x", message_thread_id=thread)
    assert response.status_code == 400
    assert response.json()["description"] == "Bad Request: message thread not found"
    assert sim.sent_to(chat) == []


async def test_closed_and_deleted_topics_refuse_messages(sim: TelegramSimulator) -> None:
    thread = await sim.create_topic(FORUM, "ops", by=ANN)
    typed = await sim.user_sends(ANN, "/oncall", chat_id=FORUM, thread_id=thread)
    posted = await call(sim, "sendMessage", chat_id=FORUM, text="a", message_thread_id=thread)
    assert posted.status_code == 200
    await sim.close_topic(FORUM, thread, by=ANN)
    assert "forum_topic_closed" in sim.state.pending[-1]["message"]
    closed = await call(sim, "sendMessage", chat_id=FORUM, text="b", message_thread_id=thread)
    assert closed.json()["description"] == "Bad Request: TOPIC_CLOSED"
    reply = {"message_id": typed["message_id"], "allow_sending_without_reply": True}
    quoting = await call(sim, "sendMessage", chat_id=FORUM, text="c", reply_parameters=reply)
    assert quoting.json()["description"] == "Bad Request: TOPIC_CLOSED"  # the reply goes there
    await sim.reopen_topic(FORUM, thread, by=ANN)
    assert (
        await call(sim, "sendMessage", chat_id=FORUM, text="d", message_thread_id=thread)
    ).json()["ok"]
    sim.delete_topic(FORUM, thread)
    assert sim.sent_in(FORUM, thread) == []  # gone with the topic
    gone = await call(sim, "sendMessage", chat_id=FORUM, text="e", message_thread_id=thread)
    assert (gone.status_code, gone.json()["description"]) == (
        400,
        "Bad Request: message thread not found",
    )
    # a reply to a message of a deleted topic finds nothing to reply to: it goes to "General"
    sent = (await call(sim, "sendMessage", chat_id=FORUM, text="f", reply_parameters=reply)).json()
    assert "message_thread_id" not in sent["result"]
    edit = await call(
        sim, "editMessageText", chat_id=FORUM, message_id=posted.json()["result"]["message_id"],
        text="g",
    )  # fmt: skip
    assert edit.json()["description"] == "Bad Request: message to edit not found"


async def test_an_upgraded_group_answers_with_its_new_id(sim: TelegramSimulator) -> None:
    old = (await call(sim, "sendMessage", chat_id=GROUP, text="before")).json()["result"]
    new = await sim.upgrade_group(GROUP, by=ANN)
    assert new < -(10**12)
    to, since = (u["message"] for u in sim.state.pending[-2:])
    assert (to["chat"]["id"], to["migrate_to_chat_id"]) == (GROUP, new)
    assert (since["chat"]["id"], since["migrate_from_chat_id"]) == (new, GROUP)
    assert since["chat"]["type"] == "supergroup" and since["message_id"] == 1
    for method, params in (
        ("sendMessage", {"text": "x"}),
        ("editMessageText", {"message_id": old["message_id"], "text": "y"}),
        ("deleteMessage", {"message_id": old["message_id"]}),
        ("sendChatAction", {"action": "typing"}),
    ):
        refused = await call(sim, method, chat_id=GROUP, **params)
        assert refused.status_code == 400, method
        assert refused.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": new},
        }
    assert sim.current(GROUP, old["message_id"]).text == "before"  # the old history stays
    there = (await call(sim, "sendMessage", chat_id=new, text="after")).json()["result"]
    assert there["chat"]["id"] == new
    with pytest.raises(AssertionError, match="upgraded"):
        await sim.user_sends(ANN, "hi", chat_id=GROUP)
    with pytest.raises(AssertionError, match="not a basic group"):
        await sim.upgrade_group(new, by=ANN)


async def test_an_upgrade_the_bot_does_not_hear_of(sim: TelegramSimulator) -> None:
    before = len(sim.state.pending)
    new = await sim.upgrade_group(GROUP, by=ANN, new_chat_id=-1005, notify=False)
    assert new == -1005 and len(sim.state.pending) == before


async def test_python_telegram_bot_reads_topics_and_upgrades(sim: TelegramSimulator) -> None:
    thread = await sim.create_topic(FORUM, "ops", by=ANN)
    typed = await sim.user_sends(ANN, "/oncall", chat_id=FORUM, thread_id=thread)
    async with Bot(TOKEN, base_url=sim.base_url) as bot:
        updates = await bot.get_updates(offset=1, timeout=0)
        message = updates[-1].message
        assert message is not None and message.chat.is_forum
        assert (message.message_thread_id, message.is_topic_message) == (thread, True)
        answer = await bot.send_message(
            FORUM,
            "here",
            message_thread_id=thread,
            reply_parameters=ReplyParameters(typed["message_id"], allow_sending_without_reply=True),
        )
        assert answer.message_thread_id == thread
        with pytest.raises(BadRequest, match="thread not found"):
            await bot.send_message(FORUM, "x", message_thread_id=thread + 100)
        new = await sim.upgrade_group(GROUP, by=ANN)
        with pytest.raises(ChatMigrated) as moved:
            await bot.send_message(GROUP, "x")
        assert moved.value.new_chat_id == new
        updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
        assert [u.message.migrate_to_chat_id for u in updates if u.message] == [new, None]
        assert [u.message.migrate_from_chat_id for u in updates if u.message] == [None, GROUP]
    assert sim.sent_in(FORUM, thread)[0].reply_to_message_id == typed["message_id"]


async def test_topics_and_upgrades_over_http(sim: TelegramSimulator) -> None:
    async with httpx.AsyncClient() as http:
        made = await http.post(
            f"{sim.control_url}/groups", json={"id": -1077, "title": "F", "forum": True}
        )
        assert made.json()["is_forum"] is True
        topic = await http.post(
            f"{sim.control_url}/topics", json={"chat_id": -1077, "name": "ops", "user_id": ANN}
        )
        thread = topic.json()["message_thread_id"]
        said = await http.post(
            f"{sim.control_url}/messages",
            json={"user_id": ANN, "chat_id": -1077, "text": "hi", "thread_id": thread},
        )
        assert said.json()["message_thread_id"] == thread
        upgraded = await http.post(
            f"{sim.control_url}/upgrade", json={"chat_id": GROUP, "user_id": ANN}
        )
        assert sim.state.chats[GROUP].migrated_to == upgraded.json()["chat_id"]
        again = await http.post(
            f"{sim.control_url}/upgrade", json={"chat_id": GROUP, "user_id": ANN}
        )
        assert again.status_code == 400
