"""The client against the local sandbox over real HTTP on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest

from kavenegar import (
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CallStatus,
    FinishReason,
    InternalServerError,
    KavenegarClient,
    NotFoundError,
    Participant,
    RetryPolicy,
    UnprocessableEntityError,
)
from kavenegar.sandbox import KavenegarSandbox, SandboxClock, SandboxError

from .conftest import API_TOKEN


@pytest.fixture
async def sandbox() -> AsyncIterator[KavenegarSandbox]:
    frozen = SandboxClock(now=lambda: datetime(2026, 11, 28, 9, 0, 0))  # moves only when told
    async with KavenegarSandbox(api_token=API_TOKEN, clock=frozen) as sb:
        yield sb


@pytest.fixture
async def kv(sandbox: KavenegarSandbox) -> AsyncIterator[KavenegarClient]:
    policy = RetryPolicy(initial_delay=0, max_delay=0)
    async with KavenegarClient(
        api_token=API_TOKEN, base_url=sandbox.base_url, retry_policy=policy
    ) as client:
        yield client


async def test_create_call_returns_a_token_per_participant(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    call = await kv.calls.create(
        caller=Participant(username="mohsen_k", display_name="mohsen karimi", platform="android"),
        receptor=Participant(username="mohammad_r", display_name="محمد", platform="ios"),
        max_duration=100,
    )
    assert call.status == "new"
    assert call.caller.access_token
    assert call.receptor.access_token
    assert call.caller.access_token != call.receptor.access_token
    assert call.receptor.display_name == "محمد"
    (request,) = sandbox.requests
    assert request["authorization"] == f"Bearer {API_TOKEN}"
    assert json.loads(request["body"])["maxDuration"] == 100
    # endpoints were created on the fly, display name and platform kept
    endpoints = (await kv.endpoints.list()).result
    assert {e.username: e.platform for e in endpoints} == {
        "mohsen_k": "android",
        "mohammad_r": "ios",
    }


async def test_omitted_display_name_keeps_the_stored_one(kv: KavenegarClient) -> None:
    await kv.calls.create(caller=Participant(username="a", display_name="Alice"), receptor="b")
    call = await kv.calls.create(caller="a", receptor="b")
    assert call.caller.display_name == "Alice"


async def test_wrong_token_gets_401_with_the_documented_body(sandbox: KavenegarSandbox) -> None:
    async with KavenegarClient(api_token="wrong", base_url=sandbox.base_url) as kv:
        with pytest.raises(AuthenticationError) as info:
            await kv.calls.create(caller="a", receptor="b")
    assert info.value.status == "unauthorized"
    assert info.value.reasons == ["invalid_api_token"]
    assert sandbox.state.calls == {}


async def test_server_side_validation_answers_bad_request(sandbox: KavenegarSandbox) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            sandbox.base_url + "/calls",
            content=b'{"caller":{"username":"a"},"receptor":{"username":"' + b"x" * 51 + b'"}}',
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
    assert response.status_code == 400
    assert response.json() == {"status": "bad_request", "reasons": ["invalid_input_parameter"]}


async def test_calling_yourself_is_refused(kv: KavenegarClient) -> None:
    with pytest.raises(UnprocessableEntityError, match="caller_and_receptor_are_same"):
        await kv.calls.create(caller="a", receptor="a")


async def test_call_ends_unanswered_after_its_minute(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    call = await kv.calls.create(caller="a", receptor="b")
    sandbox.state.clock.advance(59)
    assert (await kv.calls.get(call.id)).finish_reason is None
    sandbox.state.clock.advance(2)
    detail = await kv.calls.get(call.id)
    assert detail.status == "finished"
    assert detail.finish_reason == FinishReason.NO_ONE_CONNECTED
    assert detail.duration is None


async def test_joined_and_hung_up_call_has_duration_and_recording(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    call = await kv.calls.create(caller="a", receptor="b")
    async with httpx.AsyncClient(base_url=sandbox.control_url) as control:
        assert (await control.post(f"/calls/{call.id}/join", json={"side": "caller"})).is_success
        sandbox.state.clock.advance(3)
        await control.post(f"/calls/{call.id}/join", json={"side": "receptor"})
        sandbox.state.clock.advance(4.992)
        await control.post(f"/calls/{call.id}/hangup")
    detail = await kv.calls.get(call.id)
    assert detail.finish_reason == "hangup"
    assert detail.duration == 4992
    assert detail.started_at is not None
    assert detail.finished_at is not None
    assert detail.recording is not None
    assert detail.recording.status == "done"


async def test_max_duration_ends_the_conversation(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    call = await kv.calls.create(caller="a", receptor="b", max_duration=30)
    sandbox.state.join(call.id, "caller")
    sandbox.state.join(call.id, "receptor")
    sandbox.state.clock.advance(45)
    detail = await kv.calls.get(call.id)
    assert detail.finish_reason == FinishReason.CALL_DURATION_EXCEEDED
    assert detail.duration == 30_000


async def test_list_paginates_and_filters(kv: KavenegarClient, sandbox: KavenegarSandbox) -> None:
    for i in range(5):
        await kv.calls.create(caller="a", receptor=f"b{i}")
        sandbox.state.clock.advance(1)
    first = await kv.calls.list(size=2)
    last = await kv.calls.list(size=2, page=2)
    assert (first.page.number, first.page.size, first.page.total) == (0, 2, 5)
    assert [c.receptor.username for c in first.result] == ["b4", "b3"]
    assert [c.receptor.username for c in last.result] == ["b0"]
    b1 = sandbox.state.endpoints["b1"]
    only = await kv.calls.list(endpoint_id=b1.id)
    assert [c.receptor.username for c in only.result] == ["b1"]


async def test_list_filters_on_created_at_both_ends_included(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    """``since``/``until`` compare with ``createdAt`` (the API's own dates, no offset)."""
    for i in range(3):
        await kv.calls.create(caller="a", receptor=f"b{i}")
        sandbox.state.clock.advance(60)
    start = datetime(2026, 11, 28, 9, 0, 0)
    listed = await kv.calls.list(since=start.replace(minute=1), until=start.replace(minute=2))
    assert [c.receptor.username for c in listed.result] == ["b2", "b1"]


async def test_list_switches_set_what_the_docs_leave_open(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    """The largest size (larger: the documented bad-request body), the order, an omitted call,
    calls of another application mixed in."""
    made = [await kv.calls.create(caller="a", receptor=f"b{i}") for i in range(4)]
    for _ in made:
        sandbox.state.clock.advance(1)
    state = sandbox.state
    state.list_max_size = 3
    with pytest.raises(BadRequestError) as refused:
        await kv.calls.list(size=4)
    assert (refused.value.status, refused.value.reasons) == (
        "bad_request",
        ["invalid_input_parameter"],
    )
    assert len((await kv.calls.list(size=3)).result) == 3

    state.list_caps_silently = True  # a larger size cut to the largest, not refused
    capped = await kv.calls.list(size=4)
    assert (len(capped.result), capped.page.size, capped.page.total) == (3, 3, 4)
    state.list_caps_silently = False

    state.list_order = "oldest"
    assert [c.id for c in (await kv.calls.list(size=3)).result] == [c.id for c in made[:3]]
    state.list_order = "shuffled"
    orders = {tuple(c.id for c in (await kv.calls.list(size=3)).result) for _ in range(10)}
    assert len(orders) > 1

    state.list_order = "newest"
    state.list_omits.add(made[0].id)
    listed = (await kv.calls.list(size=3)).result
    assert made[0].id not in [c.id for c in listed]
    assert (await kv.calls.get(made[0].id)).id == made[0].id  # the call itself is still there

    (foreign,) = state.add_foreign_calls(1, application_id=7)
    page = await kv.calls.list(size=3)
    assert page.page.total == 4  # three of ours (one omitted) and the foreign one
    assert page.result[0].id == foreign.id
    assert page.result[0].application_id == 7
    with pytest.raises(NotFoundError):
        await kv.calls.get(foreign.id)


async def test_list_switches_over_http(sandbox: KavenegarSandbox, kv: KavenegarClient) -> None:
    call = await kv.calls.create(caller="a", receptor="b")
    async with httpx.AsyncClient(base_url=sandbox.control_url) as control:
        response = await control.post(
            "/list", json={"max_size": 5, "order": "oldest", "omit": [call.id], "foreign": 2}
        )
        assert response.json() == {
            "max_size": 5,
            "order": "oldest",
            "omit": [call.id],
            "caps_silently": False,
        }
        assert (await control.post("/list", json={"order": "sideways"})).status_code == 400
        assert (await control.post("/list", json={"caps_silently": 1})).status_code == 400
    assert (sandbox.state.list_max_size, sandbox.state.list_order) == (5, "oldest")
    assert (
        len((await kv.calls.list(size=5)).result) == 2
    )  # the two foreign calls, not the omitted one


async def test_unknown_ids_are_404(kv: KavenegarClient) -> None:
    with pytest.raises(NotFoundError, match="call_not_found"):
        await kv.calls.get("no-such-call")
    with pytest.raises(NotFoundError, match="endpoint_not_found"):
        await kv.endpoints.get(999)


async def test_endpoint_create_and_duplicate(kv: KavenegarClient) -> None:
    endpoint = await kv.endpoints.create(username="mohsen_k", mobile_number="0912123456")
    assert (await kv.endpoints.get(endpoint.id)).mobile_number == "0912123456"
    with pytest.raises(UnprocessableEntityError):
        await kv.endpoints.create(username="mohsen_k")


async def test_injected_503_is_retried_for_reads_only(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    call = await kv.calls.create(caller="a", receptor="b")
    sandbox.add_fault(status=503, times=1, method="GET")
    assert (await kv.calls.get(call.id)).id == call.id
    sandbox.add_fault(status=503, times=1, method="POST")
    with pytest.raises(InternalServerError):
        await kv.calls.create(caller="a", receptor="b")
    assert len(sandbox.state.calls) == 1


async def test_a_hanging_server_times_out(sandbox: KavenegarSandbox) -> None:
    sandbox.add_fault(kind="hang", times=1)
    async with KavenegarClient(
        api_token=API_TOKEN, base_url=sandbox.base_url, timeout=0.3
    ) as client:
        with pytest.raises(APITimeoutError):
            await client.calls.create(caller="a", receptor="b")
    assert sum(r["method"] == "POST" for r in sandbox.requests) == 1


async def test_lost_response_after_creation_is_not_a_second_call(
    sandbox: KavenegarSandbox, kv: KavenegarClient
) -> None:
    sandbox.add_fault(status=504, body="<html>gateway</html>", after=True)
    with pytest.raises(InternalServerError):
        await kv.calls.create(caller="a", receptor="b")
    assert len(sandbox.state.calls) == 1  # created once, never repeated


async def test_control_refuses_a_malformed_fault(sandbox: KavenegarSandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.control_url) as control:
        assert (await control.post("/faults", json={"times": 0})).status_code == 400
        assert (await control.post("/faults", json={"nope": 1})).status_code == 400
    assert len(sandbox.faults) == 0


async def test_control_faults_over_http(sandbox: KavenegarSandbox, kv: KavenegarClient) -> None:
    async with httpx.AsyncClient(base_url=sandbox.control_url) as control:
        await control.post("/faults", json={"kind": "garbage", "times": 1})
        with pytest.raises(Exception, match="not a valid Call"):
            await kv.calls.create(caller="a", receptor="b")
        await control.post("/faults", json={"status": 400, "body": "plain text", "times": 1})
        with pytest.raises(BadRequestError) as info:
            await kv.calls.create(caller="a", receptor="b")
        assert info.value.body == "plain text"
        received = (await control.get("/requests")).json()
    assert [r["path"] for r in received] == ["/calls", "/calls"]


async def test_status_follows_the_call_while_it_is_live(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    call = await kv.calls.create(caller="a", receptor="b")
    assert (await kv.calls.get(call.id)).status == CallStatus.NEW
    sandbox.state.join(call.id, "caller")
    assert (await kv.calls.get(call.id)).status == CallStatus.RINGING
    sandbox.state.clock.advance(2)
    sandbox.state.join(call.id, "receptor")
    live = await kv.calls.get(call.id)
    assert (live.status, live.finish_reason, live.duration) == ("conversation", None, None)
    assert live.started_at is not None
    sandbox.state.clock.advance(5)
    sandbox.state.join(call.id, "caller")  # a reconnect does not restart the conversation
    sandbox.state.clock.advance(1)
    sandbox.state.hangup(call.id)
    ended = await kv.calls.get(call.id)
    assert (ended.status, ended.duration) == (CallStatus.FINISHED, 6000)


@pytest.mark.parametrize("reason", ["rejected", "missed", "busy", "media_connection_broken"])
async def test_finish_before_an_answer_has_no_duration(
    kv: KavenegarClient, sandbox: KavenegarSandbox, reason: str
) -> None:
    call = await kv.calls.create(caller="a", receptor="b")
    sandbox.state.join(call.id, "caller")
    sandbox.state.clock.advance(7)
    sandbox.state.finish(call.id, reason)
    detail = await kv.calls.get(call.id)
    assert (detail.status, detail.finish_reason) == ("finished", reason)
    assert (detail.started_at, detail.duration, detail.recording) == (None, None, None)
    assert detail.finished_at == datetime(2026, 11, 28, 9, 0, 7)
    sandbox.state.clock.advance(120)  # the window passing later changes nothing
    assert (await kv.calls.get(call.id)).finish_reason == reason


async def test_finish_during_a_conversation_keeps_its_duration(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    call = await kv.calls.create(caller="a", receptor="b", max_duration=60)
    sandbox.state.answer(call.id)
    assert sandbox.state.calls[call.id].status == "conversation"
    sandbox.state.answer(call.id)  # already answered: nothing changes
    sandbox.state.clock.advance(12.5)
    sandbox.state.finish(call.id, "media_connection_broken")
    detail = await kv.calls.get(call.id)
    assert detail.finish_reason == "media_connection_broken"
    assert detail.duration == 12_500
    assert detail.recording is not None


async def test_finish_refuses_a_finished_call_and_an_empty_reason(
    kv: KavenegarClient, sandbox: KavenegarSandbox
) -> None:
    call = await kv.calls.create(caller="a", receptor="b")
    with pytest.raises(SandboxError) as empty:
        sandbox.state.finish(call.id, " ")
    assert empty.value.http_status == 400
    sandbox.state.clock.advance(61)  # the window has passed: no_one_connected
    for action in (lambda: sandbox.state.finish(call.id, "busy"),
                   lambda: sandbox.state.answer(call.id)):  # fmt: skip
        with pytest.raises(SandboxError) as late:
            action()
        assert (late.value.http_status, late.value.body["reasons"]) == (
            409,
            ["call_session_finished"],
        )
    assert (await kv.calls.get(call.id)).finish_reason == FinishReason.NO_ONE_CONNECTED
    with pytest.raises(SandboxError) as unknown:
        sandbox.state.finish("no-such-call", "busy")
    assert unknown.value.http_status == 404


async def test_answer_and_finish_over_http(kv: KavenegarClient, sandbox: KavenegarSandbox) -> None:
    call = await kv.calls.create(caller="a", receptor="b")
    other = await kv.calls.create(caller="a", receptor="c")
    async with httpx.AsyncClient(base_url=sandbox.control_url) as control:
        answered = await control.post(f"/calls/{call.id}/answer")
        assert (answered.status_code, answered.json()["status"]) == (200, "conversation")
        sandbox.state.clock.advance(3)
        finished = await control.post(f"/calls/{call.id}/finish", json={"reason": "busy"})
        assert finished.json()["finishReason"] == "busy"
        assert finished.json()["duration"] == 3000
        again = await control.post(f"/calls/{call.id}/finish", json={"reason": "busy"})
        assert (again.status_code, again.json()["reasons"]) == (409, ["call_session_finished"])
        no_reason = await control.post(f"/calls/{other.id}/finish")
        assert no_reason.status_code == 400
        rejected = await control.post(f"/calls/{other.id}/finish", json={"reason": "rejected"})
        assert rejected.json()["finishReason"] == "rejected"
        assert rejected.json()["duration"] is None
        missing = await control.post("/calls/nope/answer")
        assert missing.status_code == 404
    assert (await kv.calls.get(other.id)).finish_reason == FinishReason.REJECTED


async def test_the_stand_in_web_sdk_joins_the_side_whose_token_it_is() -> None:
    """Issue 23: the browser SDK's stand-in joins a call as the side its accessToken names."""
    import httpx

    from kavenegar.sandbox import KavenegarSandbox

    async with KavenegarSandbox(api_token="t") as box:
        call = box.state.create_call(
            caller={"username": "a"}, receptor={"username": "b"}, max_duration=60
        )
        base = box.web_sdk_url.removesuffix(".js")
        async with httpx.AsyncClient() as http:
            script = await http.get(box.web_sdk_url)
            assert "KavenegarCall" in script.text
            assert script.headers["access-control-allow-origin"] == "*"

            async def post(path: str, token: str) -> dict[str, object]:
                body = {"callId": call.id, "accessToken": token}
                response = await http.post(f"{base}/{path}", content=json.dumps(body))
                return dict(response.json())

            assert await post("join", "not-a-token") == {"joinResult": "access_denied"}
            joined = await post("join", call.receptor.access_token)
            assert joined == {"joinResult": "success", "direction": "INBOUND", "status": "ringing"}
            await post("join", call.caller.access_token)
            assert (await post("status", call.caller.access_token))["status"] == "conversation"
            assert await post("hangup", call.receptor.access_token) == {
                "status": "finished",
                "finishReason": "hangup",
            }
        assert [j["side"] for j in box.web_sdk_joins] == ["receptor", "caller"]
