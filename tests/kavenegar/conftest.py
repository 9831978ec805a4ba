"""Helpers for client tests: a MockTransport client and the documented fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from kavenegar import KavenegarClient, RetryPolicy

FIXTURES = Path(__file__).parent.parent / "fixtures" / "kavenegar"
API_TOKEN = "test-api-token-5f1c9e"  # a fake secret the tests look for in every output
BASE_URL = "https://api.kavenegar.test/user/v1"

Handler = Callable[[httpx.Request], httpx.Response]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> Any:
    return json.loads(fixture_text(name))


def make_client(handler: Handler, **kwargs: Any) -> KavenegarClient:
    """A client whose requests go to ``handler``; retries wait no time."""
    kwargs.setdefault("max_retries", 2)
    kwargs.setdefault("retry_policy", RetryPolicy(initial_delay=0, max_delay=0))
    return KavenegarClient(
        api_token=API_TOKEN,
        base_url=BASE_URL,
        transport=httpx.MockTransport(handler),
        **kwargs,
    )


@pytest.fixture
def recorded() -> list[httpx.Request]:
    return []
