"""Dashboard figures (趋势与质效) over the stored cases, aggregated in the database.

Every figure is one ``GROUP BY`` in SQL (SQLAlchemy Core, the same statements on SQLite and
PostgreSQL); only the grouped rows come back to Python, so a window of a million cases costs
the database's scan, not a million Python objects. The only exception is the median handling
time on SQLite (no ``percentile_cont``): there the replied cases' durations of the window are
read, which an embedded single-centre database keeps small.

Filters (``Filters``) apply to every figure: the receiving time range, a code prefix (a level-1
code such as ``01`` or deeper), a set of regions (the lead unit's region; the case's place when
no unit leads it), the lead unit, the appeal type, the channel and, for drill-downs, case numbers.

Definitions, as the dashboard explains them:
- on time: replied no later than the deadline (a case without a deadline counts as on time);
- satisfaction: the share of 非常满意 + 满意 (levels 1-2 of 5) among ratings not voided;
- bad ratings: levels 4-5 (不满意, 非常不满意) not voided;
- open rectifications: 整改 tasks still verifying, rectifying or disputed;
- handling days: from dispatch (else receipt) to the reply, calendar days; the median per unit.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, false, func, literal_column, or_, select
from sqlalchemy.orm import Session

from analytics.spikes import BASELINE_DAYS, WEEKDAY_WEEKS
from hotline.tables import CaseRow, RatingRow, RectificationRow, UnitRow
from router.ratings import BAD, SATISFIED

OPEN_TASKS = ("verifying", "rectifying", "disputed")
HISTORY_DAYS = max(BASELINE_DAYS, 7 * WEEKDAY_WEEKS)  # days before a window that spikes need

LEVEL1 = func.substr(CaseRow.code, literal_column("1"), literal_column("2"))  # no binds:
# PostgreSQL must see the same expression in SELECT and GROUP BY
REGION = func.coalesce(UnitRow.region, func.nullif(CaseRow.place, literal_column("''")))
DAY = func.date(CaseRow.received_at)
ON_TIME = case(
    (
        and_(
            CaseRow.replied_at.is_not(None),
            or_(CaseRow.due_at.is_(None), CaseRow.replied_at <= CaseRow.due_at),
        ),
        1,
    ),
    else_=0,
)


@dataclass(frozen=True)
class Filters:
    start: datetime  # received at or after
    end: datetime  # received before
    code: str = ""  # code prefix (digits)
    regions: tuple[str, ...] = ()  # a region and every region inside it
    unit: str = ""
    appeal_type: str = ""
    channel: str = ""
    numbers: tuple[str, ...] = ()

    def conditions(self) -> list:
        where = [CaseRow.received_at >= self.start, CaseRow.received_at < self.end]
        if self.code:
            where.append(CaseRow.code.like(f"{self.code}%"))
        if self.regions:
            led_there = select(UnitRow.id).where(UnitRow.region.in_(self.regions))
            where.append(
                or_(
                    CaseRow.lead_unit_id.in_(led_there),
                    and_(CaseRow.lead_unit_id.is_(None), CaseRow.place.in_(self.regions)),
                )
            )
        if self.unit:
            where.append(CaseRow.lead_unit_id == self.unit)
        if self.appeal_type:
            where.append(CaseRow.appeal_type == self.appeal_type)
        if self.channel:
            where.append(CaseRow.channel == self.channel)
        if self.numbers:
            where.append(CaseRow.number.in_(self.numbers))
        return where


def _day(value) -> date:
    """A ``date()`` result: a date on PostgreSQL, ``YYYY-MM-DD`` text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _counts(session: Session, key, f: Filters, *, join_unit: bool = False) -> list[tuple]:
    query = select(key, func.count()).select_from(CaseRow)
    if join_unit:
        query = query.outerjoin(UnitRow, UnitRow.id == CaseRow.lead_unit_id)
    rows = session.execute(query.where(*f.conditions()).group_by(key)).all()
    return sorted(((k if k is not None else "", n) for k, n in rows), key=lambda r: -r[1])


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def summary(session: Session, f: Filters) -> dict:
    """Totals and counts by level-1 code, region, appeal type, channel, day and week, and the
    last 7 days against the 7 before them per level-1 code (both ending at the window's end)."""
    total, replied, on_time, returns = session.execute(
        select(func.count(), func.count(CaseRow.replied_at), func.sum(ON_TIME),
               func.sum(CaseRow.returns)).where(*f.conditions())
    ).one()  # fmt: skip
    rated, satisfied, bad = session.execute(
        select(
            func.count(),
            func.sum(case((RatingRow.level.in_(SATISFIED), 1), else_=0)),
            func.sum(case((RatingRow.level.in_(BAD), 1), else_=0)),
        )
        .select_from(RatingRow)
        .join(CaseRow, CaseRow.id == RatingRow.case_id)
        .where(*f.conditions(), RatingRow.voided == false())
    ).one()
    by_day = sorted((_day(d), n) for d, n in _counts(session, DAY, f))
    weeks: Counter = Counter()
    for d, n in by_day:
        weeks[week_of(d)] += n
    return {
        "total": total,
        "replied": replied,
        "on_time": int(on_time or 0),
        "on_time_rate": (on_time or 0) / replied if replied else None,
        "returns": int(returns or 0),
        "rated": rated,
        "satisfied": int(satisfied or 0),
        "satisfaction": (satisfied or 0) / rated if rated else None,
        "bad": int(bad or 0),
        "by_code": _counts(session, LEVEL1, f),
        "by_region": _counts(session, REGION, f, join_unit=True),
        "by_type": _counts(session, CaseRow.appeal_type, f),
        "by_channel": _counts(session, CaseRow.channel, f),
        "by_day": by_day,
        "by_week": sorted(weeks.items()),
        "week_on_week": week_on_week(session, f),
    }


def week_on_week(session: Session, f: Filters) -> list[dict]:
    """Per level-1 code: cases of the 7 days before the window's end and of the 7 before."""
    middle = f.end - timedelta(days=7)
    this_week = case((CaseRow.received_at >= middle, 1), else_=0)
    window = replace(f, start=f.end - timedelta(days=14))
    rows = session.execute(
        select(LEVEL1, func.sum(this_week), func.count())
        .where(*window.conditions())
        .group_by(LEVEL1)
    ).all()
    out = []
    for code, now, both in rows:
        now, before = int(now or 0), both - int(now or 0)
        change = (now - before) / before if before else None
        out.append({"code": code or "", "this_week": now, "last_week": before, "change": change})
    return sorted(out, key=lambda r: (-r["this_week"], r["code"]))


def units(session: Session, f: Filters) -> list[dict]:
    """Per lead unit: cases, replied, on time and its rate, returns, median handling days,
    ratings, satisfaction, bad ratings and open rectifications (most cases first)."""
    where = [*f.conditions(), CaseRow.lead_unit_id.is_not(None)]
    figures: dict[str, dict] = {}
    rows = session.execute(
        select(CaseRow.lead_unit_id, func.count(), func.count(CaseRow.replied_at),
               func.sum(ON_TIME), func.sum(CaseRow.returns))
        .where(*where).group_by(CaseRow.lead_unit_id)
    ).all()  # fmt: skip
    for unit_id, cases, replied, on_time, returns in rows:
        figures[unit_id] = {
            "unit_id": unit_id, "cases": cases, "replied": replied, "on_time": int(on_time or 0),
            "returns": int(returns or 0), "rated": 0, "satisfied": 0, "bad": 0,
            "rectifying": 0, "median_days": None,
        }  # fmt: skip
    rated = session.execute(
        select(
            RatingRow.unit_id,
            func.count(),
            func.sum(case((RatingRow.level.in_(SATISFIED), 1), else_=0)),
            func.sum(case((RatingRow.level.in_(BAD), 1), else_=0)),
        )
        .join(CaseRow, CaseRow.id == RatingRow.case_id)
        .where(*where, RatingRow.voided == false())
        .group_by(RatingRow.unit_id)
    ).all()
    for unit_id, n, good, bad in rated:
        if unit_id in figures:
            figures[unit_id].update(rated=n, satisfied=int(good or 0), bad=int(bad or 0))
    tasks = session.execute(
        select(RectificationRow.unit_id, func.count())
        .join(CaseRow, CaseRow.id == RectificationRow.case_id)
        .where(*where, RectificationRow.state.in_(OPEN_TASKS))
        .group_by(RectificationRow.unit_id)
    ).all()
    for unit_id, n in tasks:
        if unit_id in figures:
            figures[unit_id]["rectifying"] = n
    for unit_id, days in _median_days(session, where).items():
        if unit_id in figures:
            figures[unit_id]["median_days"] = round(days, 1)
    names = {
        r.id: r
        for r in session.execute(
            select(UnitRow.id, UnitRow.name, UnitRow.region, UnitRow.kind).where(
                UnitRow.id.in_(list(figures))
            )
        )
    }
    for unit_id, row in figures.items():
        unit = names.get(unit_id)
        row["unit"] = unit.name if unit else unit_id
        row["region"] = unit.region if unit else ""
        row["kind"] = unit.kind if unit else ""
        row["on_time_rate"] = row["on_time"] / row["replied"] if row["replied"] else None
        row["satisfaction"] = row["satisfied"] / row["rated"] if row["rated"] else None
    return sorted(figures.values(), key=lambda r: (-r["cases"], r["unit_id"]))


def _median_days(session: Session, where: list) -> dict[str, float]:
    started = func.coalesce(CaseRow.dispatched_at, CaseRow.received_at)
    where = [*where, CaseRow.replied_at.is_not(None)]
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", CaseRow.replied_at - started)
        rows = session.execute(
            select(CaseRow.lead_unit_id, func.percentile_cont(0.5).within_group(seconds))
            .where(*where)
            .group_by(CaseRow.lead_unit_id)
        ).all()
        return {u: float(s) / 86400 for u, s in rows if s is not None}
    spans: dict[str, list[float]] = {}
    days = func.julianday(CaseRow.replied_at) - func.julianday(started)
    for unit_id, d in session.execute(select(CaseRow.lead_unit_id, days).where(*where)):
        spans.setdefault(unit_id, []).append(float(d))
    return {u: statistics.median(v) for u, v in spans.items()}


def daily(session: Session, f: Filters, key: str) -> dict[str, Counter]:
    """Per level-1 code (``key="code"``) or region (``"region"``), cases per day of the window
    and of the ``HISTORY_DAYS`` before it (what spike detection compares with)."""
    column = LEVEL1 if key == "code" else REGION
    wider = replace(f, start=f.start - timedelta(days=HISTORY_DAYS))
    query = select(column, DAY, func.count()).select_from(CaseRow)
    if key != "code":
        query = query.outerjoin(UnitRow, UnitRow.id == CaseRow.lead_unit_id)
    out: dict[str, Counter] = {}
    for k, d, n in session.execute(query.where(*wider.conditions()).group_by(column, DAY)):
        out.setdefault(k or "", Counter())[_day(d)] += n
    return out


CASE_COLUMNS = (
    CaseRow.number,
    CaseRow.received_at,
    CaseRow.channel,
    CaseRow.appeal_type,
    CaseRow.code,
    REGION.label("region"),
    CaseRow.lead_unit_id,
    UnitRow.name.label("lead_unit"),
    CaseRow.state,
    CaseRow.due_at,
    CaseRow.replied_at,
    CaseRow.returns,
    CaseRow.title,
    CaseRow.body,
)


def _case_query(f: Filters):
    return (
        select(*CASE_COLUMNS)
        .select_from(CaseRow)
        .outerjoin(UnitRow, UnitRow.id == CaseRow.lead_unit_id)
        .where(*f.conditions())
        .order_by(CaseRow.received_at.desc(), CaseRow.id.desc())
    )


def count(session: Session, f: Filters) -> int:
    return session.scalar(select(func.count()).select_from(CaseRow).where(*f.conditions()))


def case_page(session: Session, f: Filters, page: int, size: int) -> tuple[int, list]:
    """The cases of the filters, newest first: (total, rows of ``CASE_COLUMNS``)."""
    rows = session.execute(_case_query(f).limit(size).offset((page - 1) * size)).all()
    return count(session, f), rows


def iter_cases(session: Session, f: Filters, limit: int) -> Iterator:
    """At most ``limit`` cases of the filters, newest first, fetched in batches."""
    query = _case_query(f).limit(limit).execution_options(yield_per=2000)
    yield from session.execute(query)
