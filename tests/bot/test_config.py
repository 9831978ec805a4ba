"""Settings: parsed as documented, refused with one plain line per problem."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings, load_settings

BASE = {"telegram_bot_token": "1:abc", "kavenegar_api_token": "k", "_env_file": None}


def problems(**values: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(**{**BASE, **values})
    return info.value.problems


def test_id_lists_are_comma_separated() -> None:
    settings = load_settings(**BASE, allowed_user_ids=" 1, 22 ,", allowed_chat_ids="-100123")
    assert settings.allowed_user_ids == frozenset({1, 22})
    assert settings.allowed_chat_ids == frozenset({-100123})
    assert settings.admin_user_ids == frozenset()
    assert problems(admin_user_ids="1,alice") == [
        "ADMIN_USER_IDS: must be numeric ids separated by commas"
    ]


def test_webhook_mode_needs_a_long_secret() -> None:
    assert problems(webhook_url="https://bot.example.com/tg") == [
        "WEBHOOK_SECRET: required when WEBHOOK_URL is set"
    ]
    assert problems(webhook_url="https://bot.example.com/tg", webhook_secret="short") == [
        "WEBHOOK_SECRET: must be 32-256 characters of A-Z, a-z, 0-9, _ and -"
    ]
    secret = "s" * 32
    assert problems(webhook_url="https://bot.example.com/tg", webhook_secret=secret + "!") != []
    settings = load_settings(
        **BASE, webhook_url="https://bot.example.com/tg/updates", webhook_secret=secret
    )
    assert settings.webhook_path == "/tg/updates"
    assert secret not in repr(settings)


def test_quotas_and_durations() -> None:
    assert (Settings(**BASE).calls_per_minute, Settings(**BASE).calls_per_day) == (5, 50)  # type: ignore[arg-type]
    assert problems(calls_per_minute=-1) == [
        "CALLS_PER_MINUTE: Input should be greater than or equal to 0"
    ]
    assert problems(default_max_duration=7200) == [
        "DEFAULT_MAX_DURATION must not exceed MAX_DURATION_LIMIT"
    ]


def test_join_template_is_checked() -> None:
    assert problems(join_url_template="https://x/{call_id}/{user}") == [
        "JOIN_URL_TEMPLATE: may use only {call_id} and {access_token}, and needs {call_id}"
    ]
    settings = load_settings(**BASE, join_url_template="https://x/{call_id}/{access_token}")
    assert settings.join_url_template == "https://x/{call_id}/{access_token}"
