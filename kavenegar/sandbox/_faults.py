"""The sandbox's fault rules: error statuses, hangs, garbage bodies, lost answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..testing import FaultRule

__all__ = ["Fault"]

FaultKind = Literal["status", "hang", "garbage"]


@dataclass
class Fault(FaultRule):
    """One failure rule, matched by method and path prefix, used ``times`` times (None: forever).

    ``kind="status"`` answers ``status`` with ``body`` (a JSON value, or text sent as is) and
    ``headers``; ``"hang"`` never answers (the client's timeout fires); ``"garbage"`` answers 200
    with a body that is not JSON. With ``after=True`` the request is carried out first and only
    the answer is lost: the way to simulate a call created on the server whose response never
    arrived.
    """

    kind: FaultKind = "status"
    method: str | None = None
    path: str | None = None
    status: int = 500
    body: Any = field(
        default_factory=lambda: {"status": "internal_server_error", "reasons": ["simulated"]}
    )
    headers: dict[str, str] = field(default_factory=dict)
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or path.startswith(self.path)
        )
