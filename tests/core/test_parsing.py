"""Reading /call arguments, without Telegram."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings, strategies as st

from bot.core.parsing import (
    ID_MAX,
    ID_MIN,
    CallCommand,
    CallParseError,
    Mention,
    ascii_digits,
    parse_call,
    parse_duration,
    parse_id,
    parse_number,
)
from bot.core.people import UserProfile
from bot.core.texts import TEXTS, t

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


# Issue 8 item 5: "/call @bob 10ſ" raised KeyError, so the user got no reply at all.
PARSE_KEYS = frozenset({"call_bad_argument", "call_too_many", "call_no_callee"})


@pytest.mark.parametrize(
    ("token", "seconds"),
    [
        ("۱۰m", 600),  # Persian digits
        ("۱۰", 600),
        ("٩٠s", 90),  # Arabic-Indic digits
        ("۱٠", 600),  # mixed Persian and Arabic-Indic
        ("1۵m", 900),  # mixed ASCII and Persian
        ("۲h", 7200),
        ("5SECS", 5),
        ("3Hrs", 10800),
        ("7 min", 420),
    ],
)
def test_persian_and_arabic_indic_digits_and_every_unit(token: str, seconds: int) -> None:
    """Issue 8 item 5: Persian and Arabic-Indic digits are read as 0-9 on purpose."""
    assert parse_duration(token) == seconds


@pytest.mark.parametrize(
    "token",
    [
        "10ſ",  # U+017F LATIN SMALL LETTER LONG S: re.IGNORECASE folds it to "s"
        "10ſec",
        "10\u212a",  # U+212A KELVIN SIGN: re.IGNORECASE folds it to "k"
        "10K",  # no such unit, in ASCII either
        "１０m",  # fullwidth digits
        "１０",
        "१०m",  # Devanagari digits
        "১০m",  # Bengali digits
        "10mſ",
        "10secss",
        "10hours",
        "۰",
        "1234567m",
    ],
)
def test_exotic_units_and_digits_are_not_durations(token: str) -> None:
    """Issue 8 item 5: only ASCII units, and only ASCII, Persian or Arabic-Indic digits."""
    assert parse_duration(token) is None


@pytest.mark.parametrize("token", ["10ſ", "10\u212a", "１０m", "10K"])
def test_exotic_duration_is_a_bad_argument_not_a_crash(token: str) -> None:
    """Issue 8 item 5: ``/call @bob 10ſ`` is answered with call_bad_argument."""
    with pytest.raises(CallParseError) as info:
        parse_call(f" @bob {token}", [Mention("@bob", username="bob")], None)
    assert (info.value.key, info.value.params) == ("call_bad_argument", {"arg": token})


def test_persian_duration_in_a_call() -> None:
    """Issue 8 item 5: ``/call @bob ۱۰m`` calls for ten minutes."""
    command = parse_call(" @bob ۱۰m", [Mention("@bob", username="bob")], None)
    assert command == CallCommand(callee_username="bob", duration=600)


_PROFILES = st.builds(UserProfile, telegram_id=st.integers(min_value=1), first_name=st.text())


@st.composite
def _mentions(draw: st.DrawFn, args: str) -> list[Mention]:
    """Mentions whose text is often a real slice of the arguments, as Telegram's entities are."""
    result = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if args and draw(st.booleans()):
            start = draw(st.integers(min_value=0, max_value=len(args) - 1))
            end = draw(st.integers(min_value=start, max_value=len(args)))
            text = args[start:end]
        else:
            text = draw(st.text(max_size=20))
        if draw(st.booleans()):
            result.append(Mention(text, user=draw(_PROFILES)))
        else:
            result.append(Mention(text, username=draw(st.none() | st.text(max_size=33))))
    return result


# Arbitrary Unicode, and tokens that are durations or nearly: ASCII, Persian, Arabic-Indic,
# fullwidth and Devanagari digits before real units, case-folding lookalikes and junk.
_DIGIT_RUNS = st.text(
    "0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩０１２３４５６７８９१२৩", min_size=1, max_size=7
)
_UNITS = st.sampled_from(
    [
        *("", "s", "sec", "secs", "m", "min", "mins", "h", "hr", "hrs", "S", "Min", "HRS"),
        *("d", "ms", "ſ", "ſec", "\u212a", "K", "ﬅ", "ſ\u0307"),
    ]
) | st.text(max_size=3)
_DURATION_LIKE = st.builds(
    "{}{}{}".format, _DIGIT_RUNS, st.sampled_from(["", "", " ", "\u00a0"]), _UNITS
)
_TOKENS = st.one_of(
    _DURATION_LIKE, _DURATION_LIKE, st.text(max_size=12), st.sampled_from(["@bob", "@a_b", "@"])
)
_ARGS = st.lists(
    st.tuples(st.sampled_from([" ", "  ", "\n", "\u00a0", "\u3000", ""]), _TOKENS), max_size=6
).map(lambda parts: "".join(sep + token for sep, token in parts))


@settings(max_examples=400, database=None, deadline=None)
@given(data=st.data(), args=_ARGS, reply_to=st.none() | _PROFILES)
@example(data=None, args=" @bob 10ſ", reply_to=None)
def test_parse_call_only_ever_answers_with_known_keys(
    data: st.DataObject | None, args: str, reply_to: UserProfile | None
) -> None:
    """Issue 8 item 5: any text, any mentions: a CallCommand or a CallParseError, nothing else."""
    mentions = [] if data is None else data.draw(_mentions(args))
    result: CallCommand | CallParseError
    try:
        result = parse_call(args, mentions, reply_to)
    except CallParseError as exc:  # any other exception fails the test
        result = exc
    if isinstance(result, CallParseError):
        assert result.key in PARSE_KEYS
        for lang in TEXTS:  # and the reply renders in every language
            assert t(lang, result.key, **result.params)
    else:
        assert isinstance(result, CallCommand)
        assert result.duration is None or result.duration > 0


@settings(max_examples=400, database=None, deadline=None)
@given(token=_TOKENS | _ARGS)
@example(token="10ſ")
@example(token="10\u212a")
def test_parse_duration_is_none_or_positive_seconds(token: str) -> None:
    """Issue 8 item 5: any text: None or a positive number of seconds, never an exception."""
    seconds = parse_duration(token)
    assert seconds is None or (type(seconds) is int and seconds > 0)


# --- issue 19 items 3 and 10: one digit normaliser, numbers and ids ---------------------------

PERSIAN, ARABIC_INDIC = "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩"


def test_ascii_digits_reads_persian_and_arabic_indic_digits() -> None:
    assert ascii_digits(PERSIAN) == "0123456789"
    assert ascii_digits(ARABIC_INDIC) == "0123456789"
    assert ascii_digits("sat-wed ۰۹:۰۰-۱۷:۰۰") == "sat-wed 09:00-17:00"
    assert ascii_digits("۴h ١٢ 7") == "4h 12 7"
    assert ascii_digits("²１०") == "²１०"  # superscript, fullwidth, Devanagari: left as they are


@settings(max_examples=300, database=None, deadline=None)
@given(st.text())
def test_ascii_digits_changes_only_persian_and_arabic_indic_digits(text: str) -> None:
    out = ascii_digits(text)
    assert len(out) == len(text)
    for before, after in zip(text, out, strict=True):
        if before in PERSIAN:
            assert after == str(PERSIAN.index(before))
        elif before in ARABIC_INDIC:
            assert after == str(ARABIC_INDIC.index(before))
        else:
            assert after == before
    assert ascii_digits(out) == out  # idempotent


@settings(max_examples=300, database=None, deadline=None)
@given(st.integers(min_value=0, max_value=10**18 - 1), st.data())
def test_a_number_reads_the_same_in_any_of_the_three_scripts(
    number: int, data: st.DataObject
) -> None:
    scripts = ("0123456789", PERSIAN, ARABIC_INDIC)
    typed = "".join(data.draw(st.sampled_from(scripts))[int(c)] for c in str(number))
    assert parse_number(typed, 0, 10**18) == number
    assert parse_id(typed) == (number or None)
    assert parse_id("-" + typed) == (-number or None)


@pytest.mark.parametrize(
    ("text", "low", "high", "expected"),
    [
        ("7", 1, 365, 7),
        ("۷", 1, 365, 7),  # /stats ۷
        ("٧", 1, 365, 7),
        (" ۳۶۵ ", 1, 365, 365),
        ("007", 1, 365, 7),
        ("0", 1, 365, None),
        ("366", 1, 365, None),
        ("۳۶۶", 1, 365, None),
        ("-1", 0, 10, None),
        ("+1", 0, 10, None),
        ("²", 0, 10, None),  # "²".isdigit() is True
        ("１", 0, 10, None),  # fullwidth
        ("1_0", 0, 100, None),  # int() would read 10
        ("1e3", 0, 10**6, None),
        ("1 0", 0, 100, None),
        ("", 0, 10, None),
        ("9" * 19, 0, 10**30, None),  # at most 18 digits
        ("9" * 5000, 0, 10**30, None),  # int() refuses over 4300 digits with a ValueError
    ],
)
def test_parse_number(text: str, low: int, high: int, expected: int | None) -> None:
    assert parse_number(text, low, high) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123456", 123456),
        ("-100123", -100123),
        ("۱۲۳۴۵۶", 123456),
        ("-۱۰۰۱۲۳", -100123),
        ("٤٢", 42),
        (" 42 ", 42),
        (str(ID_MAX), ID_MAX),
        (str(ID_MIN), ID_MIN),
        (str(ID_MAX + 1), None),  # past Telegram's 64-bit signed range
        (str(ID_MIN - 1), None),
        ("1" * 23, None),  # a 23-digit id
        ("--5", None),
        ("-", None),
        ("+5", None),
        ("5-", None),
        ("²", None),  # "²".isdigit() is True, int("²") raises
        ("-²", None),
        ("１２", None),  # fullwidth
        ("1_000", None),
        ("0", None),  # no Telegram id is 0
        ("-0", None),
        ("", None),
        ("@bob", None),
        ("12 34", None),
        ("−12", None),  # MINUS SIGN
    ],
)
def test_parse_id(text: str, expected: int | None) -> None:
    assert parse_id(text) == expected


@settings(max_examples=400, database=None, deadline=None)
@given(st.text(max_size=30) | st.integers().map(str))
def test_parse_id_is_none_or_a_64_bit_id(text: str) -> None:
    """Any text: None or an id in Telegram's range, never an exception."""
    found = parse_id(text)
    assert found is None or (type(found) is int and found != 0 and ID_MIN <= found <= ID_MAX)
