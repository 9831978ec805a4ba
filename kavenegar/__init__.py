"""Async client for the Kavenegar Call REST API (kavenegar.io in-app voice calls).

::

    from kavenegar import KavenegarClient, Participant

    async with KavenegarClient(api_token="...") as kv:
        call = await kv.calls.create(caller="mohsen_k", receptor="mohammad_r", max_duration=100)
        call.id, call.caller.access_token, call.receptor.access_token
"""

from ._client import KavenegarClient
from ._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    DEFAULT_TOTAL_TIMEOUT,
)
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    KavenegarError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._models import (
    Call,
    CallParticipant,
    CallsPage,
    CallStatus,
    Endpoint,
    EndpointsPage,
    FinishReason,
    PageInfo,
    Participant,
    Platform,
    Recording,
)
from ._retry import RetryPolicy
from ._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "Call",
    "CallParticipant",
    "CallStatus",
    "CallsPage",
    "ConflictError",
    "Endpoint",
    "EndpointsPage",
    "FinishReason",
    "InternalServerError",
    "KavenegarClient",
    "KavenegarError",
    "NotFoundError",
    "PageInfo",
    "Participant",
    "PermissionDeniedError",
    "Platform",
    "RateLimitError",
    "Recording",
    "RetryPolicy",
    "UnprocessableEntityError",
    "__version__",
]
