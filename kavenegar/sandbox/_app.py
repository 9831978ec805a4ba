"""The sandbox's HTTP surface (aiohttp): the Kavenegar Call API plus ``/_sandbox`` controls."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from ..testing import FaultBook, hang
from ._faults import Fault
from ._state import SandboxError, SandboxState
from ._web_sdk import add_web_sdk

__all__ = ["API_PREFIX", "CONTROL_PREFIX", "build_app"]

API_PREFIX = "/user/v1"
CONTROL_PREFIX = "/_sandbox"
USERNAME_MAX = 50
PLATFORMS = ("ios", "android")

STATE_KEY = web.AppKey("state", SandboxState)
FAULTS_KEY = web.AppKey("faults", FaultBook[Fault])
TOKEN_KEY = web.AppKey("token", str)
LOG_KEY = web.AppKey("requests", list)


def build_app(state: SandboxState, faults: FaultBook[Fault], api_token: str) -> web.Application:
    """The aiohttp application serving one sandbox."""
    app = web.Application(middlewares=[_api_middleware])
    app[STATE_KEY], app[FAULTS_KEY], app[TOKEN_KEY], app[LOG_KEY] = state, faults, api_token, []
    app.router.add_post(f"{API_PREFIX}/calls", create_call)
    app.router.add_get(f"{API_PREFIX}/calls", list_calls)
    app.router.add_get(f"{API_PREFIX}/calls/{{call_id}}", get_call)
    app.router.add_post(f"{API_PREFIX}/endpoints", create_endpoint)
    app.router.add_get(f"{API_PREFIX}/endpoints", list_endpoints)
    app.router.add_get(f"{API_PREFIX}/endpoints/{{endpoint_id}}", get_endpoint)
    app.router.add_post(f"{CONTROL_PREFIX}/calls/{{call_id}}/join", control_join)
    app.router.add_post(f"{CONTROL_PREFIX}/calls/{{call_id}}/hangup", control_hangup)
    app.router.add_post(f"{CONTROL_PREFIX}/calls/{{call_id}}/answer", control_answer)
    app.router.add_post(f"{CONTROL_PREFIX}/calls/{{call_id}}/finish", control_finish)
    app.router.add_get(f"{CONTROL_PREFIX}/calls", control_calls)
    app.router.add_post(f"{CONTROL_PREFIX}/list", control_list)
    app.router.add_post(f"{CONTROL_PREFIX}/clock", control_clock)
    app.router.add_post(f"{CONTROL_PREFIX}/faults", control_add_fault)
    app.router.add_delete(f"{CONTROL_PREFIX}/faults", control_clear_faults)
    app.router.add_post(f"{CONTROL_PREFIX}/latency", control_latency)
    app.router.add_get(f"{CONTROL_PREFIX}/requests", control_requests)
    app.router.add_delete(f"{CONTROL_PREFIX}/requests", control_clear_requests)
    add_web_sdk(app, CONTROL_PREFIX, state)  # a stand-in for the browser SDK
    return app


def _error(http_status: int, status: str, *reasons: str) -> web.Response:
    return web.json_response({"status": status, "reasons": list(reasons)}, status=http_status)


@web.middleware
async def _api_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Record, authenticate, inject faults and latency, and turn SandboxError into its body."""
    if not request.path.startswith(API_PREFIX + "/"):
        return await handler(request)  # type: ignore[no-any-return]
    arrived = asyncio.get_running_loop().time()
    app = request.app
    path = request.path[len(API_PREFIX) :]
    body = await request.text()
    app[LOG_KEY].append(
        {
            "method": request.method,
            "path": path,
            "query": dict(request.query),
            "authorization": request.headers.get("Authorization"),
            "content_type": request.headers.get("Content-Type"),
            "body": body,
            # the sandbox clock's time when it arrived
            "at": app[STATE_KEY].clock.now().isoformat(),
        }
    )
    faults = app[FAULTS_KEY]
    await faults.delay(since=arrived)
    expected = f"Bearer {app[TOKEN_KEY]}"
    auth = request.headers.get("Authorization")
    if auth is None:
        return _error(401, "unauthorized", "missing_api_token")
    if auth != expected:
        return _error(401, "unauthorized", "invalid_api_token")
    fault = faults.take(lambda rule: rule.matches(request.method, path))
    if fault is not None and not fault.after:
        return await _fault_response(fault, request)
    try:
        response: web.StreamResponse = await handler(request)
    except SandboxError as exc:
        response = web.json_response(exc.body, status=exc.http_status)
    except web.HTTPNotFound:
        response = _error(404, "not_found", "resource_not_found")
    except web.HTTPMethodNotAllowed:
        response = _error(405, "method_not_allowed", "method_not_allowed")
    if fault is not None:
        if fault.kind == "rewrite" and isinstance(response, web.Response) and response.text:
            assert fault.rewrite is not None
            data = fault.rewrite(json.loads(response.text))
            return web.json_response(data, status=response.status)
        return await _fault_response(fault, request)
    return response


async def _fault_response(fault: Fault, request: web.Request) -> web.StreamResponse:
    if fault.kind == "hang":
        await hang()
    if fault.kind == "reset":
        if request.transport is not None:
            request.transport.abort()  # the connection drops: no status, no body
        return web.Response(status=500)
    if fault.kind == "garbage":
        return web.Response(status=200, text="<html>502 upstream garbage</html>")
    if isinstance(fault.body, str):
        return web.Response(status=fault.status, text=fault.body, headers=fault.headers)
    return web.json_response(fault.body, status=fault.status, headers=fault.headers)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.text())
    except ValueError:
        raise SandboxError(400, "bad_request", "invalid_input_parameter") from None
    if not isinstance(data, dict):
        raise SandboxError(400, "bad_request", "invalid_input_parameter")
    return data


def _participant(value: Any) -> dict[str, Any]:
    """Validate ``caller``/``receptor`` as the create-call page defines them."""
    if not isinstance(value, dict):
        raise SandboxError(400, "bad_request", "invalid_input_parameter")
    username = value.get("username")
    if not isinstance(username, str) or not username.strip() or len(username) > USERNAME_MAX:
        raise SandboxError(400, "bad_request", "invalid_input_parameter")
    display_name = value.get("displayName")
    platform = value.get("platform")
    if display_name is not None and not isinstance(display_name, str):
        raise SandboxError(400, "bad_request", "invalid_input_parameter")
    if platform is not None and platform not in PLATFORMS:
        raise SandboxError(400, "bad_request", "invalid_input_parameter")
    return {"username": username, "display_name": display_name, "platform": platform}


async def create_call(request: web.Request) -> web.Response:
    data = await _json_object(request)
    caller = _participant(data.get("caller"))
    receptor = _participant(data.get("receptor"))
    max_duration = data.get("maxDuration")
    if max_duration is not None and (
        isinstance(max_duration, bool) or not isinstance(max_duration, int) or max_duration <= 0
    ):
        raise SandboxError(400, "bad_request", "invalid_input_parameter")
    call = request.app[STATE_KEY].create_call(caller, receptor, max_duration)
    return web.json_response(call.created_json())


async def get_call(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    call = state.get_call(request.match_info["call_id"])
    return web.json_response(call.detail_json(application_id=state.application_id))


def _int_query(request: web.Request, name: str, default: int | None) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SandboxError(400, "bad_request", "invalid_input_parameter") from None


def _date_query(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise SandboxError(400, "bad_request", "invalid_input_parameter") from None


async def list_calls(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    page = _int_query(request, "page", 0) or 0
    size = _int_query(request, "size", 20) or 20
    if state.list_caps_silently and size > state.list_max_size:
        size = state.list_max_size
    if page < 0 or not 1 <= size <= state.list_max_size:
        raise SandboxError(400, "bad_request", "invalid_input_parameter")
    calls = state.list_calls(
        endpoint_id=_int_query(request, "endpointId", None),
        since=_date_query(request, "since"),
        until=_date_query(request, "until"),
    )
    chunk = calls[page * size : (page + 1) * size]
    return web.json_response(
        {
            "page": {"number": page, "size": size, "total": len(calls)},
            "result": [c.detail_json(application_id=state.application_id) for c in chunk],
        }
    )


async def create_endpoint(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    data = await _json_object(request)
    fields = _participant(data)
    mobile = data.get("mobileNumber")
    if mobile is not None and not isinstance(mobile, str):
        raise SandboxError(400, "bad_request", "invalid_input_parameter")
    if fields["username"] in state.endpoints:
        # Undocumented upstream; the sandbox refuses a duplicate rather than guess an upsert.
        raise SandboxError(422, "unprocessable_entity", "duplicate_username")
    endpoint = state.upsert_endpoint(**fields, mobile_number=mobile)
    return web.json_response(endpoint.as_json(application_id=state.application_id))


async def list_endpoints(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    items = [e.as_json(application_id=state.application_id) for e in state.endpoints.values()]
    return web.json_response(
        {"page": {"number": 0, "size": len(items), "total": len(items)}, "result": items}
    )


async def get_endpoint(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    try:
        endpoint_id = int(request.match_info["endpoint_id"])
    except ValueError:
        raise SandboxError(404, "not_found", "endpoint_not_found") from None
    endpoint = state.endpoint_by_id(endpoint_id)
    return web.json_response(endpoint.as_json(application_id=state.application_id))


# Control routes: for tests and the demo, never part of the real API.


async def _control_body(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    data = json.loads(text) if text else {}
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


async def control_join(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    side = (await _control_body(request)).get("side", "")
    try:
        call = state.join(request.match_info["call_id"], str(side))
    except SandboxError as exc:
        return web.json_response(exc.body, status=exc.http_status)
    return web.json_response(call.detail_json(application_id=state.application_id))


async def control_hangup(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    try:
        call = state.hangup(request.match_info["call_id"])
    except SandboxError as exc:
        return web.json_response(exc.body, status=exc.http_status)
    return web.json_response(call.detail_json(application_id=state.application_id))


async def control_answer(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    try:
        call = state.answer(request.match_info["call_id"])
    except SandboxError as exc:
        return web.json_response(exc.body, status=exc.http_status)
    return web.json_response(call.detail_json(application_id=state.application_id))


async def control_finish(request: web.Request) -> web.Response:
    """``{"reason": "rejected"}``: end the call with that ``finishReason``."""
    state = request.app[STATE_KEY]
    reason = (await _control_body(request)).get("reason")
    try:
        call = state.finish(
            request.match_info["call_id"], reason if isinstance(reason, str) else ""
        )
    except SandboxError as exc:
        return web.json_response(exc.body, status=exc.http_status)
    return web.json_response(call.detail_json(application_id=state.application_id))


async def control_calls(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    calls = state.all_calls()
    return web.json_response([c.detail_json(application_id=state.application_id) for c in calls])


async def control_list(request: web.Request) -> web.Response:
    """Set what the docs leave open about ``GET /calls``: ``{"max_size": 50, "order":
    "shuffled", "omit": ["<call id>"], "foreign": 30, "caps_silently": true}`` (each optional;
    ``foreign`` adds that many calls of another application; ``caps_silently`` cuts a larger
    size to ``max_size`` instead of refusing it)."""
    state = request.app[STATE_KEY]
    data = await _control_body(request)
    max_size, order = data.get("max_size", state.list_max_size), data.get("order", state.list_order)
    omit, foreign = data.get("omit", []), data.get("foreign", 0)
    caps = data.get("caps_silently", state.list_caps_silently)
    if (
        not isinstance(max_size, int)
        or max_size < 1
        or order not in ("newest", "oldest", "shuffled")
        or not isinstance(omit, list)
        or not all(isinstance(i, str) for i in omit)
        or not isinstance(foreign, int)
        or foreign < 0
        or not isinstance(caps, bool)
    ):
        raise web.HTTPBadRequest(text="expected max_size >= 1, order, omit (ids), foreign >= 0")
    state.list_max_size, state.list_order = max_size, order
    state.list_caps_silently = caps
    state.list_omits.update(omit)
    state.add_foreign_calls(foreign)
    return web.json_response(
        {
            "max_size": max_size,
            "order": order,
            "omit": sorted(state.list_omits),
            "caps_silently": caps,
        }
    )


async def control_clock(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    state.clock.advance(float((await _control_body(request)).get("advance", 0)))
    return web.json_response({"now": state.clock.now().isoformat()})


async def control_add_fault(request: web.Request) -> web.Response:
    data = await _control_body(request)
    try:
        request.app[FAULTS_KEY].add(Fault(**data))
    except (TypeError, ValueError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response({"ok": True})


async def control_clear_faults(request: web.Request) -> web.Response:
    request.app[FAULTS_KEY].clear()
    return web.json_response({"ok": True})


async def control_latency(request: web.Request) -> web.Response:
    request.app[FAULTS_KEY].latency = float((await _control_body(request)).get("seconds", 0))
    return web.json_response({"ok": True})


async def control_requests(request: web.Request) -> web.Response:
    return web.json_response(request.app[LOG_KEY])


async def control_clear_requests(request: web.Request) -> web.Response:
    request.app[LOG_KEY].clear()
    return web.json_response({"ok": True})
