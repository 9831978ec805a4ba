"""Issue 22's "Call now" on the fast layer (domain services, recording messenger): a press is
checked exactly as ``/call`` typed where it was pressed, and calls only the member it names."""

from __future__ import annotations

from bot.core.buttons import Press, PressKind, decode
from bot.core.clock import ManualClock
from bot.core.people import UserProfile
from bot.core.records import PlaceResult
from bot.core.texts import t
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World
from ..helpers import ALICE, BOB, GROUP, visible
from .conftest import CAROL, DAVE, make_ops, on_call_world


async def test_call_now_in_a_group_the_admins_denied_places_no_call(world: World) -> None:
    """An admin ran ``/deny <group id>``: ``/call`` typed in that group is refused, and so is a
    "Call now" button already under an ``/oncall`` answer there (its answers still go to the
    presser privately): no paid call from a denied group."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    await world.services.access.set_rule("chat", GROUP, False, changed_by=ALICE)
    typed = await world.call("@bob_k", caller=CAROL, chat_id=GROUP)
    assert typed.outcome is PlaceResult.REFUSED
    carol = await world.store.get_user(CAROL)
    assert carol is not None
    press = Press(PressKind.CALL_NOW, ops.team.id, member=BOB)
    answer = await world.services.call_now.press(
        carol.profile, press, chat_id=GROUP, message_id=555
    )
    assert answer.alert and answer.key == "access_chat"
    assert world.kv.state.calls == {}
    # the same press in Carol's private /oncall list is a private /call: the group's rule is
    # not hers there
    private = await world.services.call_now.press(
        carol.profile, press, chat_id=CAROL, message_id=556
    )
    assert private.key == "callback_calling", private
    assert len(world.kv.state.calls) == 1


async def test_call_now_refusals_hold(world: World) -> None:
    """A denied presser, a presser who never pressed Start, a deleted team: no paid call, an
    alert each."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    press = Press(PressKind.CALL_NOW, ops.team.id, member=BOB)
    svc = world.services.call_now
    dave = await world.store.get_user(DAVE)
    assert dave is not None
    await world.services.access.set_rule("user", DAVE, False, changed_by=ALICE)
    denied = await svc.press(dave.profile, press, chat_id=GROUP, message_id=1)
    stranger = UserProfile(4999, "Stranger", username="str_k", language_code="en")
    unknown = await svc.press(stranger, press, chat_id=GROUP, message_id=1)
    assert denied.alert and unknown.alert, (denied, unknown)
    assert world.kv.state.calls == {}
    await world.services.oncall.delete("en", ALICE, ops.team)
    carol = await world.store.get_user(CAROL)
    assert carol is not None
    gone = await svc.press(carol.profile, press, chat_id=GROUP, message_id=1)
    assert gone.key == "call_now_team_gone"
    assert world.kv.state.calls == {}


async def test_a_call_now_button_calls_the_person_it_names(world: World) -> None:
    """``/oncall ops`` answers under "📞 Call Bob now". Pressed after the 09:00 hand-over (Carol
    on call then), it places no call and says "Carol is on call for ops now, not Bob: /oncall ops
    for a new button"; pressed while Bob is on call, it calls Bob."""
    ops = await make_ops(world, BOB, CAROL, DAVE)
    oncall = world.services.oncall
    await oncall.set_rotation("en", ALICE, ops.team, "daily", "09:00", "Asia/Tehran")
    _, buttons = await oncall.oncall_reply("en", DAVE, GROUP, False, "ops")
    (button,) = buttons
    assert "Bob" in button.text
    press = decode(button.data)
    assert press is not None and press.member == BOB
    dave = await world.store.get_user(DAVE)
    assert dave is not None
    ops.clock.advance(24 * 3600)
    moved = await world.services.call_now.press(dave.profile, press, chat_id=GROUP, message_id=321)
    assert moved.alert and moved.key == "call_now_moved"
    assert moved.params == {
        "name": "ops",
        "person": "\u2068Carol\u2069",
        "named": "\u2068Bob\u2069",
    }
    said = t("en", moved.key, **moved.params)
    assert visible(said) == "Carol is on call for ops now, not Bob: /oncall ops for a new button."
    assert world.kv.state.calls == {}
    _, buttons = await oncall.oncall_reply("en", DAVE, GROUP, False, "ops")
    (fresh,) = buttons
    assert "Carol" in fresh.text
    again = decode(fresh.data)
    assert again is not None
    calling = await world.services.call_now.press(
        dave.profile, again, chat_id=GROUP, message_id=322
    )
    assert calling.key == "callback_calling"
    rung = [c.receptor.username for c in world.kv.state.calls.values()]
    assert rung == [f"tg{CAROL}"]


async def test_a_rung_call_now_answered_after_the_group_was_denied_places_no_call(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> None:
    """``CALL_FLOW=ring``: Carol's "Call now" in the group rings Bob first; an admin then denies
    the group. When Bob answers, the call is checked again as ``/call`` typed in that group (as
    at the press): refused, nothing paid."""
    async for world in on_call_world(sqlite_url, kv, clock, call_flow="ring"):
        ops = await make_ops(world, BOB, CAROL, DAVE)
        carol = await world.store.get_user(CAROL)
        assert carol is not None
        press = Press(PressKind.CALL_NOW, ops.team.id, member=BOB)
        rung = await world.services.call_now.press(
            carol.profile, press, chat_id=GROUP, message_id=777
        )
        assert rung.key == "callback_calling", rung
        (ring,) = [m for m in world.messenger.to(BOB) if m.buttons]
        answer = decode(ring.buttons[0].data)
        assert answer is not None and answer.kind is PressKind.RING_ANSWER
        await world.services.access.set_rule("chat", GROUP, False, changed_by=ALICE)
        bob = await world.store.get_user(BOB)
        assert bob is not None
        await world.services.presses.press(bob.profile, answer)
        assert world.kv.state.calls == {}
