"""Reading /call arguments, without Telegram."""

from __future__ import annotations

import pytest

from bot.parsing import CallCommand, CallParseError, Mention, parse_call, parse_duration
from bot.storage import UserProfile

BOB = UserProfile(telegram_id=2, first_name="Bob")
CAROL = UserProfile(telegram_id=3, first_name="Carol")


@pytest.mark.parametrize(
    ("token", "seconds"),
    [("90s", 90), ("10m", 600), ("10", 600), ("1h", 3600), ("2MIN", 120), ("45sec", 45)],
)
def test_durations(token: str, seconds: int) -> None:
    assert parse_duration(token) == seconds


@pytest.mark.parametrize("token", ["0", "0m", "soon", "-5m", "1.5h", "10d", "", "m"])
def test_not_durations(token: str) -> None:
    assert parse_duration(token) is None


def test_mention_with_duration() -> None:
    command = parse_call(" @bob_k 10m", [Mention("@bob_k", username="bob_k")], None)
    assert command == CallCommand(callee_username="bob_k", duration=600)


def test_text_mention_wins_over_reply() -> None:
    command = parse_call(" Bob", [Mention("Bob", user=BOB)], reply_to=CAROL)
    assert command == CallCommand(callee=BOB)


def test_reply_is_used_without_mentions() -> None:
    assert parse_call("", [], reply_to=CAROL) == CallCommand(callee=CAROL)
    assert parse_call(" 5m", [], reply_to=CAROL) == CallCommand(callee=CAROL, duration=300)


def test_bare_at_names_count_as_mentions() -> None:
    assert parse_call(" @bob", [], None) == CallCommand(callee_username="bob")


@pytest.mark.parametrize(
    ("text", "mentions", "key"),
    [
        ("", [], "call_no_callee"),
        (" 10m", [], "call_no_callee"),
        (" @a_user @b_user", [Mention("@a_user", username="a_user"),
                              Mention("@b_user", username="b_user")], "call_too_many"),
        (" @a_user please", [Mention("@a_user", username="a_user")], "call_bad_argument"),
        (" @a_user 1m 2m", [Mention("@a_user", username="a_user")], "call_bad_argument"),
    ],
)  # fmt: skip
def test_errors(text: str, mentions: list[Mention], key: str) -> None:
    with pytest.raises(CallParseError) as info:
        parse_call(text, mentions, None)
    assert info.value.key == key


def test_bad_argument_is_quoted_back_but_bounded() -> None:
    with pytest.raises(CallParseError) as info:
        parse_call(" " + "x" * 500, [], None)
    assert info.value.params == {"arg": "x" * 40}
