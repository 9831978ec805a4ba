"""The one way an update's handling fails: logged, and answered once in the person's language.

Every entry point (commands, button presses, shared contacts, the preflight) runs its work
inside :class:`Answering`. A storage outage is logged as a warning and answered "temporarily
unavailable"; anything else is logged with its traceback (secrets redacted by the log filter)
and answered with a short apology. Python-telegram-bot's ``ApplicationHandlerStop`` (control
flow, not a failure) and cancellation pass through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from telegram.ext import ApplicationHandlerStop

from bot.core.errors import StoreUnavailable

__all__ = ["Answering"]

logger = logging.getLogger(__name__)


class Answering:
    """``async with Answering(update_id, what, answer) as attempt:`` runs the work; a failure
    is logged, ``answer(text_key)`` is awaited once, the exception goes no further and
    ``attempt.failed`` is True afterwards."""

    def __init__(
        self,
        update_id: int,
        what: str,
        answer: Callable[[str], Awaitable[object]],
        counted: Callable[[str], None] | None = None,
    ) -> None:
        self.update_id = update_id
        self.what = what
        self.answer = answer
        #: Told of each failure's kind ("store" or "internal"), for the metrics.
        self.counted = counted
        self.failed = False

    async def __aenter__(self) -> Answering:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False  # done, or cancelled: nothing to answer
        if isinstance(exc, ApplicationHandlerStop):
            return False
        self.failed = True
        if self.counted is not None:
            self.counted("store" if isinstance(exc, StoreUnavailable) else "internal")
        if isinstance(exc, StoreUnavailable):
            logger.warning(
                "update %s: %s: storage unavailable: %s",
                self.update_id,
                self.what,
                exc,
                extra={"update_id": self.update_id},
            )
            key = "store_unavailable"
        else:
            logger.error(
                "update %s: %s failed",
                self.update_id,
                self.what,
                exc_info=exc,
                extra={"update_id": self.update_id},
            )
            key = "internal_error"
        try:
            await self.answer(key)
        except Exception:  # the answer's own failure is logged; the update ends here
            logger.exception("update %s: %s: could not answer it", self.update_id, self.what)
        return True
