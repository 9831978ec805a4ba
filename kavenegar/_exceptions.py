"""Exceptions raised by the Kavenegar Call client.

The tree::

    KavenegarError
    ├── APIConnectionError          the request got no HTTP response
    │   └── APITimeoutError         ... because a timeout or the total deadline ran out
    ├── APIResponseValidationError  a 2xx response whose body is not what the API documents
    └── APIStatusError              the API answered with a status other than 2xx
        ├── BadRequestError             400
        ├── AuthenticationError         401
        ├── PermissionDeniedError       403
        ├── NotFoundError               404
        ├── ConflictError               409
        ├── UnprocessableEntityError    422
        ├── RateLimitError              429 (``retry_after`` in seconds, when the server gave one)
        └── InternalServerError         >= 500

Input that fails validation before any request raises :class:`pydantic.ValidationError` or
:class:`ValueError`; both are ``ValueError``. No message or ``repr`` here ever holds the API token:
messages are built from the method, the API path, the status and the documented error fields only.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "KavenegarError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
]


class KavenegarError(Exception):
    """Base class of every error this package raises on purpose."""


class APIConnectionError(KavenegarError):
    """The request could not be completed: DNS, refused connection, reset, protocol error.

    ``request_sent`` is False only when the request certainly never reached the server (the
    connection was never made); otherwise the server may have acted on it, so a ``POST /calls``
    that failed this way may have created a call.
    """

    def __init__(self, message: str, *, method: str, path: str, request_sent: bool = True) -> None:
        super().__init__(f"{message} ({method} {path})")
        self.method = method
        self.path = path
        self.request_sent = request_sent

    def __repr__(self) -> str:
        return f"{type(self).__name__}(method={self.method!r}, path={self.path!r})"


class APITimeoutError(APIConnectionError):
    """No answer in time. For a POST the server may still have acted on the request."""


class APIResponseValidationError(KavenegarError):
    """A successful status with a body that does not parse as the documented shape."""

    def __init__(self, *, response: httpx.Response, method: str, path: str, detail: str) -> None:
        super().__init__(
            f"{response.status_code} response is not a valid {detail} ({method} {path})"
        )
        self.response = response
        self.status_code = response.status_code
        self.body = response.text
        self.method = method
        self.path = path

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, "
            f"method={self.method!r}, path={self.path!r})"
        )


class APIStatusError(KavenegarError):
    """The API answered with a non-2xx status.

    Attributes:
        status_code: the HTTP status.
        status: the body's ``status`` string (e.g. ``"bad_request"``), or None if absent.
        reasons: the body's ``reasons`` list, empty if absent.
        body: the raw body text, kept even when it is not JSON.
        response: the :class:`httpx.Response`.
    """

    def __init__(self, *, response: httpx.Response, method: str, path: str) -> None:
        self.response = response
        self.status_code = response.status_code
        self.body = response.text
        self.method = method
        self.path = path
        self.status, self.reasons = _parse_error_body(self.body)
        label = self.status or response.reason_phrase or "error"
        detail = f": {', '.join(self.reasons)}" if self.reasons else ""
        super().__init__(f"{self.status_code} {label}{detail} ({method} {path})")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, status={self.status!r}, "
            f"reasons={self.reasons!r}, method={self.method!r}, path={self.path!r})"
        )


class BadRequestError(APIStatusError):
    """400: the request was refused as invalid."""


class AuthenticationError(APIStatusError):
    """401: the API token is missing, wrong or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the token is valid but may not do this."""


class NotFoundError(APIStatusError):
    """404: no such call or endpoint."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the current state."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was understood but cannot be carried out."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` says how long the server asked to wait."""

    def __init__(
        self, *, response: httpx.Response, method: str, path: str, retry_after: float | None
    ) -> None:
        super().__init__(response=response, method=method, path=path)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """>= 500: the service failed or is unavailable."""


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
}


def make_status_error(
    response: httpx.Response, *, method: str, path: str, retry_after: float | None = None
) -> APIStatusError:
    """Pick the exception class for ``response.status_code``; the one place that maps them."""
    code = response.status_code
    if code == 429:
        return RateLimitError(response=response, method=method, path=path, retry_after=retry_after)
    if code >= 500:
        return InternalServerError(response=response, method=method, path=path)
    cls = _STATUS_ERRORS.get(code, APIStatusError)
    return cls(response=response, method=method, path=path)


def _parse_error_body(text: str) -> tuple[str | None, list[str]]:
    """Read ``{"status": ..., "reasons": [...]}`` defensively; anything else gives (None, [])."""
    try:
        data: Any = json.loads(text)
    except ValueError:
        return None, []
    if not isinstance(data, dict):
        return None, []
    status = data.get("status")
    reasons = data.get("reasons")
    return (
        status if isinstance(status, str) else None,
        [str(r) for r in reasons] if isinstance(reasons, list) else [],
    )
