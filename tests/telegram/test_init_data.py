"""The join page trusts a Telegram user only on ``initData`` Telegram signed for this bot."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

import pytest

from bot.telegram.join_page import INIT_DATA_MAX_AGE, InitDataError, check_init_data

TOKEN = "987654321:TEST-secret-bot-token-0123456789abcdef"
NOW = 1_800_000_000
USER = '{"id":4002,"first_name":"Bob","username":"bob_k","language_code":"fa"}'


def signed(fields: dict[str, str], token: str = TOKEN) -> str:
    """``initData`` as Telegram builds it: the fields, and ``hash`` computed by the book
    (core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app)."""
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in {**fields, "hash": digest}.items())


FIELDS = {
    "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
    "user": USER,
    "auth_date": str(NOW - 5),
    "signature": "a" * 86,  # Telegram's Ed25519 signature is one of the signed fields
}


def test_a_signed_recent_init_data_names_its_user() -> None:
    user = check_init_data(signed(FIELDS), TOKEN, now=NOW)
    assert (user.id, user.language_code) == (4002, "fa")


@pytest.mark.parametrize(
    ("init_data", "why"),
    [
        (signed(FIELDS, token="111:another-bot"), "wrong hash"),  # another bot's page
        (signed(FIELDS).replace("4002", "4001"), "wrong hash"),  # someone else's id
        (signed(FIELDS).replace("hash=", "hash=0"), "wrong hash"),
        (signed(FIELDS).split("&hash=")[0], "wrong hash"),  # no hash at all
        (signed({**FIELDS, "auth_date": str(NOW - INIT_DATA_MAX_AGE - 1)}), "stale"),
        (signed({**FIELDS, "auth_date": str(NOW + 120)}), "stale"),  # from the future
        (signed({k: v for k, v in FIELDS.items() if k != "user"}), "no auth_date or user"),
        (signed({**FIELDS, "user": '{"id":"4002"}'}), "no user id"),
        (signed(FIELDS) + "&user=" + quote(USER), "a field given twice"),
        ("", "wrong hash"),
        ("user=1&&hash", "not a query string"),
    ],
)
def test_anything_else_is_refused(init_data: str, why: str) -> None:
    with pytest.raises(InitDataError, match=why):
        check_init_data(init_data, TOKEN, now=NOW)


def test_the_age_limit_is_inclusive_and_the_error_shows_no_data() -> None:
    oldest = signed({**FIELDS, "auth_date": str(NOW - INIT_DATA_MAX_AGE)})
    assert check_init_data(oldest, TOKEN, now=NOW).id == 4002
    with pytest.raises(InitDataError) as info:
        check_init_data(signed(FIELDS, token="111:x"), TOKEN, now=NOW)
    assert "4002" not in str(info.value) and "hash" not in repr(info.value).replace(
        "wrong hash", ""
    )
