"""When to retry a request and how long to wait: small pure functions, tested on their own.

The rule that matters most: a ``POST`` that may have reached the server is never sent again,
because a second ``POST /calls`` is a second paid call. A POST is repeated only when the server
cannot have acted on it: the connection was never made (connect error or connect timeout, no
free connection in the pool) or the server answered 429 (it refused explicitly). Reads (GET) are
safe to repeat and also retry read timeouts, dropped connections and 502/503/504.
The backoff follows the usual capped exponential rule with jitter, and honours ``Retry-After``
when the wait is short enough to fit a chat command (the anthropic and githubkit SDKs do the same).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from ._constants import INITIAL_RETRY_DELAY, MAX_RETRY_AFTER, MAX_RETRY_DELAY

__all__ = ["RetryPolicy"]

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRYABLE_READ_STATUSES = frozenset({429, 502, 503, 504})
# The request bytes never left: safe to send again whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Anything else that can go wrong on the wire; only a read may be repeated after it.
_TRANSPORT = (httpx.TransportError,)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff settings. ``RetryPolicy(initial_delay=0, max_delay=0)`` retries without waiting."""

    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_retry_after: float = MAX_RETRY_AFTER
    jitter: float = 0.25
    random: Callable[[], float] = random.random

    def delay(self, retries_taken: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``retries_taken + 1``; None: do not retry.

        A server's ``Retry-After`` is obeyed when it is at most ``max_retry_after``; a longer one
        means giving up now rather than keeping a user waiting.
        """
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        base = min(self.initial_delay * (2.0**retries_taken), self.max_delay)
        return base * (1 - self.jitter * self.random())


def request_may_have_arrived(exc: BaseException) -> bool:
    """False when a transport failure proves the request never reached the server."""
    return not isinstance(exc, _NOT_SENT)


def should_retry_exception(method: str, exc: Exception) -> bool:
    """Whether a transport failure may be retried for this method."""
    if isinstance(exc, _NOT_SENT):
        return True
    return method.upper() in _IDEMPOTENT and isinstance(exc, _TRANSPORT)


def should_retry_status(method: str, status_code: int) -> bool:
    """Whether an error status may be retried for this method."""
    if status_code == 429:
        return True
    return method.upper() in _IDEMPOTENT and status_code in _RETRYABLE_READ_STATUSES


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)
