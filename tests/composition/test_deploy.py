"""The deployment recipe in ``deploy/`` stays true to the bot: what can be checked here is.

Images cannot be built here (no registry), so: the compose file is valid YAML whose bot services
name only settings the bot has, and every required one; the systemd unit passes
``systemd-analyze verify`` without a warning where systemd is installed; the commands the
README gives are the ones the files themselves say.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS = {name.upper() for name in Settings.model_fields}
REQUIRED = {name.upper() for name, f in Settings.model_fields.items() if f.is_required()}


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_two_webhook_replicas_on_postgresql_with_real_settings_only() -> None:
    services = compose()["services"]
    bots = {name: s for name, s in services.items() if name.startswith("bot")}
    assert len(bots) == 2 and services["db"]["image"].startswith("postgres:15")
    for name, service in bots.items():
        environment = service["environment"]
        unknown = set(environment) - SETTINGS
        assert not unknown, f"{name} sets {unknown}, which the bot does not read"
        assert set(environment) >= REQUIRED, f"{name} lacks {REQUIRED - set(environment)}"
        assert environment["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert environment["WEBHOOK_URL"].startswith("https://")
        assert environment["WEBHOOK_SECRET"] == "${WEBHOOK_SECRET}"  # the same for both
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        # every value that is not a ${VARIABLE} is one the settings accept
    values = {k: v for k, v in bots["bot-1"]["environment"].items() if "${" not in str(v)}
    Settings(
        _env_file=None,
        telegram_bot_token="123456:" + "x" * 35,
        kavenegar_api_token="t",
        webhook_secret="s" * 32,
        **{k.lower(): v for k, v in values.items() if k.lower() != "database_url"},
    )


def test_the_dockerfile_runs_the_bot_as_a_user_with_a_health_check() -> None:
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    instructions = [line.split()[0] for line in lines if line and not line.startswith((" ", "#"))]
    assert instructions[0] == "FROM" and "USER" in instructions and "HEALTHCHECK" in instructions
    assert instructions.index("USER") > instructions.index("RUN")  # installed as root, run as not
    assert 'ENTRYPOINT ["python", "-m", "bot"]' in lines
    build = next(line for line in lines if "docker build" in line).split(":", 1)[1].strip()
    readme = (ROOT / "README.md").read_text()
    assert build in readme, "the README's build command is the Dockerfile's"


def test_the_readme_gives_the_compose_and_systemd_commands_the_files_give() -> None:
    readme = (ROOT / "README.md").read_text()
    up = next(
        line for line in (DEPLOY / "compose.yaml").read_text().splitlines() if "compose -f" in line
    )
    assert up.split(":", 1)[1].strip() in readme
    unit = (DEPLOY / "kavenegar-call-bot.service").read_text()
    enable = next(line for line in unit.splitlines() if "systemctl enable" in line)
    assert enable.lstrip("# ").split(" && ")[-1] in readme


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd here")
def test_the_systemd_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    unit = (DEPLOY / "kavenegar-call-bot.service").read_text()
    assert "ExecStartPre=/opt/kavenegar-call-bot/bin/python -m bot --check-config" in unit
    # the interpreter the unit names exists once installed; here, this one stands in for it
    local = unit.replace("/opt/kavenegar-call-bot/bin/python", sys.executable)
    (tmp_path / "kavenegar-call-bot.service").write_text(local)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "kavenegar-call-bot.service")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
