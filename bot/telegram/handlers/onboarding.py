"""/start, /help, /whoami and /platform."""

from __future__ import annotations

from dataclasses import replace

from bot.core.messages import Button, MessageKind
from bot.onboarding.phones import readable
from bot.services import Services
from bot.telegram.handlers.base import Command, Invocation

PLATFORMS = {"ios": "ios", "android": "android", "none": None, "off": None}


def numbered(services: Services) -> bool:
    """Kavenegar usernames are made of phone numbers (``KAVENEGAR_USERNAME_SOURCE=phone``)."""
    return services.settings.kavenegar_username_source == "phone"


class Start(Command):
    """Sign the person up: pressing Start is their consent to be called; explain the bot."""

    async def run(self, invocation: Invocation) -> None:
        if not invocation.private:
            link = f"https://t.me/{self.services.bot_username}?start=group"
            button = Button(invocation.text("button_start"), link)
            await self.reply(
                invocation, invocation.text("start_in_group"), (button,), kind=MessageKind.COURTESY
            )
            return
        sender = invocation.sender.telegram_id
        # an outsider gets this far only with a line's link (see the preflight)
        refusal = await self.services.access.refusal(
            user_id=sender, chat_id=invocation.chat_id, private=True
        )
        record = await self.services.people.sign_up(invocation.sender)
        payload = invocation.args[0] if len(invocation.args) == 1 else ""
        if await self.services.lines.arrive(record, payload):  # t.me/<bot>?start=line-NAME
            return
        if refusal is not None:  # not an open line after all: nothing else is theirs to use
            await self.reply(invocation, invocation.text(refusal, user_id=sender))
            return
        how = invocation.text(f"how_to_join_{self.services.calls.join_mode}")
        if numbered(self.services) and record.phone is None:  # tg<id> only until it comes
            text = invocation.text("welcome_username_later", name=record.name, how_to_join=how)
        else:
            text = invocation.text(
                "welcome",
                name=record.name,
                kv_username=record.kavenegar_username,
                how_to_join=how,
            )
        invites = self.services.invites
        if invites.is_invite(payload):  # t.me/<bot>?start=inv_...
            joined = await invites.redeem(invocation.lang, invocation.sender, payload)
            text = f"{joined}\n\n{text}"
        phones = self.services.phones
        if phones.missing(record):  # the number comes first: ask for it with the button
            ask = phones.request(invocation.lang)
            await self.reply_with(invocation, replace(ask, html=f"{text}\n\n{ask.html}"))
            return
        await self.reply(invocation, text)


class Help(Command):
    async def run(self, invocation: Invocation) -> None:
        from bot.telegram.commands import help_text  # the command table lists this handler

        is_admin = self.services.access.is_admin(invocation.sender.telegram_id)
        text = help_text(invocation.lang, self.services.settings, is_admin)
        await self.reply(invocation, text, kind=MessageKind.COURTESY)


class WhoAmI(Command):
    async def run(self, invocation: Invocation) -> None:
        record = await self.services.people.get(invocation.sender.telegram_id)
        if record is None:  # forgotten a moment ago, or the store lost the row
            await self.reply(invocation, invocation.text("whoami_unknown"))
            return
        # with usernames made of phone numbers, the username is a number: never in a group
        hidden = numbered(self.services) and not invocation.private
        await self.reply(
            invocation,
            invocation.text(
                "whoami_username_hidden" if hidden else "whoami",
                kv_username=record.kavenegar_username,
                platform=record.platform or invocation.text("platform_not_set"),
                reachable=invocation.text("reachable_yes" if record.reachable else "reachable_no"),
                taking=invocation.text("dnd_state_on" if record.dnd else "dnd_state_off"),
            )
            + self._phone_line(invocation, record.phone),
        )

    def _phone_line(self, invocation: Invocation, phone: str | None) -> str:
        """The person's own number, in their private chat only (never shown in a group)."""
        if not invocation.private or (phone is None and not self.services.phones.required):
            return ""
        if phone is None:
            return "\n" + invocation.text("whoami_no_phone")
        return "\n" + invocation.text("whoami_phone", phone=readable(phone))


class Platform(Command):
    async def run(self, invocation: Invocation) -> None:
        args = invocation.args
        choice = args[0].lower() if len(args) == 1 else ""
        people = self.services.people
        if choice not in PLATFORMS:
            record = await people.get(invocation.sender.telegram_id)
            current = record.platform if record and record.platform else None
            text = invocation.text(
                "platform_usage", platform=current or invocation.text("platform_not_set")
            )
            await self.reply(invocation, text)
            return
        platform = PLATFORMS[choice]
        await people.set_platform(invocation.sender.telegram_id, platform)
        if platform is None:
            await self.reply(invocation, invocation.text("platform_cleared"))
        else:
            await self.reply(invocation, invocation.text("platform_set", platform=platform))
