"""Errors every layer shares: storage raises them, the domain and the handlers catch them."""

from __future__ import annotations

__all__ = ["StoreUnavailable"]


class StoreUnavailable(Exception):
    """The database cannot be used right now (down, locked, full, read-only); try again later."""
