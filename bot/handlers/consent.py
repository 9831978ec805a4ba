"""/dnd and /forget: a person decides whether they can be called, or leaves altogether."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from ..texts import pick_language, t
from .common import Handler, reply_html

SWITCH = {"on": True, "off": False}


class DoNotDisturb(Handler):
    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        lang = pick_language(user.language_code)
        args = [a.lower() for a in context.args or []]
        if len(args) != 1 or args[0] not in SWITCH:
            record = await self.services.store.get_user(user.id)
            state = "dnd_state_on" if record and record.dnd else "dnd_state_off"
            await reply_html(message, t(lang, "dnd_usage", state=t(lang, state)))
            return
        dnd = SWITCH[args[0]]
        await self.services.store.set_dnd(user.id, dnd)
        await reply_html(message, t(lang, "dnd_on" if dnd else "dnd_off"))


class Forget(Handler):
    """Delete the person's record now: they cannot be called until they /start again."""

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        await self.services.store.forget_user(user.id)
        await reply_html(message, t(pick_language(user.language_code), "forget_done"))
