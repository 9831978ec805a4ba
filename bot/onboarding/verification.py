"""Verified phone numbers: asking for one, checking the contact that comes back, registering it.

With ``REQUIRE_PHONE=true`` (or ``KAVENEGAR_USERNAME_SOURCE=phone``) nobody calls or is called
before sharing their own number with Telegram's "share my number" button. Only a contact whose
``user_id`` is the sender's own, and that is not a forward, proves a number; anything else is
answered with the button again. One account per number: a second account claiming a number is
refused, and the bot's admins are told (they alone ever see numbers, besides their owners).

A verified number is registered with Kavenegar (``POST /endpoints``: username, display name,
platform, mobile number). The registration is a row worked on by :meth:`PhoneService.tick`
under a lease, retried with a growing pause until Kavenegar takes it; an endpoint that already
exists (Kavenegar's calls create missing users) counts as registered.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Literal

from bot.calls.service import DISPLAY_NAME_MAX
from bot.core.clock import Clock
from bot.core.messages import Messenger, OutgoingMessage
from bot.core.people import UserProfile, UserRecord
from bot.core.texts import pick_language, t
from bot.core.work import LeasedWorker
from bot.onboarding.phones import PhoneNaming, normalise, own_contact_problem, readable
from bot.storage import Store
from kavenegar import APIStatusError, ConflictError, KavenegarClient, KavenegarError

__all__ = ["PhoneService", "Verified"]

logger = logging.getLogger(__name__)
#: Pause before the n-th retry of a registration: 30 s, doubling, at most an hour.
FIRST_RETRY, LAST_RETRY = timedelta(seconds=30), timedelta(hours=1)
#: Words in Kavenegar's reasons that mean "this username is taken": the endpoint exists.
_EXISTS = ("duplicate", "exist", "taken", "already")
_PLATFORMS: dict[str | None, Literal["ios", "android"]] = {"ios": "ios", "android": "android"}


class Verified:
    """The answer to a shared contact, and whether the number is now the sender's."""

    def __init__(self, message: OutgoingMessage, ok: bool) -> None:
        self.message = message
        self.ok = ok


class PhoneService(LeasedWorker[tuple[int, int]]):
    LEASE = timedelta(seconds=60)
    BATCH = 10

    def __init__(
        self,
        store: Store,
        kavenegar: KavenegarClient,
        messenger: Messenger,
        clock: Clock,
        *,
        required: bool,
        admins: frozenset[int],
        owner: str,
        mobile_format: PhoneNaming | None = None,
    ) -> None:
        self.store = store
        self.kavenegar = kavenegar
        self.messenger = messenger
        self.clock = clock
        self.required = required
        self.admins = admins
        self.owner = owner
        #: How the number is written in the endpoint's ``mobileNumber`` (as in usernames).
        self.mobile_format = mobile_format or PhoneNaming()

    def missing(self, person: UserRecord | None) -> bool:
        """They may not call or be called yet: a number is required and they shared none."""
        return self.required and (person is None or person.phone is None)

    @staticmethod
    def request(lang: str, key: str = "phone_ask") -> OutgoingMessage:
        """Ask for the person's own number, with the "share my number" keyboard button."""
        return OutgoingMessage(t(lang, key), contact_button=t(lang, "button_share_phone"))

    async def verify(
        self,
        sender: UserProfile,
        phone_number: str,
        *,
        contact_user_id: int | None,
        forwarded: bool,
    ) -> Verified:
        """Check a shared contact and keep its number if it is the sender's own."""
        lang = pick_language(sender.language_code)
        if own_contact_problem(sender.telegram_id, contact_user_id, forwarded):
            return Verified(self.request(lang, "phone_not_own"), False)
        phone = normalise(phone_number)
        if phone is None:
            return Verified(self.request(lang, "phone_invalid"), False)
        await self.store.upsert_user(sender)
        holder = await self.store.set_phone(sender.telegram_id, phone, now=self.clock.now())
        if holder is not None:
            await self._tell_admins(sender, phone, holder)
            return Verified(OutgoingMessage(t(lang, "phone_taken"), remove_keyboard=True), False)
        record = await self.store.get_user(sender.telegram_id)
        username = record.kavenegar_username if record else "?"
        text = t(lang, "phone_verified", phone=readable(phone), kv_username=username)
        return Verified(OutgoingMessage(text, remove_keyboard=True), True)

    async def release(self, lang: str, raw: str) -> str:
        """An admin's ``/phone release NUMBER``: the number is freed from the account holding
        it, whose owner is told privately; the answer for the admin."""
        phone = normalise(raw)
        if phone is None:
            return t(lang, "phone_release_usage")
        holder = await self.store.release_phone(phone)
        if holder is None:
            return t(lang, "phone_release_nobody", phone=readable(phone))
        logger.warning("an admin released user %s's number", holder)
        record = await self.store.get_user(holder)
        if record is not None and record.reachable:
            told = pick_language(record.language_code)
            text = t(told, "phone_released_holder", phone=readable(phone))
            await self.messenger.send(holder, OutgoingMessage(text))
        name = record.display_name if record is not None else str(holder)
        return t(lang, "phone_released", phone=readable(phone), holder=name, holder_id=holder)

    async def _tell_admins(self, sender: UserProfile, phone: str, holder: int) -> None:
        logger.warning("user %s claimed a number user %s holds", sender.telegram_id, holder)
        held_by = await self.store.get_user(holder)
        for admin in sorted(self.admins):
            record = await self.store.get_user(admin)
            if record is None or not record.reachable:
                continue
            lang = pick_language(record.language_code)
            text = t(
                lang,
                "phone_taken_admin",
                person=sender.display_name,
                person_id=sender.telegram_id,
                phone=readable(phone),
                holder=held_by.display_name if held_by else str(holder),
                holder_id=holder,
            )
            await self.messenger.send(admin, OutgoingMessage(text))

    # -- registering endpoints ------------------------------------------------------------------

    async def claim(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        """Due registrations: (Telegram id, attempts so far) each."""
        return await self.store.claim_due_registrations(
            self.owner, now=now, lease=self.LEASE, limit=limit
        )

    def describe(self, due: tuple[int, int]) -> str:
        return f"endpoint of {due[0]}"

    async def step(self, due: tuple[int, int], now: datetime) -> None:
        telegram_id, attempts = due
        person = await self.store.get_user(telegram_id)
        if person is None or person.phone is None:  # forgotten since: nothing to register
            await self.store.end_registration(telegram_id, self.owner)
            return
        platform = _PLATFORMS.get(person.platform)
        try:
            await self.kavenegar.endpoints.create(
                username=person.kavenegar_username,
                display_name=person.name[:DISPLAY_NAME_MAX],
                platform=platform,
                mobile_number=self.mobile_format.username(person.phone),
            )
        except KavenegarError as exc:
            if _already_exists(exc):
                logger.info("endpoint of %s already exists", telegram_id)
                await self.store.end_registration(telegram_id, self.owner)
                return
            pause = min(FIRST_RETRY * 2**attempts, LAST_RETRY)
            logger.warning(
                "endpoint of %s not registered (%r); again in %s", telegram_id, exc, pause
            )
            await self.store.end_registration(
                telegram_id, self.owner, retry_at=self.clock.now() + pause
            )
            return
        logger.info("endpoint of %s registered", telegram_id)
        await self.store.end_registration(telegram_id, self.owner)


def _already_exists(exc: KavenegarError) -> bool:
    """409, or a 400/422 whose reasons say the username is taken (the docs are silent)."""
    if isinstance(exc, ConflictError):
        return True
    if isinstance(exc, APIStatusError) and exc.status_code in (400, 422):
        return any(word in reason.lower() for reason in exc.reasons for word in _EXISTS)
    return False
