"""The long-lived objects handlers need, opened in ``post_init`` and closed in ``post_shutdown``."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError
from telegram.ext import Application

from kavenegar import KavenegarClient

from .access import Access
from .calls import CallService, CallSettings
from .config import Settings
from .delivery import TelegramMessenger
from .logs import SecretRedactor
from .storage import Store

__all__ = ["COMMANDS", "Services"]

logger = logging.getLogger(__name__)

#: The command menu: (command, {language: description}); group chats get only the first two.
COMMANDS: list[tuple[str, dict[str, str]]] = [
    ("call", {"en": "Call someone: /call @username", "fa": "تماس با کسی: /call @username"}),
    ("help", {"en": "How to use this bot", "fa": "راهنمای ربات"}),
    ("start", {"en": "Sign up so people can call you", "fa": "ثبت‌نام برای دریافت تماس"}),
    ("whoami", {"en": "Your Kavenegar username", "fa": "نام کاربری کاوه‌نگار شما"}),
    ("platform", {"en": "Your phone: ios or android", "fa": "گوشی شما: ios یا android"}),
    ("dnd", {"en": "Stop or resume receiving calls", "fa": "توقف یا ادامهٔ دریافت تماس"}),
    ("forget", {"en": "Delete what the bot knows about you", "fa": "حذف اطلاعات شما"}),
]
#: Shown only in admins' private chats.
ADMIN_COMMANDS: list[tuple[str, dict[str, str]]] = [
    ("allow", {"en": "Allow a chat or person (id)", "fa": "مجاز کردن گفت‌وگو یا شخص"}),
    ("deny", {"en": "Deny a chat or person (id)", "fa": "ممنوع کردن گفت‌وگو یا شخص"}),
    ("access", {"en": "Who may use the bot", "fa": "چه کسانی مجازند"}),
    ("uncallable", {"en": "Mark a person uncallable", "fa": "غیرقابل تماس کردن شخص"}),
    ("callable", {"en": "Make a person callable again", "fa": "قابل تماس کردن دوبارهٔ شخص"}),
]
GROUP_COMMANDS = {"call", "help"}


class Services:
    """Settings, store, Kavenegar client and the call service of one running bot."""

    def __init__(
        self,
        settings: Settings,
        redactor: SecretRedactor,
        *,
        store: Store | None = None,
        kavenegar: KavenegarClient | None = None,
    ) -> None:
        self.settings = settings
        self.redactor = redactor
        self._store = store
        self._kavenegar = kavenegar
        self._owns_store = store is None
        self._owns_kavenegar = kavenegar is None
        self._calls: CallService | None = None
        self._access: Access | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store is opened in post_init")
        return self._store

    @property
    def access(self) -> Access:
        if self._access is None:
            raise RuntimeError("access control is built in post_init")
        return self._access

    @property
    def calls(self) -> CallService:
        if self._calls is None:
            raise RuntimeError("the call service is built in post_init")
        return self._calls

    async def post_init(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        settings = self.settings
        if self._store is None:
            self._store = await Store.open(
                settings.database_url, username_prefix=settings.kavenegar_username_prefix
            )
        if self._kavenegar is None:
            self._kavenegar = KavenegarClient(
                api_token=settings.kavenegar_api_token.get_secret_value(),
                base_url=settings.kavenegar_base_url,
            )
        self._access = Access(
            self._store,
            allowed_users=settings.allowed_user_ids,
            allowed_chats=settings.allowed_chat_ids,
            admins=settings.admin_user_ids,
        )
        self._calls = CallService(
            store=self._store,
            kavenegar=self._kavenegar,
            messenger=TelegramMessenger(app.bot),
            settings=CallSettings(
                default_max_duration=settings.default_max_duration,
                max_duration_limit=settings.max_duration_limit,
                join_url_template=settings.join_url_template,
                calls_per_minute=settings.calls_per_minute,
                calls_per_day=settings.calls_per_day,
            ),
            bot_username=app.bot.username,
            remember_secret=self.redactor.add,
        )
        await self._publish_commands(app)
        logger.info("bot @%s ready", app.bot.username)

    async def post_shutdown(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self._owns_kavenegar and self._kavenegar is not None:
            await self._kavenegar.aclose()
        if self._owns_store and self._store is not None:
            await self._store.close()

    async def _publish_commands(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """The ``/`` menu per scope and language; a failure here must not stop the bot."""
        try:
            for lang in ("", "fa"):
                key = lang or "en"
                private = [BotCommand(c, d[key]) for c, d in COMMANDS]
                group = [BotCommand(c, d[key]) for c, d in COMMANDS if c in GROUP_COMMANDS]
                await app.bot.set_my_commands(
                    private, scope=BotCommandScopeAllPrivateChats(), language_code=lang or None
                )
                await app.bot.set_my_commands(
                    group, scope=BotCommandScopeAllGroupChats(), language_code=lang or None
                )
        except TelegramError as exc:
            logger.warning("could not publish the command menu: %s", exc)
        admin_menu = [BotCommand(c, d["en"]) for c, d in COMMANDS + ADMIN_COMMANDS]
        for admin_id in sorted(self.settings.admin_user_ids):
            try:  # fails until the admin has pressed Start; harmless
                await app.bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin_id))
            except TelegramError as exc:
                logger.info("no admin menu for %s yet: %s", admin_id, exc)
