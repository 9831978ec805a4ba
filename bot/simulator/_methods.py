"""The Bot API methods the bot uses, answered the way Telegram answers them.

``reply_markup`` is parsed as the Bot API server parses it (telegram-bot-api's
``Client::get_reply_markup`` over TDLib's ``get_reply_markup``), with its error texts: an inline
keyboard, a reply keyboard (``keyboard``: rows of buttons, each a string or an object with a
string ``text``; ``request_contact`` and ``request_location`` buttons in private chats only),
``remove_keyboard`` or ``force_reply``. Edits take inline keyboards only.

Forum topics: ``message_thread_id`` posts into an open topic of a forum supergroup; without it a
reply goes to the topic of the message it replies to, and anything else to "General". A topic
that does not exist (never made, or deleted) is 400 "message thread not found", a closed one 400
"TOPIC_CLOSED". A basic group upgraded to a supergroup answers every request naming its old id
with 400 "group chat was upgraded to a supergroup chat" and ``parameters.migrate_to_chat_id``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

from ._html import EntityParseError, html_to_plain
from ._state import (
    ApiError,
    CallbackAnswer,
    SentDocument,
    SentMessage,
    TelegramState,
    TimelineEntry,
    reply_keyboard_buttons,
)

__all__ = ["METHODS", "UPLOADS", "normalize_params"]

Params = dict[str, Any]
Method = Callable[[TelegramState, Params], Awaitable[Any]]

_JSON_FIELDS = {
    "reply_markup", "entities", "commands", "scope", "allowed_updates", "reply_parameters",
    "link_preview_options",
}  # fmt: skip
_INT_FIELDS = {
    "chat_id", "message_id", "offset", "limit", "timeout", "user_id", "reply_to_message_id",
    "max_connections", "cache_time", "message_thread_id",
}  # fmt: skip
_BOOL_FIELDS = {"disable_notification", "drop_pending_updates", "protect_content", "show_alert"}
MAX_TEXT = 4096
#: A caption is 0-1024 characters after entity parsing; an uploaded file at most 50 MB.
MAX_CAPTION = 1024
MAX_UPLOAD = 50 * 1024 * 1024
#: The key under which a multipart request's file parts reach a method (by part name).
UPLOADS = "__uploads__"
#: ``callback_data`` is 1-64 bytes; an ``answerCallbackQuery`` text 0-200 characters.
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
#: The fields that give an inline keyboard button its action; a button needs one of them.
_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_BAD_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
#: The Bot API server's texts (``Client::get_reply_markup``, ``get_keyboard_button``): it lowers
#: the first letter of its own messages after "Bad Request: ", not those it quotes.
_KEYBOARD_NOT_ARRAY = 'Bad Request: field "keyboard" must be of type Array'
_KEYBOARD_ROWS = 'Bad Request: field "keyboard" must be an Array of Arrays'
_BAD_KEYBOARD_BUTTON = "Bad Request: can't parse keyboard button: "
#: Reply keyboard fields the Bot API reads as Boolean, and the one it reads as a String.
_KEYBOARD_FLAGS = ("resize_keyboard", "one_time_keyboard", "is_persistent", "selective")
_BUTTON_FLAGS = ("request_contact", "request_phone_number", "request_location")
#: TDLib refuses these buttons outside private chats (``request_buttons_allowed``), in these
#: words; the Bot API server passes them on with the first letter lowered.
_PRIVATE_ONLY = {
    "request_contact": "Bad Request: phone number can be requested in private chats only",
    "request_phone_number": "Bad Request: phone number can be requested in private chats only",
    "request_location": "Bad Request: location can be requested in private chats only",
}
#: TDLib's answer when an edit brings anything but an inline keyboard.
_INLINE_EXPECTED = "Bad Request: inline keyboard expected"
#: A ``message_thread_id`` that names no topic of the chat (never made, deleted, or a chat
#: without topics), and one that names a closed topic.
THREAD_NOT_FOUND = "Bad Request: message thread not found"
TOPIC_CLOSED = "Bad Request: TOPIC_CLOSED"
#: The old id of a basic group upgraded to a supergroup (telegram-bot-api's
#: ``check_chat_access``), with ``parameters.migrate_to_chat_id``.
CHAT_UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"


def normalize_params(raw: dict[str, Any], *, from_form: bool) -> Params:
    """Form bodies carry everything as strings (nested values JSON-encoded); JSON bodies don't."""
    params: Params = {}
    for key, value in raw.items():
        if from_form and isinstance(value, str):
            if key in _JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError:
                    what = "reply keyboard markup" if key == "reply_markup" else key
                    raise ApiError(400, f"Bad Request: can't parse {what} JSON object") from None
            elif key in _BOOL_FIELDS:
                value = value.lower() == "true"
        if key in _INT_FIELDS and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                if key == "chat_id":
                    raise ApiError(400, "Bad Request: chat not found") from None
                raise ApiError(400, f'Bad Request: field "{key}" must be a number') from None
        params[key] = value
    return params


async def get_me(state: TelegramState, params: Params) -> Any:
    data = state.bot.as_json()
    data.update(
        can_join_groups=True,
        can_read_all_group_messages=False,
        supports_inline_queries=False,
    )
    return data


async def get_updates(state: TelegramState, params: Params) -> Any:
    if state.webhook.get("url"):
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
    offset = params.get("offset")
    if offset:
        state.confirm(offset)
    await state.wait_for_updates(float(params.get("timeout", 0) or 0))
    offset = params.get("offset")
    pending = state.pending
    if offset:
        pending = [u for u in pending if u["update_id"] >= offset]
    return pending[: int(params.get("limit", 100) or 100)]


async def delete_webhook(state: TelegramState, params: Params) -> Any:
    state.webhook.clear()
    if params.get("drop_pending_updates"):
        state.confirm(10**12)
    return True


async def set_webhook(state: TelegramState, params: Params) -> Any:
    url = str(params.get("url", ""))
    if url and urlparse(url).scheme not in ("http", "https"):
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    state.webhook = {"url": url, "secret_token": params.get("secret_token")}
    return True


async def get_webhook_info(state: TelegramState, params: Params) -> Any:
    return {"url": state.webhook.get("url", ""), "has_custom_certificate": False,
            "pending_update_count": len(state.pending)}  # fmt: skip


def _target_chat(state: TelegramState, chat_id: Any) -> int:
    """Where the bot may write, with Telegram's own refusals."""
    if not isinstance(chat_id, int):
        raise ApiError(400, "Bad Request: chat not found")
    if chat_id in state.chats:
        _not_upgraded(state, chat_id)
        if not state.chats[chat_id].bot_is_member:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat_id
    user = state.users.get(chat_id)
    if user is None:
        raise ApiError(400, "Bad Request: chat not found")
    if user.is_bot:
        raise ApiError(403, "Forbidden: bot can't send messages to bots")
    if user.deactivated:
        raise ApiError(403, "Forbidden: user is deactivated")
    if user.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    if not user.started:
        raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    return chat_id


def _not_upgraded(state: TelegramState, chat_id: Any) -> None:
    """Refuse the old id of a group upgraded to a supergroup, as Telegram does."""
    chat = state.chats.get(chat_id) if isinstance(chat_id, int) else None
    if chat is not None and chat.migrated_to is not None:
        raise ApiError(400, CHAT_UPGRADED, migrate_to_chat_id=chat.migrated_to)


def _thread(state: TelegramState, chat_id: int, params: Params, reply_to: Any = None) -> int | None:
    """The topic a message goes to: ``message_thread_id`` (an open topic of a forum), else the
    topic of the message it replies to, else none ("General")."""
    thread = params.get("message_thread_id")
    if thread is None:
        replied = state.messages.get(chat_id, {}).get(reply_to) if reply_to is not None else None
        thread = replied.get("message_thread_id") if replied is not None else None
        if thread is None:
            return None
    chat = state.chats.get(chat_id)
    topic = chat.topics.get(thread) if chat is not None and chat.is_forum else None
    if topic is None:
        raise ApiError(400, THREAD_NOT_FOUND)
    if topic.closed:
        raise ApiError(400, TOPIC_CLOSED)
    return int(thread)


def _checked_text(params: Params) -> tuple[str, str]:
    """(raw, plain) text after Telegram's checks on length and parse mode."""
    raw = params.get("text")
    if not isinstance(raw, str) or not raw.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    plain = raw
    if str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            plain = html_to_plain(raw)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    if not plain.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if len(plain) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return raw, plain


def _check_markup(
    markup: Any, *, private: bool = False, inline_only: bool = False
) -> dict[str, Any] | None:
    """The markup as the message will carry it, or None when there is nothing to show.

    As the Bot API reads it: a reply keyboard (``keyboard`` with rows) wins over an inline one,
    then ``remove_keyboard`` (or the old ``hide_keyboard``), then ``force_reply``; anything else
    is no markup. Buttons with empty text are dropped, and a keyboard left without buttons is no
    keyboard. ``private``: the message goes to a private chat (request buttons are allowed);
    ``inline_only``: an edit, which takes nothing but an inline keyboard.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, _BAD_MARKUP)
    rows = markup.get("keyboard")
    if "keyboard" in markup:
        if not isinstance(rows, list):
            raise ApiError(400, _KEYBOARD_NOT_ARRAY)
        if not all(isinstance(row, list) for row in rows):
            raise ApiError(400, _KEYBOARD_ROWS)
        for row in rows:
            for button in row:
                _check_reply_button(button)
    inline_rows = markup.get("inline_keyboard")
    if "inline_keyboard" in markup:
        if not isinstance(inline_rows, list) or not all(isinstance(r, list) for r in inline_rows):
            raise ApiError(400, _BAD_MARKUP)
        for row in inline_rows:
            for button in row:
                _check_button(button, private=private)
    if rows:
        kind = "keyboard"
    elif inline_rows:
        kind = "inline"
    elif markup.get("remove_keyboard") is True or markup.get("hide_keyboard") is True:
        kind = "remove"
    elif markup.get("force_reply") is True:
        kind = "force_reply"
    else:
        return None
    if inline_only and kind != "inline":
        raise ApiError(400, _INLINE_EXPECTED)
    if kind == "inline":
        return markup if any(inline_rows or []) else None  # an empty inline keyboard is none
    if kind != "keyboard":
        return {k: v for k, v in markup.items() if k not in ("keyboard", "inline_keyboard")}
    for name in _KEYBOARD_FLAGS:
        if name in markup and not isinstance(markup[name], bool):
            raise ApiError(400, f'Bad Request: field "{name}" must be of type Boolean')
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and not isinstance(placeholder, str):
        raise ApiError(400, 'Bad Request: field "input_field_placeholder" must be of type String')
    buttons = reply_keyboard_buttons(markup)
    if not private:
        for button in buttons:
            for name, refusal in _PRIVATE_ONLY.items():
                if button.get(name) is True:
                    raise ApiError(400, refusal)
    if not buttons:
        return None  # only empty texts: Telegram shows nothing
    return {k: v for k, v in markup.items() if k != "inline_keyboard"}


def _check_reply_button(button: Any) -> None:
    """A reply keyboard button: a string, or an object with a string ``text``."""
    if isinstance(button, str):
        return
    if not isinstance(button, dict):
        raise ApiError(400, _BAD_KEYBOARD_BUTTON + "KeyboardButton must be a String or an Object")
    if "text" not in button:
        raise ApiError(400, _BAD_KEYBOARD_BUTTON + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise ApiError(400, _BAD_KEYBOARD_BUTTON + 'Field "text" must be of type String')
    for name in _BUTTON_FLAGS:
        if name in button and not isinstance(button[name], bool):
            raise ApiError(400, _BAD_KEYBOARD_BUTTON + f'Field "{name}" must be of type Boolean')


def _check_button(button: Any, *, private: bool) -> None:
    if not isinstance(button, dict):
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be "
            "an Object"
        )  # fmt: skip
    if not isinstance(button.get("text"), str):
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: Can't find field \"text\""
        )
    if not any(key in button for key in _BUTTON_ACTIONS):
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in "
            "the inline keyboard"
        )  # fmt: skip
    url = button.get("url")
    if url is not None and urlparse(url).scheme not in ("http", "https", "tg"):
        raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "web_app" in button:
        _check_web_app(button["web_app"], private=private)


def _check_web_app(web_app: Any, *, private: bool) -> None:
    """A Mini App button: only in private chats (Telegram's ``BUTTON_TYPE_INVALID`` elsewhere),
    and its URL https. The simulator also takes http on a loopback host (tests, the demo)."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str):
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: Field \"url\" must be of "
            "type String"
        )  # fmt: skip
    if not private:
        raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
    parsed = urlparse(url)
    loopback = parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme != "https" and not loopback:
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _message_json(state: TelegramState, sent: SentMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message_id": sent.message_id,
        "date": sent.date,
        "chat": state.chat_json(sent.chat_id),
        "from": state.bot.as_json(),
    }
    if sent.document is None:
        data["text"] = sent.text
    else:
        data["document"] = sent.document.as_json()
        if sent.text:
            data["caption"] = sent.text
    if sent.message_thread_id is not None:
        data["message_thread_id"] = sent.message_thread_id
        data["is_topic_message"] = True
    if sent.reply_markup and "inline_keyboard" in sent.reply_markup:
        # A Message carries only its inline keyboard; a reply keyboard goes to the chat.
        data["reply_markup"] = sent.reply_markup
    if sent.edited:
        data["edit_date"] = sent.edit_date if sent.edit_date is not None else int(time.time())
    return data


def _record(state: TelegramState, sent: SentMessage) -> dict[str, Any]:
    """Keep a new message or a new version: in ``sent``, the timeline and the chat's messages."""
    state.sent.append(sent)
    state.timeline.append(
        TimelineEntry(
            sent.chat_id,
            state.bot.first_name,
            sent.text,
            tuple(b["url"] for b in sent.buttons),
            tuple(text for text, _ in sent.callback_buttons),
            message_id=sent.message_id,
            edited=sent.edited,
            reply_buttons=tuple(str(b["text"]) for b in sent.reply_keyboard),
            thread_id=sent.message_thread_id,
        )
    )
    message = _message_json(state, sent)
    state.messages.setdefault(sent.chat_id, {})[sent.message_id] = message
    return message


async def send_message(state: TelegramState, params: Params) -> Any:
    chat_id = _target_chat(state, params.get("chat_id"))
    raw, plain = _checked_text(params)
    sent = _new_message(state, chat_id, params, raw, plain)
    if sent.reply_keyboard:
        state.shown_keyboards[chat_id] = sent
    elif sent.removes_keyboard:
        state.shown_keyboards.pop(chat_id, None)
    return _record(state, sent)


async def send_document(state: TelegramState, params: Params) -> Any:
    """A file uploaded in a multipart form (the part ``document``, or the one ``attach://``
    names), with an optional caption, as Telegram checks them."""
    chat_id = _target_chat(state, params.get("chat_id"))
    uploads: dict[str, SentDocument] = params.get(UPLOADS) or {}
    named = params.get("document")
    if isinstance(named, str) and named.startswith("attach://"):
        upload = uploads.get(named.removeprefix("attach://"))
    else:
        upload = uploads.get("document")
    if upload is None:
        if isinstance(named, str) and named:  # a file id or a URL: none is known here
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        raise ApiError(400, "Bad Request: there is no document in the request")
    if not upload.data:
        raise ApiError(400, "Bad Request: file must be non-empty")
    if len(upload.data) > MAX_UPLOAD:
        raise ApiError(413, "Request Entity Too Large")
    raw = params.get("caption")
    raw = "" if raw is None else str(raw)
    plain = raw
    if raw and str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            plain = html_to_plain(raw)
        except EntityParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
    if len(plain) > MAX_CAPTION:
        raise ApiError(400, "Bad Request: message caption is too long")
    return _record(state, _new_message(state, chat_id, params, raw, plain, document=upload))


def _new_message(
    state: TelegramState,
    chat_id: int,
    params: Params,
    raw: str,
    plain: str,
    *,
    document: SentDocument | None = None,
) -> SentMessage:
    """The message a send makes, once its markup, reply, topic and the flood limits passed."""
    markup = _check_markup(params.get("reply_markup"), private=chat_id not in state.chats)
    reply = params.get("reply_parameters") or {}
    reply_to = reply.get("message_id") or params.get("reply_to_message_id")
    thread = _thread(state, chat_id, params, reply_to)
    state.flood.check(chat_id)
    return SentMessage(
        message_id=state.next_message_id(chat_id),
        chat_id=chat_id,
        text=plain,
        raw_text=raw,
        parse_mode=params.get("parse_mode"),
        reply_markup=markup,
        reply_to_message_id=reply_to,
        date=int(time.time()),
        message_thread_id=thread,
        document=document,
    )


def _find_sent(state: TelegramState, chat_id: Any, message_id: Any, action: str) -> SentMessage:
    for sent in reversed(state.sent):
        if sent.chat_id == chat_id and sent.message_id == message_id:
            return sent
    raise ApiError(400, f"Bad Request: message to {action} not found")


def _editable(state: TelegramState, params: Params) -> tuple[int, SentMessage]:
    """The chat and current version of the bot message an edit names, with Telegram's refusals."""
    if params.get("inline_message_id") is not None:
        raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")  # no inline messages here
    chat_id = _target_chat(state, params.get("chat_id"))
    message_id = params.get("message_id")
    if message_id is None:
        raise ApiError(400, "Bad Request: message identifier is not specified")
    sent = state.current_sent(chat_id, message_id)
    if sent is not None:
        return chat_id, sent
    if message_id in state.messages.get(chat_id, {}):
        raise ApiError(400, "Bad Request: message can't be edited")  # someone else's message
    raise ApiError(400, "Bad Request: message to edit not found")


def _new_version(old: SentMessage, markup: dict[str, Any] | None, **changes: Any) -> SentMessage:
    """The edited message with its new inline keyboard (or none). A reply keyboard the message
    brought stays with it while no inline keyboard takes its place: edits cannot touch it."""
    if markup is None and old.reply_keyboard:
        markup = old.reply_markup
    return replace(old, **changes, reply_markup=markup, edited=True, edit_date=int(time.time()))


def _inline_markup(sent: SentMessage) -> dict[str, Any] | None:
    markup = sent.reply_markup
    return markup if markup is not None and "inline_keyboard" in markup else None


async def edit_message_text(state: TelegramState, params: Params) -> Any:
    chat_id, old = _editable(state, params)
    raw, plain = _checked_text(params)
    private = chat_id not in state.chats
    markup = _check_markup(params.get("reply_markup"), private=private, inline_only=True)
    if old.raw_text == raw and _inline_markup(old) == markup:
        raise ApiError(400, _NOT_MODIFIED)
    state.flood.check(chat_id)
    new = _new_version(old, markup, text=plain, raw_text=raw, parse_mode=params.get("parse_mode"))
    return _record(state, new)


async def edit_message_reply_markup(state: TelegramState, params: Params) -> Any:
    """Replaces only the inline keyboard; without ``reply_markup`` (or an empty one) removes it."""
    chat_id, old = _editable(state, params)
    private = chat_id not in state.chats
    markup = _check_markup(params.get("reply_markup"), private=private, inline_only=True)
    if _inline_markup(old) == markup:
        raise ApiError(400, _NOT_MODIFIED)
    state.flood.check(chat_id)
    return _record(state, _new_version(old, markup))


async def delete_message(state: TelegramState, params: Params) -> Any:
    chat_id = params.get("chat_id")
    _not_upgraded(state, chat_id)
    sent = _find_sent(state, chat_id, params.get("message_id"), "delete")
    state.sent = [
        s for s in state.sent if (s.chat_id, s.message_id) != (sent.chat_id, sent.message_id)
    ]
    state.messages.get(sent.chat_id, {}).pop(sent.message_id, None)
    shown = state.shown_keyboards.get(sent.chat_id)
    if shown is not None and shown.message_id == sent.message_id:
        del state.shown_keyboards[sent.chat_id]  # the keyboard goes with its message
    return True


async def set_my_commands(state: TelegramState, params: Params) -> Any:
    commands = params.get("commands")
    if not isinstance(commands, list) or not commands:
        raise ApiError(400, "Bad Request: commands must be non-empty")
    scope = (params.get("scope") or {}).get("type", "default")
    state.commands[(scope, str(params.get("language_code") or ""))] = commands
    return True


async def get_my_commands(state: TelegramState, params: Params) -> Any:
    scope = (params.get("scope") or {}).get("type", "default")
    return state.commands.get((scope, str(params.get("language_code") or "")), [])


async def answer_callback_query(state: TelegramState, params: Params) -> Any:
    """One answer per press, in time; the text is what the person sees (a toast or an alert)."""
    query = state.callback_queries.get(str(params.get("callback_query_id", "")))
    if query is None or query.answer is not None:
        raise ApiError(400, _TOO_OLD)
    timeout = state.callback_query_timeout
    if timeout is not None and time.monotonic() - query.pressed_at > timeout:
        raise ApiError(400, _TOO_OLD)
    text = params.get("text")
    if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER:
        raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
    cache_time = params.get("cache_time")
    query.answer = CallbackAnswer(
        callback_query_id=query.id,
        user_id=query.user_id,
        chat_id=query.chat_id,
        message_id=query.message_id,
        data=query.data,
        text=None if text is None else str(text),
        show_alert=bool(params.get("show_alert", False)),
        url=params.get("url"),
        cache_time=None if cache_time is None else int(cache_time),
    )
    state.callback_answers.append(query.answer)
    return True


async def send_chat_action(state: TelegramState, params: Params) -> Any:
    chat_id = _target_chat(state, params.get("chat_id"))
    _thread(state, chat_id, params)
    return True


METHODS: dict[str, Method] = {
    "getme": get_me,
    "getupdates": get_updates,
    "deletewebhook": delete_webhook,
    "setwebhook": set_webhook,
    "getwebhookinfo": get_webhook_info,
    "sendmessage": send_message,
    "senddocument": send_document,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "answercallbackquery": answer_callback_query,
    "sendchataction": send_chat_action,
}
