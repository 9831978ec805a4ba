"""The one place unexpected errors go: logged with their traceback (secrets redacted)."""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

logger = logging.getLogger(__name__)


async def log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the exception; the update's id only, never its contents (they may hold tokens)."""
    update_id = getattr(update, "update_id", None)
    logger.error(
        "update %s failed", update_id, exc_info=context.error, extra={"update_id": update_id}
    )
