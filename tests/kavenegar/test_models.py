"""Wire format: the documented examples serialize and parse exactly."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest

from kavenegar import Call, CallsPage, CallStatus, Endpoint, FinishReason, Participant
from kavenegar._models import CreateCallParams

from .conftest import fixture_json, fixture_text, make_client


def test_seed_request_serializes_byte_for_byte() -> None:
    params = CreateCallParams(
        caller=Participant(username="mohsen_k", display_name="mohsen karimi", platform="android"),
        receptor=Participant(
            username="mohammad_r", display_name="mohammad razipour", platform="ios"
        ),
        max_duration=100,
    )
    expected = json.dumps(fixture_json("create_call_request.json"), separators=(",", ":"))
    assert params.to_wire() == expected.encode()


def test_unset_optionals_are_left_out() -> None:
    params = CreateCallParams(caller=Participant(username="a"), receptor=Participant(username="b"))
    assert params.to_wire() == b'{"caller":{"username":"a"},"receptor":{"username":"b"}}'


def test_non_ascii_display_names_go_out_as_utf8() -> None:
    params = CreateCallParams(
        caller=Participant(username="a", display_name="محسن کریمی"),
        receptor=Participant(username="b"),
    )
    assert json.loads(params.to_wire())["caller"]["displayName"] == "محسن کریمی"


def test_create_response_parses() -> None:
    call = Call.model_validate_json(fixture_text("create_call_response.json"))
    assert call.id == "eead251d-7895-4954-9292-cee624e400b4"
    assert call.created_at == datetime(2018, 8, 26, 16, 18, 18, 163000)
    assert call.created_at.tzinfo is None
    assert call.status == CallStatus.NEW
    assert call.caller.id == 153
    assert call.caller.display_name == "mohsen karimi"
    assert call.caller.access_token == "a5064978-542a-4dc9-883d-fc33c6aa2345"
    assert call.receptor.access_token == "9c161bd8-0f73-46b5-970b-c2866a45ec51"
    assert call.caller.events == []


def test_call_detail_parses() -> None:
    call = Call.model_validate_json(fixture_text("call_detail.json"))
    assert call.started_at == datetime(2018, 11, 20, 14, 11, 32, 894000)
    assert call.finished_at == datetime(2018, 11, 20, 14, 11, 37, 887000)
    assert call.duration == 4992
    assert call.duration_timedelta is not None
    assert call.duration_timedelta.total_seconds() == pytest.approx(4.992)
    assert call.finish_reason == FinishReason.HANGUP
    assert call.recording is not None
    assert call.recording.url is not None
    assert call.recording.url.endswith("/final.mp3")
    assert call.recording.status == "done"
    assert call.caller.platform == "ios"
    assert call.caller.status == "offline"
    assert call.application_id == 1
    assert call.status is None  # the documented detail has no top-level status


def test_calls_page_parses() -> None:
    page = CallsPage.model_validate_json(fixture_text("calls_page.json"))
    assert (page.page.number, page.page.size, page.page.total) == (0, 20, 1839)
    assert len(page.result) == 1
    assert page.result[0].caller.username == "09120822930"


def test_endpoint_parses() -> None:
    endpoint = Endpoint.model_validate_json(fixture_text("endpoint.json"))
    assert endpoint.id == 86
    assert endpoint.mobile_number == "0912123456"
    assert endpoint.status == "available"
    assert endpoint.api_token == "8aca6afe-81c9-4a01-8b3d-d763ab4cfe16"


def test_unknown_fields_and_statuses_are_tolerated() -> None:
    data = fixture_json("create_call_response.json")
    data["status"] = "queued_for_the_future"
    data["region"] = "teh-1"
    data["caller"]["mood"] = "happy"
    call = Call.model_validate(data)
    assert call.status == "queued_for_the_future"
    assert call.model_extra == {"region": "teh-1"}


def test_secrets_stay_out_of_repr_and_str() -> None:
    data = fixture_json("create_call_response.json")
    data["futureSecret"] = "zz-hidden-extra-zz"
    call = Call.model_validate(data)
    endpoint = Endpoint.model_validate_json(fixture_text("endpoint.json"))
    for text in (repr(call), str(call), repr(call.caller), repr(endpoint), str(endpoint)):
        assert "a5064978" not in text
        assert "9c161bd8" not in text
        assert "8aca6afe" not in text
        assert "zz-hidden-extra-zz" not in text
    assert "mohsen_k" in repr(call)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"username": ""},
        {"username": "   "},
        {"username": "x" * 51},
        {"username": "ok", "platform": "windows"},
        {"username": "ok", "surprise": 1},
    ],
)
def test_participant_validation_is_a_value_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the contract is "a ValueError"
        Participant(**kwargs)


def test_a_fifty_character_username_is_allowed() -> None:
    assert Participant(username="x" * 50).username == "x" * 50


@pytest.mark.parametrize("max_duration", [0, -5, 1.5, True, "100"])
async def test_invalid_input_raises_before_any_request(max_duration: object) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    async with make_client(handler) as kv:
        with pytest.raises(ValueError):  # noqa: PT011
            await kv.calls.create(caller="a", receptor="b", max_duration=max_duration)  # type: ignore[arg-type]
        with pytest.raises(ValueError):  # noqa: PT011
            await kv.calls.create(caller="", receptor="b")
        with pytest.raises(ValueError):  # noqa: PT011
            await kv.calls.get("")
        with pytest.raises(ValueError):  # noqa: PT011
            await kv.calls.list(page=-1)
    assert sent == []
