"""A "Call now" press has a key of its own: one per button and presser, apart from all others."""

from __future__ import annotations

import itertools

from bot.core.records import LINE_KEY, NOW_KEY, CallKey


def test_call_now_keys_are_one_per_button_and_presser() -> None:
    keys = {
        CallKey.call_now(presser, team, message, in_group=group)
        for presser, team, message, group in itertools.product(
            (7, 8), (1, 2, 10**6), (1, 2, 2**31 - 1), (False, True)
        )
    }
    assert len(keys) == 2 * 3 * 3 * 2  # every button and presser differs from every other
    assert CallKey.call_now(7, 1, 5, in_group=True) == CallKey.call_now(7, 1, 5, in_group=True)
    for key in keys:
        assert key.chat_id in (7, 8)  # the presser's private chat, where the answers go
        assert key.message_id <= -NOW_KEY  # below every other key of that chat


def test_other_keys_of_a_private_chat_never_reach_call_now_keys() -> None:
    largest_line = CallKey.line(7, NOW_KEY - LINE_KEY - 1)
    assert largest_line.message_id > -NOW_KEY
    assert CallKey.again(7, 10**12).message_id > -NOW_KEY
