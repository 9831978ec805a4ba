"""A local Kavenegar Call API for tests and demos: ``python -m kavenegar.sandbox --port 8765``.

It follows the documented service: Bearer auth (401 with the documented error body), validation
errors with ``status``/``reasons``, endpoints auto-created by username, one ``accessToken`` per
endpoint (the docs show a user keeping the same token across calls), calls that end as
``no_one_connected`` after their minute, and 0-based pagination. Where the docs are silent the
sandbox picks a plausible answer and says so: a duplicate ``POST /endpoints`` is a 422
``duplicate_username``, a call between one username and itself a 422
``caller_and_receptor_are_same``.

A call's ``status`` goes ``new`` → ``ringing`` (one side joined) → ``conversation`` (both) →
``finished``. Only ``new`` is in Kavenegar's REST docs; the later values are the mobile SDKs'
call states, which the sandbox borrows (see ``_state``): rely on ``finished`` and
``finishReason``.

Control routes under ``/_sandbox`` (never part of the real API) let a test join, answer, hang up or
end calls with any finish reason (``POST /_sandbox/calls/{id}/finish`` with ``{"reason":
"rejected"}``), join as a web page would (``GET /_sandbox/web-sdk.js``, a stand-in for Kavenegar's
browser SDK: see ``_web_sdk``), move the clock, inject latency and faults, and read the requests
received; from Python, ``sandbox.state`` has ``join``, ``answer``, ``hangup``, ``finish`` and
``clock.advance``. What the docs leave open about ``GET /calls`` is switchable (``POST
/_sandbox/list``, or ``sandbox.state``): the largest page size (``list_max_size``, 100; larger is
the documented 400 ``bad_request``), the order (``list_order``: newest first, oldest first, or
shuffled anew for every request), calls the list leaves out (``list_omits``) and calls of another
application mixed in (``add_foreign_calls``)::

    async with KavenegarSandbox(api_token="t") as sandbox:
        async with KavenegarClient(api_token="t", base_url=sandbox.base_url) as kv:
            ...
"""

from __future__ import annotations

from typing import Any

from ..testing import FaultBook, LoopbackServer
from ._app import API_PREFIX, CONTROL_PREFIX, LOG_KEY, build_app
from ._faults import Fault
from ._state import CALL_WINDOW, ListOrder, SandboxClock, SandboxError, SandboxState, SimCall
from ._web_sdk import JOINS_KEY

__all__ = [
    "CALL_WINDOW",
    "Fault",
    "KavenegarSandbox",
    "ListOrder",
    "LoopbackServer",  # kept for compatibility: it lives in kavenegar.testing
    "SandboxClock",
    "SandboxError",
    "SandboxState",
    "SimCall",
]


class KavenegarSandbox(LoopbackServer):
    """Runs the sandbox on a loopback port inside the current event loop."""

    def __init__(
        self,
        *,
        api_token: str = "sandbox-api-token",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: SandboxClock | None = None,
        app_max_duration: int | None = None,
    ) -> None:
        super().__init__(host=host, port=port)
        self.api_token = api_token
        self.state = SandboxState(clock=clock or SandboxClock(), app_max_duration=app_max_duration)
        #: Switched-on failures and ``latency``; ``faults.clear()`` switches them all off.
        self.faults: FaultBook[Fault] = FaultBook()
        self.app = build_app(self.state, self.faults, api_token)

    @property
    def base_url(self) -> str:
        """The API base URL to give a client, like ``https://api.kavenegar.io/user/v1``."""
        return self.root_url + API_PREFIX

    @property
    def control_url(self) -> str:
        return self.root_url + CONTROL_PREFIX

    @property
    def web_sdk_url(self) -> str:
        """A stand-in for Kavenegar's browser SDK (see ``_web_sdk``): a KAVENEGAR_WEB_SDK_URL."""
        return f"{self.root_url}{CONTROL_PREFIX}/web-sdk.js"

    @property
    def web_sdk_joins(self) -> list[dict[str, Any]]:
        """Every join by the stand-in browser SDK: ``callId``, ``accessToken``, ``side``."""
        return self.app[JOINS_KEY]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every API request received, oldest first (method, path, query, headers, body, and
        ``at``: the sandbox clock's time when it arrived, ISO 8601)."""
        return self.app[LOG_KEY]

    def add_fault(self, **kwargs: Any) -> None:
        """Switch on a failure; see :class:`Fault` for the arguments."""
        self.faults.add(Fault(**kwargs))
