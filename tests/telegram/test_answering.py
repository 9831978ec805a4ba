"""The one failure path of every update entry point: one answer, the right words, nothing lost."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram.ext import ApplicationHandlerStop

from bot.core.errors import StoreUnavailable
from bot.telegram.handlers.answering import Answering


class Answers:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def __call__(self, key: str) -> None:
        self.keys.append(key)


async def test_a_store_outage_is_answered_temporarily_unavailable_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers = Answers()
    async with Answering(7, "Call", answers) as attempt:
        raise StoreUnavailable("database is locked")
    assert attempt.failed and answers.keys == ["store_unavailable"]
    (record,) = [r for r in caplog.records if r.name.endswith("answering")]
    assert record.levelno == logging.WARNING and record.exc_info is None  # expected, no traceback


async def test_any_other_failure_is_an_apology_with_its_traceback_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    answers = Answers()
    async with Answering(8, "button press", answers) as attempt:
        raise KeyError("bug")
    assert attempt.failed and answers.keys == ["internal_error"]
    (record,) = [r for r in caplog.records if r.name.endswith("answering")]
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "update 8: button press failed" in record.getMessage()


async def test_work_that_succeeds_gets_no_extra_answer() -> None:
    answers = Answers()
    async with Answering(9, "Start", answers) as attempt:
        pass
    assert not attempt.failed and answers.keys == []


async def test_handler_stop_and_cancellation_pass_through_unanswered() -> None:
    answers = Answers()
    with pytest.raises(ApplicationHandlerStop):
        async with Answering(10, "preflight", answers):
            raise ApplicationHandlerStop
    with pytest.raises(asyncio.CancelledError):
        async with Answering(11, "Call", answers):
            raise asyncio.CancelledError
    assert answers.keys == []


async def test_an_answer_that_fails_itself_ends_the_update_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(key: str) -> None:
        raise ConnectionError("telegram is down")

    async with Answering(12, "a shared contact", broken) as attempt:
        raise StoreUnavailable("gone")
    assert attempt.failed
    assert any("could not answer" in r.getMessage() for r in caplog.records)
