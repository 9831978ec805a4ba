"""One exception for "the database cannot be used right now", and the decorator raising it."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    TimeoutError as PoolTimeout,
)

from bot.core.errors import StoreUnavailable

__all__ = ["StoreUnavailable", "guarded", "guarded_methods"]

P = ParamSpec("P")
T = TypeVar("T")


#: PostgreSQL error classes that mean "not now" rather than "wrong": connection exceptions (08),
#: insufficient resources such as a full disk (53), operator intervention such as a shutdown
#: (57), system errors (58), a read-only transaction (25006) and a database that takes no
#: connections (55000).
_UNAVAILABLE_CLASSES = ("08", "53", "57", "58")
_UNAVAILABLE_STATES = ("25006", "55000")


def _unavailable_sqlstate(exc: DBAPIError) -> bool:
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if not isinstance(state, str):
        return False
    return state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_STATES


def guarded(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Turn "the database is not usable" errors into :class:`StoreUnavailable`."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except IntegrityError:
            raise
        except (OperationalError, InterfaceError, PoolTimeout, OSError, TimeoutError) as exc:
            raise StoreUnavailable(f"{type(exc).__name__} in {method.__name__}") from exc
        except DBAPIError as exc:
            if exc.connection_invalidated or _unavailable_sqlstate(exc):
                raise StoreUnavailable(f"database unavailable in {method.__name__}") from exc
            raise

    return wrapper


C = TypeVar("C", bound=type)


def guarded_methods(cls: C) -> C:
    """Apply :func:`guarded` to every public coroutine method of ``cls``."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.iscoroutinefunction(member):
            setattr(cls, name, guarded(member))
    return cls
