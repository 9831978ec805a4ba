"""/start, /help, /whoami and /platform."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from ..texts import pick_language, t
from .common import Handler, reply_html

PLATFORMS = {"ios": "ios", "android": "android", "none": None, "off": None}


class Start(Handler):
    """Register the user (the tracker marked them reachable) and explain the bot."""

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user, chat = update.message, update.effective_user, update.effective_chat
        if message is None or user is None or chat is None:
            return
        lang = pick_language(user.language_code)
        if chat.type != ChatType.PRIVATE:
            link = f"https://t.me/{context.bot.username}?start=group"
            await reply_html(
                message, t(lang, "start_in_group"), button=(t(lang, "button_start"), link)
            )
            return
        record = await self.services.store.get_user(user.id)
        kv_username = record.kavenegar_username if record else ""
        await reply_html(message, t(lang, "welcome", name=user.first_name, kv_username=kv_username))


class Help(Handler):
    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        settings = self.services.settings
        text = t(
            pick_language(user.language_code),
            "help",
            max_minutes=settings.max_duration_limit // 60,
            default_minutes=settings.default_max_duration // 60,
        )
        await reply_html(message, text)


class WhoAmI(Handler):
    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = pick_language(user.language_code)
        record = await self.services.store.get_user(user.id)
        if record is None:
            return
        await reply_html(
            message,
            t(
                lang,
                "whoami",
                kv_username=record.kavenegar_username,
                platform=record.platform or t(lang, "platform_not_set"),
                reachable=t(lang, "reachable_yes" if record.dm_open else "reachable_no"),
                taking=t(lang, "dnd_state_on" if record.dnd else "dnd_state_off"),
            ),
        )


class Platform(Handler):
    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = pick_language(user.language_code)
        args = context.args or []
        choice = args[0].lower() if len(args) == 1 else ""
        if choice not in PLATFORMS:
            record = await self.services.store.get_user(user.id)
            current = record.platform if record and record.platform else None
            await reply_html(
                message, t(lang, "platform_usage", platform=current or t(lang, "platform_not_set"))
            )
            return
        platform = PLATFORMS[choice]
        await self.services.store.set_platform(user.id, platform)
        if platform is None:
            await reply_html(message, t(lang, "platform_cleared"))
        else:
            await reply_html(message, t(lang, "platform_set", platform=platform))
