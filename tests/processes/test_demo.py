"""``make demo`` runs offline, shows each token only in its owner's chat, and exits 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_offline_and_proves_token_privacy(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.demo"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "📞 Alice is calling Bob: check your private chat with me." in out
    for check in (
        "✔ Alice's token is only in Alice's chat",
        "✔ Bob's token is only in Bob's chat",
        "✔ the group saw no token",
        "✔ /call placed exactly one call",
        "✔ the group notice now tells how the call went",
        "✔ when it ended, both tokens were withdrawn from the private chats",
        "✔ the page escalated: Bob missed it, Carol answered",
        "✔ a newcomer reached Bob through the line link, each with their own token",
        "✔ Bob joined inside Telegram with his own token, and the chat told the outcome",
    ):
        assert check in out
    assert "hangup after 42000 ms" in out
    assert "Bob's Join button opens http://127.0.0.1:" in out
    assert "📞 Connecting you with ops… You are number 1 in the queue." in out
    assert not list(tmp_path.iterdir())  # the demo leaves nothing behind
