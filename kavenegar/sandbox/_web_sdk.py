"""A stand-in for Kavenegar's browser SDK, served by the sandbox (never part of the real API).

``GET /_sandbox/web-sdk.js`` is a script with the surface Kavenegar's samples use
(``new KavenegarCall(Environment.PRODUCTION)``, ``initCall({callId, accessToken, ...},
(joinResult, call) => ...)``, ``call.onStatusChanged``, ``call.onFinished``, ``call.hangup()``,
``call.accept()``, ``call.dispose()``), for a page that loads the SDK from
``KAVENEGAR_WEB_SDK_URL``. Its join is a real join of the sandbox's call: the side is the one
whose ``accessToken`` was given (another token is ``access_denied``, as the real SDK's
``JoinStatus`` says), and every join is recorded in ``web_sdk_joins`` (call id, token, side) so
a test can check the page joined with exactly the token it was meant to. The script polls the
call's status and reports ``ringing`` → ``conversation`` → ``finished`` as the SDK's callbacks.

The script posts ``text/plain`` JSON so a page of another origin needs no CORS preflight; the
answers allow any origin.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ._state import SandboxError, SandboxState, SimCall

__all__ = ["JOINS_KEY", "WEB_SDK_SCRIPT", "add_web_sdk"]

JOINS_KEY = web.AppKey("web_sdk_joins", list)
_CORS = {"Access-Control-Allow-Origin": "*"}


def add_web_sdk(app: web.Application, prefix: str, state: SandboxState) -> None:
    """The script and its three routes under ``prefix`` (the sandbox's control prefix)."""
    app[JOINS_KEY] = []

    async def script(request: web.Request) -> web.Response:
        return web.Response(text=WEB_SDK_SCRIPT, content_type="text/javascript", headers=_CORS)

    async def join(request: web.Request) -> web.Response:
        found = await _call_and_side(request, state)
        if isinstance(found, web.Response):
            return found
        call, side, token = found
        try:
            state.join(call.id, side)
        except SandboxError:
            return _answer(joinResult="call_session_finished")
        request.app[JOINS_KEY].append({"callId": call.id, "accessToken": token, "side": side})
        direction = "OUTBOUND" if side == "caller" else "INBOUND"
        return _answer(joinResult="success", direction=direction, status=call.status)

    async def status(request: web.Request) -> web.Response:
        found = await _call_and_side(request, state)
        if isinstance(found, web.Response):
            return found
        call = found[0]
        return _answer(status=call.status, finishReason=call.finish_reason)

    async def hangup(request: web.Request) -> web.Response:
        found = await _call_and_side(request, state)
        if isinstance(found, web.Response):
            return found
        call = state.hangup(found[0].id)
        return _answer(status=call.status, finishReason=call.finish_reason)

    app.router.add_get(f"{prefix}/web-sdk.js", script)
    app.router.add_post(f"{prefix}/web-sdk/join", join)
    app.router.add_post(f"{prefix}/web-sdk/status", status)
    app.router.add_post(f"{prefix}/web-sdk/hangup", hangup)


async def _call_and_side(
    request: web.Request, state: SandboxState
) -> tuple[SimCall, str, str] | web.Response:
    """The call and the side whose token the body names; else the SDK's refusal."""
    try:
        body: Any = json.loads(await request.text())
        call_id, token = str(body["callId"]), str(body["accessToken"])
    except (ValueError, KeyError, TypeError):
        return _answer(400, joinResult="invalid_call")
    try:
        call = state.get_call(call_id)
    except SandboxError:
        return _answer(joinResult="invalid_call")
    if token == call.caller.access_token:
        return call, "caller", token
    if token == call.receptor.access_token:
        return call, "receptor", token
    return _answer(joinResult="access_denied")


def _answer(http_status: int = 200, **fields: Any) -> web.Response:
    return web.json_response(fields, status=http_status, headers=_CORS)


WEB_SDK_SCRIPT = r"""
(function () {
  "use strict";
  var base = document.currentScript.src.replace(/\/web-sdk\.js(\?.*)?$/, "");
  function post(path, body) {
    return fetch(base + "/" + path, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(body),
    }).then(function (response) { return response.json(); });
  }
  window.Environment = { PRODUCTION: "production", TEST: "test" };
  window.JoinStatus = {
    SUCCESS: "success", ACCESS_DENIED: "access_denied", INVALID_CALL: "invalid_call",
    CALL_SESSION_FINISHED: "call_session_finished", FAILED_TO_CONNECT: "failed_to_connect",
  };
  window.__kavenegarSdk = { environments: [], initCalls: [] };
  function KavenegarCall(environment) {
    window.__kavenegarSdk.environments.push(environment);
  }
  KavenegarCall.prototype.initCall = function (options, done) {
    var ids = { callId: options.callId, accessToken: options.accessToken };
    window.__kavenegarSdk.initCalls.push({
      callId: options.callId,
      accessToken: options.accessToken,
      hasLocalStream: !!(options.localStream && options.localStream.getAudioTracks().length),
      hasRemoteElement: !!options.remoteElement,
    });
    post("web-sdk/join", ids).then(function (answer) {
      if (answer.joinResult !== "success") { done(answer.joinResult, null); return; }
      var last = null, timer = null;
      var call = {
        direction: answer.direction,
        onStatusChanged: null,
        onFinished: null,
        accept: function () {},
        ringing: function () {},
        reject: function () { return call.hangup(); },
        hangup: function () { return post("web-sdk/hangup", ids).then(report); },
        dispose: function () { if (timer) clearInterval(timer); timer = null; },
      };
      function report(state) {
        if (!state || !state.status || state.status === last) return;
        last = state.status;
        if (call.onStatusChanged) call.onStatusChanged(state.status);
        if (state.status === "finished") {
          call.dispose();
          if (call.onFinished) call.onFinished(state.finishReason || "unknown");
        }
      }
      done("success", call);
      report({ status: answer.status });
      timer = setInterval(function () { post("web-sdk/status", ids).then(report); }, 250);
    });
  };
  window.KavenegarCall = KavenegarCall;
})();
"""
