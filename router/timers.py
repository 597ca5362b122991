"""Timers: reminders before the due time, escalation (督办) of overdue cases and rectifications,
and the default rating after N days of silence.

Several server workers call ``run_timers`` every minute. A lease row in the database, taken by
one conditional UPDATE, lets only one of them run at a time; and each case is changed in its own
transaction under its version, so even a worker that lost its lease mid-run cannot remind or
escalate a case twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update

from hotline.db import session_scope
from hotline.tables import CaseRow, RatingRow, RectificationRow, TimerLease
from router.cases import SYSTEM, CaseDesk
from router.lifecycle import WITH_UNIT, CaseError
from router.ratings import RatingPolicy, current_rating, default_rating_due, rate

LEASE = timedelta(minutes=2)
log = logging.getLogger(__name__)


@dataclass
class TimerRun:
    reminded: int = 0
    escalated: int = 0
    rectifications_escalated: int = 0
    default_ratings: int = 0


def take_lease(engine: Engine, holder: str, now: datetime) -> bool:
    with engine.begin() as conn:
        taken = conn.execute(
            update(TimerLease)
            .where(
                TimerLease.name == "timers",
                or_(TimerLease.until < now, TimerLease.holder == holder),
            )
            .values(holder=holder, until=now + LEASE)
        )
        return taken.rowcount == 1


def release_lease(engine: Engine, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(TimerLease)
            .where(TimerLease.name == "timers", TimerLease.holder == holder)
            .values(until=datetime(2000, 1, 1))
        )


def run_timers(
    engine: Engine,
    holder: str,
    desk_options: dict | None = None,
    rating_policy: RatingPolicy = RatingPolicy(),
) -> TimerRun | None:
    """One pass over every timer; None when another worker holds the lease."""
    options = desk_options or {}
    with session_scope(engine) as session:
        now = CaseDesk(session, **options).clock()
    if not take_lease(engine, holder, now):
        return None
    run = TimerRun()
    try:
        due = {
            "remind": select(CaseRow.number).where(
                CaseRow.state.in_(("dispatched", "accepted", "in_progress")),
                CaseRow.remind_at <= now,
                CaseRow.reminded_at.is_(None),
                CaseRow.due_at > now,
            ),
            "escalate": select(CaseRow.number).where(
                CaseRow.state.in_(WITH_UNIT), CaseRow.due_at <= now, CaseRow.escalated_at.is_(None)
            ),
        }
        for kind, query in due.items():
            for number in _numbers(engine, query):
                if _one(engine, options, lambda d, n=number, k=kind: _act(d, k, n)):
                    run.reminded += kind == "remind"
                    run.escalated += kind == "escalate"
        late = (
            select(CaseRow.number)
            .join(RectificationRow, RectificationRow.case_id == CaseRow.id)
            .where(
                RectificationRow.state == "rectifying",
                RectificationRow.due_at <= now,
                CaseRow.state != "replied",
                CaseRow.escalated_at.is_(None),
            )
        )
        for number in _numbers(engine, late):
            if _one(engine, options, lambda d, n=number: _escalate_rectification(d, n)):
                run.rectifications_escalated += 1
        silent = (
            select(CaseRow.number)
            .outerjoin(
                RatingRow, (RatingRow.case_id == CaseRow.id) & (RatingRow.round == CaseRow.round)
            )
            .where(
                CaseRow.state.in_(("replied", "followed_up", "closed")),
                RatingRow.id.is_(None),
                CaseRow.replied_at <= now - timedelta(days=rating_policy.default_after_days),
            )
        )
        for number in _numbers(engine, silent):
            if _one(engine, options, lambda d, n=number: _default_rating(d, n, rating_policy)):
                run.default_ratings += 1
    finally:
        release_lease(engine, holder)
    return run


def _numbers(engine: Engine, query) -> list[str]:
    with session_scope(engine) as session:
        return list(session.scalars(query))


# Each action checks its condition again inside its own transaction: the list was read earlier.
def _act(desk: CaseDesk, kind: str, number: str) -> bool:
    case = desk.get(number)
    if kind == "remind" and case.reminded_at is None:
        desk.remind(number)
        return True
    if kind == "escalate" and case.escalated_at is None:
        desk.escalate(SYSTEM, number)
        return True
    return False


def _escalate_rectification(desk: CaseDesk, number: str) -> bool:
    if desk.get(number).escalated_at is not None:
        return False
    desk.escalate(SYSTEM, number, "整改超期未答复")
    return True


def _default_rating(desk: CaseDesk, number: str, policy: RatingPolicy) -> bool:
    case = desk.get(number)
    if current_rating(desk, case) is None and default_rating_due(case, desk.clock(), policy):
        rate(
            desk,
            SYSTEM,
            number,
            policy.default_level,
            f"{policy.default_after_days} 天未评价，默认",
            policy,
        )
        return True
    return False


def _one(engine: Engine, options: dict, action) -> bool:
    """Run one case's timer in its own transaction; a case someone changed meanwhile is left
    for the next pass."""
    try:
        with session_scope(engine) as session:
            return action(CaseDesk(session, **options))
    except CaseError as exc:
        log.info("timer skipped: %s", exc)
        return False
