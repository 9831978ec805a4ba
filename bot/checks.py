"""``python -m bot --check-config --online``: the settings tried against the real services.

Each check asks one harmless question and says, in one line, what is wrong and what to do:

- Telegram: ``getMe`` proves the bot token; in webhook mode ``getWebhookInfo`` shows whether
  Telegram sends updates where ``WEBHOOK_URL`` says, how many wait, and its last delivery error.
- Kavenegar: one authenticated read (``GET /calls?size=1``) proves the API token and the URL.
- The database: it answers, and its schema is at this release's revision (behind: the bot
  upgrades it when it starts, and the check says so; unknown: a newer release upgraded it).
- With ``WEBAPP_URL``: Kavenegar's browser SDK is served at ``KAVENEGAR_WEB_SDK_URL`` and
  still has the ``KavenegarCall`` and ``initCall`` the join page calls (the CDN's name and the
  SDK's surface cannot be checked anywhere else).

Nothing is written anywhere. The secrets never appear in what is printed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass

import httpx
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.config import Settings
from bot.core.errors import StoreUnavailable
from bot.core.logs import SecretRedactor
from bot.storage import Store
from bot.storage.migrations import known_revision
from kavenegar import (
    AuthenticationError,
    KavenegarClient,
    KavenegarError,
    PermissionDeniedError,
)

__all__ = ["Check", "online_checks"]

#: The most one check may take: a service that does not answer by then has failed it.
CHECK_TIMEOUT = 15.0


@dataclass(frozen=True)
class Check:
    """One check: its name, and what is wrong (None: fine) with what to do about it."""

    name: str
    problem: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.problem is None

    def line(self) -> str:
        if self.problem is None:
            return f"ok    {self.name}: {self.detail}" if self.detail else f"ok    {self.name}"
        return f"FAIL  {self.name}: {self.problem}"


async def online_checks(settings: Settings, redactor: SecretRedactor) -> list[Check]:
    """Every check, each bounded by :data:`CHECK_TIMEOUT`; never raises."""
    checks = [
        _bounded("Telegram", _telegram(settings)),
        _bounded("Kavenegar", _kavenegar(settings)),
        _bounded("database", _database(settings)),
    ]
    if settings.webapp_url:
        checks.append(_bounded("browser SDK", _web_sdk(settings)))
    done = await asyncio.gather(*checks)
    return [
        Check(c.name, redactor.redact(c.problem) if c.problem else None, c.detail) for c in done
    ]


async def _bounded(name: str, check: Coroutine[object, object, Check]) -> Check:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            return await check
    except TimeoutError:
        return Check(name, f"no answer within {CHECK_TIMEOUT:.0f} s: check the URL and network")
    except Exception as exc:  # a check must say what failed, never crash the others
        return Check(name, f"{type(exc).__name__}: {exc}")


async def _telegram(settings: Settings) -> Check:
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_base_url)
    try:
        async with bot:
            me = await bot.get_me()
            detail = f"@{me.username} (id {me.id})"
            if not settings.webhook_url:
                return Check("Telegram", detail=detail)
            info = await bot.get_webhook_info()
    except InvalidToken:
        return Check(
            "Telegram", "TELEGRAM_BOT_TOKEN was rejected (401): copy it again from @BotFather"
        )
    except TelegramError as exc:
        return Check(
            "Telegram", f"cannot reach Telegram at TELEGRAM_BASE_URL ({type(exc).__name__})"
        )
    if info.url and info.url != settings.webhook_url:
        return Check(
            "Telegram webhook",
            f"Telegram sends updates to another URL ({info.url}): is another deployment using "
            "this bot token? The bot sets WEBHOOK_URL when it starts.",
        )
    if info.last_error_message:
        return Check(
            "Telegram webhook",
            f"Telegram's last delivery failed: {info.last_error_message} "
            f"({info.pending_update_count} updates waiting): check that WEBHOOK_URL reaches "
            "this host",
        )
    state = "set" if info.url else "not set yet (the bot sets it when it starts)"
    return Check(
        "Telegram",
        detail=f"{detail}; webhook {state}, {info.pending_update_count} updates waiting",
    )


async def _kavenegar(settings: Settings) -> Check:
    client = KavenegarClient(
        api_token=settings.kavenegar_api_token.get_secret_value(),
        base_url=settings.kavenegar_base_url,
        max_retries=0,
        total_timeout=CHECK_TIMEOUT,
    )
    try:
        async with client:
            page = await client.calls.list(size=1)
    except (AuthenticationError, PermissionDeniedError) as exc:
        return Check(
            "Kavenegar",
            f"KAVENEGAR_API_TOKEN was rejected ({exc.status_code}): copy it again from the "
            "Kavenegar panel",
        )
    except KavenegarError as exc:
        return Check(
            "Kavenegar",
            f"no usable answer from KAVENEGAR_BASE_URL ({type(exc).__name__}): check the URL",
        )
    return Check("Kavenegar", detail=f"the API token works ({page.page.total} calls so far)")


async def _web_sdk(settings: Settings) -> Check:
    url = settings.kavenegar_web_sdk_url
    try:
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT, follow_redirects=True) as http:
            response = await http.get(url)
    except httpx.HTTPError as exc:
        return Check("browser SDK", f"cannot fetch KAVENEGAR_WEB_SDK_URL ({type(exc).__name__})")
    if response.status_code != 200:
        return Check(
            "browser SDK",
            f"KAVENEGAR_WEB_SDK_URL answers {response.status_code}: the join page cannot join "
            "calls (people get the token-for-the-app fallback); find the SDK's current URL",
        )
    missing = [name for name in ("KavenegarCall", "initCall") if name not in response.text]
    if missing:
        return Check(
            "browser SDK",
            f"the script at KAVENEGAR_WEB_SDK_URL has no {' or '.join(missing)}: is it "
            "Kavenegar's browser SDK, and has its interface changed?",
        )
    return Check("browser SDK", detail=f"served ({len(response.content)} bytes)")


async def _database(settings: Settings) -> Check:
    try:
        revision, head = await Store.schema_of(settings.database_url)
    except StoreUnavailable as exc:
        return Check("database", f"{exc}: check DATABASE_URL and that the server runs")
    if revision == head:
        return Check("database", detail=f"schema at {head}")
    if revision is None:
        return Check("database", detail="empty: the bot creates its schema when it starts")
    if known_revision(revision):
        return Check(
            "database",
            f"schema at {revision}, behind this release's {head}: the bot upgrades it when it "
            "starts (start one replica first, then the others)",
        )
    return Check(
        "database",
        f"schema at {revision}, unknown to this release (newer?): run the release that "
        "upgraded it, or restore the matching backup",
    )
