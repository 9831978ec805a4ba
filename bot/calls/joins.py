"""The join page's side of a call: which participant's token a validated Telegram user may have.

A Join button opens ``WEBAPP_URL?call=<handle>``. The handle is random
(:func:`new_join_handle`), made when the call's tokens go out, and only its SHA-256 is stored
(:func:`handle_hash`), so neither the URL nor the database holds the call id or a token. The
page sends the handle with Telegram's signed ``initData``; once the web layer has validated it,
:meth:`JoinService.lookup` answers for that Telegram user: their own ``{callId, accessToken}``
while the call can be joined, and why not otherwise. The token is read from Kavenegar
(``GET /calls/{id}``) on each request, never stored by the bot.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.errors import StoreUnavailable
from bot.storage import Store
from kavenegar import KavenegarClient, KavenegarError, NotFoundError

__all__ = ["JoinAnswer", "JoinService", "JoinStatus", "handle_hash", "new_join_handle"]

logger = logging.getLogger(__name__)


def new_join_handle() -> str:
    """A fresh, unguessable handle for a join page URL (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def handle_hash(handle: str) -> str:
    """What is stored of a handle: its SHA-256, in hex."""
    return hashlib.sha256(handle.encode()).hexdigest()


class JoinStatus(StrEnum):
    """What the join page is told, one per HTTP status of its endpoint."""

    READY = "ready"  # 200: the token of this participant
    UNKNOWN = "unknown"  # 404: no call has this handle
    NOT_YOURS = "not_yours"  # 403: the user is not a participant of the call
    ENDED = "ended"  # 410: the call is over (or never became joinable)
    UNAVAILABLE = "unavailable"  # 503: the database or Kavenegar cannot say now


@dataclass(frozen=True)
class JoinAnswer:
    """The lookup's result; ``access_token`` only with :attr:`JoinStatus.READY`."""

    status: JoinStatus
    call_row_id: int | None = None
    call_id: str | None = None
    access_token: str | None = field(default=None, repr=False)
    #: "caller" or "callee": whose side of the call the token is.
    role: str | None = None


class JoinService:
    """Answers the join page (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        kavenegar: KavenegarClient,
        *,
        remember_secret: Callable[[str], None] = lambda _secret: None,
    ) -> None:
        self.store = store
        self.kavenegar = kavenegar
        self.remember_secret = remember_secret

    async def lookup(self, handle: str, user_id: int) -> JoinAnswer:
        """The token ``user_id`` may have for the call behind ``handle``, or why not."""
        try:
            record = await self.store.call_by_join_handle(handle_hash(handle))
        except StoreUnavailable:
            return JoinAnswer(JoinStatus.UNAVAILABLE)
        if record is None:
            return JoinAnswer(JoinStatus.UNKNOWN)
        if user_id == record.caller_id:
            role = "caller"
        elif user_id == record.callee_id:
            role = "callee"
        else:
            return JoinAnswer(JoinStatus.NOT_YOURS, record.id)
        if record.outcome is not None:
            return JoinAnswer(JoinStatus.ENDED, record.id)
        if record.kavenegar_call_id is None:  # its id is being written beside the tokens
            return JoinAnswer(JoinStatus.UNAVAILABLE, record.id)
        try:
            call = await self.kavenegar.calls.get(record.kavenegar_call_id)
        except NotFoundError:
            return JoinAnswer(JoinStatus.ENDED, record.id)
        except KavenegarError as exc:
            logger.info("call %s: Kavenegar not asked for the join page (%r)", record.id, exc)
            return JoinAnswer(JoinStatus.UNAVAILABLE, record.id)
        if call.finish_reason or call.finished_at:
            return JoinAnswer(JoinStatus.ENDED, record.id)
        side = call.caller if role == "caller" else call.receptor
        if not side.access_token:
            return JoinAnswer(JoinStatus.UNAVAILABLE, record.id)
        self.remember_secret(side.access_token)
        return JoinAnswer(JoinStatus.READY, record.id, call.id, side.access_token, role)
