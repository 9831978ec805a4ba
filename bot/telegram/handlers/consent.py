"""/dnd and /forget: a person decides whether they can be called, or leaves altogether."""

from __future__ import annotations

from bot.telegram.handlers.base import Command, Invocation

SWITCH = {"on": True, "off": False}


class DoNotDisturb(Command):
    async def run(self, invocation: Invocation) -> None:
        args = [a.lower() for a in invocation.args]
        people = self.services.people
        user_id = invocation.sender.telegram_id
        if len(args) != 1 or args[0] not in SWITCH:
            record = await people.get(user_id)
            state = "dnd_state_on" if record and record.dnd else "dnd_state_off"
            text = invocation.text("dnd_usage", state=invocation.text(state))
            await self.reply(invocation, text)
            return
        dnd = SWITCH[args[0]]
        await people.set_dnd(user_id, dnd)
        await self.reply(invocation, invocation.text("dnd_on" if dnd else "dnd_off"))


class Forget(Command):
    """Delete the person's record now: they cannot be called until they press Start again."""

    async def run(self, invocation: Invocation) -> None:
        me = invocation.sender.telegram_id
        await self.services.lines.withdraw_offers(me)  # members' offers of theirs say so first
        left = await self.services.people.forget(me)
        await self.services.oncall.left(invocation.sender, left)  # their teams' owners are told
        await self.reply(invocation, invocation.text("forget_done"))
