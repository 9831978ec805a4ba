"""The README's client snippet runs, as written, against the sandbox."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

from kavenegar.sandbox import KavenegarSandbox

README = Path(__file__).resolve().parents[2] / "README.md"


def snippet() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- snippet: client -->\n```python\n(.*?)```", text, re.S)
    assert match, "the README lost its client snippet"
    return match.group(1)


async def test_readme_snippet_runs_against_the_sandbox(tmp_path: Path) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(snippet(), encoding="utf-8")
    async with KavenegarSandbox(api_token="readme-token") as sandbox:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(README.parent),
            "KAVENEGAR_API_TOKEN": "readme-token",
            "KAVENEGAR_BASE_URL": sandbox.base_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(script), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    (call,) = sandbox.state.calls.values()
    assert out.decode().splitlines() == [f"{call.id} new", "None 1"]
    assert call.caller.display_name == "Mohsen"
    assert call.max_duration == 100
