"""A person's own record as the commands change it: signing up, taking calls or not, the phone
platform, leaving, whether the bot can reach them, and an admin's "not callable".

The Telegram handlers reach people's data only through here (never the store itself).
"""

from __future__ import annotations

from bot.core.people import UserProfile, UserRecord
from bot.core.records import Team
from bot.storage import Store

__all__ = ["People"]


class People:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def take_update(
        self, bot_id: int, update_id: int, sender: UserProfile | None, *, dm_open: bool | None
    ) -> bool:
        """Take an update for this replica (False: another one has it) and, when it is ours,
        refresh what we know of its sender, in one transaction."""
        return await self.store.take_update(bot_id, update_id, sender, dm_open=dm_open)

    async def sign_up(self, profile: UserProfile) -> UserRecord:
        """Pressing Start in private: their consent to be called, and a chat the bot can use."""
        return await self.store.upsert_user(profile, dm_open=True, started=True)

    async def get(self, telegram_id: int) -> UserRecord | None:
        return await self.store.get_user(telegram_id)

    async def find(self, username: str) -> UserRecord | None:
        """``@name`` (case-insensitive, with or without the ``@``), if the bot has met them."""
        return await self.store.find_by_username(username)

    async def name_of(self, telegram_id: int) -> str:
        """Their name as the bot knows it, or their id when it does not know them (any more)."""
        record = await self.store.get_user(telegram_id)
        return record.name if record is not None else str(telegram_id)

    async def set_dnd(self, telegram_id: int, dnd: bool) -> None:
        await self.store.set_dnd(telegram_id, dnd)

    async def set_platform(self, telegram_id: int, platform: str | None) -> None:
        await self.store.set_platform(telegram_id, platform)

    async def set_reachable(self, telegram_id: int, reachable: bool) -> None:
        """They blocked (False) or unblocked (True) the bot in their private chat."""
        await self.store.set_dm_open(telegram_id, reachable)

    async def forget(self, telegram_id: int) -> list[Team]:
        """Delete their record now, and their places in teams and covers with it (one
        transaction): they cannot be called until they press Start again, nor are they on call
        anywhere. The teams they were in (or covered for), for their owners to be told."""
        teams = await self.store.teams.of_member(telegram_id)
        await self.store.forget_user(telegram_id)
        return teams

    async def set_callable(self, telegram_id: int, callable_: bool, *, changed_by: int) -> None:
        """An admin's decision, kept by Telegram id: it outlives the person's record."""
        await self.store.set_uncallable(telegram_id, not callable_, changed_by=changed_by)
