"""What the Telegram simulator knows: accounts (with the phone numbers they can share), chats
(forum topics, and basic groups upgraded to supergroups), messages, pending updates, flood
limits, the callback queries people raise by pressing inline buttons, and the reply keyboard each
chat shows."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiError",
    "CallbackAnswer",
    "CallbackQueryRecord",
    "FloodControl",
    "SentDocument",
    "SentMessage",
    "SimChat",
    "SimTopic",
    "SimUser",
    "TelegramState",
    "TimelineEntry",
]

# Telegram usernames: 5-32 characters, a letter first.
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?")
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z][A-Za-z0-9_]{4,31}(?![A-Za-z0-9_])")


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """An answer with ``ok: false``, exactly as the Bot API words it, with its
    ``ResponseParameters`` (``retry_after``, ``migrate_to_chat_id``) when it has them."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        *,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        parameters: dict[str, Any] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            data["parameters"] = parameters
        return data


@dataclass
class SimUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    #: The account's number, put as given into the contact it shares (Telegram sends digits
    #: without "+": ``"989120822930"``). None: the person has no number to share.
    phone_number: str | None = None
    #: Pressed Start: the bot may write to them.
    started: bool = False
    blocked: bool = False
    deactivated: bool = False

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    def private_chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class SimTopic:
    """A topic of a forum supergroup; its ``thread_id`` is the id of the service message that
    created it (``forum_topic_created``), as in Telegram."""

    thread_id: int
    name: str
    #: Closed by an admin: the bot's messages to it get 400 "TOPIC_CLOSED" until it reopens.
    closed: bool = False


@dataclass
class SimChat:
    id: int
    title: str
    type: str = "group"
    bot_is_member: bool = True
    #: A forum supergroup: messages go to its topics (``message_thread_id``) or to "General".
    is_forum: bool = False
    #: The open and closed topics by thread id (a deleted one is gone, with its messages).
    topics: dict[int, SimTopic] = field(default_factory=dict)
    #: A basic group upgraded to a supergroup: the new chat's id. Telegram answers every later
    #: request naming this chat with 400 and ``parameters.migrate_to_chat_id``.
    migrated_to: int | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type, "title": self.title}
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass(frozen=True)
class SentDocument:
    """A file the bot uploaded with ``sendDocument`` (a multipart form's file part)."""

    file_name: str
    mime_type: str
    data: bytes

    @property
    def file_id(self) -> str:
        return f"doc-{hash((self.file_name, self.data)) & 0xFFFFFFFF:08x}"

    def as_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.data),
        }


@dataclass
class SentMessage:
    """A message the bot sent (or edited), with the raw text it asked for and what readers see."""

    message_id: int
    chat_id: int
    text: str
    raw_text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    reply_to_message_id: int | None
    date: int
    edited: bool = False
    #: When the bot last edited it (Unix time), as ``edit_date`` in the message JSON.
    edit_date: int | None = None
    #: The forum topic it is in (None: "General", or a chat without topics).
    message_thread_id: int | None = None
    #: The file of a ``sendDocument`` (its caption is ``text``); None for a text message.
    document: SentDocument | None = None

    @property
    def reply_keyboard(self) -> list[dict[str, Any]]:
        """The buttons of the reply keyboard (``ReplyKeyboardMarkup``) this message brought, row
        by row, each an object (a button sent as a plain string is ``{"text": ...}``); buttons
        with empty text are left out, as Telegram leaves them out. [] for any other message."""
        return reply_keyboard_buttons(self.reply_markup)

    @property
    def removes_keyboard(self) -> bool:
        """The message came with ``ReplyKeyboardRemove``: it hid the chat's reply keyboard."""
        markup = self.reply_markup or {}
        removes = markup.get("remove_keyboard") is True or markup.get("hide_keyboard") is True
        return removes and not self.reply_keyboard and not self.keyboard

    @property
    def keyboard(self) -> list[dict[str, Any]]:
        """Every inline keyboard button, row by row, as the bot sent it (url or callback)."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The link buttons (those with a ``url``), e.g. ``{"text": "Join", "url": "https://…"}``.

        Callback buttons are left out so ``[b["url"] for b in m.buttons]`` keeps working on a
        message that also has them; see :attr:`callback_buttons` and :attr:`keyboard`.
        """
        return [button for button in self.keyboard if "url" in button]

    @property
    def callback_buttons(self) -> list[tuple[str, str]]:
        """``(text, callback_data)`` of every callback button, in keyboard order."""
        return [
            (str(button.get("text", "")), str(button["callback_data"]))
            for button in self.keyboard
            if "callback_data" in button
        ]


class FloodControl:
    """Telegram's published limits as strict sliding windows: at most 30 messages in any second
    for the bot, 20 in any minute per group, and about one a second per private chat (at most 3
    in any 3 seconds). Each window is ``(count, seconds)``: a message is over it when ``count``
    messages were already taken in the ``seconds`` before it.

    Off by default. When on, a message over a limit gets 429 with ``retry_after`` (whole seconds,
    until the window has room) and is counted in ``violations`` and ``violations_by_chat``, so a
    test or a benchmark can tell the bot kept within the limits. A refused message takes no room.
    """

    def __init__(self) -> None:
        self.enabled = False
        self.overall: tuple[tuple[int, float], ...] = ((30, 1.0),)
        self.group: tuple[tuple[int, float], ...] = ((20, 60.0),)
        self.private: tuple[tuple[int, float], ...] = ((3, 3.0),)
        self.violations = 0
        self.violations_by_chat: dict[int, int] = {}
        self._overall: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}

    def check(self, chat_id: int, now: float | None = None) -> None:
        """Take room for one message to ``chat_id``, or raise the 429 Telegram would answer."""
        if not self.enabled:
            return
        now = time.monotonic() if now is None else now
        windows = self.group if chat_id < 0 else self.private
        chat = self._chats.setdefault(chat_id, deque())
        wait = max(_wait(self._overall, self.overall, now), _wait(chat, windows, now))
        if wait > 0:
            self.violations += 1
            self.violations_by_chat[chat_id] = self.violations_by_chat.get(chat_id, 0) + 1
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        self._overall.append(now)
        chat.append(now)


def _wait(taken: deque[float], windows: tuple[tuple[int, float], ...], now: float) -> float:
    """Seconds until one more message fits every window (0: it fits now); forgets what no window
    still holds. ``taken`` holds the times of the messages taken, oldest first."""
    longest = max((seconds for _, seconds in windows), default=0.0)
    while taken and taken[0] <= now - longest:
        taken.popleft()
    wait = 0.0
    for count, seconds in windows:
        inside = [at for at in taken if at > now - seconds]
        if len(inside) >= count:
            wait = max(wait, inside[len(inside) - count] + seconds - now)
    return wait


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the conversation: who wrote what, where (bot messages as readers see them)."""

    chat_id: int
    author: str
    text: str
    #: URLs of the link buttons under a bot message.
    buttons: tuple[str, ...] = ()
    #: Texts of the callback buttons under a bot message.
    callback_buttons: tuple[str, ...] = ()
    message_id: int | None = None
    #: A bot message's new version (``editMessageText`` / ``editMessageReplyMarkup``).
    edited: bool = False
    #: The ``callback_data`` of the button a person pressed (the entry's text names the button).
    pressed: str | None = None
    #: Texts of the reply keyboard buttons a bot message brought (see ``SentMessage``).
    reply_buttons: tuple[str, ...] = ()
    #: The phone number of a contact a person shared, sent or forwarded.
    contact: str | None = None
    #: The forum topic it was written in (None: "General", or a chat without topics).
    thread_id: int | None = None


@dataclass
class CallbackAnswer:
    """The bot's ``answerCallbackQuery`` for one press: the toast (or alert) the person saw."""

    callback_query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int | None = None


@dataclass
class CallbackQueryRecord:
    """A press of an inline button, waiting for (or given) the bot's answer."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    #: ``time.monotonic()`` of the press, for :attr:`TelegramState.callback_query_timeout`.
    pressed_at: float
    answer: CallbackAnswer | None = None


@dataclass
class TelegramState:
    """Accounts, chats, every message by chat, the update queue, and what the bot did."""

    bot: SimUser
    users: dict[int, SimUser] = field(default_factory=dict)
    chats: dict[int, SimChat] = field(default_factory=dict)
    messages: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    sent: list[SentMessage] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    api_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    flood: FloodControl = field(default_factory=FloodControl)
    #: Every button press by its ``callback_query`` id.
    callback_queries: dict[str, CallbackQueryRecord] = field(default_factory=dict)
    #: Every accepted ``answerCallbackQuery``, oldest first.
    callback_answers: list[CallbackAnswer] = field(default_factory=list)
    #: Seconds a press may wait for its answer; later answers get Telegram's "query is too old"
    #: 400. None (the default): no limit, so slow test machines never see it. Telegram's own
    #: limit is undocumented (seconds, not minutes); set a small value to test a late answer.
    callback_query_timeout: float | None = None
    #: The bot message whose reply keyboard each chat shows now, by chat id: the last one the
    #: bot sent there, until a ``remove_keyboard`` message, the deletion of that message, or
    #: (one-time keyboards, in private chats) a press of one of its buttons.
    shown_keyboards: dict[int, SentMessage] = field(default_factory=dict)
    _chat_instances: dict[int, str] = field(default_factory=dict)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    _arrived: asyncio.Event | None = None
    #: Set when the simulator stops: getUpdates no longer waits for updates.
    polling_stopped: bool = False
    #: Set by the simulator: where updates go while a webhook is set (instead of getUpdates).
    webhook_sink: Callable[[dict[str, Any]], None] | None = None

    # -- the people and chats that exist -------------------------------------------------------

    def chat_json(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.chats:
            return self.chats[chat_id].as_json()
        return self.users[chat_id].private_chat()

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def current_sent(self, chat_id: int, message_id: int) -> SentMessage | None:
        """The latest version of a bot message; None if the bot never sent it or deleted it."""
        for sent in reversed(self.sent):
            if sent.chat_id == chat_id and sent.message_id == message_id:
                return sent
        return None

    def chat_instance(self, chat_id: int) -> str:
        """A stable opaque id per chat, like the ``chat_instance`` of a callback query."""
        if chat_id not in self._chat_instances:
            self._chat_instances[chat_id] = str(secrets.randbits(63) * secrets.choice((1, -1)))
        return self._chat_instances[chat_id]

    def new_callback_query_id(self) -> str:
        """A unique id shaped like Telegram's (a 64-bit number as a string)."""
        while True:
            query_id = str(secrets.randbits(63) | 1 << 62)
            if query_id not in self.callback_queries:
                return query_id

    # -- updates -------------------------------------------------------------------------------

    @property
    def arrived(self) -> asyncio.Event:
        """Set whenever an update is queued for getUpdates."""
        if self._arrived is None:
            self._arrived = asyncio.Event()
        return self._arrived

    async def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), kind: payload}
        if self.webhook_sink is not None:
            self.webhook_sink(update)
        else:
            self.queue_for_polling(update)
        await asyncio.sleep(0)
        return update

    def queue_for_polling(self, update: dict[str, Any]) -> None:
        """Keep ``update`` for getUpdates and wake any long poll waiting for it."""
        self._pending.append(update)
        self.arrived.set()

    def confirm(self, offset: int) -> None:
        """getUpdates with ``offset`` forgets every update below it."""
        self._pending = [u for u in self._pending if u["update_id"] >= offset]

    @property
    def pending(self) -> list[dict[str, Any]]:
        return list(self._pending)

    def stop_polling(self) -> None:
        """Answer every waiting long poll now, and any later getUpdates without waiting."""
        self.polling_stopped = True
        self.arrived.set()

    async def wait_for_updates(self, timeout: float) -> None:
        if self._pending or timeout <= 0 or self.polling_stopped:
            return
        self.arrived.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.arrived.wait(), timeout)

    def make_user_message(
        self,
        user: SimUser,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        text_mentions: dict[str, int] | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        message = self._new_user_message(user, chat_id, thread_id)
        message["text"] = text
        entities = compute_entities(text)
        for name, user_id in (text_mentions or {}).items():
            start = text.index(name)
            entities.append(
                {
                    "type": "text_mention",
                    "offset": utf16_len(text[:start]),
                    "length": utf16_len(name),
                    "user": self.users[user_id].as_json(),
                }
            )
        if entities:
            message["entities"] = sorted(entities, key=lambda e: e["offset"])
        if reply_to is not None:
            replied = self.messages[chat_id][reply_to]
            if replied.get("message_thread_id") != thread_id:
                raise AssertionError(f"message {reply_to} is not in topic {thread_id} of {chat_id}")
            message["reply_to_message"] = replied
        return self._keep_user_message(user, message, text)

    def make_contact_message(
        self,
        user: SimUser,
        chat_id: int,
        contact: dict[str, Any],
        *,
        shown: str,
        forward_origin: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A message carrying ``contact`` (no text), forwarded from ``forward_origin`` if given;
        ``shown`` is its line in the timeline."""
        message = self._new_user_message(user, chat_id)
        if forward_origin is not None:
            message["forward_origin"] = copy.deepcopy(forward_origin)
        message["contact"] = dict(contact)
        return self._keep_user_message(user, message, shown, contact=str(contact["phone_number"]))

    def _new_user_message(
        self, user: SimUser, chat_id: int, thread_id: int | None = None
    ) -> dict[str, Any]:
        """A new message of ``user`` in ``chat_id`` (in topic ``thread_id`` of a forum: there a
        message that replies to nobody replies to the topic's creation, as Telegram sends it)."""
        chat = self.chats.get(chat_id)
        if chat is not None and chat.migrated_to is not None:
            raise AssertionError(
                f"group {chat_id} was upgraded to supergroup {chat.migrated_to}: nobody can write "
                "to it any more"
            )
        message: dict[str, Any] = {
            "message_id": self.next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self.chat_json(chat_id),
            "from": user.as_json(),
        }
        if thread_id is not None:
            topic = self.open_topic(chat_id, thread_id)
            message["message_thread_id"] = topic.thread_id
            message["is_topic_message"] = True
            created = self.messages.get(chat_id, {}).get(topic.thread_id)
            if created is not None:
                message["reply_to_message"] = created
        return message

    def open_topic(self, chat_id: int, thread_id: int) -> SimTopic:
        """Topic ``thread_id`` of forum ``chat_id``, open for people to write in."""
        chat = self.chats.get(chat_id)
        topic = None if chat is None or not chat.is_forum else chat.topics.get(thread_id)
        if topic is None:
            raise AssertionError(f"chat {chat_id} has no topic {thread_id}")
        if topic.closed:
            raise AssertionError(f"topic {thread_id} of chat {chat_id} is closed")
        return topic

    def _keep_user_message(
        self, user: SimUser, message: dict[str, Any], shown: str, *, contact: str | None = None
    ) -> dict[str, Any]:
        chat_id = message["chat"]["id"]
        self.messages.setdefault(chat_id, {})[message["message_id"]] = message
        self.timeline.append(
            TimelineEntry(
                chat_id,
                user.first_name,
                shown,
                message_id=message["message_id"],
                contact=contact,
                thread_id=message.get("message_thread_id"),
            )
        )
        return message

    def make_service_message(
        self,
        user: SimUser,
        chat_id: int,
        fields: dict[str, Any],
        *,
        shown: str,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """A service message in ``chat_id`` (a topic created or closed, a group upgraded): no
        text, ``fields`` saying what happened, from ``user``, who did it."""
        message = self._new_user_message(user, chat_id)
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        message.update(copy.deepcopy(fields))
        return self._keep_user_message(user, message, shown)

    def make_topic(self, user: SimUser, chat_id: int, name: str) -> dict[str, Any]:
        """``user`` creates topic ``name`` in forum ``chat_id``: the ``forum_topic_created``
        service message, whose id is the topic's ``message_thread_id``."""
        chat = self.chats.get(chat_id)
        if chat is None or not chat.is_forum:
            raise AssertionError(f"chat {chat_id} is not a forum: it has no topics")
        message = self._new_user_message(user, chat_id)
        thread_id = message["message_id"]
        chat.topics[thread_id] = SimTopic(thread_id, name)
        message.update(
            message_thread_id=thread_id,
            is_topic_message=True,
            forum_topic_created={"name": name, "icon_color": 7322096},
        )
        return self._keep_user_message(user, message, f"[creates topic “{name}”]")

    def remove_topic(self, chat_id: int, thread_id: int) -> None:
        """Topic ``thread_id`` is deleted, with every message in it (the bot's included)."""
        chat = self.chats.get(chat_id)
        if chat is None or chat.topics.pop(thread_id, None) is None:
            raise AssertionError(f"chat {chat_id} has no topic {thread_id}")
        kept = self.messages.get(chat_id, {})
        for message_id in [i for i, m in kept.items() if m.get("message_thread_id") == thread_id]:
            del kept[message_id]
        self.sent = [
            s for s in self.sent if s.chat_id != chat_id or s.message_thread_id != thread_id
        ]
        shown = self.shown_keyboards.get(chat_id)
        if shown is not None and shown.message_thread_id == thread_id:
            del self.shown_keyboards[chat_id]

    def reply_button(
        self, user_id: int, chat_id: int, pick: Callable[[dict[str, Any]], bool], wanted: str
    ) -> dict[str, Any]:
        """The first button that ``pick`` accepts on the reply keyboard ``chat_id`` shows, for
        ``user_id`` to press. A press no client could make fails the test (AssertionError);
        ``wanted`` names the button in the message."""
        if user_id not in self.users:
            raise AssertionError(f"there is no user {user_id}")
        if chat_id not in self.chats and chat_id != user_id:
            raise AssertionError(f"user {user_id} cannot see the private chat {chat_id}")
        shown = self.shown_keyboards.get(chat_id)
        buttons = [] if shown is None else shown.reply_keyboard
        found = next((button for button in buttons if pick(button)), None)
        if found is None:
            raise AssertionError(
                f"chat {chat_id} shows no reply keyboard button {wanted}; it shows "
                f"{[b['text'] for b in buttons]!r}"
            )
        return found

    def reply_keyboard_used(self, user_id: int, chat_id: int) -> None:
        """``user_id`` pressed a button of the keyboard ``chat_id`` shows: a one-time keyboard
        hides (in a private chat; in a group it would hide for that member only)."""
        shown = self.shown_keyboards.get(chat_id)
        if shown is None or chat_id != user_id:
            return
        if (shown.reply_markup or {}).get("one_time_keyboard") is True:
            del self.shown_keyboards[chat_id]

    def make_callback_query(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        data: str | None = None,
        *,
        text: str | None = None,
    ) -> dict[str, Any]:
        """What Telegram sends when ``user_id`` presses a button under a bot message.

        With ``text`` (and no ``data``) the button is looked up on the message's current
        keyboard; with ``data`` it is sent as given, whether or not the bot issued it. A press
        no Telegram client could make fails the test (AssertionError).
        """
        if (data is None) == (text is None):
            raise ValueError("press a button by its text, or forge one with data (not both)")
        if not isinstance(data if data is not None else text, str):
            raise TypeError("a button's text and callback_data are strings")
        user = self.users.get(user_id)
        if user is None:
            raise AssertionError(f"there is no user {user_id}")
        if chat_id not in self.chats and chat_id != user_id:
            raise AssertionError(f"user {user_id} cannot see the private chat {chat_id}")
        sent = self.current_sent(chat_id, message_id)
        if sent is None:
            raise AssertionError(
                f"there is no bot message {message_id} in chat {chat_id} (never sent, or deleted)"
            )
        label = text
        if data is None:
            found = [d for t, d in sent.callback_buttons if t == text]
            if not found:
                raise AssertionError(
                    f"bot message {message_id} in chat {chat_id} has no callback button "
                    f"{text!r}; it has {[t for t, _ in sent.callback_buttons]!r}"
                )
            data = found[0]
        else:
            label = next((t for t, d in sent.callback_buttons if d == data), None)
        query_id = self.new_callback_query_id()
        self.callback_queries[query_id] = CallbackQueryRecord(
            id=query_id,
            user_id=user_id,
            chat_id=chat_id,
            message_id=message_id,
            data=data,
            pressed_at=time.monotonic(),
        )
        shown = f"[presses “{label}”]" if label is not None else f"[presses a button: {data!r}]"
        self.timeline.append(
            TimelineEntry(chat_id, user.first_name, shown, message_id=message_id, pressed=data)
        )
        return {
            "id": query_id,
            "from": user.as_json(),
            "message": copy.deepcopy(self.messages[chat_id][message_id]),
            "chat_instance": self.chat_instance(chat_id),
            "data": data,
        }


def reply_keyboard_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The buttons people see on a ``ReplyKeyboardMarkup``, row by row, each as an object."""
    rows = (markup or {}).get("keyboard")
    if not isinstance(rows, list):
        return []
    buttons = [
        {"text": button} if isinstance(button, str) else dict(button)
        for row in rows
        if isinstance(row, list)
        for button in row
    ]
    return [button for button in buttons if button.get("text")]


def compute_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` and ``mention`` entities a Telegram client would attach."""
    entities: list[dict[str, Any]] = []
    # As Telegram marks a command: "/", then letters, digits and "_", and an optional
    # "@botname"; it ends at the first other character ("/call-now" marks "/call").
    command = _COMMAND.match(text)
    if command is not None:
        length = utf16_len(command.group(0))
        entities.append({"type": "bot_command", "offset": 0, "length": length})
        skip = command.end()
    else:
        skip = 0
    for match in _MENTION.finditer(text, skip):
        entities.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities
