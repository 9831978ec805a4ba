"""Who may use the bot: allow-lists from the settings, admins' run-time rules from the database.

A person may use the bot when they are an admin, or when no rule denies them and either no
allow-list of people exists (open) or they are on it. A group chat works the same way with the
chat allow-list; private chats are governed by the people list alone. Settings give the starting
lists (``ALLOWED_USER_IDS``, ``ALLOWED_CHAT_IDS``); ``/allow`` and ``/deny`` add rules on top,
stored in the database so they hold across restarts and replicas. Rules name numeric ids only:
usernames change hands.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.records import RuleKind
from bot.storage import Store

__all__ = ["Access", "AccessView"]


@dataclass(frozen=True)
class AccessView:
    """The effective lists, for /access. Empty ``users``/``chats`` means open to all."""

    users: frozenset[int]
    chats: frozenset[int]
    denied_users: frozenset[int]
    denied_chats: frozenset[int]
    admins: frozenset[int]


class Access:
    def __init__(
        self,
        store: Store,
        *,
        allowed_users: frozenset[int],
        allowed_chats: frozenset[int],
        admins: frozenset[int],
    ) -> None:
        self.store = store
        self.allowed_users = allowed_users
        self.allowed_chats = allowed_chats
        self.admins = admins

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admins

    async def set_rule(
        self, kind: RuleKind, subject_id: int, allowed: bool, *, changed_by: int
    ) -> None:
        """An admin's /allow or /deny of a person or a chat, by id."""
        await self.store.set_access_rule(kind, subject_id, allowed, changed_by=changed_by)

    async def first_notice(self, chat_id: int) -> bool:
        """True the first time a chat is told it may not use the bot (it is told once)."""
        return await self.store.first_access_notice(chat_id)

    async def view(self) -> AccessView:
        rules = await self.store.access_rules()

        def ids(kind: str, allowed: bool) -> frozenset[int]:
            return frozenset(r.subject_id for r in rules if r.kind == kind and r.allowed is allowed)

        denied_users, denied_chats = ids("user", False), ids("chat", False)
        return AccessView(
            users=(self.allowed_users | ids("user", True)) - denied_users,
            chats=(self.allowed_chats | ids("chat", True)) - denied_chats,
            denied_users=denied_users,
            denied_chats=denied_chats,
            admins=self.admins,
        )

    async def denied(self, user_id: int) -> bool:
        """An admin denied them by id (support lines stop serving them too)."""
        if self.is_admin(user_id):
            return False
        return user_id in (await self.view()).denied_users

    async def left_out(self, user_id: int) -> bool:
        """Denied, or left out by the people's allow-list: no call reaches them (so they take
        no on-call shift either)."""
        if self.is_admin(user_id):
            return False
        view = await self.view()
        return user_id in view.denied_users or (bool(view.users) and user_id not in view.users)

    async def only_unlisted(self, user_id: int) -> bool:
        """Refused only because the allow-list leaves them out (not denied): an outsider, whom
        support lines still serve."""
        if self.is_admin(user_id):
            return False
        view = await self.view()
        return user_id not in view.denied_users and bool(view.users) and user_id not in view.users

    async def refusal(self, *, user_id: int, chat_id: int, private: bool) -> str | None:
        """None if allowed; else the text key that explains the refusal."""
        if self.is_admin(user_id):
            return None
        return self._refusal(await self.view(), user_id, chat_id, private)

    async def call_refusal(
        self, caller_id: int, callee_id: int, *, chat_id: int, private: bool, outsider: bool
    ) -> tuple[str, dict[str, object]] | None:
        """Why these rules forbid this call now (a text key and its parameters); None if not.

        The caller must be allowed in the call's chat, exactly as their command would be there
        (``outsider``: a support line's newcomer, whom the allow-lists may leave out, as long as
        no admin denied them); the callee must not be denied, nor left out by the people's
        allow-list (told as "not taking calls": who is denied is the admins' business).
        """
        view = await self.view()
        if not self.is_admin(caller_id):
            key = self._refusal(view, caller_id, chat_id, private)
            if key == "access_user" and outsider and caller_id not in view.denied_users:
                key = None
            if key is not None:
                return key, {"user_id": caller_id, "chat_id": chat_id}
        if not self.is_admin(callee_id) and (
            callee_id in view.denied_users or (view.users and callee_id not in view.users)
        ):
            return "call_not_taking_calls", {}
        return None

    @staticmethod
    def _refusal(view: AccessView, user_id: int, chat_id: int, private: bool) -> str | None:
        if user_id in view.denied_users or (view.users and user_id not in view.users):
            return "access_user"
        if not private and (
            chat_id in view.denied_chats or (view.chats and chat_id not in view.chats)
        ):
            return "access_chat"
        return None
