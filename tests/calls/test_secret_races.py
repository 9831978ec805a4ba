"""Probes (held): access tokens only ever in their owner's private chat; never in a group, a
log line, an exception text or the stored error."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ..domain import World
from ..helpers import ALICE, BOB, GROUP
from .presses import pressed, ring


def tokens(world: World) -> set[str]:
    found = set()
    for call in world.kv.state.calls.values():
        for side in (call.caller, call.receptor):
            token = getattr(side, "access_token", None)
            if token:
                found.add(token)
    return found


@pytest.mark.parametrize(
    "fault",
    [
        None,
        {"kind": "garbage", "after": True},
        {"kind": "rewrite", "rewrite": "drop-receptor"},
        {"kind": "rewrite", "rewrite": "bad-id"},
        {"status": 500, "after": True},
    ],
)
async def test_tokens_stay_private(
    ringing: World, caplog: pytest.LogCaptureFixture, fault: dict[str, Any] | None
) -> None:
    caplog.set_level(logging.DEBUG)
    record = await ring(ringing)
    if fault is not None:
        fault = dict(fault)
        if fault.get("rewrite") == "drop-receptor":

            def drop(body: dict[str, Any]) -> dict[str, Any]:
                body["receptor"].pop("accessToken", None)
                return body

            fault["rewrite"] = drop
        elif fault.get("rewrite") == "bad-id":

            def bad(body: dict[str, Any]) -> dict[str, Any]:
                body["id"] = {"nested": body["receptor"]}
                return body

            fault["rewrite"] = bad
        ringing.kv.add_fault(method="POST", path="/calls", times=None, **fault)
    await pressed(ringing, BOB, f"ring:a:{record.id}")
    secrets = tokens(ringing)
    assert secrets
    for chat_id, message in ringing.messenger.sent:
        for secret in secrets:
            if secret in message.html:
                assert chat_id in (ALICE, BOB) and message.carries_secret
    for _, _, message in ringing.messenger.edits:
        assert not any(s in message.html for s in secrets)
    for text in ringing.messenger.texts(GROUP):
        assert not any(s in text for s in secrets)
    for line in caplog.records:
        text = line.getMessage()
        assert not any(s in text for s in secrets), text
    for row in await ringing.store.list_calls():
        assert not any(s in (row.error or "") for s in secrets)
