"""The sandbox's fault rules: error statuses, hangs, garbage bodies, lost answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..testing import FaultRule

__all__ = ["Fault"]

FaultKind = Literal["status", "hang", "garbage", "reset", "rewrite"]


@dataclass
class Fault(FaultRule):
    """One failure rule, matched by method and path prefix, used ``times`` times (None: forever).

    ``kind="status"`` answers ``status`` with ``body`` (a JSON value, or text sent as is) and
    ``headers``; ``"hang"`` never answers (the client's timeout fires); ``"garbage"`` answers 200
    with a body that is not JSON; ``"reset"`` drops the connection without an answer. With
    ``after=True`` the request is carried out first and only the answer is lost: the way to
    simulate a call created on the server whose response never arrived. ``"rewrite"`` (always
    after the request is carried out) answers the real JSON body passed through ``rewrite``: an
    answer that is almost right (a missing ``accessToken``, an odd id).
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
    rewrite: Callable[[Any], Any] | None = None

    def __post_init__(self) -> None:
        if self.kind == "rewrite":
            if self.rewrite is None:
                raise ValueError("a rewrite fault needs rewrite=")
            self.after = True

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or path.startswith(self.path)
        )
