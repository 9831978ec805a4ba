"""The /call flow as a domain service: every refusal, every Kavenegar fault, the paid-call rule.

The rule under test (issue 8): a call that Kavenegar may have created is never lost, never
doubled, and never reported as "try again"; every command gets exactly one answer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.calls.service import CallRequest, classify_failure
from bot.core.people import UserProfile
from bot.core.records import CallStatus, PlaceResult
from bot.core.texts import MESSAGE_MAX, plain, utf16_length
from kavenegar import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    KavenegarError,
)
from kavenegar.sandbox import KavenegarSandbox

from ..domain import World, make_world
from ..helpers import ALICE, BOB, GROUP

DAVE = 4004
START_LINK = "https://t.me/KavenegarCallBot?start=call"


@pytest.fixture
async def team(world: World) -> World:
    await world.pair()
    await world.person(DAVE, "Dave", "dave_k", started=False)  # seen in a group, never started
    return world


@pytest.mark.parametrize(
    ("text", "expected", "button"),
    [
        ("", "Whom should I call?", False),
        ("   ", "Whom should I call?", False),
        ("@bob_k @dave_k", "I can call one person at a time", False),
        ("@alice_k", "You can't call yourself.", False),
        ("@ALICE_K", "You can't call yourself.", False),
        ("@KavenegarCallBot", "Bots can't take calls.", False),
        ("@nobody_here", "I don't know @nobody_here yet.", True),
        ("@dave_k", "@dave_k hasn't pressed Start in a private chat with me", True),
        ("@bob_k soon", "I didn't understand “soon”.", False),
        ("@bob_k 10m 5m", "I didn't understand “5m”.", False),
        ("bob", "I didn't understand “bob”.", False),
        ("@bob_k 0m", "I didn't understand “0m”.", False),
        ("@bob_k 10ſ", "I didn't understand “10ſ”.", False),  # issue 8 item 5
        ("@bob_k 2h", "The longest call I can place is 60 minutes.", False),
    ],
)
async def test_refusals_cost_no_kavenegar_request(
    team: World, text: str, expected: str, button: bool
) -> None:
    report = await team.call(text)
    (answer,) = team.messenger.to(GROUP)
    assert report.outcome == "refused"
    assert expected in team.answers()[0]
    assert [b.url for b in answer.buttons] == ([START_LINK] if button else [])
    assert team.kv.requests == []
    assert await team.store.list_calls() == []
    assert team.messenger.to(BOB) == []


async def test_a_caller_who_never_started_is_told_to(team: World) -> None:
    await team.call("@bob_k", caller=DAVE)
    assert "Before you can call, open a private chat with me and press Start" in team.answers()[0]
    assert team.kv.requests == []


async def test_persian_digits_give_a_length(team: World) -> None:
    """Issue 8 item 5: ۱۰m is ten minutes."""
    await team.call("@bob_k ۱۰m")
    (post,) = [r for r in team.kv.requests if r["method"] == "POST"]
    assert '"maxDuration":600' in post["body"].replace(" ", "")


def posts(world: World) -> list[dict[str, Any]]:
    return [r for r in world.kv.requests if r["method"] == "POST"]


KAVENEGAR_FAULTS: list[tuple[str, dict[str, Any], str, CallStatus]] = [
    ("400", {"status": 400, "body": {"status": "bad_request", "reasons": ["invalid_input"]}},
     "Kavenegar refused the call (invalid_input)", CallStatus.FAILED),
    ("401", {"status": 401, "body": {"status": "unauthorized", "reasons": ["invalid_api_token"]}},
     "Kavenegar rejected this bot's credentials", CallStatus.FAILED),
    ("403", {"status": 403, "body": {"status": "forbidden", "reasons": []}},
     "Please tell the bot's admin", CallStatus.FAILED),
    ("404", {"status": 404, "body": {"status": "not_found", "reasons": ["application_not_found"]}},
     "Kavenegar refused the call (application_not_found)", CallStatus.FAILED),
    ("422", {"status": 422, "body": {"status": "unprocessable_entity", "reasons": ["no_credit"]}},
     "Kavenegar refused the call (no_credit)", CallStatus.FAILED),
    ("429-retry-after", {"status": 429, "headers": {"Retry-After": "120"}, "body": {"status": "x"}},
     "busy or down right now. Please try again in 2 minutes", CallStatus.FAILED),
    ("429-an-hour", {"status": 429, "headers": {"Retry-After": "3600"}, "body": {"status": "x"}},
     "Please try again in 60 minutes", CallStatus.FAILED),  # issue 8, minor
    ("500", {"status": 500}, "so it may or may not exist", CallStatus.UNKNOWN),
    ("502", {"status": 502, "body": "<html>Bad Gateway</html>"}, "may or may not exist",
     CallStatus.UNKNOWN),
    ("503", {"status": 503, "body": {"status": "service_unavailable"}}, "may or may not exist",
     CallStatus.UNKNOWN),
    ("504", {"status": 504, "body": ""}, "may or may not exist", CallStatus.UNKNOWN),
    ("created-then-500", {"status": 500, "after": True}, "may or may not exist",
     CallStatus.UNKNOWN),  # issue 8 item 2
    ("created-then-502", {"status": 502, "body": "", "after": True}, "may or may not exist",
     CallStatus.UNKNOWN),  # issue 8 item 2
    ("created-then-reset", {"kind": "reset", "after": True}, "I don't know whether the call",
     CallStatus.UNKNOWN),  # issue 8 item 2
    ("reset", {"kind": "reset"}, "I don't know whether the call", CallStatus.UNKNOWN),
    ("hang", {"kind": "hang"}, "Kavenegar didn't answer in time", CallStatus.UNKNOWN),
    ("garbage", {"kind": "garbage"}, "Kavenegar sent an answer I couldn't read",
     CallStatus.UNKNOWN),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "expected", "status"),
    [pytest.param(f, e, s, id=name) for name, f, e, s in KAVENEGAR_FAULTS],
)
async def test_kavenegar_failures(
    world: World, fault: dict[str, Any], expected: str, status: CallStatus
) -> None:
    """One answer that says what to do, one POST, the right status; "unknown" never says
    "try again" and counts against the quota."""
    await check_fault(world, fault, expected, status)


@pytest.mark.parametrize(
    ("fault", "expected", "status"),
    [pytest.param(f, e, s, id=name) for name, f, e, s in KAVENEGAR_FAULTS if "created" in name],
)
async def test_a_call_that_may_exist_is_unknown_on_every_store(
    any_world: World, fault: dict[str, Any], expected: str, status: CallStatus
) -> None:
    """Issue 8 item 2 on SQLite and PostgreSQL: created, then the answer was a 5xx or a reset."""
    await check_fault(any_world, fault, expected, status)


async def check_fault(
    world: World, fault: dict[str, Any], expected: str, status: CallStatus
) -> None:
    await world.pair()
    world.kv.add_fault(method="POST", path="/calls", times=None, **fault)
    report = await world.call("@bob_k")
    (answer,) = world.answers()
    assert expected in answer
    assert len(posts(world)) == 1, "a paid POST /calls must never be sent twice"
    assert world.messenger.to(BOB) == []  # no token went out
    (record,) = await world.store.list_calls()
    assert (record.status, bool(record.error)) == (status, True)
    if status is CallStatus.UNKNOWN:  # never "try again": it may exist
        assert report.outcome is PlaceResult.MAYBE
    else:  # certainly not created (429: Kavenegar said "not now")
        assert report.outcome in (PlaceResult.FAILED, PlaceResult.BUSY)
    if status is CallStatus.UNKNOWN:
        assert "try again in" not in answer and "wait a minute" in answer
    # the service keeps working
    world.kv.faults.clear()
    assert (await world.call("@bob_k")).outcome == "placed"


async def test_a_connection_refused_is_certain_failure(
    sqlite_url: str, kv: KavenegarSandbox
) -> None:
    """Nothing reached Kavenegar: safe to say "try again", and the quota is not charged."""
    await kv.stop()
    async for world in make_world(sqlite_url, kv, calls_per_minute=1):
        await world.pair()
        await world.call("@bob_k")
        assert "I couldn't reach Kavenegar. Please try again in a minute." in world.answers()
        (record,) = await world.store.list_calls()
        assert record.status is CallStatus.FAILED


@pytest.mark.parametrize(
    ("error", "key", "status"),
    [
        (APITimeoutError("x", method="POST", path="/calls"), "kv_no_answer", "unknown"),
        (
            APITimeoutError("x", method="POST", path="/calls", request_sent=False),
            "kv_unreachable",
            "failed",
        ),
        (APIConnectionError("x", method="POST", path="/calls"), "kv_no_answer", "unknown"),
        (
            APIConnectionError("x", method="POST", path="/calls", request_sent=False),
            "kv_unreachable",
            "failed",
        ),
        (KavenegarError("x"), "kv_unreachable", "failed"),
    ],
)
def test_classify_failure_of_transport_errors(error: KavenegarError, key: str, status: str) -> None:
    """Only a request that certainly never left is a certain failure (issue 8 item 2)."""
    failure = classify_failure(error)
    assert (failure.key, failure.status) == (key, status)


def test_a_validation_error_means_the_call_may_exist() -> None:
    import httpx

    response = httpx.Response(200, text="garbage", request=httpx.Request("POST", "http://x"))
    error = APIResponseValidationError(response=response, method="POST", path="/calls", detail="x")
    assert classify_failure(error).status is CallStatus.UNKNOWN


async def test_created_call_without_a_token_sends_no_empty_token(any_world: World) -> None:
    """Issue 8 item 3: a 200 without accessToken for the receptor is a Kavenegar fault."""
    world = any_world
    await world.pair()

    def drop_receptor_token(body: dict[str, Any]) -> dict[str, Any]:
        body["receptor"].pop("accessToken", None)
        return body

    world.kv.add_fault(method="POST", path="/calls", kind="rewrite", rewrite=drop_receptor_token)
    report = await world.call("@bob_k")
    assert report.outcome is PlaceResult.MAYBE  # it exists: never placed again for this key
    (answer,) = world.answers()
    assert "sent no access token for Bob" in answer
    assert world.messenger.to(ALICE) == [] and world.messenger.to(BOB) == []
    assert all("<code></code>" not in m.html for _, m in world.messenger.sent)
    (record,) = await world.store.list_calls()
    assert record.status is CallStatus.CREATED  # it exists and counts against the quota
    assert record.kavenegar_call_id == report.call_id and "accessToken" in (record.error or "")


async def test_a_long_kavenegar_reason_is_cut_not_lost(any_world: World) -> None:
    """Issue 8 item 4: a 5,000-character reason made a message Telegram refuses."""
    world = any_world
    await world.pair()
    reason = "r" * 5000
    body = {"status": "bad_request", "reasons": [reason]}
    world.kv.add_fault(method="POST", path="/calls", status=400, body=body)
    await world.call("@bob_k")
    (answer,) = world.messenger.to(GROUP)
    assert utf16_length(plain(answer.html)) <= MESSAGE_MAX
    assert "Kavenegar refused the call (rrrr" in world.answers()[0]
    assert "…" in answer.html


async def test_a_long_call_id_is_delivered_and_recorded(any_world: World) -> None:
    """Issue 8 item 1: an id longer than 64 characters overflowed the column on PostgreSQL."""
    world = any_world
    await world.pair()
    long_id = "call-" + "9" * 300

    def lengthen(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "id": long_id}

    world.kv.add_fault(method="POST", path="/calls", kind="rewrite", rewrite=lengthen)
    report = await world.call("@bob_k")
    assert report.outcome == "placed"
    assert long_id in world.messenger.to(BOB)[0].html
    (record,) = await world.store.list_calls()
    assert (record.status, record.kavenegar_call_id) == (CallStatus.CREATED, long_id)


@pytest.fixture
def slow_kavenegar(kv: KavenegarSandbox) -> KavenegarSandbox:
    kv.faults.latency = 0.3
    return kv


async def test_tokens_reach_both_while_sqlite_is_locked(
    sqlite_url: str, slow_kavenegar: KavenegarSandbox
) -> None:
    """Issue 8 item 1: another process holds the database while the POST is in flight; the
    call exists, so both tokens go out at once and the record is written when the lock goes."""
    url = sqlite_url
    async for world in make_world(url, slow_kavenegar, store_timeout=0.2):
        await world.pair()
        blocker = sqlite3.connect(url.removeprefix("sqlite+aiosqlite:///"), timeout=0)
        task = asyncio.create_task(world.call("@bob_k"))
        await wait_for(lambda w=world: bool(posts(w)))  # claimed; the POST is in flight
        blocker.execute("BEGIN EXCLUSIVE")
        report = await task
        assert report.outcome == "placed"
        assert "Alice is calling you" in world.messenger.texts(BOB)[0]
        assert "You are calling Bob" in world.messenger.texts(ALICE)[0]
        assert "Alice is calling Bob" in world.answers()[0]
        assert world.service.records.pending == 1  # the record waits for the database
        blocker.rollback()
        blocker.close()
        records = world.service.records
        await wait_for(lambda r=records: r.pending == 0)
        (record,) = await world.store.list_calls()
        assert (record.status, record.kavenegar_call_id) == (CallStatus.CREATED, report.call_id)
        assert (record.caller_delivery, record.callee_delivery) == ("sent", "sent")


@pytest.mark.postgres
async def test_tokens_reach_both_while_postgres_is_down(
    postgres_url: str, slow_kavenegar: KavenegarSandbox
) -> None:
    """Issue 8 item 1 on PostgreSQL: the server refuses every connection while the POST is in
    flight (as when it is killed); the tokens still go out and the record follows later."""
    server, name = postgres_url.rsplit("/", 1)
    admin = await asyncpg.connect(server.replace("+asyncpg", "") + "/postgres")
    try:
        async for world in make_world(postgres_url, slow_kavenegar, store_timeout=0.5):
            await world.pair()
            task = asyncio.create_task(world.call("@bob_k"))
            await wait_for(lambda w=world: bool(posts(w)))  # claimed; the POST is in flight
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            report = await task
            assert report.outcome == "placed"
            assert "Alice is calling you" in world.messenger.texts(BOB)[0]
            assert world.service.records.pending == 1
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            records = world.service.records
            await wait_for(lambda r=records: r.pending == 0, timeout=10)
            (record,) = await world.store.list_calls()
            assert (record.status, record.kavenegar_call_id) == (
                CallStatus.CREATED,
                report.call_id,
            )
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def wait_for(predicate: Any, *, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_quota_refusal_says_when(sqlite_url: str, kv: KavenegarSandbox) -> None:
    async for world in make_world(sqlite_url, kv, calls_per_minute=1):
        await world.pair()
        await world.call("@bob_k")
        await world.call("@bob_k")
        assert world.answers()[-1].startswith(
            "You have reached your limit of calls (1 per minute). You can call again in"
        )
        assert len(posts(world)) == 1


ARGUMENTS = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from(
            ["@bob_k", "@alice_k", "@nobody", "10m", "90s", "1h", "2h", "0", "ſ", "۱۰", "x", "@"]
        ),
        max_size=4,
    ).map(" ".join),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=ARGUMENTS)
async def test_every_call_gets_exactly_one_answer(team: World, args: str) -> None:
    """Issue 8 item 5: whatever follows /call, the chat gets exactly one answer."""
    before = len(team.messenger.to(GROUP))
    await team.call(args)
    assert len(team.messenger.to(GROUP)) == before + 1


async def test_a_redelivered_call_message_is_answered_once(any_world: World) -> None:
    """The update is taken with the call's key (or before a refusal): a second delivery of the
    same update, on this replica or another, neither calls nor answers again."""
    await any_world.pair()
    for text, outcome in (("@nobody_here", "refused"), ("@bob_k", "placed")):
        request = CallRequest(
            chat_id=GROUP,
            message_id=next(any_world.message_ids),
            caller=UserProfile(ALICE, "Alice", username="alice_k"),
            args_text=f" {text}",
            update_key=(42, 9000 + len(any_world.answers())),
        )
        before = len(any_world.answers())
        assert (await any_world.service.handle(request)).outcome == outcome
        after = len(any_world.answers())
        assert after > before
        assert (await any_world.service.handle(request)).outcome == "duplicate"
        assert len(any_world.answers()) == after
    assert len(any_world.kv.state.calls) == 1
