"""Recording how a call attempt ended, even when the database is briefly unavailable.

A call Kavenegar created must reach its people whatever the database does, so the call flow
delivers the tokens first and records second. When the record cannot be written (database
locked, down, full), the write is retried in the background with growing pauses for up to an
hour, and every failure is logged at WARNING with the row and Kavenegar's call id, so an operator
can always reconcile. The row meanwhile stays ``pending``, which counts against the caller's quota
like a placed call: nobody can place a second call on the strength of a lost record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.core.errors import StoreUnavailable
from bot.core.records import CallStatus
from bot.storage import Store

__all__ = ["RecordKeeper"]

logger = logging.getLogger(__name__)

#: Pauses between retries of a record the database refused, in seconds (then every 60 s).
RETRY_DELAYS: tuple[float, ...] = (0.5, 1, 2, 5, 10, 30)
#: How long a record is retried before it is given up (and logged at ERROR).
GIVE_UP_AFTER = 3600.0


class RecordKeeper:
    """Writes ``calls`` outcomes now if it can, later if it must; never raises."""

    def __init__(
        self,
        store: Store,
        *,
        delays: Sequence[float] = RETRY_DELAYS,
        give_up_after: float = GIVE_UP_AFTER,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.delays = tuple(delays)
        self.give_up_after = give_up_after
        self._sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Records still waiting for the database."""
        return len(self._tasks)

    async def finish(self, row_id: int, *, status: CallStatus, **fields: Any) -> bool:
        """Record the outcome of row ``row_id``; True if written now, False if deferred/lost."""
        try:
            await self.store.finish_call(row_id, status=status, **fields)
        except StoreUnavailable as exc:
            logger.warning(
                "call %s (%s, kavenegar id %s) not recorded yet: %s; retrying in the background",
                row_id, status, fields.get("kavenegar_call_id"), exc,
            )  # fmt: skip
            task = asyncio.get_running_loop().create_task(self._retry(row_id, status, fields))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return False
        except Exception:
            logger.exception(
                "call %s (%s, kavenegar id %s) could not be recorded",
                row_id, status, fields.get("kavenegar_call_id"),
            )  # fmt: skip
            return False
        return True

    async def _retry(self, row_id: int, status: CallStatus, fields: dict[str, Any]) -> None:
        waited, attempt = 0.0, 0
        while waited < self.give_up_after:
            delay = self.delays[attempt] if attempt < len(self.delays) else 60.0
            await self._sleep(delay)
            waited += delay
            attempt += 1
            try:
                await self.store.finish_call(row_id, status=status, **fields)
            except StoreUnavailable as exc:
                logger.warning("call %s still not recorded (try %d): %s", row_id, attempt, exc)
                continue
            except Exception:
                logger.exception("call %s could not be recorded", row_id)
                return
            logger.info("call %s recorded after %d retries", row_id, attempt)
            return
        logger.error(
            "gave up recording call %s (%s, kavenegar id %s)",
            row_id, status, fields.get("kavenegar_call_id"),
        )  # fmt: skip

    async def close(self, *, timeout: float = 5.0) -> None:
        """Give the deferred records ``timeout`` seconds, then log what is left unrecorded."""
        if not self._tasks:
            return
        _, left = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in left:
            task.cancel()
        if left:
            logger.error("%d call records could not be written before stopping", len(left))
