"""The schedule ahead (issue 22 item 4) names whom ``on_call`` names, shift after shift."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from itertools import pairwise

import pytest

from bot.oncall.rotation import Cover, Rotation, on_call
from bot.oncall.schedule import Shift, shifts

ANCHOR = datetime(2026, 11, 30, 9, 0)  # Monday, 12:30 in Tehran


@pytest.mark.parametrize("kind", ["daily", "weekly"])
@pytest.mark.parametrize("zone", ["Asia/Tehran", "Europe/Berlin"])
def test_each_shift_is_who_on_call_names_until_when_it_says(kind: str, zone: str) -> None:
    rotation = Rotation(kind=kind, hand_over=time(9), zone=zone, weekday=0, anchor=ANCHOR)  # type: ignore[arg-type]
    cover = Cover(9, ANCHOR + timedelta(days=2), ANCHOR + timedelta(days=2, hours=5))
    now = ANCHOR + timedelta(hours=30)
    found = shifts([1, 2, 3], rotation, cover, now, now + timedelta(days=56))
    assert found[0].starts <= now
    for shift, after in pairwise(found):
        named = on_call([1, 2, 3], rotation, cover, max(shift.starts, now))
        assert (named.member, named.covering) == (shift.member, shift.covering)
        assert shift.ends == after.starts  # no gap, no overlap
        assert named.next_member == after.member or named.until != shift.ends
    assert any(s.covering and s.member == 9 for s in found)  # the cover is in it


def test_the_first_shift_started_at_its_hand_over() -> None:
    rotation = Rotation(kind="daily", hand_over=time(9), zone="UTC", weekday=0, anchor=ANCHOR)
    found = shifts(
        [1, 2], rotation, None, ANCHOR + timedelta(days=1, hours=3), ANCHOR + timedelta(days=2)
    )
    assert found[0] == Shift(2, ANCHOR + timedelta(days=1), ANCHOR + timedelta(days=2))


def test_without_a_rotation_the_first_member_is_on_with_no_end() -> None:
    assert shifts([5, 6], None, None, ANCHOR, ANCHOR + timedelta(days=7)) == [
        Shift(5, ANCHOR, None)
    ]
    assert shifts([], None, None, ANCHOR, ANCHOR + timedelta(days=7)) == []
