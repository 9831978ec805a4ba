"""A local Telegram Bot API for tests and the demo: ``python -m bot.simulator``.

The bot reaches it through ``TELEGRAM_BASE_URL`` (``http://127.0.0.1:<port>/bot``) exactly as it
reaches Telegram: ``getMe``, long-polling ``getUpdates``, ``sendMessage`` and the rest, form or
JSON bodies, and Telegram's own error bodies: 401 for a wrong token, 403 for a user who never
started or blocked the bot or was deactivated, 400 for an unknown chat or unparsable HTML, and
429 with ``retry_after`` when flood control is on. Tests drive it from Python (``add_user``,
``user_sends``, ``sent_to``) or over HTTP under ``/_sim``.

Inline keyboards carry link buttons and callback buttons (``callback_data`` of 1-64 bytes, else
400 ``BUTTON_DATA_INVALID``). ``press_button`` is a person pressing one: the bot gets a
``callback_query`` update as Telegram sends it, answers it once with ``answerCallbackQuery``
(read back with ``answer_to``), and may change the message with ``editMessageText`` or
``editMessageReplyMarkup``, with Telegram's refusals ("message to edit not found", "message can't
be edited", "message is not modified"). ``current`` is a message as people see it now; edits
count against flood control like sends.

Reply keyboards stay under a chat's input field from the bot message that brought them until one
with ``remove_keyboard``, the deletion of that message, or (``one_time_keyboard``, in a private
chat) a press of one of their buttons; ``reply_keyboard`` is what a chat shows now. A person with
a ``phone_number`` shares it with ``share_contact``, which presses the ``request_contact`` button
the bot showed them (only private chats may have one: 400 "phone number can be requested in
private chats only" elsewhere). ``send_contact`` attaches any address book card and
``forward_contact`` forwards a contact message (with ``forward_origin``), so a test can check
that the bot takes only the sender's own number (``contact.user_id`` equal to ``from.id``).

Forum topics: ``add_group(..., forum=True)`` is a forum supergroup (``is_forum``);
``create_topic`` makes a topic (the ``forum_topic_created`` service message, whose id is the
topic's ``message_thread_id``), ``user_sends(..., thread_id=...)`` writes in it (with
``message_thread_id`` and ``is_topic_message``), ``close_topic``/``reopen_topic`` and
``delete_topic`` do what an admin does, and ``sent_in`` reads what the bot posted in a topic.
The bot's messages honour ``message_thread_id`` with Telegram's refusals (see ``_methods``).

Group upgrades: ``upgrade_group`` turns a basic group into a supergroup with a new id, as
Telegram does when a group gets a public link or more members: the old group gets a service
message with ``migrate_to_chat_id``, the new one a message with ``migrate_from_chat_id``, and
every later request naming the old id is answered 400 with ``parameters.migrate_to_chat_id``
(python-telegram-bot raises ``ChatMigrated``). Its history stays in the old chat: the bot can
no longer edit those messages.

Files: ``sendDocument`` takes a multipart upload (the file part named ``document``, or
``attach://<name>``) as Telegram does, with its refusals (no file: "there is no document in the
request", an empty one, a caption over 1024 characters, a file over 50 MB: 413); the message
carries ``document`` and ``caption``, and ``SentMessage.document`` keeps the bytes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientError, ClientSession

from kavenegar.testing import FaultBook, LoopbackServer

from ._app import SimFault, build_app
from ._state import (
    CallbackAnswer,
    CallbackQueryRecord,
    FloodControl,
    SentDocument,
    SentMessage,
    SimChat,
    SimTopic,
    SimUser,
    TelegramState,
    TimelineEntry,
)
from .webapp import launch_url, sign_init_data

__all__ = [
    "CallbackAnswer",
    "CallbackQueryRecord",
    "FloodControl",
    "SentDocument",
    "SentMessage",
    "SimChat",
    "SimFault",
    "SimTopic",
    "SimUser",
    "TelegramSimulator",
    "TimelineEntry",
]


def _requests_contact(button: dict[str, Any]) -> bool:
    """A reply keyboard button that shares the presser's own number (``request_phone_number``
    is the Bot API server's other spelling of ``request_contact``)."""
    return button.get("request_contact") is True or button.get("request_phone_number") is True


class TelegramSimulator(LoopbackServer):
    """Runs a Bot API simulator for one bot on a loopback port in the current event loop."""

    def __init__(
        self,
        *,
        token: str = "123456789:SIMULATED-bot-token-AAAAAAAAAAAAAAAA",
        bot_username: str = "KavenegarCallBot",
        bot_name: str = "Kavenegar Call",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.token = token
        bot_id = int(token.split(":", 1)[0])
        self.state = TelegramState(
            bot=SimUser(id=bot_id, first_name=bot_name, username=bot_username, is_bot=True)
        )
        #: Switched-on failures (see :meth:`add_fault`) and a ``latency`` for every request.
        self.faults: FaultBook[SimFault] = FaultBook()
        self.app = build_app(self)
        #: Deliver every update to each of these URLs instead of the registered webhook: what a
        #: misbehaving load balancer or a redelivery does to several replicas at once.
        self.webhook_targets: list[str] | None = None
        #: (url, HTTP status or error name) of every webhook delivery attempt.
        self.webhook_log: list[tuple[str, str]] = []
        self._http: ClientSession | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self.state.webhook_sink = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to give the bot as ``TELEGRAM_BASE_URL``."""
        return f"{self.root_url}/bot"

    @property
    def control_url(self) -> str:
        return f"{self.root_url}/_sim"

    async def start(self) -> None:
        self._http = ClientSession()
        self.state.webhook_sink = self._sink
        self.state.polling_stopped = False
        await super().start()

    async def stop(self) -> None:
        # Long polls answer now (nothing new) instead of holding the shutdown up.
        self.state.stop_polling()
        deliveries = list(self._deliveries)
        for task in deliveries:
            task.cancel()
        await asyncio.gather(*deliveries, return_exceptions=True)
        await super().stop()
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- webhook delivery -------------------------------------------------------------------

    def _sink(self, update: dict[str, Any]) -> None:
        """A new update: POST it to the webhook(s) if one is set, else keep it for getUpdates."""
        urls = self._webhook_urls()
        if not urls:
            self.state.queue_for_polling(update)
            return
        for url in urls:
            task = asyncio.get_running_loop().create_task(self._post_update(url, update))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)

    def _webhook_urls(self) -> list[str]:
        if self.webhook_targets is not None:
            return list(self.webhook_targets)
        url = self.state.webhook.get("url")
        return [url] if url else []

    async def _post_update(self, url: str, update: dict[str, Any]) -> None:
        """POST like Telegram: with the secret header, retried a few times on failure."""
        assert self._http is not None
        headers = {}
        secret = self.state.webhook.get("secret_token")
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = str(secret)
        for attempt in range(5):
            try:
                async with self._http.post(url, json=update, headers=headers) as response:
                    self.webhook_log.append((url, str(response.status)))
                    if response.status < 300 or response.status in (401, 403):
                        return
            except (ClientError, OSError) as exc:
                self.webhook_log.append((url, type(exc).__name__))
            await asyncio.sleep(0.2 * 2**attempt)

    # -- the world -----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
        is_bot: bool = False,
        phone_number: str | None = None,
    ) -> SimUser:
        """A Telegram account. It has not pressed Start yet: the bot may not write to it.

        ``phone_number`` is the account's number as a shared contact carries it (Telegram
        sends digits without "+", e.g. ``"989120822930"``); it is kept exactly as given.
        """
        user = SimUser(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_bot=is_bot,
            phone_number=phone_number,
        )
        self.state.users[user_id] = user
        return user

    def add_group(
        self, chat_id: int, title: str, *, supergroup: bool = False, forum: bool = False
    ) -> SimChat:
        """A group the bot is a member of (group ids are negative); ``forum``: a supergroup
        with topics (see :meth:`create_topic`)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = "supergroup" if supergroup or forum else "group"
        chat = SimChat(id=chat_id, title=title, type=kind, is_forum=forum)
        self.state.chats[chat_id] = chat
        return chat

    async def create_topic(self, chat_id: int, name: str, *, by: int) -> int:
        """User ``by`` creates topic ``name`` in forum ``chat_id``; the bot gets the
        ``forum_topic_created`` service message. Returns the topic's ``message_thread_id``."""
        message = self.state.make_topic(self.state.users[by], chat_id, name)
        await self.state.push_update("message", message)
        return int(message["message_thread_id"])

    async def close_topic(self, chat_id: int, thread_id: int, *, by: int) -> None:
        """An admin closes the topic: the bot's messages to it get 400 "TOPIC_CLOSED"."""
        await self._topic_service(chat_id, thread_id, by, "forum_topic_closed", closed=True)

    async def reopen_topic(self, chat_id: int, thread_id: int, *, by: int) -> None:
        await self._topic_service(chat_id, thread_id, by, "forum_topic_reopened", closed=False)

    async def _topic_service(
        self, chat_id: int, thread_id: int, by: int, kind: str, *, closed: bool
    ) -> None:
        chat = self.state.chats[chat_id]
        topic = chat.topics.get(thread_id)
        if topic is None:
            raise AssertionError(f"chat {chat_id} has no topic {thread_id}")
        topic.closed = closed
        message = self.state.make_service_message(
            self.state.users[by], chat_id, {kind: {}}, shown=f"[{kind}]", thread_id=thread_id
        )
        await self.state.push_update("message", message)

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """An admin deletes the topic and every message in it (Telegram sends no update): the
        bot's messages to it get 400 "message thread not found"."""
        self.state.remove_topic(chat_id, thread_id)

    async def upgrade_group(
        self, chat_id: int, *, by: int, new_chat_id: int | None = None, notify: bool = True
    ) -> int:
        """User ``by`` upgrades basic group ``chat_id`` to a supergroup: a new chat with a new
        id (``-100`` followed by digits, by default). Returns the new id.

        With ``notify`` the bot gets the two service messages Telegram sends: in the old group
        one with ``migrate_to_chat_id``, in the new supergroup one with
        ``migrate_from_chat_id``. Without it (the updates were lost, or the bot was down) it
        learns only from the 400 its next request to the old id gets.
        """
        old = self.state.chats.get(chat_id)
        if old is None or old.type != "group" or old.migrated_to is not None:
            raise AssertionError(f"chat {chat_id} is not a basic group that can be upgraded")
        new_id = new_chat_id if new_chat_id is not None else -(10**12 + abs(chat_id))
        if new_id in self.state.chats or new_id >= 0:
            raise ValueError(f"{new_id} cannot be the supergroup's id")
        user = self.state.users[by]
        self.state.chats[new_id] = SimChat(
            id=new_id, title=old.title, type="supergroup", bot_is_member=old.bot_is_member
        )
        to = self.state.make_service_message(
            user, chat_id, {"migrate_to_chat_id": new_id}, shown=f"[upgrades the group: {new_id}]"
        )
        old.migrated_to = new_id
        since = self.state.make_service_message(
            user, new_id, {"migrate_from_chat_id": chat_id}, shown=f"[upgraded from {chat_id}]"
        )
        shown = self.state.shown_keyboards.pop(chat_id, None)
        if shown is not None:
            self.state.shown_keyboards[new_id] = shown
        if notify:
            await self.state.push_update("message", to)
            await self.state.push_update("message", since)
        return new_id

    async def user_sends(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        text_mentions: dict[str, int] | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user types ``text`` in ``chat_id`` (their private chat with the bot by default),
        in forum topic ``thread_id`` if given ("General" otherwise).

        Writing to the bot in private is what pressing Start does: afterwards the bot may write
        back. Returns the message as the bot will receive it.
        """
        user = self.state.users[user_id]
        chat = user_id if chat_id is None else chat_id
        if chat == user_id:
            user.started = True
            user.blocked = False
        message = self.state.make_user_message(
            user, chat, text, reply_to=reply_to, text_mentions=text_mentions, thread_id=thread_id
        )
        await self.state.push_update("message", message)
        return message

    async def press_reply_button(
        self, user_id: int, text: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user taps the reply keyboard button labelled ``text`` in ``chat_id`` (their private
        chat with the bot by default): a text button sends its text, a ``request_contact`` one
        shares their number as :meth:`share_contact` does. A used one-time keyboard hides in a
        private chat. No such button shown is an AssertionError; so is any other request button
        (location, poll, ...), which the simulator cannot press.
        """
        chat = user_id if chat_id is None else chat_id
        button = self.state.reply_button(user_id, chat, lambda b: b["text"] == text, repr(text))
        if _requests_contact(button):
            return await self._share_contact(user_id, chat)
        if any(
            value not in (None, False)
            for key, value in button.items()
            if key.startswith("request_") or key == "web_app"
        ):
            raise AssertionError(f"the simulator cannot press the request button {text!r}")
        self.state.reply_keyboard_used(user_id, chat)
        return await self.user_sends(user_id, text, chat_id=chat_id)

    async def share_contact(self, user_id: int) -> dict[str, Any]:
        """The user presses the ``request_contact`` button the bot shows in their private chat.

        The bot gets a message with no text and ``contact``: the user's own ``phone_number``,
        names and ``user_id``, as Telegram sends a shared number. A one-time keyboard hides
        after it (Telegram clients let a person bring a used one-time keyboard back; the
        simulator does not). No such button shown is an AssertionError (no client could share
        it), a user without a ``phone_number`` a ValueError. Returns the message.
        """
        self.state.reply_button(user_id, user_id, _requests_contact, "with request_contact")
        return await self._share_contact(user_id, user_id)

    async def _share_contact(self, user_id: int, chat_id: int) -> dict[str, Any]:
        user = self.state.users[user_id]
        if user.phone_number is None:
            raise ValueError(f"user {user_id} has no phone_number to share (see add_user)")
        self.state.reply_keyboard_used(user_id, chat_id)
        contact: dict[str, Any] = {"phone_number": user.phone_number, "first_name": user.first_name}
        if user.last_name is not None:
            contact["last_name"] = user.last_name
        contact["user_id"] = user.id
        shown = f"[shares their phone number {user.phone_number}]"
        return await self._contact_message(user_id, chat_id, contact, shown)

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        *,
        first_name: str = "Someone",
        last_name: str | None = None,
        contact_user_id: int | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """The user attaches a contact card from their address book to ``chat_id`` (their
        private chat with the bot by default): any number, under any name, with ``user_id``
        only when ``contact_user_id`` names the Telegram account it belongs to. Returns the
        message as the bot will receive it.
        """
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if last_name is not None:
            contact["last_name"] = last_name
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        shown = f"[sends contact {first_name}: {phone_number}]"
        return await self._contact_message(user_id, chat_id, contact, shown)

    async def forward_contact(
        self, user_id: int, contact_message: dict[str, Any], *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user forwards a contact message (as :meth:`share_contact`, :meth:`send_contact`
        or this method returned it, anyone's) to ``chat_id`` (their private chat with the bot
        by default). The new message has the same ``contact`` and a ``forward_origin`` naming
        the original sender (kept from the original when it was a forward itself).
        """
        contact = contact_message.get("contact")
        if not isinstance(contact, dict):
            raise ValueError("forward_contact takes a message with a contact")
        origin = contact_message.get("forward_origin") or {
            "type": "user",
            "date": contact_message["date"],
            "sender_user": contact_message["from"],
        }
        shown = f"[forwards contact {contact['first_name']}: {contact['phone_number']}]"
        return await self._contact_message(user_id, chat_id, contact, shown, origin)

    async def _contact_message(
        self,
        user_id: int,
        chat_id: int | None,
        contact: dict[str, Any],
        shown: str,
        forward_origin: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        user = self.state.users[user_id]
        chat = user_id if chat_id is None else chat_id
        if chat == user_id:
            user.started = True
            user.blocked = False
        message = self.state.make_contact_message(
            user, chat, contact, shown=shown, forward_origin=forward_origin
        )
        await self.state.push_update("message", message)
        return message

    async def user_edits(self, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The author edits one of their messages: Telegram sends an ``edited_message``."""
        original = self.state.messages[chat_id][message_id]
        edited = dict(original, text=text, edit_date=int(time.time()))
        self.state.messages[chat_id][message_id] = edited
        await self.state.push_update("edited_message", edited)
        return edited

    async def press_button(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        data: str | None = None,
        *,
        text: str | None = None,
    ) -> dict[str, Any]:
        """The user presses an inline button under bot message ``message_id`` in ``chat_id``.

        ``text="Answer"`` presses the callback button with that label on the message as it is
        now, and fails the test (AssertionError) if there is none; ``data="..."`` sends that
        ``callback_data`` whatever the keyboard holds, as a forged or stale press would. The bot
        gets a ``callback_query`` update; returns it (its ``id`` is what :meth:`answer_to`
        takes). A press no client could make (a deleted or someone else's message, another
        person's private chat) is an AssertionError too.
        """
        query = self.state.make_callback_query(user_id, chat_id, message_id, data, text=text)
        await self.state.push_update("callback_query", query)
        return query

    def open_web_app(
        self,
        user_id: int,
        message_id: int,
        *,
        auth_date: int,
        text: str | None = None,
    ) -> str:
        """The user taps the ``web_app`` button (labelled ``text``, or the first one) under bot
        message ``message_id`` in their private chat: the URL their Telegram app opens, with
        ``initData`` signed for them with this bot's token at Unix time ``auth_date`` (see
        :mod:`bot.simulator.webapp`). No such button is an AssertionError."""
        message = self.current(user_id, message_id)
        rows = (message.reply_markup or {}).get("inline_keyboard") or []
        urls = [
            b["web_app"]["url"]
            for row in rows
            for b in row
            if "web_app" in b and (text is None or b.get("text") == text)
        ]
        assert urls, f"no web_app button {text or ''!r} under message {message_id}"
        user = self.state.users[user_id].as_json()
        return launch_url(urls[0], sign_init_data(self.token, user, auth_date=auth_date))

    async def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver an update again, as Telegram does when it thinks the first try failed."""
        kind = next(k for k in update if k != "update_id")
        await self.state.push_update(kind, update[kind])

    async def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot; Telegram tells the bot with a ``my_chat_member`` update.

        ``notify=False`` leaves the bot unaware (the update was lost, or the bot was down), so
        its next private message meets a 403.
        """
        user = self.state.users[user_id]
        user.blocked = True
        if notify:
            bot = self.state.bot.as_json()
            await self.state.push_update(
                "my_chat_member",
                {
                    "chat": user.private_chat(),
                    "from": user.as_json(),
                    "date": int(time.time()),
                    "old_chat_member": {"user": bot, "status": "member"},
                    "new_chat_member": {"user": bot, "status": "kicked", "until_date": 0},
                },
            )

    def deactivate(self, user_id: int) -> None:
        self.state.users[user_id].deactivated = True

    def add_fault(self, **kwargs: Any) -> None:
        """Make a method fail; see :class:`SimFault`."""
        self.faults.add(SimFault(**kwargs))

    # -- what happened ------------------------------------------------------------------------

    def transcript(self, chat_id: int) -> list[TimelineEntry]:
        """Everything written in ``chat_id``, by people and by the bot, in order."""
        return [entry for entry in self.state.timeline if entry.chat_id == chat_id]

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to ``chat_id``, oldest first (edits appear as new entries)."""
        return [s for s in self.state.sent if s.chat_id == chat_id]

    def sent_in(self, chat_id: int, thread_id: int | None) -> list[SentMessage]:
        """Messages the bot sent to topic ``thread_id`` of ``chat_id`` (None: "General"),
        oldest first (edits appear as new entries)."""
        return [s for s in self.sent_to(chat_id) if s.message_thread_id == thread_id]

    def current(self, chat_id: int, message_id: int) -> SentMessage:
        """Bot message ``message_id`` as people see it now (its latest edit).

        Fails the test (AssertionError) if the bot never sent it or deleted it.
        """
        sent = self.state.current_sent(chat_id, message_id)
        if sent is None:
            raise AssertionError(f"no bot message {message_id} in chat {chat_id} (or deleted)")
        return sent

    def reply_keyboard(self, chat_id: int) -> list[dict[str, Any]] | None:
        """The reply keyboard ``chat_id`` shows now, its buttons row by row (each an object,
        see :attr:`SentMessage.reply_keyboard`); None when it shows none."""
        shown = self.state.shown_keyboards.get(chat_id)
        return None if shown is None else shown.reply_keyboard

    def current_in(self, chat_id: int) -> list[SentMessage]:
        """Every bot message still in ``chat_id``, each as people see it now, oldest first."""
        latest: dict[int, SentMessage] = {}
        for sent in self.sent_to(chat_id):
            latest[sent.message_id] = sent
        return sorted(latest.values(), key=lambda s: s.message_id)

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """Every ``answerCallbackQuery`` the simulator accepted, oldest first."""
        return self.state.callback_answers

    def answer_to(self, callback_query_id: str) -> CallbackAnswer | None:
        """The bot's answer to a press (see :meth:`press_button`); None while unanswered."""
        query = self.state.callback_queries.get(callback_query_id)
        if query is None:
            raise AssertionError(f"no button press {callback_query_id!r}")
        return query.answer

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of a Bot API ``method`` received so far."""
        return [p for m, p in self.state.api_calls if m.lower() == method.lower()]

    async def wait_until(
        self, predicate: Callable[[], bool], *, timeout: float = 10.0, what: str = "condition"
    ) -> None:
        """Poll ``predicate`` until true; fail loudly after ``timeout`` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def wait_idle(self, *, timeout: float = 10.0) -> None:
        """Wait until the bot has fetched and confirmed every update (or took every webhook)."""
        await self.wait_until(
            lambda: not self.state.pending and not self._deliveries,
            timeout=timeout,
            what="the bot to take all updates",
        )
