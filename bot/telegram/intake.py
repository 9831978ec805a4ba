"""Taking updates only as fast as they are handled, and handling each chat's in its own line.

python-telegram-bot's updater (long polling) and :mod:`bot.telegram.webhook` both ``await
update_queue.put(update)``; the application takes each update off the queue at once and starts a
task for it, so a plain queue never fills and a flood of updates becomes a flood of tasks.
:class:`UpdateQueue` counts an update from ``put`` until the application calls ``task_done``
(handled), and makes ``put`` wait while :data:`UPDATES_IN_HAND` are in hand. In polling mode the
next ``getUpdates`` is not asked for until there is room (Telegram keeps pending updates for 24
hours); in webhook mode the request waits, so each replica holds a bounded number of updates.

:class:`FairUpdateProcessor` handles :data:`CONCURRENT_UPDATES` updates at once, of which at most
:data:`PER_CHAT` from any one chat: the others of a busy chat wait in that chat's line without
taking a slot, so one noisy chat never holds up another one. An update that has to wait for its
chat's turn to send (:mod:`bot.telegram.pacing`) gives its slot up first (:func:`step_aside`): a
group
whose budget is spent for the minute keeps its messages waiting in its own queue, not in a slot,
and its next ``/call`` still sends the tokens at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = [
    "CONCURRENT_UPDATES",
    "PER_CHAT",
    "UPDATES_IN_HAND",
    "FairUpdateProcessor",
    "UpdateQueue",
    "step_aside",
]

#: Updates taken and not yet handled, at most (about 6 KB each while waiting).
UPDATES_IN_HAND = 256
#: Updates handled at once: a slow Kavenegar answer for one person never stalls the others.
CONCURRENT_UPDATES = 64
#: Of which at most this many from one chat.
PER_CHAT = 4


class UpdateQueue(asyncio.Queue[object]):
    """An update queue whose ``put`` waits while ``limit`` updates are in hand (put, and not yet
    marked done). Anything that is not an :class:`~telegram.Update` (the application's stop
    signal) never waits."""

    def __init__(self, limit: int = UPDATES_IN_HAND) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._in_hand = 0
        self._room: list[asyncio.Future[None]] = []

    @property
    def in_hand(self) -> int:
        """Updates put and not yet marked done."""
        return self._in_hand

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            while self._in_hand >= self.limit:
                room = asyncio.get_running_loop().create_future()
                self._room.append(room)
                try:
                    await room
                except asyncio.CancelledError:
                    if room.done() and not room.cancelled():
                        self._wake_one()  # the room it was given goes to the next in line
                    raise
                finally:
                    if room in self._room:
                        self._room.remove(room)
        self.put_nowait(item)

    def put_nowait(self, item: object) -> None:
        super().put_nowait(item)
        self._in_hand += 1

    def task_done(self) -> None:
        super().task_done()
        self._in_hand = max(0, self._in_hand - 1)
        self._wake_one()

    def _wake_one(self) -> None:
        while self._room:
            room = self._room.pop(0)
            if not room.done():
                room.set_result(None)
                return


class _Line:
    __slots__ = ("holders", "semaphore")

    def __init__(self, size: int) -> None:
        self.semaphore = asyncio.Semaphore(size)
        self.holders = 0


class _Slot:
    """The places one update holds: one in its chat's line, one among all slots."""

    __slots__ = ("_held", "_line", "_slots")

    def __init__(self, line: asyncio.Semaphore, slots: asyncio.Semaphore) -> None:
        self._line, self._slots, self._held = line, slots, False

    async def take(self) -> None:
        async with contextlib.AsyncExitStack() as stack:
            await self._line.acquire()
            stack.callback(self._line.release)
            await self._slots.acquire()
            stack.pop_all()
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots.release()
            self._line.release()


_CURRENT: ContextVar[_Slot | None] = ContextVar("update_slot", default=None)


def step_aside() -> None:
    """The update being handled here is about to wait on something other than work (its chat's
    turn to send): it gives its slots up for the rest of its handling. Nothing outside a
    :class:`FairUpdateProcessor`'s update."""
    slot = _CURRENT.get()
    if slot is not None:
        slot.release()


class FairUpdateProcessor(BaseUpdateProcessor):
    """``slots`` updates handled at once, at most ``per_chat`` of them from one chat.

    ``max_concurrent_updates`` (python-telegram-bot's own bound, and what
    ``current_concurrent_updates`` counts against) is the updates *in hand*: handled, or waiting
    for their chat's turn or a slot.
    """

    def __init__(
        self,
        slots: int = CONCURRENT_UPDATES,
        per_chat: int = PER_CHAT,
        in_hand: int = UPDATES_IN_HAND,
    ) -> None:
        super().__init__(max(in_hand, slots))
        if not 1 <= per_chat <= slots:
            raise ValueError("per_chat must be between 1 and slots")
        self.slots = slots
        self.per_chat = per_chat
        self._slots = asyncio.Semaphore(slots)
        self._lines: dict[int | None, _Line] = {}

    @property
    def busy_chats(self) -> int:
        """Chats with an update in hand (each has a line while it does)."""
        return len(self._lines)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_of(update)
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = _Line(self.per_chat)
        line.holders += 1
        slot = _Slot(line.semaphore, self._slots)
        try:
            try:
                await slot.take()
            except asyncio.CancelledError:
                if inspect.iscoroutine(coroutine):
                    coroutine.close()  # cancelled before its turn: never started, never awaited
                raise
            token = _CURRENT.set(slot)
            try:
                await coroutine
            finally:
                _CURRENT.reset(token)
        finally:
            slot.release()
            line.holders -= 1
            if line.holders == 0:
                del self._lines[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _chat_of(update: object) -> int | None:
    """The chat whose line an update joins: its chat, else its sender, else a shared line."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None
