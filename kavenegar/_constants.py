"""Defaults of the Kavenegar Call client, in one place."""

from __future__ import annotations

import httpx

__all__ = [
    "API_TOKEN_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "DEFAULT_TOTAL_TIMEOUT",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "USERNAME_MAX_LENGTH",
]

#: The documented base URL (every docs page's URL header; Kavenegar's Node sample).
DEFAULT_BASE_URL = "https://api.kavenegar.io/user/v1"
API_TOKEN_ENV = "KAVENEGAR_API_TOKEN"
BASE_URL_ENV = "KAVENEGAR_BASE_URL"

#: Per attempt: a short connect timeout, so a dead host fails fast, and 10 s for the rest.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0)
#: One operation, every retry and backoff included, never takes longer than this. It keeps a
#: chat command responsive: the user hears back within half a minute whatever the network does.
DEFAULT_TOTAL_TIMEOUT = 25.0

DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
#: A Retry-After longer than this is not waited for: the error goes to the caller instead.
MAX_RETRY_AFTER = 20.0

#: The create-call page: a username is unique, a mobile number or e-mail, at most 50 characters.
USERNAME_MAX_LENGTH = 50
