"""Snapshots of the dashboard's standard windows, computed by the timers.

Two kinds of figure are slow to compute when asked:
- the figures of a long window (近90天, 近一年): about 0.7 s (summary) and 1.3 s (unit table)
  on a million cases in PostgreSQL, against 0.2 s for 30 days;
- hot topics (近7天, 近30天, the briefing's windows): about 30 s for 100,000 appeals.
The timers compute those windows without filters every ``refresh`` of their kind and store them;
a request for exactly such a window (ending today, no filter but time) gets the stored figures
while they are younger than three refreshes, and is told when they were computed (``as_of``).
Any other window, or a snapshot that is too old, is computed when asked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from fastapi.encoders import jsonable_encoder
from sqlalchemy import delete
from sqlalchemy.orm import Session

from analytics import trends
from hotline.tables import SnapshotRow


@dataclass(frozen=True)
class Kind:
    days: tuple[int, ...]  # the windows kept: this many days up to today
    refresh: timedelta

    @property
    def max_age(self) -> timedelta:  # a missed refresh or two is fine; a stopped timer is not
        return 3 * self.refresh


SQL_FIGURES = {"summary": trends.summary, "units": trends.units}  # topics need the encoder too
KINDS = {
    "summary": Kind((90, 365), timedelta(minutes=5)),
    "units": Kind((90, 365), timedelta(minutes=5)),
    "topics": Kind((7, 30), timedelta(minutes=15)),
}


def window(days: int, today: date) -> trends.Filters:
    """The ``days`` days up to and including ``today``, without other filters."""
    end = datetime.combine(today + timedelta(days=1), time())
    return trends.Filters(start=end - timedelta(days=days), end=end)


def _name(kind: str, f: trends.Filters, today: date) -> str | None:
    """The snapshot that answers ``f``, if one does."""
    for days in KINDS[kind].days:
        if f == window(days, today):
            return f"{kind}:{days}:{today}"
    return None


def due(session: Session, now: datetime) -> list[tuple[str, trends.Filters]]:
    """The (kind, window) snapshots older than their kind's refresh, or missing."""
    out = []
    for kind, spec in KINDS.items():
        for days in spec.days:
            f = window(days, now.date())
            row = session.get(SnapshotRow, _name(kind, f, now.date()))
            if row is None or now - row.as_of >= spec.refresh:
                out.append((kind, f))
    return out


def store(session: Session, kind: str, f: trends.Filters, now: datetime, figures: object) -> None:
    """Keep ``figures`` as the snapshot of (kind, f) computed at ``now``; drop those of earlier
    days."""
    session.execute(delete(SnapshotRow).where(SnapshotRow.as_of < now - timedelta(days=1)))
    name = _name(kind, f, now.date())
    body = json.dumps(jsonable_encoder(figures), ensure_ascii=False)
    row = session.get(SnapshotRow, name)
    if row is None:
        session.add(SnapshotRow(name=name, as_of=now, body=body))
    else:
        row.as_of, row.body = now, body


def figures(session: Session, kind: str, f: trends.Filters, now: datetime) -> tuple:
    """(figures, as_of) of the snapshot answering ``f`` while it is fresh, else (None, None)."""
    name = _name(kind, f, now.date())
    row = session.get(SnapshotRow, name) if name else None
    if row is None or now - row.as_of > KINDS[kind].max_age:
        return None, None
    return json.loads(row.body), row.as_of
