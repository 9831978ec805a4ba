"""Checking a ``DATABASE_URL`` before anything connects (issue 8 item 11).

A URL that cannot work (a port that is not a number, a driver the bot does not ship, an SQLite
file whose folder cannot be made) must fail ``--check-config`` with one plain line, not crash the
bot later with a traceback. The check lives here because only storage and migrations import
SQLAlchemy. It creates nothing and never repeats the URL, which may hold a password.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["SUPPORTED_DRIVERS", "database_url_problem"]

#: The async drivers the bot installs, by backend.
SUPPORTED_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}

_PORT_NOT_A_NUMBER = "the port is not a number (percent-encode any @, : or / in the password)"

#: Linux pseudo-filesystems that hold no regular files. Root passes ``os.access`` on them (on
#: ``/proc`` too), so a database under one is refused by the type of its mount.
_PSEUDO_FILESYSTEMS = frozenset(
    {
        "proc", "sysfs", "cgroup", "cgroup2", "devpts", "debugfs", "tracefs", "securityfs",
        "configfs", "bpf", "pstore", "efivarfs", "binfmt_misc", "fusectl", "mqueue",
    }
)  # fmt: skip


def database_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the bot's database, in a few plain words; None if it can be.

    Accepted: ``sqlite+aiosqlite:///path`` (the nearest existing folder of ``path`` must be a
    writable directory; ``:memory:`` is fine) and ``postgresql+asyncpg://user:pass@host:port/db``
    (the port, if any, a number from 1 to 65535; no stray ``@`` in the host). Whether the server
    answers is not checked.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:  # its message repeats the URL, password and all
        return "not a database URL; use sqlite+aiosqlite:///path or postgresql+asyncpg://..."
    except ValueError:  # int(port), whose message would quote the port (or part of a password)
        return _PORT_NOT_A_NUMBER
    drivername = parsed.drivername
    backend = drivername.partition("+")[0]
    wanted = SUPPORTED_DRIVERS.get("postgresql" if backend == "postgres" else backend)
    if wanted is None:
        return "unsupported database; use sqlite+aiosqlite:///path or postgresql+asyncpg://..."
    if drivername != wanted:
        return f"use the {wanted}:// driver, the one the bot installs"
    if wanted == SUPPORTED_DRIVERS["sqlite"]:
        try:
            return _sqlite_problem(parsed)
        except (OSError, ValueError):  # e.g. a parent folder we may not even look into
            return "cannot reach the SQLite file's folder"
    return _postgresql_problem(parsed)


def _postgresql_problem(parsed: URL) -> str | None:
    try:
        port = parsed.port
    except ValueError:  # SQLAlchemy versions that convert the port only when asked
        return _PORT_NOT_A_NUMBER
    if port is not None and not 1 <= port <= 65535:
        return "the port must be from 1 to 65535"
    if "@" in (parsed.host or ""):  # user:p@ss@host parses as host "ss@host"
        return "the host contains @ (percent-encode @ in the password as %40)"
    return None


def _sqlite_problem(parsed: URL) -> str | None:
    database = parsed.database or ""
    if parsed.query.get("uri") in ("true", "1"):  # sqlite3 URI filename: file:path?mode=...
        if parsed.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:")
        if database.startswith("//"):  # file://localhost/path or file:///path
            database = "/" + database[2:].partition("/")[2]
    if database in ("", ":memory:"):
        return None
    path = Path(database).absolute()
    if path.is_dir():
        return "the SQLite file is a directory"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return "the SQLite file is not writable"
    folder = path.parent  # SQLite writes its journal next to the file, so the folder counts too
    while not folder.exists() and not folder.is_symlink():
        folder = folder.parent
    if not folder.is_dir():
        return "cannot create the SQLite file's folder: a parent is not a directory"
    if not os.access(folder, os.W_OK | os.X_OK) or _pseudo_filesystem(folder):
        return "the SQLite file's folder is not writable"
    return None


def _pseudo_filesystem(folder: Path) -> bool:
    """Whether ``folder`` is on a Linux pseudo-filesystem (/proc, /sys); False when unknown."""
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as mounts:
            table = [line.split() for line in mounts]
    except OSError:
        return False
    real = os.path.realpath(folder)
    best, fstype = "", ""
    for fields in table:
        if len(fields) < 3:
            continue
        mountpoint = _unescape(fields[1])
        inside = real == mountpoint or real.startswith(mountpoint.rstrip("/") + "/")
        if inside and len(mountpoint) >= len(best):  # the last of equal mounts is on top
            best, fstype = mountpoint, fields[2]
    return fstype in _PSEUDO_FILESYSTEMS


def _unescape(field: str) -> str:
    r"""``/proc/self/mounts`` writes space, tab, newline and backslash as ``\040`` and so on."""
    for code in ("\\040", "\\011", "\\012", "\\134"):
        field = field.replace(code, chr(int(code[1:], 8)))
    return field
