"""Settings: parsed as documented, refused with one plain line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

BASE = {"telegram_bot_token": "1:abc", "kavenegar_api_token": "k", "_env_file": None}


def problems(**values: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(**{**BASE, **values})
    return info.value.problems


def test_id_lists_are_comma_separated() -> None:
    settings = load_settings(**BASE, allowed_user_ids=" 1, 22 ,", allowed_chat_ids="-100123")
    assert settings.allowed_user_ids == frozenset({1, 22})
    assert settings.allowed_chat_ids == frozenset({-100123})
    assert settings.admin_user_ids == frozenset()
    assert problems(admin_user_ids="1,alice") == [
        "ADMIN_USER_IDS: must be numeric ids separated by commas"
    ]


def test_webhook_mode_needs_a_long_secret() -> None:
    assert problems(webhook_url="https://bot.example.com/tg") == [
        "WEBHOOK_SECRET: required when WEBHOOK_URL is set"
    ]
    assert problems(webhook_url="https://bot.example.com/tg", webhook_secret="short") == [
        "WEBHOOK_SECRET: must be 32-256 characters of A-Z, a-z, 0-9, _ and -"
    ]
    secret = "s" * 32
    assert problems(webhook_url="https://bot.example.com/tg", webhook_secret=secret + "!") != []
    settings = load_settings(
        **BASE, webhook_url="https://bot.example.com/tg/updates", webhook_secret=secret
    )
    assert settings.webhook_path == "/tg/updates"
    assert secret not in repr(settings)


def test_quotas_and_durations() -> None:
    assert (Settings(**BASE).calls_per_minute, Settings(**BASE).calls_per_day) == (5, 50)  # type: ignore[arg-type]
    assert problems(calls_per_minute=-1) == [
        "CALLS_PER_MINUTE: Input should be greater than or equal to 0"
    ]
    assert problems(default_max_duration=7200) == [
        "DEFAULT_MAX_DURATION must not exceed MAX_DURATION_LIMIT"
    ]


def test_join_template_is_checked() -> None:
    assert problems(join_url_template="https://x/{call_id}/{user}") == [
        "JOIN_URL_TEMPLATE: may use only {call_id} and {access_token}, and needs {call_id}"
    ]
    settings = load_settings(**BASE, join_url_template="https://x/{call_id}/{access_token}")
    assert settings.join_url_template == "https://x/{call_id}/{access_token}"


# Issue 8 item 11: a DATABASE_URL that cannot work is a config problem, not a crash at startup.
PASSWORD = "s3cret-pa55"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+asyncpg://bot:{PASSWORD}@db.example.com:abc/bot",  # port not a number
        f"postgresql+asyncpg://bot:{PASSWORD}@db.example.com:{PASSWORD}/bot",
        f"postgresql+asyncpg://bot:{PASSWORD}@db.example.com:70000/bot",
        f"postgresql+asyncpg://bot:x@{PASSWORD}@db.example.com/bot",  # unescaped @ in password
        f"mysql+aiomysql://bot:{PASSWORD}@db.example.com/bot",  # unknown backend
        f"postgresql+psycopg://bot:{PASSWORD}@db.example.com/bot",  # unknown driver
        f"postgresql://bot:{PASSWORD}@db.example.com/bot",  # bare: the sync default driver
        f"postgres://bot:{PASSWORD}@db.example.com/bot",
        "sqlite:///bot.db",
        f"not a url {PASSWORD}",
    ],
)
def test_unusable_database_url_is_one_plain_line(url: str) -> None:
    """Issue 8 item 11: one line naming DATABASE_URL, never the password."""
    [line] = problems(database_url=url)
    assert line.startswith("DATABASE_URL: ")
    assert PASSWORD not in line
    assert "x@" not in line


@pytest.mark.parametrize(
    ("url", "driver"),
    [("sqlite:///bot.db", "sqlite+aiosqlite"), ("postgresql://u@h/db", "postgresql+asyncpg")],
)
def test_bare_backend_names_the_driver_to_use(url: str, driver: str) -> None:
    """Issue 8 item 11: ``sqlite://`` and ``postgresql://`` are refused with the right driver."""
    assert problems(database_url=url) == [
        f"DATABASE_URL: use the {driver}:// driver, the one the bot installs"
    ]


def test_sqlite_folder_under_a_regular_file(tmp_path: Path) -> None:
    """Issue 8 item 11: a folder that cannot be created fails the check and creates nothing."""
    (tmp_path / "file").write_text("not a folder")
    url = f"sqlite+aiosqlite:///{tmp_path / 'file' / 'data' / 'bot.db'}"
    assert problems(database_url=url) == [
        "DATABASE_URL: cannot create the SQLite file's folder: a parent is not a directory"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_sqlite_path_that_is_a_directory(tmp_path: Path) -> None:
    assert problems(database_url=f"sqlite+aiosqlite:///{tmp_path}") == [
        "DATABASE_URL: the SQLite file is a directory"
    ]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_sqlite_under_proc_even_as_root() -> None:
    """Issue 8 item 11: ``os.access`` lets root "write" to /proc; the mount type does not."""
    [line] = problems(database_url="sqlite+aiosqlite:////proc/bot/bot.db")
    assert line == "DATABASE_URL: the SQLite file's folder is not writable"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite+aiosqlite:///{tmp}/new/nested/bot.db",  # folders Store.open will create
        "sqlite+aiosqlite:///{tmp}/bot.db",
        "sqlite+aiosqlite:///:memory:",
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///file:mem?mode=memory&uri=true",
        f"postgresql+asyncpg://bot:{PASSWORD}@db.example.com:5432/bot",
        f"postgresql+asyncpg://bot:{PASSWORD}@db.example.com/bot",
        "postgresql+asyncpg://bot:p%40ss@[::1]:5432/bot",
        "postgresql+asyncpg:///bot?host=/var/run/postgresql",
    ],
)
def test_usable_database_urls_pass(url: str, tmp_path: Path) -> None:
    """Issue 8 item 11: the check refuses nothing that works, and creates nothing."""
    url = url.format(tmp=tmp_path)
    assert load_settings(**BASE, database_url=url).database_url == url
    assert list(tmp_path.iterdir()) == []


def test_default_database_url_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8 item 11: the default (data/bot.db, relative) is checked too."""
    monkeypatch.chdir(tmp_path)
    assert load_settings(**BASE).database_url == "sqlite+aiosqlite:///data/bot.db"
    (tmp_path / "data").write_text("a file where the folder should be")
    assert problems() == [
        "DATABASE_URL: cannot create the SQLite file's folder: a parent is not a directory"
    ]


def test_join_page_settings() -> None:
    """Issue 23: WEBAPP_URL is https (http only on loopback), JOIN_MODE follows it."""
    assert load_settings(**BASE).effective_join_mode == "token"
    page = load_settings(**BASE, webapp_url="https://bot.example.com/join/")
    assert (page.effective_join_mode, page.webapp_path) == ("both", "/join")
    assert page.kavenegar_web_sdk_url == "https://static.kavenegar.io/js/kavenegar-voice-latest.js"
    assert load_settings(**BASE, webapp_url="http://127.0.0.1:8080/join", join_mode="WEBAPP")
    https_only = "WEBAPP_URL: must be an https:// URL (http:// only for 127.0.0.1 or localhost)"
    assert problems(webapp_url="http://bot.example.com/join") == [https_only]
    assert problems(webapp_url="https://bot.example.com/join?x=1") == [
        "WEBAPP_URL: must have no ?query or #fragment"
    ]
    assert problems(kavenegar_web_sdk_url="http://cdn.example.com/sdk.js") == [
        https_only.replace("WEBAPP_URL", "KAVENEGAR_WEB_SDK_URL")
    ]
    assert problems(join_mode="webapp") == ["JOIN_MODE=webapp needs WEBAPP_URL"]
    assert problems(
        webapp_url="https://bot.example.com/join",
        join_mode="webapp",
        join_url_template="https://x/{call_id}/{access_token}",
    ) == ["JOIN_URL_TEMPLATE: JOIN_MODE=webapp keeps {access_token} out of chat"]
    assert problems(
        webapp_url="https://bot.example.com/hook",
        webhook_url="https://bot.example.com/hook",
        webhook_secret="s" * 32,
    ) == [
        "WEBAPP_URL: its path /hook and WEBHOOK_URL's /hook share one server: neither may be "
        "the other's path or under it"
    ]


def test_an_empty_web_sdk_url_means_the_default() -> None:
    """KAVENEGAR_WEB_SDK_URL= (an empty line in .env) loads Kavenegar's SDK from its default
    address, instead of passing as nothing and crashing the join page at start-up."""
    settings = load_settings(
        **BASE, webapp_url="https://bot.example.com/join", kavenegar_web_sdk_url=""
    )
    assert settings.kavenegar_web_sdk_url == (
        "https://static.kavenegar.io/js/kavenegar-voice-latest.js"
    )


@pytest.mark.parametrize(
    ("webhook_path", "webapp_path", "taken"),
    [
        ("/join/token", "/join", "WEBHOOK_URL's /join/token"),
        ("/join", "/join/page", "WEBHOOK_URL's /join"),
        ("/hook", "/healthz", "/healthz probe"),
        ("/hook", "/metrics", "/metrics probe"),
        ("/hook", "/livez", "/livez probe"),
        ("/", "/", "WEBHOOK_URL's /"),
    ],
)
def test_a_join_page_path_that_another_route_of_its_server_takes_is_refused(
    webhook_path: str, webapp_path: str, taken: str
) -> None:
    """A WEBAPP_URL whose path is the webhook's, under or above it, or one of the probes'
    stops the bot at start-up with one line naming both, instead of a page that never gets
    its token request (or a start-up crash in aiohttp)."""
    (problem,) = problems(
        webhook_url=f"https://bot.example.com{webhook_path}",
        webhook_secret="s" * 32,
        webapp_url=f"https://bot.example.com{webapp_path}",
    )
    assert problem.startswith("WEBAPP_URL: its path ") and taken in problem, problem


def test_a_join_page_beside_the_webhook_is_accepted() -> None:
    settings = load_settings(
        **BASE,
        webhook_url="https://bot.example.com/hook",
        webhook_secret="s" * 32,
        webapp_url="https://bot.example.com/",
    )
    assert settings.webapp_path == ""
    assert load_settings(
        **BASE,
        webhook_url="https://bot.example.com/tg/hook",
        webhook_secret="s" * 32,
        webapp_url="https://bot.example.com/tg-join",
    )
