"""Failures a test can switch on: error statuses, hangs, garbage bodies, latency."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Fault", "FaultBook"]

FaultKind = Literal["status", "hang", "garbage"]


@dataclass
class Fault:
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
    times: int | None = 1
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path is None or path.startswith(self.path)
        )


class FaultBook:
    """The active faults, first match wins; each use counts down ``times``."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.latency = 0.0

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self) -> None:
        self.faults.clear()
        self.latency = 0.0

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None
