"""python-telegram-bot's requests to the Bot API, carried by aiohttp instead of httpx.

python-telegram-bot sends through a :class:`~telegram.request.BaseRequest`; its own,
``HTTPXRequest``, spends about 0.8 ms of CPU on every request (httpx, httpcore and anyio), where
aiohttp spends about 0.1 ms (measured against the same local server: ``bench/README.md``). Every
update costs one such request (the next ``getUpdates``) and every message another, all on the one
event loop, so on a busy bot that is most of its CPU and a millisecond or two of every ``/call``.
aiohttp is already here for the webhook server. The Kavenegar client stays on httpx.

What stays as python-telegram-bot does it: ``BaseRequest`` turns status codes and bodies into
its exceptions (``RetryAfter``, ``Forbidden``, ``BadRequest``...); this class only moves bytes.
Parameters go as a form (files as multipart), like ``HTTPXRequest``. A timeout is
:class:`~telegram.error.TimedOut`, any other transport failure
:class:`~telegram.error.NetworkError`, whose text never holds the request's URL (the bot token
is in its path), nor keeps aiohttp's exception as its cause (whose text does). Proxies come from
``HTTPS_PROXY``/``HTTP_PROXY`` and ``NO_PROXY`` as with python-telegram-bot's own (SOCKS proxies
are not supported). The write timeout has no separate clock in aiohttp: the whole request is
bounded by the sum of the four timeouts instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from kavenegar.aiohttp_transport import env_proxy

__all__ = ["AiohttpRequest"]

#: Seconds an idle connection is kept for the next request (httpx's default).
KEEPALIVE = 5.0


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` over one ``aiohttp.ClientSession``.

    ``connections``: at most this many requests at once (more wait up to ``pool_timeout``).
    """

    def __init__(
        self,
        *,
        connections: int = 64,
        connect_timeout: float | None = 5.0,
        read_timeout: float | None = 10.0,
        write_timeout: float | None = 10.0,
        pool_timeout: float | None = 5.0,
    ) -> None:
        if connections < 1:
            raise ValueError("connections must be at least 1")
        self.connections = connections
        self._timeouts = {
            "connect": connect_timeout,
            "read": read_timeout,
            "write": write_timeout,
            "pool": pool_timeout,
        }
        self._session: aiohttp.ClientSession | None = None
        #: Told of each request: (Bot API method, HTTP status or "timeout"/"error", seconds).
        self.observe: Callable[[str, int | str, float], None] | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # the authorities httpx trusts: certifi's, or SSL_CERT_FILE / SSL_CERT_DIR when set
            tls = httpx.create_ssl_context()
            self._session = aiohttp.ClientSession(
                # idle connections kept 5 s, as httpx keeps them
                connector=aiohttp.TCPConnector(
                    limit=self.connections, ssl=tls, keepalive_timeout=KEEPALIVE
                ),
                headers={"User-Agent": self.USER_AGENT},
                trust_env=False,  # the environment's proxy: env_proxy, looked up once
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        connect = self._timeout("connect", connect_timeout)
        read = self._timeout("read", read_timeout)
        write = self._timeout("write", write_timeout)
        pool = self._timeout("pool", pool_timeout)
        parts = (connect, read, write, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        where = urlsplit(url)
        started, status = time.monotonic(), "error"
        try:
            async with session.request(
                method,
                url,
                proxy=env_proxy(where.scheme, where.hostname or ""),
                data=_body(request_data),
                timeout=timeout,
                allow_redirects=False,
            ) as response:
                body = await response.read()
                status = str(response.status)
                return response.status, body
        # "from None": aiohttp's own exceptions name the URL, and the bot token is in it
        except TimeoutError as exc:  # aiohttp's timeouts are these too
            status = "timeout"
            raise TimedOut(f"Timed out ({type(exc).__name__})") from None
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {_without(url, exc)}") from None
        finally:
            if self.observe is not None:  # the method is the path's last part (never the token)
                api_method = where.path.rsplit("/", 1)[-1] or "?"
                self.observe(api_method, status, time.monotonic() - started)

    def _timeout(self, name: str, given: ODVInput[float]) -> float | None:
        if isinstance(given, DefaultValue):
            return self._timeouts[name]
        return given


def _body(request_data: RequestData | None) -> Any:
    """A form of the parameters (JSON-encoded values), multipart when there are files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form


def _without(url: str, exc: BaseException) -> str:
    """The exception's text with the URL (and so the bot token in its path) taken out."""
    text = str(exc)
    for secret in (url, urlsplit(url).path):
        if secret:
            text = text.replace(secret, "<url>")
    return text
