"""Settings, from the environment and ``.env``: the one place the bot reads its configuration."""

from __future__ import annotations

import re
import string
from typing import Annotated, Literal, Self
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.timezones import parse_zone
from bot.onboarding.phones import PhoneFormat, PhoneNaming, UsernameSource, supported_region
from bot.storage.urls import database_url_problem
from kavenegar import DEFAULT_BASE_URL

__all__ = ["ConfigError", "Settings", "load_settings"]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
LogFormat = Literal["text", "json"]
JoinMode = Literal["webapp", "token", "both"]
#: The probes' paths (bot/telegram/probes.py), which the join page may not take.
PROBE_PATHS = ("/livez", "/readyz", "/healthz", "/metrics")
#: Kavenegar's browser SDK as its own samples load it (``kavenegar/call-js-sample``).
DEFAULT_WEB_SDK_URL = "https://static.kavenegar.io/js/kavenegar-voice-latest.js"
#: Hosts a plain-http URL may name (tests and the demo); anything else must be https.
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
#: Comma-separated numeric ids in the environment ("1, 2,-100123"); empty means none.
IdSet = Annotated[frozenset[int], NoDecode]
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,256}$")


class Settings(BaseSettings):
    """Every setting the bot takes. Field descriptions feed ``--help`` and the README table."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # "TELEGRAM_BOT_TOKEN=" in a fresh .env means "not set yet"
        extra="ignore",
        case_sensitive=False,
    )

    telegram_bot_token: SecretStr = Field(description="Bot token from @BotFather.")
    kavenegar_api_token: SecretStr = Field(description="API token of your Kavenegar application.")
    telegram_base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API base URL: a self-hosted Bot API server or a simulator.",
    )
    kavenegar_base_url: str = Field(DEFAULT_BASE_URL, description="Kavenegar Call API base URL.")
    database_url: str = Field(
        "sqlite+aiosqlite:///data/bot.db",
        description="SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
        validate_default=True,  # data/ under an unwritable working directory fails as well
    )
    default_max_duration: int = Field(
        600, ge=1, description="maxDuration of a call in seconds when /call names none."
    )
    max_duration_limit: int = Field(
        3600, ge=1, description="Upper bound, in seconds, for a duration given with /call."
    )
    kavenegar_username_prefix: str = Field(
        "tg",
        max_length=30,
        pattern=r"^[A-Za-z0-9_.-]*$",
        description="Prefix of the Kavenegar username made from a Telegram id (tg123...).",
    )
    join_url_template: str | None = Field(
        None,
        description="Optional join link, e.g. https://app.example.com/call/{call_id}/{access_token}",
    )
    webapp_url: str | None = Field(
        None,
        description="https URL of the join page (a Telegram Mini App served by the bot); unset: "
        "no Join page.",
    )
    join_mode: JoinMode | None = Field(
        None,
        description="webapp: Join button only, no token in chat; token: token only; both. "
        "Default: both with WEBAPP_URL, else token.",
    )
    kavenegar_web_sdk_url: str = Field(
        DEFAULT_WEB_SDK_URL, description="Kavenegar's browser SDK, loaded by the join page."
    )
    webapp_listen: str = Field(
        "0.0.0.0", description="Polling mode: address the join page's own listener binds."
    )
    webapp_port: int = Field(
        8080,
        ge=1,
        le=65535,
        description="Polling mode: port of the join page's listener (webhook mode serves it on "
        "WEBHOOK_PORT).",
    )
    log_level: LogLevel = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: LogFormat = Field(
        "text", description="text (one readable line) or json (one JSON object per line)."
    )
    allowed_user_ids: IdSet = Field(
        frozenset(), description="Telegram user ids who may use the bot; empty: everyone."
    )
    allowed_chat_ids: IdSet = Field(
        frozenset(), description="Group chat ids where the bot works; empty: every group."
    )
    admin_user_ids: IdSet = Field(
        frozenset(), description="User ids who may /allow, /deny, /access, /uncallable."
    )
    calls_per_minute: int = Field(
        5, ge=0, description="Calls one person may create per minute; 0: no limit."
    )
    calls_per_day: int = Field(
        50, ge=0, description="Calls one person may create per 24 hours; 0: no limit."
    )
    kavenegar_poll_rps: float = Field(
        5.0,
        gt=0,
        le=100,
        description="Polls of Kavenegar per second, all calls being followed together.",
    )
    kavenegar_sweep_from: int = Field(
        10,
        ge=0,
        description="Calls followed at once from which one list (GET /calls) answers for many; "
        "0: one poll a call, always.",
    )
    kavenegar_list_size: int = Field(
        20,
        ge=1,
        le=1000,
        description="Calls the first list page asks for; doubled while sweeps need many pages "
        "(up to 1000), halved (and never grown past again) when Kavenegar refuses a size.",
    )
    call_flow: Literal["direct", "ring"] = Field(
        "direct",
        description="direct: /call places the call; ring: the callee answers in Telegram first.",
    )
    ring_timeout: int = Field(
        60, ge=10, le=600, description="Seconds a ring waits for the callee (CALL_FLOW=ring)."
    )
    default_timezone: str = Field(
        "Asia/Tehran", description="IANA time zone for times the bot shows (/history)."
    )
    page_retries: int = Field(
        1, ge=0, le=5, description="Times /page rings the same person again before the next."
    )
    page_rounds: int = Field(
        1, ge=1, le=5, description="Times /page goes through the whole team before giving up."
    )
    page_max_attempts: int = Field(
        10, ge=1, le=50, description="Calls one page may place at most (its cost bound)."
    )
    handoff_notice_minutes: int = Field(
        15, ge=0, le=1440, description="Minutes before a shift its person gets a heads-up."
    )
    require_phone: bool = Field(
        False,
        description="People share their own number (Telegram's button) before calls.",
    )
    kavenegar_username_source: UsernameSource = Field(
        "telegram",
        description="telegram: tg<id>; phone: the verified number (implies REQUIRE_PHONE).",
    )
    phone_username_format: PhoneFormat = Field(
        "national",
        description="national: 09120822930 (PHONE_REGION numbers); international: 989120822930.",
    )
    phone_region: str = Field(
        "IR", description="Region whose numbers get the national form (ISO 3166 code)."
    )
    offer_timeout: int = Field(
        20, ge=5, le=300, description="Seconds a support line's offer waits for Accept."
    )
    line_calls_per_hour: int = Field(
        3, ge=0, description="Support-line calls one newcomer may get per hour; 0: no limit."
    )
    webhook_url: str | None = Field(
        None, description="Public https URL for webhook mode; unset: long polling."
    )
    webhook_listen: str = Field("0.0.0.0", description="Address the webhook server binds.")
    webhook_port: int = Field(8443, ge=1, le=65535, description="Port of the webhook server.")
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port for /metrics, /livez and /readyz in polling mode (webhook mode serves "
        "them on the webhook's port); unset: off.",
    )
    metrics_listen: str = Field("127.0.0.1", description="Address the METRICS_PORT listener binds.")
    stop_drain_seconds: float = Field(
        2.0,
        ge=0,
        le=60,
        description="Webhook mode: on a graceful stop, seconds /readyz answers 503 before updates "
        "stop being taken (a load balancer drains the replica meanwhile).",
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="Required with WEBHOOK_URL: 32-256 characters of A-Z a-z 0-9 _ -.",
    )

    @field_validator("allowed_user_ids", "allowed_chat_ids", "admin_user_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("must be numeric ids separated by commas") from None
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            raise ValueError("must be an https:// URL")
        return value

    @field_validator("webapp_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        return _page_url(value)

    @field_validator("kavenegar_web_sdk_url")
    @classmethod
    def _sdk_url(cls, value: str) -> str:
        if not value:  # KAVENEGAR_WEB_SDK_URL= (an empty line in .env): the default
            return DEFAULT_WEB_SDK_URL
        return _page_url(value)

    @property
    def effective_join_mode(self) -> JoinMode:
        """JOIN_MODE, or its default: both with a join page, the token alone without one."""
        return self.join_mode or ("both" if self.webapp_url else "token")

    @property
    def webapp_path(self) -> str:
        """The path the join page is served at: the path of WEBAPP_URL, without a final /."""
        return urlparse(self.webapp_url or "").path.rstrip("/")

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_TOKEN.match(value.get_secret_value()):
            raise ValueError("must be 32-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts updates to: the path of WEBHOOK_URL."""
        return urlparse(self.webhook_url or "").path or "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # Issue 8 item 11: a URL that cannot work fails --check-config, not the running bot.
        problem = database_url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        zone = parse_zone(value)
        if zone is None:
            raise ValueError("must be an IANA time zone such as Asia/Tehran")
        return zone

    @field_validator("phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        if not supported_region(value):
            raise ValueError("must be a two-letter region code such as IR")
        return value.upper()

    @property
    def phones_required(self) -> bool:
        """Whether a verified number comes before calls (a phone username needs one)."""
        return self.require_phone or self.kavenegar_username_source == "phone"

    @property
    def phone_naming(self) -> PhoneNaming | None:
        """How numbers become Kavenegar usernames; None while usernames come from Telegram."""
        if self.kavenegar_username_source != "phone":
            return None
        return PhoneNaming(self.phone_username_format, self.phone_region)

    @field_validator(
        "call_flow",
        "kavenegar_username_source",
        "phone_username_format",
        "log_format",
        "join_mode",
        mode="before",
    )
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_base_url", "kavenegar_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr) -> SecretStr:
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("does not look like a bot token (123456:ABC...)")
        return value

    @field_validator("join_url_template")
    @classmethod
    def _join_template(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// or http://")
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        if not fields <= {"call_id", "access_token"} or "call_id" not in fields:
            raise ValueError("may use only {call_id} and {access_token}, and needs {call_id}")
        return value

    @model_validator(mode="after")
    def _durations(self) -> Self:
        if self.default_max_duration > self.max_duration_limit:
            raise ValueError("DEFAULT_MAX_DURATION must not exceed MAX_DURATION_LIMIT")
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET: required when WEBHOOK_URL is set")
        if self.join_mode in ("webapp", "both") and not self.webapp_url:
            raise ValueError(f"JOIN_MODE={self.join_mode} needs WEBAPP_URL")
        if self.effective_join_mode == "webapp" and "{access_token}" in (
            self.join_url_template or ""
        ):
            raise ValueError("JOIN_URL_TEMPLATE: JOIN_MODE=webapp keeps {access_token} out of chat")
        if self.webapp_url and self.webhook_url:
            webhook = self.webhook_path.rstrip("/")
            if _paths_collide(self.webapp_path, webhook):
                raise ValueError(
                    f"WEBAPP_URL: its path {self.webapp_path or '/'} and WEBHOOK_URL's "
                    f"{webhook or '/'} share one server: neither may be the other's path or "
                    "under it"
                )
        if self.webapp_url:
            for probe in PROBE_PATHS:
                if _paths_collide(self.webapp_path, probe):
                    raise ValueError(
                        f"WEBAPP_URL: its path {self.webapp_path} is the bot's {probe} probe "
                        f"(reserved: {', '.join(PROBE_PATHS)})"
                    )
        return self


def _page_url(value: str) -> str:
    """An https URL the join page uses (http only for a loopback host), without query."""
    parsed = urlparse(value)
    loopback = parsed.scheme == "http" and parsed.hostname in _LOOPBACK
    if not (parsed.scheme == "https" or loopback) or not parsed.netloc:
        raise ValueError("must be an https:// URL (http:// only for 127.0.0.1 or localhost)")
    if parsed.query or parsed.fragment:
        raise ValueError("must have no ?query or #fragment")
    return value


def _paths_collide(page: str, other: str) -> bool:
    """Whether a route at ``other`` and the join page at ``page`` (each without a final /)
    would shadow each other: the same path, or one under the other (the root, "", holds
    anything only when it is the very same path)."""
    return (
        page == other
        or bool(page and other.startswith(page + "/"))
        or bool(other and page.startswith(other + "/"))
    )


class ConfigError(Exception):
    """Settings that cannot be used; ``problems`` holds one plain line per variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one line per variable (no values shown)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = "missing" if error["type"] == "missing" else error["msg"]
            message = message.removeprefix("Value error, ")
            problems.append(f"{name}: {message}" if error["loc"] else message)
        raise ConfigError(problems) from None
