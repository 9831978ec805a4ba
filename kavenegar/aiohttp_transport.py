"""An httpx transport that moves the bytes with aiohttp: the client's API, a fraction of its CPU.

httpx's own transport (httpcore over anyio) spends about 0.6 ms of CPU on every request; aiohttp
about 0.1 ms (measured against the same local server, see the project's ``bench/README.md``). A
client that places calls on a busy event loop can pass this transport::

    from kavenegar import KavenegarClient
    from kavenegar.aiohttp_transport import AiohttpTransport

    client = KavenegarClient(transport=AiohttpTransport())

Everything above the transport stays httpx's: requests, responses, timeouts, errors. aiohttp's
errors become the httpx errors that mean the same thing for the one question that matters for a
paid call, whether the request may have reached the server (:attr:`~kavenegar.APIConnectionError
.request_sent`): only a failure to connect (refused, unresolvable, a TLS handshake that failed,
no connection within the connect or pool timeout) is a ``ConnectError`` or ``ConnectTimeout``,
"certainly not sent"; everything after the connection was made (a reset, a disconnect, a read
timeout, an unreadable answer) is an error that may follow a request the server received.

Needs aiohttp (``pip install aiohttp``); the rest of the package does not import this module.
"""

from __future__ import annotations

import functools
import ssl
import urllib.request
from typing import Any

import aiohttp
import httpx

__all__ = ["AiohttpTransport", "env_proxy"]

#: Seconds an idle connection is kept for the next request (httpx's default).
KEEPALIVE = 5.0
#: Request headers aiohttp sets itself from the URL and the body.
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncBaseTransport`` over one ``aiohttp.ClientSession``, opened on first use.

    ``verify``: check the server's certificate against the authorities httpx trusts (True:
    certifi's, or those ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` name), an ``ssl.SSLContext`` of your
    own, or not at all (False). ``max_connections``: requests at
    once; more wait for a connection within the request's pool timeout.
    """

    def __init__(self, *, verify: ssl.SSLContext | bool = True, max_connections: int = 100) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        #: as httpx's own: certifi's authorities, or SSL_CERT_FILE / SSL_CERT_DIR when set
        self._ssl = httpx.create_ssl_context(verify=verify)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                # idle connections kept 5 s as httpx keeps them: a POST on a connection the
                # server is just closing is a "may have been sent" failure
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections, ssl=self._ssl, keepalive_timeout=KEEPALIVE
                ),
                trust_env=False,  # the environment's proxy: env_proxy, looked up once
                auto_decompress=False,  # httpx decodes the body, as its own transport's are
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._client()
        body = request.content or None  # (the client's bodies are bytes, never streams)
        headers = [(k, v) for k, v in request.headers.multi_items() if k not in _OWN_HEADERS]
        url = request.url
        try:
            async with session.request(
                request.method,
                str(url),
                proxy=env_proxy(url.scheme, url.host),
                data=body,
                headers=headers,
                timeout=_timeout(request.extensions.get("timeout", {})),
                allow_redirects=False,
                compress=False,
            ) as response:
                content = await response.read()
                return httpx.Response(
                    response.status,
                    headers=[
                        (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers
                    ],
                    stream=httpx.ByteStream(content),
                    request=request,
                    extensions={
                        "http_version": _version(response.version),
                        "reason_phrase": (response.reason or "").encode("latin-1"),
                    },
                )
        except Exception as exc:  # anything else too: after a POST, "may have been sent"
            raise _as_httpx(exc, request) from exc

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


@functools.lru_cache(maxsize=64)
def env_proxy(scheme: str, host: str) -> str | None:
    """The proxy the environment names for ``scheme://host`` (``HTTP_PROXY``, ``HTTPS_PROXY``,
    ``ALL_PROXY``; none for hosts in ``NO_PROXY``), as httpx's client honours it, looked up
    once per host: aiohttp's own ``trust_env`` reads the environment and ``~/.netrc`` again on
    every request. aiohttp speaks to ``http://`` proxies only; others are left out."""
    if urllib.request.proxy_bypass(host):
        return None
    proxy = urllib.request.getproxies().get(scheme)
    return proxy if proxy and proxy.startswith("http://") else None


def _timeout(given: dict[str, Any]) -> aiohttp.ClientTimeout:
    """httpx's four timeouts in aiohttp's terms: its ``connect`` covers the wait for a pooled
    connection and the connecting; reads time out between chunks, as in httpx. aiohttp has no
    write timeout: the whole request is bounded by the sum of the four instead."""
    connect, read, write, pool = (given.get(k) for k in ("connect", "read", "write", "pool"))
    parts = (connect, read, write, pool)
    return aiohttp.ClientTimeout(
        total=None if None in parts else sum(p for p in parts if p is not None),
        connect=None if connect is None or pool is None else connect + pool,
        sock_connect=connect,
        sock_read=read,
    )


def _as_httpx(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    """The httpx error that says the same about whether ``request`` may have been received."""
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # no connection (pool or connect)
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, unresolvable, TLS failed
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, aiohttp.SocketTimeoutError | aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, TimeoutError):  # the whole request's bound
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message, request=request)
    # a reset, a broken pipe, a cut body, or something unforeseen: it may have been sent
    return httpx.ReadError(message, request=request)


def _version(version: aiohttp.HttpVersion | None) -> bytes:
    return b"HTTP/1.1" if version is None else f"HTTP/{version.major}.{version.minor}".encode()
