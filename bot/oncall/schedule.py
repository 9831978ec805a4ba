"""The schedule ahead: who is on call from now until a given time, shift by shift (issue 22,
item 4), for ``/oncall NAME week`` and ``/rotation NAME calendar``.

Built from :func:`bot.oncall.rotation.on_call` alone, so it names exactly whom ``/oncall`` and
the hand-overs name: each shift runs until the ``until`` ``/oncall`` gives, and the next one is
its ``next``. Covers are included (a cover's span is a shift of its own, marked ``covering``).
The first shift starts when it really started (its hand-over, the rotation's anchor, or the
cover's start), not at the moment asked. Naive UTC throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.oncall.rotation import Covers, Rotation, active_cover, hand_overs, on_call

__all__ = ["MAX_SHIFTS", "Shift", "shifts"]

#: The most shifts one schedule lists (8 weeks of daily shifts and a few covers fit).
MAX_SHIFTS = 200


@dataclass(frozen=True)
class Shift:
    """``member`` on call from ``starts`` to ``ends`` (naive UTC; None: no end in sight)."""

    member: int
    starts: datetime
    ends: datetime | None
    covering: bool = False
    #: The cover's row id (a covering shift), or the rotation's nominal start of the slot (its
    #: hand-over), whatever covers cut from it: what the shift is, across exports.
    cover_id: int | None = field(default=None, compare=False)
    slot: datetime | None = field(default=None, compare=False)


def shifts(
    members: Sequence[int],
    rotation: Rotation | None,
    cover: Covers,
    now: datetime,
    until: datetime,
) -> list[Shift]:
    """The shifts from the one on at ``now`` to the last one starting before ``until``."""
    found: list[Shift] = []
    moment = now
    while moment < until and len(found) < MAX_SHIFTS:
        current = on_call(members, rotation, cover, moment)
        if current.member is not None:
            starts = moment if found else _started(rotation, cover, current.covering, now)
            covering = active_cover(cover, moment) if current.covering else None
            shift = Shift(
                current.member,
                starts,
                current.until,
                current.covering,
                cover_id=covering.id if covering is not None else None,
                slot=None
                if covering is not None or rotation is None
                else _started(rotation, None, False, moment),
            )
            last = found[-1] if found else None
            if last is not None and (last.member, last.covering, last.cover_id) == (
                shift.member,
                shift.covering,
                shift.cover_id,
            ):
                found[-1] = replace(last, ends=shift.ends)  # a hand-over during a cover
            else:
                found.append(shift)
        if current.until is None:
            break
        moment = current.until
    return found


def _started(rotation: Rotation | None, cover: Covers, covering: bool, now: datetime) -> datetime:
    """When the shift on at ``now`` started."""
    on = active_cover(cover, now) if covering else None
    if on is not None:
        return on.starts
    if rotation is None or now <= rotation.anchor:
        return now if rotation is None else rotation.anchor
    step = timedelta(days=1 if rotation.kind == "daily" else 7)
    before = hand_overs(rotation, max(rotation.anchor, now - 2 * step), now)
    return before[-1] if before else rotation.anchor
