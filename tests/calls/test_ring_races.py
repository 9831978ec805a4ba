"""Hostile probes (issue 18): a ring's Answer, and what becomes of Bob's message and the
group's notice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.records import CallRecord, CallStatus

from ..domain import World
from ..helpers import BOB, GROUP
from .presses import posts, pressed, ring


def bob_reads(world: World, record: CallRecord) -> str:
    return world.messenger.now_reads(BOB, record.callee_message_id or 0)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"kind": "hang", "after": True}, id="hang-after"),
        pytest.param({"kind": "reset", "after": True}, id="reset-after"),
        pytest.param({"kind": "garbage", "after": True}, id="garbage-after"),
        pytest.param({"status": 500}, id="500"),
        pytest.param({"status": 503, "after": True}, id="503-after"),
    ],
)
async def test_answer_then_a_failed_post_says_what_happened(
    ringing: World, fault: dict[str, Any]
) -> None:
    """Held: each 'may exist' failure edits Bob's ring and the notice in place; one POST."""
    record = await ring(ringing)
    ringing.kv.add_fault(method="POST", path="/calls", times=None, **fault)
    answer = await pressed(ringing, BOB, f"ring:a:{record.id}")
    assert answer.alert
    assert len(posts(ringing)) == 1
    bob = bob_reads(ringing, record)
    notice = ringing.messenger.now_reads(GROUP, record.notice_message_id or 0)
    for text in (bob, notice):
        assert "may or may not exist" in text or "didn't answer" in text.lower(), text
        assert "ringing" not in text and "token follows" not in text
    assert not [m for m in ringing.messenger.to(BOB) if m.carries_secret]
    row = await ringing.store.get_call(record.id)
    assert row is not None and row.status is CallStatus.UNKNOWN


async def test_answer_when_kavenegar_sends_no_token_answers_the_press(ringing: World) -> None:
    """Kavenegar creates the call without Bob's accessToken (a 'kv_no_token' MAYBE). _answer
    takes MAYBE as a POST failure and calls report.failure_text(), whose 'kv_no_token' text
    needs {names}, which that report never carries: KeyError. The press crashes (generic
    alert from the handler wrapper), Bob's ring keeps 'your access token follows.' and the
    group's notice keeps 'ringing…' while a second message says the call can't be joined."""

    def drop_receptor_token(body: dict[str, Any]) -> dict[str, Any]:
        body["receptor"].pop("accessToken", None)
        return body

    record = await ring(ringing)
    ringing.kv.add_fault(method="POST", path="/calls", kind="rewrite", rewrite=drop_receptor_token)
    answer = await pressed(ringing, BOB, f"ring:a:{record.id}")  # KeyError: 'names'
    assert answer.alert
    assert "token follows" not in bob_reads(ringing, record)


async def test_answer_and_decline_at_once(ringing: World) -> None:
    """Held: one of them wins; one POST at most; a declined ring places nothing."""
    record = await ring(ringing)
    answers = await asyncio.gather(
        pressed(ringing, BOB, f"ring:a:{record.id}"),
        pressed(ringing, BOB, f"ring:d:{record.id}"),
    )
    row = await ringing.store.get_call(record.id)
    assert row is not None
    keys = [a.key for a in answers]
    if row.status is CallStatus.RANG:
        assert posts(ringing) == [] and keys[0] == "callback_ring_over"
    else:
        assert len(posts(ringing)) == 1 and keys[1] == "callback_ring_over"
