"""The async client: one long-lived ``httpx.AsyncClient``, retries, deadlines and error mapping."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ._auth import BearerAuth
from ._constants import (
    API_TOKEN_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
)
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    KavenegarError,
    make_status_error,
)
from ._resources import Calls, Endpoints
from ._retry import (
    RetryPolicy,
    parse_retry_after,
    request_may_have_arrived,
    should_retry_exception,
    should_retry_status,
)
from ._version import __version__

__all__ = ["KavenegarClient"]

logger = logging.getLogger("kavenegar")
ModelT = TypeVar("ModelT", bound=BaseModel)
TimeoutTypes = float | httpx.Timeout


class KavenegarClient:
    """Async client of the Kavenegar Call REST API.

    Use it as an async context manager, or call :meth:`aclose` when done::

        async with KavenegarClient(api_token="...") as kv:
            call = await kv.calls.create(caller="mohsen_k", receptor="mohammad_r")

    Args:
        api_token: the application's API token; defaults to ``$KAVENEGAR_API_TOKEN``.
        base_url: defaults to ``$KAVENEGAR_BASE_URL``, then ``https://api.kavenegar.io/user/v1``.
        timeout: per-attempt timeouts (seconds or an :class:`httpx.Timeout`).
        total_timeout: the most one operation may take, retries and waits included.
        max_retries: how often a retryable failure is retried (see :mod:`kavenegar._retry`).
        retry_policy: backoff settings.
        http_client: an ``httpx.AsyncClient`` to use (proxies, custom transports); it is
            not closed by this client.
        transport: an httpx transport for the client this one creates.

    Raises:
        KavenegarError: no API token was given or found in the environment.
    """

    def __init__(
        self,
        *,
        api_token: str | None = None,
        base_url: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        retry_policy: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        token = api_token if api_token is not None else os.environ.get(API_TOKEN_ENV)
        if not token:
            raise KavenegarError(f"no API token: pass api_token= or set {API_TOKEN_ENV}")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client= or transport=, not both")
        self.base_url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = _as_timeout(timeout)
        self.total_timeout = total_timeout
        self.max_retries = max_retries
        self.retry_policy = retry_policy or RetryPolicy()
        self._auth = BearerAuth(token)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(transport=transport, timeout=self.timeout)
        self._headers = {
            "Accept": "application/json",
            "User-Agent": f"kavenegar-call-python/{__version__} httpx/{httpx.__version__}",
        }
        self.calls = Calls(self)
        self.endpoints = Endpoints(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool, unless the ``http_client`` was passed in."""
        if self._owns_http:
            await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        timeout: TimeoutTypes | None = None,
    ) -> httpx.Response:
        """Send one API request with retries; return the 2xx response or raise a KavenegarError."""
        attempt_timeout = self.timeout if timeout is None else _as_timeout(timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.total_timeout
        headers = dict(self._headers)
        if content is not None:
            headers["Content-Type"] = "application/json"
        retries_taken = 0
        while True:
            request = self._http.build_request(
                method,
                self.base_url + path,
                content=content,
                params=params,
                headers=headers,
                timeout=attempt_timeout,
            )
            started = time.perf_counter()
            sending = False
            try:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError
                async with asyncio.timeout(remaining):
                    sending = True
                    response = await self._http.send(request, auth=self._auth)
            except (TimeoutError, httpx.TransportError) as exc:
                elapsed_ms = (time.perf_counter() - started) * 1000
                error = _connection_error(
                    exc, method, path, sending and request_may_have_arrived(exc)
                )
                logger.debug(
                    "%s %s failed after %.1f ms: %s", method, path, elapsed_ms, type(exc).__name__
                )
                delay = self._retry_delay(retries_taken, deadline, loop.time())
                retryable = isinstance(exc, Exception) and should_retry_exception(method, exc)
                if retryable and delay is not None:
                    retries_taken += 1
                    await self._wait(method, path, delay, retries_taken, type(exc).__name__)
                    continue
                raise error from exc
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug("%s %s -> %d in %.1f ms", method, path, response.status_code, elapsed_ms)
            if response.is_success:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            delay = self._retry_delay(retries_taken, deadline, loop.time(), retry_after)
            if should_retry_status(method, response.status_code) and delay is not None:
                retries_taken += 1
                await self._wait(method, path, delay, retries_taken, str(response.status_code))
                continue
            raise make_status_error(response, method=method, path=path, retry_after=retry_after)

    async def request_model(
        self,
        model: type[ModelT],
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        timeout: TimeoutTypes | None = None,
    ) -> ModelT:
        """Like :meth:`request`, parsing the body as ``model``."""
        response = await self.request(method, path, content=content, params=params, timeout=timeout)
        return parse_response(model, response, method=method, path=path)

    def _retry_delay(
        self, retries_taken: int, deadline: float, now: float, retry_after: float | None = None
    ) -> float | None:
        """Seconds to wait before the next try; None: no retry is left or it would not fit."""
        if retries_taken >= self.max_retries:
            return None
        delay = self.retry_policy.delay(retries_taken, retry_after)
        if delay is None or now + delay >= deadline:
            return None
        return delay

    async def _wait(self, method: str, path: str, delay: float, retry: int, why: str) -> None:
        logger.info(
            "retrying %s %s in %.2f s (retry %d of %d) after %s",
            method,
            path,
            delay,
            retry,
            self.max_retries,
            why,
        )
        await asyncio.sleep(delay)


def parse_response(
    model: type[ModelT], response: httpx.Response, *, method: str, path: str
) -> ModelT:
    """Validate a 2xx body as ``model``; another shape raises APIResponseValidationError."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise APIResponseValidationError(
            response=response, method=method, path=path, detail=model.__name__
        ) from exc


def _as_timeout(value: TimeoutTypes) -> httpx.Timeout:
    return value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)


def _connection_error(
    exc: BaseException, method: str, path: str, request_sent: bool
) -> APIConnectionError:
    name = type(exc).__name__
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return APITimeoutError(
            f"no answer in time: {name}", method=method, path=path, request_sent=request_sent
        )
    return APIConnectionError(
        f"connection failed: {name}", method=method, path=path, request_sent=request_sent
    )
