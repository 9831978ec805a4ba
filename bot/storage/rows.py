"""Rows into records: one helper, so each query module states only what it converts."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

__all__ = ["record_from"]

RecordT = TypeVar("RecordT")


def record_from(cls: type[RecordT], row: Any, **converted: Any) -> RecordT:
    """``cls`` (a dataclass) from the row's columns of the same names; ``converted`` gives the
    fields that need more than a copy (an enum, a JSON list)."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = {name: getattr(row, name) for name in names if name not in converted}
    return cls(**values, **converted)
