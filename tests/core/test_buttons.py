"""The button codec: the wire format buttons already sent carry, and nothing else decodes."""

from __future__ import annotations

import pytest

from bot.core.buttons import (
    MAX_DATA_BYTES,
    NOT_YOURS,
    UNKNOWN,
    Press,
    PressAnswer,
    PressKind,
    decode,
    encode,
    matching,
)

LARGEST_ID = 10**18 - 1  # 18 digits, the most the data has room for

#: Every kind, with the numbers its button carries (the smallest, a usual and the largest).
SAMPLES: list[tuple[PressKind, tuple[int, ...]]] = [
    (kind, numbers)
    for kind in PressKind
    for numbers in (
        [(row, stars) for row in (0, 42, LARGEST_ID) for stars in range(1, 6)]
        if kind is PressKind.LINE_RATE
        else [(row, member) for row in (0, 42, LARGEST_ID) for member in (0, 4002, LARGEST_ID)]
        if kind is PressKind.CALL_NOW
        else [(0,), (42,), (LARGEST_ID,)]
    )
]


@pytest.mark.parametrize(("kind", "numbers"), SAMPLES)
def test_every_kind_round_trips(kind: PressKind, numbers: tuple[int, ...]) -> None:
    data = encode(kind, *numbers)
    press = decode(data)
    if kind is PressKind.CALL_NOW:  # the team, then the member the button names
        assert press == Press(kind, numbers[0], member=numbers[1])
    else:
        assert press == Press(kind, *numbers)
    assert press.data == data
    assert 1 <= len(data.encode()) <= MAX_DATA_BYTES == 64


@pytest.mark.parametrize(
    ("press", "data"),
    [
        (Press(PressKind.CALL_AGAIN, 42), "again:42"),
        (Press(PressKind.RING_ANSWER, 42), "ring:a:42"),
        (Press(PressKind.RING_DECLINE, 42), "ring:d:42"),
        (Press(PressKind.LINE_ACCEPT, 7), "line:a:7"),
        (Press(PressKind.LINE_CALL_BACK, 7), "line:b:7"),
        (Press(PressKind.LINE_RATE, 7, 5), "line:r:7:5"),
        (Press(PressKind.PAGE_ACK, 42), "page:k:42"),
    ],
)
def test_the_wire_format_is_the_one_buttons_already_sent_carry(press: Press, data: str) -> None:
    assert press.data == data
    assert decode(data) == press


def test_the_longest_data_fits_telegrams_limit() -> None:
    longest = max((encode(kind, *numbers) for kind, numbers in SAMPLES), key=len)
    assert longest == f"oncall:n:{LARGEST_ID}:{LARGEST_ID}"  # a "Call now": team and member
    assert len(longest.encode()) == 46 <= MAX_DATA_BYTES


def test_ids_with_leading_zeros_are_read_as_before() -> None:
    assert decode("again:007") == Press(PressKind.CALL_AGAIN, 7)
    assert decode("line:r:" + "0" * 18 + ":3") == Press(PressKind.LINE_RATE, 0, 3)


@pytest.mark.parametrize(
    "data",
    [
        None,
        5,
        b"again:1",
        object(),
        "",
        "again",
        "again:",
        "again:x",
        "again:-1",
        "again:+1",
        "again:1.5",
        "again: 1",
        "again:1 ",
        "again:1\n",  # (the old regexes' "$" let a trailing newline through)
        " again:1",
        "AGAIN:1",
        "again:" + "1" * 19,  # one digit too many
        "again:١٢",  # digits, but not ASCII ones
        "again:1:2",
        "again::1",
        "ring:1",
        "ring:a",
        "ring:a:",
        "ring:x:1",
        "ring:a:1:5",
        "line:1",
        "line:z:1",
        "line:a:1:3",  # Accept and Call me back carry no stars
        "line:b:1:3",
        "line:r:1",  # a rating always does, 1-5
        "line:r:1:",
        "line:r:1:0",
        "line:r:1:6",
        "line:r:1:55",
        "line:r::5",
        "page:1",
        "page:k",
        "page:k:",
        "page:a:1",
        "page:k:1:5",  # "I'm on it" carries the call's id only
        "page:k:" + "1" * 19,
        "ans:c1",
        "x" * (MAX_DATA_BYTES + 1),
        "é" * 33,  # 66 bytes
        "again:" + "1" * 60,
    ],
)
def test_anything_else_decodes_to_nothing(data: object) -> None:
    assert decode(data) is None


@pytest.mark.parametrize(
    ("kind", "numbers"),
    [
        (PressKind.CALL_AGAIN, ()),
        (PressKind.CALL_AGAIN, (1, 2)),
        (PressKind.CALL_AGAIN, (-1,)),
        (PressKind.CALL_AGAIN, (10**18,)),
        (PressKind.RING_ANSWER, (True,)),
        (PressKind.RING_DECLINE, ("1",)),
        (PressKind.LINE_ACCEPT, (1.0,)),
        (PressKind.LINE_RATE, (1,)),
        (PressKind.LINE_RATE, (1, 0)),
        (PressKind.LINE_RATE, (1, 6)),
        (PressKind.LINE_RATE, (1, 5, 5)),
        (PressKind.PAGE_ACK, ()),
        (PressKind.PAGE_ACK, (1, 5)),
        (PressKind.PAGE_ACK, (-1,)),
    ],
)
def test_encode_refuses_numbers_its_kind_does_not_take(
    kind: PressKind, numbers: tuple[object, ...]
) -> None:
    with pytest.raises(ValueError, match=kind.name):
        encode(kind, *numbers)  # type: ignore[arg-type]


def test_a_pattern_matches_its_kinds_only() -> None:
    calls = matching({PressKind.CALL_AGAIN, PressKind.RING_ANSWER, PressKind.RING_DECLINE})
    lines = matching([PressKind.LINE_ACCEPT, PressKind.LINE_CALL_BACK, PressKind.LINE_RATE])
    pages = matching([PressKind.PAGE_ACK])
    for kind, numbers in SAMPLES:
        data = encode(kind, *numbers)
        assert calls(data) is kind.value.startswith(("again", "ring"))
        assert lines(data) is kind.value.startswith("line")
        assert pages(data) is kind.value.startswith("page")
    for garbage in (None, 5, "", "again:x", "line:r:1", "line:z:1", "page:k:x", "page:k"):
        assert not calls(garbage)
        assert not lines(garbage)
        assert not pages(garbage)


def test_im_on_it_fits_telegrams_limit_whatever_the_call() -> None:
    """Issue 18 item 9: a page's "I'm on it" carries its call's row id, any of them."""
    data = encode(PressKind.PAGE_ACK, LARGEST_ID)
    assert data == f"page:k:{LARGEST_ID}"
    assert len(data.encode()) == 25 <= MAX_DATA_BYTES
    assert decode(data) == Press(PressKind.PAGE_ACK, LARGEST_ID)


def test_press_answers() -> None:
    assert PressAnswer("callback_unknown", alert=True) == UNKNOWN
    assert PressAnswer("callback_not_yours", alert=True) == NOT_YOURS
    rated = PressAnswer("line_rated", params={"stars": "★★★"})
    assert not rated.alert
    assert rated.text("en") == "Thanks for rating the call ★★★"
    assert UNKNOWN.text("en") == UNKNOWN.text("xx")  # an unknown language: English
