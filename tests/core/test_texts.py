"""Texts: every language complete, every value escaped, every text valid Telegram HTML."""

from __future__ import annotations

import string

import pytest

from bot.core.texts import TEXTS, format_wait, pick_language, plain, t
from bot.simulator._html import EntityParseError, html_to_plain


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_every_language_has_every_key_and_placeholder(lang: str) -> None:
    english = TEXTS["en"]
    assert set(TEXTS[lang]) == set(english)
    for key, template in TEXTS[lang].items():
        assert fields(template) == fields(english[key]), key


@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_every_text_is_valid_telegram_html_with_hostile_values(lang: str) -> None:
    hostile = "<b>Boss</b> & Co. [x](y) <script>"
    for key, template in TEXTS[lang].items():
        rendered = t(lang, key, **dict.fromkeys(fields(template), hostile))
        seen = html_to_plain(rendered)  # raises if Telegram would refuse it
        if fields(template):
            assert hostile in seen, key


def test_unescaped_markup_would_be_refused() -> None:
    with pytest.raises(EntityParseError):
        html_to_plain("📞 <b>Boss</b> & Co. is calling")


def test_language_choice() -> None:
    assert pick_language("fa") == "fa"
    assert pick_language("fa-IR") == "fa"
    assert pick_language("de") == "en"
    assert pick_language(None) == "en"


def test_plain_fallback_reads_like_the_html() -> None:
    html = t("en", "token_body", call_id="c-1", access_token="tok&<>")
    assert plain(html) == html_to_plain(html)
    assert "tok&<>" in plain(html)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "2 seconds"), (59.4, "60 seconds"), (99, "99 seconds"), (100, "2 minutes"),
     (3599, "60 minutes"), (86_399.5, "24 hours")],
)  # fmt: skip
def test_waits_read_naturally(seconds: float, text: str) -> None:
    assert format_wait(seconds, "en") == text
