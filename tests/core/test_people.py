"""Names as people see them: never blank, never able to turn the sentence around them."""

from __future__ import annotations

import pytest

from bot.core.people import FSI, PDI, UserProfile, isolate, visible_name


@pytest.mark.parametrize(
    ("first", "last", "username", "expected"),
    [
        ("Alice", "Smith", "alice", "Alice Smith"),
        ("   ", None, "bob_k", "@bob_k"),  # spaces only
        ("\u200b\u200c\u200d", None, "bob_k", "@bob_k"),  # zero-width characters
        ("\u3164", "\u3164", "bob_k", "@bob_k"),  # HANGUL FILLER
        ("\u2800", None, None, "42"),  # BRAILLE PATTERN BLANK, no username: the id
        ("\u202e", None, None, "42"),  # nothing but a bidi override
        ("\u202eevil", None, None, "evil"),  # the override is dropped, the letters kept
        ("محمد", "رضایی", None, "محمد رضایی"),
        ("\u2067x\u2069", None, None, "x"),  # a name may not carry its own isolates
    ],
)
def test_a_name_always_shows_something(
    first: str, last: str | None, username: str | None, expected: str
) -> None:
    """Issue 8 item 7: blank names fall back to @username, then to the id."""
    assert visible_name(first, last, username, 42) == expected


def test_inserted_names_are_isolated() -> None:
    """Issue 8 item 7: a right-to-left name cannot reverse the rest of the line."""
    profile = UserProfile(telegram_id=7, first_name="\u202eAlice", username="a")
    assert profile.name == "Alice"
    assert profile.display_name == f"{FSI}Alice{PDI}"
    assert isolate("x") == "\u2068x\u2069"
