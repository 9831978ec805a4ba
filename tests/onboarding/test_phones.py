"""Verified numbers: what counts as one's own, one account per number, the usernames made of
them, and the endpoint registration that follows, on a real store and the sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.core.people import UserProfile
from bot.onboarding.phones import PhoneNaming, normalise, readable
from bot.onboarding.verification import PhoneService
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World, make_world
from ..helpers import ALICE, BOB, GROUP, visible

ADMIN = 9001
IR_MOBILE = "+989120822930"
NOW = datetime(2026, 11, 30, 9, 0)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("989120822930", IR_MOBILE),  # as Telegram sends it: no "+"
        ("+989120822930", IR_MOBILE),
        ("+98 912 082 2930", IR_MOBILE),
        ("14155552671", "+14155552671"),
        ("12345", None),
        ("", None),
        ("not a number", None),
        ("+98912", None),
    ],
)
def test_numbers_are_normalised_to_e164_or_refused(raw: str, e164: str | None) -> None:
    assert normalise(raw) == e164


@pytest.mark.parametrize(
    ("naming", "e164", "username"),
    [
        (PhoneNaming("national", "IR"), IR_MOBILE, "09120822930"),  # as in Kavenegar's docs
        (PhoneNaming("international", "IR"), IR_MOBILE, "989120822930"),
        # another region's national form would be ambiguous: the international one instead
        (PhoneNaming("national", "IR"), "+14155552671", "14155552671"),
        (PhoneNaming("national", "US"), "+14155552671", "4155552671"),
    ],
)
def test_a_number_becomes_the_username_the_app_registers(
    naming: PhoneNaming, e164: str, username: str
) -> None:
    assert naming.username(e164) == username
    assert len(username) <= 50  # Kavenegar's limit for usernames


def test_admins_read_numbers_in_the_international_form() -> None:
    assert readable(IR_MOBILE) == "+98 912 082 2930"


class Phones:
    def __init__(self, world: World, service: PhoneService, clock: ManualClock) -> None:
        self.world, self.service, self.clock = world, service, clock

    async def share(
        self, who: int, number: str, *, owner: int | None = None, forwarded: bool = False
    ) -> Any:
        record = await self.world.store.get_user(who)
        profile = record.profile if record else UserProfile(who, f"User {who}")
        return await self.service.verify(
            profile,
            number,
            contact_user_id=who if owner is None else owner,
            forwarded=forwarded,
        )

    def endpoint_posts(self) -> list[dict[str, Any]]:
        return [
            json.loads(r["body"])
            for r in self.world.kv.requests
            if r["method"] == "POST" and r["path"].endswith("/endpoints")
        ]


@pytest.fixture
async def phones(sqlite_url: str, kv: KavenegarSandbox) -> AsyncIterator[Phones]:
    """Numbers required and usernames made of them (national form, Iran); one admin."""
    clock = ManualClock(NOW)
    async for world in make_world(
        sqlite_url,
        kv,
        clock=clock,
        owner="replica-a",
        kavenegar_username_source="phone",
        phone_username_format="national",
        phone_region="IR",
        admin_user_ids=frozenset({ADMIN}),
    ):
        await world.pair()
        await world.person(ADMIN, "Admin")
        yield Phones(world, world.services.phones, clock)


async def test_own_contact_is_verified_and_becomes_the_username(phones: Phones) -> None:
    answer = await phones.share(ALICE, "989120822930")
    assert answer.ok and answer.message.remove_keyboard
    assert "+98 912 082 2930 is verified" in answer.message.html
    alice = await phones.world.store.get_user(ALICE)
    assert alice is not None
    assert (alice.phone, alice.kavenegar_username) == (IR_MOBILE, "09120822930")


@pytest.mark.parametrize(
    ("owner", "forwarded"),
    [(BOB, False), (None, False), (ALICE, True)],
    ids=["someone_elses", "typed_or_address_book", "forwarded"],
)
async def test_a_contact_that_is_not_provably_ones_own_is_refused_with_the_button(
    phones: Phones, owner: int | None, forwarded: bool
) -> None:
    answer = await phones.share(ALICE, "989120822930", owner=owner or 0, forwarded=forwarded)
    assert not answer.ok
    assert answer.message.contact_button == "📱 Share my number"
    assert "not your own number" in answer.message.html
    alice = await phones.world.store.get_user(ALICE)
    assert alice is not None and alice.phone is None
    assert alice.kavenegar_username == f"tg{ALICE}"


async def test_an_invalid_number_is_refused_with_the_button(phones: Phones) -> None:
    answer = await phones.share(ALICE, "12345")
    assert not answer.ok and answer.message.contact_button
    assert "doesn't look like a phone number" in answer.message.html


async def test_a_second_account_cannot_claim_a_number_and_admins_are_told(
    phones: Phones,
) -> None:
    assert (await phones.share(ALICE, "989120822930")).ok
    answer = await phones.share(BOB, "+98 912 082 2930")
    assert not answer.ok
    assert "already used by another account" in answer.message.html
    bob = await phones.world.store.get_user(BOB)
    assert bob is not None and bob.phone is None
    told = phones.world.messenger.texts(ADMIN)
    assert len(told) == 1
    assert f"Bob (id {BOB}) shared the number +98 912 082 2930" in told[0]
    assert f"Alice (id {ALICE}) already verified" in told[0]
    # nobody else hears of the number
    assert all("912" not in text for text in phones.world.messenger.texts(BOB))


async def test_an_admin_releases_a_number_held_by_an_old_account(phones: Phones) -> None:
    """Issue 19 item 13: the person who re-registered Telegram with the same number is not
    locked out for good: the admin is told the way out, takes it, and the old holder is told."""
    assert (await phones.share(ALICE, "989120822930")).ok
    assert not (await phones.share(BOB, "+98 912 082 2930")).ok
    (told,) = phones.world.messenger.texts(ADMIN)
    assert "/phone release +98 912 082 2930" in told
    answer = visible(await phones.service.release("en", "+98 912 082 2930"))
    assert f"Alice (id {ALICE}) no longer holds it and was told" in answer
    alice = await phones.world.store.get_user(ALICE)
    assert alice is not None and alice.phone is None
    assert (
        "freed the number +98 912 082 2930 from your account"
        in (phones.world.messenger.texts(ALICE)[-1])
    )
    assert (await phones.share(BOB, "+98 912 082 2930")).ok  # Bob verifies now
    assert await phones.service.tick() == 1  # only Bob's registration: Alice's went
    assert [body["username"] for body in phones.endpoint_posts()] == ["09120822930"]
    assert await phones.service.release("en", "+98 935 000 0009") == (
        "Nobody here holds +98 935 000 0009."
    )
    assert "/phone release NUMBER" in await phones.service.release("en", "nope")


async def test_forget_deletes_the_number_and_frees_it(phones: Phones) -> None:
    assert (await phones.share(ALICE, "989120822930")).ok
    assert await phones.world.store.forget_user(ALICE)
    assert (await phones.share(BOB, "989120822930")).ok
    assert await phones.service.tick() == 1  # Bob's registration only: Alice's went with her
    assert [body["username"] for body in phones.endpoint_posts()] == ["09120822930"]


async def test_changing_the_number_changes_the_username_for_later_calls(phones: Phones) -> None:
    assert (await phones.share(ALICE, "989120822930")).ok
    assert (await phones.share(ALICE, "989350000001")).ok
    alice = await phones.world.store.get_user(ALICE)
    assert alice is not None and alice.kavenegar_username == "09350000001"


async def test_verification_registers_the_endpoint_once(phones: Phones) -> None:
    await phones.world.store.set_platform(ALICE, "android")
    assert (await phones.share(ALICE, "989120822930")).ok
    assert await phones.service.tick() == 1
    assert phones.endpoint_posts() == [
        {
            "username": "09120822930",
            "displayName": "Alice",
            "mobileNumber": "09120822930",
            "platform": "android",
        }
    ]
    assert await phones.service.tick() == 0  # done: nothing left to register


async def test_an_endpoint_that_already_exists_counts_as_registered(phones: Phones) -> None:
    phones.world.kv.state.upsert_endpoint(username="09120822930", display_name="Alice")
    assert (await phones.share(ALICE, "989120822930")).ok
    assert await phones.service.tick() == 1
    assert len(phones.endpoint_posts()) == 1  # answered 422 duplicate_username
    phones.clock.advance(7200)
    assert await phones.service.tick() == 0  # not retried


async def test_a_failed_registration_is_retried_later_with_a_longer_pause(phones: Phones) -> None:
    phones.world.kv.add_fault(method="POST", path="/endpoints", status=503, times=2)
    assert (await phones.share(ALICE, "989120822930")).ok
    assert await phones.service.tick() == 1  # 503: again in 30 s
    phones.clock.advance(29)
    assert await phones.service.tick() == 0
    phones.clock.advance(1)
    assert await phones.service.tick() == 1  # 503 again: again in 60 s
    phones.clock.advance(59)
    assert await phones.service.tick() == 0
    phones.clock.advance(1)
    assert await phones.service.tick() == 1
    assert len(phones.endpoint_posts()) == 3
    assert "09120822930" in phones.world.kv.state.endpoints


async def test_a_registration_leased_by_one_replica_is_not_taken_by_another(
    phones: Phones,
) -> None:
    assert (await phones.share(ALICE, "989120822930")).ok
    store = phones.world.store
    taken = await store.claim_due_registrations(
        "replica-b", now=NOW, lease=timedelta(seconds=60), limit=5
    )
    assert taken == [(ALICE, 0)]
    assert await phones.service.tick() == 0  # replica-a finds nothing due
    assert phones.endpoint_posts() == []


async def test_calls_wait_for_verified_numbers_on_both_sides(phones: Phones) -> None:
    world = phones.world
    report = await world.call("@bob_k")
    assert report.reason == "call_caller_no_phone"
    refusal = world.messenger.to(GROUP)[-1]
    assert refusal.buttons[0].url == "https://t.me/KavenegarCallBot?start=phone"
    assert (await phones.share(ALICE, "989120822930")).ok
    report = await world.call("@bob_k")
    assert report.reason == "call_callee_no_phone"
    assert world.answers()[-1] == (
        "@bob_k has not verified a phone number yet, so I can't call them."
    )
    # in private, the refusal carries the "share my number" keyboard itself
    report = await world.call("@alice_k", caller=BOB, chat_id=BOB)
    assert report.reason == "call_caller_no_phone"
    assert world.messenger.to(BOB)[-1].contact_button == "📱 Share my number"


@pytest.mark.parametrize(
    ("naming", "caller", "receptor"),
    [
        (None, f"tg{ALICE}", f"tg{BOB}"),
        (PhoneNaming("national", "IR"), "09120822930", "09350000002"),
        (PhoneNaming("international", "IR"), "989120822930", "989350000002"),
    ],
    ids=["telegram", "phone_national", "phone_international"],
)
async def test_the_call_reaches_kavenegar_under_the_configured_usernames(
    phones: Phones, naming: PhoneNaming | None, caller: str, receptor: str
) -> None:
    world = phones.world
    assert (await phones.share(ALICE, "989120822930")).ok
    assert (await phones.share(BOB, "989350000002")).ok
    world.store.name_by_phone = naming.username if naming else None
    report = await world.call("@bob_k")
    assert report.outcome == "placed", report
    body = next(json.loads(r["body"]) for r in world.kv.requests if r["path"].endswith("/calls"))
    assert (body["caller"]["username"], body["receptor"]["username"]) == (caller, receptor)
