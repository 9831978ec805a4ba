"""Presses are routed to their feature by pattern, and every press gets exactly one answer."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from telegram import CallbackQuery, Update, User
from telegram.ext import CallbackQueryHandler

from bot.core.buttons import Press, PressAnswer, PressKind
from bot.core.errors import StoreUnavailable
from bot.core.metrics import Metrics
from bot.core.texts import t
from bot.telegram.handlers import presses

ALICE = 1001


class Domain:
    """The press services and the messenger, recording what the handlers ask of them."""

    def __init__(self, fails: Exception | None = None) -> None:
        self.fails = fails
        self.calls: list[tuple[object, Press]] = []
        self.lines: list[tuple[object, Press]] = []
        self.pages: list[tuple[object, Press]] = []
        self.call_nows: list[tuple[int, Press, int | None, int | None]] = []
        self.answers: list[tuple[str, str, bool]] = []

    async def call_press(self, presser: Any, press: Press) -> PressAnswer:
        self.calls.append((presser.telegram_id, press))
        if self.fails is not None:
            raise self.fails
        return PressAnswer("callback_calling", params={"name": "Bob"})

    async def line_press(self, presser: int, press: Press) -> PressAnswer:
        self.lines.append((presser, press))
        if self.fails is not None:
            raise self.fails
        return PressAnswer("line_rated", params={"stars": "★" * (press.stars or 0)})

    async def page_press(self, presser: int, press: Press) -> PressAnswer:
        self.pages.append((presser, press))
        if self.fails is not None:
            raise self.fails
        return PressAnswer("callback_calling", params={"name": "the page"})

    async def call_now_press(
        self, presser: Any, press: Press, *, chat_id: int | None, message_id: int | None
    ) -> PressAnswer:
        self.call_nows.append((presser.telegram_id, press, chat_id, message_id))
        return PressAnswer("callback_calling", params={"name": "Bob"})

    async def answer_callback(self, query_id: str, text: str, *, alert: bool = False) -> None:
        self.answers.append((query_id, text, alert))

    def services(self) -> Any:
        return SimpleNamespace(
            presses=SimpleNamespace(press=self.call_press),
            lines=SimpleNamespace(press=self.line_press),
            pages=SimpleNamespace(press=self.page_press),
            call_now=SimpleNamespace(press=self.call_now_press),
            metrics=Metrics(),
            messenger=SimpleNamespace(answer_callback=self.answer_callback),
        )


def query(data: str | None = None, game: str | None = None) -> Update:
    user = User(ALICE, "Alice", is_bot=False, language_code="en")
    return Update(
        7, callback_query=CallbackQuery("q1", user, "chat", data=data, game_short_name=game)
    )


async def dispatch(domain: Domain, update: Update) -> str:
    """As PTB does within one group: the first handler whose pattern matches gets the update."""
    handlers = presses.handlers(domain.services())
    for handler in handlers:
        if handler.check_update(update):
            await handler.callback(update, cast(Any, None))
            return type(handler.callback).__name__
    raise AssertionError("no handler took the press")


def test_one_handler_per_feature_then_a_catch_all() -> None:
    handlers = presses.handlers(Domain().services())
    assert [type(h.callback) for h in handlers] == [
        presses.CallPress,
        presses.LinePress,
        presses.PagePress,
        presses.CallNowPress,
        presses.SwapPress,
        presses.UnknownPress,
    ]
    assert all(isinstance(h, CallbackQueryHandler) for h in handlers)
    assert [h.pattern is None for h in handlers] == [False] * 5 + [True]


async def test_a_call_now_button_goes_to_on_call_with_the_message_it_is_under() -> None:
    domain = Domain()
    assert await dispatch(domain, query("oncall:n:3:7")) == "CallNowPress"
    # a query without its message (as the fake one here): the domain is told there is none
    assert domain.call_nows == [(ALICE, Press(PressKind.CALL_NOW, 3, member=7), None, None)]
    assert domain.calls == [] and domain.pages == [] and len(domain.answers) == 1


async def test_a_pages_button_goes_to_the_pages() -> None:
    domain = Domain()
    assert await dispatch(domain, query("page:k:42")) == "PagePress"
    assert domain.pages == [(ALICE, Press(PressKind.PAGE_ACK, 42))]
    assert domain.calls == [] and domain.lines == [] and len(domain.answers) == 1


@pytest.mark.parametrize(
    ("data", "press"),
    [
        ("again:42", Press(PressKind.CALL_AGAIN, 42)),
        ("ring:a:42", Press(PressKind.RING_ANSWER, 42)),
        ("ring:d:42", Press(PressKind.RING_DECLINE, 42)),
    ],
)
async def test_a_calls_button_goes_to_the_calls(data: str, press: Press) -> None:
    domain = Domain()
    assert await dispatch(domain, query(data)) == "CallPress"
    assert domain.calls == [(ALICE, press)] and domain.lines == []
    assert domain.answers == [("q1", t("en", "callback_calling", name="Bob"), False)]


@pytest.mark.parametrize(
    ("data", "press"),
    [
        ("line:a:7", Press(PressKind.LINE_ACCEPT, 7)),
        ("line:b:7", Press(PressKind.LINE_CALL_BACK, 7)),
        ("line:r:7:4", Press(PressKind.LINE_RATE, 7, 4)),
    ],
)
async def test_a_lines_button_goes_to_the_lines(data: str, press: Press) -> None:
    domain = Domain()
    assert await dispatch(domain, query(data)) == "LinePress"
    assert domain.lines == [(ALICE, press)] and domain.calls == []
    assert len(domain.answers) == 1


async def test_a_rating_is_answered_with_the_domains_answer() -> None:
    domain = Domain()
    await dispatch(domain, query("line:r:7:4"))
    assert domain.answers == [("q1", "Thanks for rating the call ★★★★", False)]


@pytest.mark.parametrize(
    ("data", "game", "taken_by"),
    [
        ("again:x", None, "UnknownPress"),
        ("line:r:7", None, "UnknownPress"),
        ("line:a:7:3", None, "UnknownPress"),
        ("ring:a:" + "1" * 19, None, "UnknownPress"),
        ("ans:c1", None, "UnknownPress"),
        ("x" * 64, None, "UnknownPress"),
        (None, "a_game", "UnknownPress"),
        # PTB lets a query without data or game through every pattern: still unknown
        (None, None, "CallPress"),
    ],
)
async def test_anything_else_gets_one_unknown_alert(
    data: str | None, game: str | None, taken_by: str
) -> None:
    domain = Domain()
    assert await dispatch(domain, query(data, game)) == taken_by
    assert domain.calls == [] and domain.lines == []
    assert domain.answers == [("q1", t("en", "callback_unknown"), True)]


@pytest.mark.parametrize(
    ("error", "key"),
    [(StoreUnavailable("down"), "store_unavailable"), (RuntimeError("bug"), "internal_error")],
)
@pytest.mark.parametrize("data", ["again:1", "line:b:1"])
async def test_a_failing_press_still_gets_one_answer(error: Exception, key: str, data: str) -> None:
    domain = Domain(fails=error)
    await dispatch(domain, query(data))
    assert domain.answers == [("q1", t("en", key), True)]
