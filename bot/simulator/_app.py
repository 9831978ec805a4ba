"""The simulator's HTTP surface: ``/bot<token>/<method>`` plus ``/_sim`` controls."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kavenegar.testing import FaultRule, hang

from ._methods import METHODS, UPLOADS, normalize_params
from ._state import ApiError, SentDocument

if TYPE_CHECKING:
    from . import TelegramSimulator

__all__ = ["SimFault", "build_app"]

SIM_KEY = web.AppKey("simulator", object)


@dataclass
class SimFault(FaultRule):
    """A failure for the next ``times`` calls (None: every call) of ``method``, to ``chat_id``
    if given.

    ``kind="error"`` answers ``status``/``description`` (and ``retry_after`` for 429) in
    Telegram's error shape; ``"bad_gateway"`` answers 502 with an HTML page, as Telegram's
    front end does when it is in trouble; ``"hang"`` never answers.
    """

    method: str
    kind: str = "error"
    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    chat_id: int | None = None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        return self.method.lower() == method.lower() and (
            self.chat_id is None or params.get("chat_id") == self.chat_id
        )


def build_app(sim: TelegramSimulator) -> web.Application:
    app = web.Application(client_max_size=50 * 1024 * 1024)
    app[SIM_KEY] = sim
    app.router.add_route("*", "/bot{token}/{method}", _api)
    app.router.add_post("/_sim/users", _control_add_user)
    app.router.add_post("/_sim/groups", _control_add_group)
    app.router.add_post("/_sim/topics", _control_create_topic)
    app.router.add_post("/_sim/upgrade", _control_upgrade)
    app.router.add_post("/_sim/messages", _control_user_sends)
    app.router.add_post("/_sim/faults", _control_add_fault)
    app.router.add_post("/_sim/flood", _control_flood)
    app.router.add_get("/_sim/sent", _control_sent)
    app.router.add_post("/_sim/press", _control_press)
    app.router.add_get("/_sim/callback_answers", _control_callback_answers)
    return app


def _sim(request: web.Request) -> TelegramSimulator:
    return request.app[SIM_KEY]  # type: ignore[return-value]


def _reply(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.code)


async def _read_params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return normalize_params(data if isinstance(data, dict) else {}, from_form=False)
    form = await request.post()
    merged = {**dict(request.query), **{k: v for k, v in form.items() if isinstance(v, str)}}
    params = normalize_params(merged, from_form=True)
    uploads = {
        name: SentDocument(
            file_name=part.filename or name,
            mime_type=part.content_type or "application/octet-stream",
            data=part.file.read(),
        )
        for name, part in form.items()
        if isinstance(part, web.FileField)
    }
    if uploads:  # a multipart form's file parts, by part name (``attach://<name>``)
        params[UPLOADS] = uploads
    return params


async def _api(request: web.Request) -> web.Response:
    arrived = asyncio.get_running_loop().time()
    sim = _sim(request)
    if request.match_info["token"] != sim.token:
        return _error(ApiError(401, "Unauthorized"))
    method = request.match_info["method"]
    handler = METHODS.get(method.lower())
    if handler is None:
        return _error(ApiError(404, "Not Found"))
    try:
        params = await _read_params(request)
    except ApiError as exc:
        return _error(exc)
    sim.state.api_calls.append((method, params))
    await sim.faults.delay(since=arrived)
    fault = sim.faults.take(lambda rule: rule.matches(method, params))
    if fault is not None:
        if fault.kind == "hang":
            await hang()
        if fault.kind == "bad_gateway":
            return web.Response(status=502, text="<html>502 Bad Gateway</html>")
        return _error(ApiError(fault.status, fault.description, fault.retry_after))
    try:
        return _reply(await handler(sim.state, params))
    except ApiError as exc:
        return _error(exc)


async def _body(request: web.Request) -> dict[str, Any]:
    data = json.loads(await request.text() or "{}")
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


async def _control_add_user(request: web.Request) -> web.Response:
    data = await _body(request)
    user = _sim(request).add_user(int(data.pop("id")), str(data.pop("first_name")), **data)
    return web.json_response(user.as_json())


async def _control_add_group(request: web.Request) -> web.Response:
    """``{"id", "title"}``, and ``"supergroup"`` or ``"forum"`` (a supergroup with topics)."""
    data = await _body(request)
    chat = _sim(request).add_group(
        int(data["id"]),
        str(data["title"]),
        supergroup=bool(data.get("supergroup", False)),
        forum=bool(data.get("forum", False)),
    )
    return web.json_response(chat.as_json())


async def _control_create_topic(request: web.Request) -> web.Response:
    """``{"chat_id", "name", "user_id"}``: a topic in a forum; its ``message_thread_id``."""
    data = await _body(request)
    try:
        thread_id = await _sim(request).create_topic(
            int(data["chat_id"]), str(data["name"]), by=int(data["user_id"])
        )
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc) or repr(exc)) from None
    return web.json_response({"message_thread_id": thread_id})


async def _control_upgrade(request: web.Request) -> web.Response:
    """``{"chat_id", "user_id"}`` (and ``"new_chat_id"``, ``"notify"``): a basic group becomes
    a supergroup with a new id, as Telegram upgrades it; the new ``chat_id``."""
    data = await _body(request)
    try:
        new_id = await _sim(request).upgrade_group(
            int(data["chat_id"]),
            by=int(data["user_id"]),
            new_chat_id=None if data.get("new_chat_id") is None else int(data["new_chat_id"]),
            notify=bool(data.get("notify", True)),
        )
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc) or repr(exc)) from None
    return web.json_response({"chat_id": new_id})


async def _control_user_sends(request: web.Request) -> web.Response:
    data = await _body(request)
    message = await _sim(request).user_sends(
        int(data["user_id"]),
        str(data["text"]),
        chat_id=data.get("chat_id"),
        reply_to=data.get("reply_to"),
        text_mentions=data.get("text_mentions"),
        thread_id=data.get("thread_id"),
    )
    return web.json_response(message)


async def _control_add_fault(request: web.Request) -> web.Response:
    try:
        _sim(request).add_fault(**await _body(request))
    except (TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response({"ok": True})


async def _control_flood(request: web.Request) -> web.Response:
    flood = _sim(request).state.flood
    flood.enabled = bool((await _body(request)).get("enabled", True))
    return web.json_response({"enabled": flood.enabled, "violations": flood.violations})


async def _control_sent(request: web.Request) -> web.Response:
    sim = _sim(request)
    chat = request.query.get("chat_id")
    sent = sim.state.sent if chat is None else sim.sent_to(int(chat))
    return web.json_response([asdict(s) for s in sent])


async def _control_press(request: web.Request) -> web.Response:
    """``{"user_id", "chat_id", "message_id", "text"}`` (or ``"data"``): press a button."""
    data = await _body(request)
    try:
        query = await _sim(request).press_button(
            int(data["user_id"]),
            int(data["chat_id"]),
            int(data["message_id"]),
            data.get("data"),
            text=data.get("text"),
        )
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc) or repr(exc)) from None
    return web.json_response(query)


async def _control_callback_answers(request: web.Request) -> web.Response:
    return web.json_response([asdict(a) for a in _sim(request).callback_answers])
