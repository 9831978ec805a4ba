"""Issue 23 at the domain layer: the join page's handle of each call and the buttons of the
token messages (recording messenger, real database, the sandbox).

The handle is made and stored before the call is paid for, redacted from the logs from the
moment it exists, and a call resumed by another replica gets one too; JOIN_MODE=token gives no
Join button, and a token-free JOIN_URL_TEMPLATE keeps its button beside the join page's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.calls.joins import JoinStatus
from bot.core.clock import ManualClock
from bot.core.errors import StoreUnavailable
from bot.core.records import CallStatus, PlaceResult
from kavenegar import Participant
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World
from ..helpers import ALICE, BOB, GROUP
from .presses import posts, ring, worlds
from .test_placing_recovery import DEAD, answered_on_a_replica_that_died

WEBAPP = {"webapp_url": "http://127.0.0.1:9/join", "join_mode": "webapp"}


@pytest.fixture
async def webapp(sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock) -> AsyncIterator[World]:
    async for made in worlds(sqlite_url, kv, clock, **WEBAPP):
        yield made


@pytest.fixture
async def webapp_ringing(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> AsyncIterator[World]:
    async for made in worlds(sqlite_url, kv, clock, call_flow="ring", **WEBAPP):
        yield made


def handle_in(world: World, person: int) -> str | None:
    """The handle of the Join button under the person's latest message that has one."""
    for message in reversed(world.messenger.to(person)):
        for button in message.buttons:
            if button.web_app:
                return parse_qs(urlsplit(button.web_app).query)["call"][0]
    return None


async def test_a_call_whose_join_page_cannot_be_prepared_is_not_paid_for(
    webapp: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JOIN_MODE=webapp and the database fails just as the call's join handle is written:
    Alice hears "try again in a minute", no call is paid at Kavenegar, and nobody gets a
    message about a call they could not join."""
    world = webapp

    async def unavailable(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("the database hiccups")

    monkeypatch.setattr(world.store, "add_join_handle", unavailable)
    report = await world.call("@bob_k")
    assert report.outcome is PlaceResult.FAILED and report.call_row_id is not None
    assert posts(world) == []
    assert not world.messenger.to(BOB)
    assert world.answers(GROUP)[-1] == (
        "I can't reach my records right now, so I can't do that. Please try again in a minute."
    )
    record = await world.store.get_call(report.call_row_id)
    assert record is not None and record.status is CallStatus.FAILED
    monkeypatch.undo()  # a new /call is placed as usual
    assert (await world.call("@bob_k")).outcome is PlaceResult.PLACED
    assert handle_in(world, BOB) is not None and len(posts(world)) == 1


async def test_a_resumed_call_has_a_join_button_its_page_knows_and_kept_out_of_the_logs(
    webapp_ringing: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replica that placed Bob's answered ring died after the POST; the watcher resumes
    the call: Alice and Bob each get a Join button whose page gives them their side of the
    call, no token in any message, and the new handle is redacted from the logs."""
    world = webapp_ringing
    remembered: list[str] = []
    monkeypatch.setattr(world.services.calls, "remember_secret", remembered.append)
    record = await ring(world)
    await answered_on_a_replica_that_died(world, record)
    alice, bob = await world.store.get_user(ALICE), await world.store.get_user(BOB)
    assert alice is not None and bob is not None
    call = await world.services.kavenegar.calls.create(
        caller=Participant(username=alice.kavenegar_username),
        receptor=Participant(username=bob.kavenegar_username),
        max_duration=record.max_duration,
    )
    calls = world.services.calls
    assert await world.store.note_placed(
        record.id, call.id, owner=DEAD, until=world.clock.now() + calls.placing
    )
    world.clock.advance(calls.placing.total_seconds() + 1)
    assert await world.watcher.tick() == 1
    tokens = (call.caller.access_token, call.receptor.access_token)
    for _chat, message in world.messenger.sent + [(c, m) for c, _, m in world.messenger.edits]:
        assert not any(token and token in message.html for token in tokens)
    for person in (ALICE, BOB):
        handle = handle_in(world, person)
        assert handle is not None, person
        assert handle in remembered
        answer = await world.services.joins.lookup(handle, person)
        assert answer.status is JoinStatus.READY and answer.call_id == call.id


async def test_a_resumed_call_whose_handle_cannot_be_stored_waits_and_is_never_told_try_again(
    webapp_ringing: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JOIN_MODE=webapp: the watcher resumes a paid call just as the database fails to keep its
    join handle. Nobody is told to try again (the call exists) and no message goes out without
    a way in; the row stays due, and the next tick delivers both Join buttons."""
    world = webapp_ringing
    record = await ring(world)
    await answered_on_a_replica_that_died(world, record)
    alice, bob = await world.store.get_user(ALICE), await world.store.get_user(BOB)
    assert alice is not None and bob is not None
    call = await world.services.kavenegar.calls.create(
        caller=Participant(username=alice.kavenegar_username),
        receptor=Participant(username=bob.kavenegar_username),
        max_duration=record.max_duration,
    )
    calls = world.services.calls
    assert await world.store.note_placed(
        record.id, call.id, owner=DEAD, until=world.clock.now() + calls.placing
    )
    world.clock.advance(calls.placing.total_seconds() + 1)
    sent_before = len(world.messenger.sent)

    async def unavailable(*_args: object, **_kwargs: object) -> None:
        raise StoreUnavailable("the database hiccups")

    monkeypatch.setattr(world.store, "add_join_handle", unavailable)
    await world.watcher.tick()
    assert len(world.messenger.sent) == sent_before  # no "try the call again" to anyone
    monkeypatch.undo()
    world.clock.advance(world.watcher.LEASE.total_seconds() + 1)  # its lease lapses
    await world.watcher.tick()
    for person in (ALICE, BOB):
        handle = handle_in(world, person)
        assert handle is not None, person
        answer = await world.services.joins.lookup(handle, person)
        assert answer.status is JoinStatus.READY and answer.call_id == call.id
    texts = [m.html for _chat, m in world.messenger.sent[sent_before:]]
    assert not any("try the call again" in text for text in texts)


@pytest.fixture
async def token_mode_with_a_page(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> AsyncIterator[World]:
    async for made in worlds(
        sqlite_url, kv, clock, webapp_url="http://127.0.0.1:9/join", join_mode="token"
    ):
        yield made


async def test_join_mode_token_gives_no_join_button_though_a_page_is_set(
    token_mode_with_a_page: World,
) -> None:
    """WEBAPP_URL set and JOIN_MODE=token: Bob's message is as without a page, the token and
    no "Join in Telegram" button or text, and no handle is made."""
    world = token_mode_with_a_page
    report = await world.call("@bob_k")
    assert report.outcome is PlaceResult.PLACED
    (bob_message,) = [m for m in world.messenger.to(BOB) if m.carries_secret]
    assert not [b for b in bob_message.buttons if b.web_app], bob_message.buttons
    assert "Join in Telegram" not in bob_message.html
    (call,) = world.kv.state.calls.values()
    assert call.receptor.access_token in bob_message.html


@pytest.fixture
async def webapp_and_a_link(
    sqlite_url: str, kv: KavenegarSandbox, clock: ManualClock
) -> AsyncIterator[World]:
    async for made in worlds(
        sqlite_url,
        kv,
        clock,
        join_url_template="https://app.example.com/call/{call_id}",
        **WEBAPP,
    ):
        yield made


async def test_webapp_mode_keeps_the_button_of_a_token_free_join_link(
    webapp_and_a_link: World,
) -> None:
    """JOIN_MODE=webapp with JOIN_URL_TEMPLATE=https://app.example.com/call/{call_id} (no
    token in it, so allowed): Bob's message has the Join button and the operator's own link."""
    world = webapp_and_a_link
    report = await world.call("@bob_k")
    assert report.outcome is PlaceResult.PLACED
    (bob_message,) = [m for m in world.messenger.to(BOB) if m.carries_secret]
    (call,) = world.kv.state.calls.values()
    assert [b.url for b in bob_message.buttons if b.url] == [
        f"https://app.example.com/call/{call.id}"
    ]
    assert [b for b in bob_message.buttons if b.web_app]
    assert call.receptor.access_token not in bob_message.html
