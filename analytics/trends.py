"""Dashboard figures (趋势与质效) over the stored cases, aggregated in the database.

Every figure is one ``GROUP BY`` in SQL (SQLAlchemy Core, the same statements on SQLite and
PostgreSQL); only the grouped rows come back to Python, so a window of a million cases costs
the database's scan, not a million Python objects. The median handling time too is read from
grouped counts (per unit and tenth of a day), on both databases.

Filters (``Filters``) apply to every figure: the receiving time range, a code prefix (a level-1
code such as ``01`` or deeper), a set of regions (the lead unit's region; the case's place when
no unit leads it), the lead unit, the appeal type, the channel and, for drill-downs, case numbers.

Definitions, as the dashboard explains them:
- on time: replied no later than the deadline (a case without a deadline counts as on time);
- satisfaction: the share of 非常满意 + 满意 (levels 1-2 of 5) among ratings not voided;
- bad ratings: levels 4-5 (不满意, 非常不满意) not voided;
- open rectifications: 整改 tasks still verifying, rectifying or disputed;
- handling days: from dispatch (else receipt) to the reply, calendar days; the median per unit
  (to a tenth of a day).

Ratings and rectifications are joined to the window's cases with the implied condition that they
happened after the window's start (a case is rated after it is received), so the database reads
the recent ratings through ``ix_rating_at`` instead of all of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, and_, case, false, func, literal_column, or_, select
from sqlalchemy.orm import Session

from analytics.spikes import BASELINE_DAYS, WEEKDAY_WEEKS
from hotline.tables import CaseRow, RatingRow, RectificationRow, UnitRow
from router.ratings import BAD, OPEN_TASK_STATES, SATISFIED

BUCKET_DAYS = 0.1  # the resolution of the median handling time
HISTORY_DAYS = max(BASELINE_DAYS, 7 * WEEKDAY_WEEKS)  # days before a window that spikes need

LEVEL1 = func.substr(CaseRow.code, literal_column("1"), literal_column("2"))  # no binds:
# PostgreSQL must see the same expression in SELECT and GROUP BY
REGION = func.coalesce(UnitRow.region, func.nullif(CaseRow.place, literal_column("''")))
DAY = func.date(CaseRow.received_at)
HANDLING = CaseRow.replied_at - func.coalesce(CaseRow.dispatched_at, CaseRow.received_at)
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


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def _ranked(counter: Counter) -> list[tuple]:
    return sorted(counter.items(), key=lambda r: (-r[1], r[0]))


def summary(session: Session, f: Filters) -> dict:
    """Totals and counts by level-1 code, region, appeal type, channel, day and week, and the
    last 7 days against the 7 before them per level-1 code (both ending at the window's end).

    Three grouped queries: (channel, type, region) with the reply figures, (day, level-1 code),
    and the ratings; the other counts are sums of those groups."""
    totals = Counter()
    by_channel, by_type, by_region = Counter(), Counter(), Counter()
    rows = session.execute(
        select(CaseRow.channel, CaseRow.appeal_type, REGION, func.count(),
               func.count(CaseRow.replied_at), func.sum(ON_TIME), func.sum(CaseRow.returns))
        .select_from(CaseRow).outerjoin(UnitRow, UnitRow.id == CaseRow.lead_unit_id)
        .where(*f.conditions()).group_by(CaseRow.channel, CaseRow.appeal_type, REGION)
    ).all()  # fmt: skip
    for channel, appeal_type, region, n, replied, on_time, returns in rows:
        totals.update(total=n, replied=replied, on_time=int(on_time or 0),
                      returns=int(returns or 0))  # fmt: skip
        by_channel[channel or ""] += n
        by_type[appeal_type or ""] += n
        by_region[region or ""] += n
    cells = [
        (_day(d), code or "", n)
        for d, code, n in session.execute(
            select(DAY, LEVEL1, func.count()).where(*f.conditions()).group_by(DAY, LEVEL1)
        )
    ]
    by_day, by_code, weeks = Counter(), Counter(), Counter()
    for d, code, n in cells:
        by_day[d] += n
        by_code[code] += n
        weeks[week_of(d)] += n
    rated, satisfied, bad = session.execute(
        select(
            func.count(),
            func.sum(case((RatingRow.level.in_(SATISFIED), 1), else_=0)),
            func.sum(case((RatingRow.level.in_(BAD), 1), else_=0)),
        )
        .select_from(RatingRow)
        .join(CaseRow, CaseRow.id == RatingRow.case_id)
        .where(*f.conditions(), RatingRow.voided == false(), RatingRow.at >= f.start)
    ).one()
    replied, on_time = totals["replied"], totals["on_time"]
    return {
        "total": totals["total"],
        "replied": replied,
        "on_time": on_time,
        "on_time_rate": on_time / replied if replied else None,
        "returns": totals["returns"],
        "rated": rated,
        "satisfied": int(satisfied or 0),
        "satisfaction": (satisfied or 0) / rated if rated else None,
        "bad": int(bad or 0),
        "by_code": _ranked(by_code),
        "by_region": _ranked(by_region),
        "by_type": _ranked(by_type),
        "by_channel": _ranked(by_channel),
        "by_day": sorted(by_day.items()),
        "by_week": sorted(weeks.items()),
        "week_on_week": week_on_week(session, f, cells),
    }


def week_on_week(session: Session, f: Filters, cells: list | None = None) -> list[dict]:
    """Per level-1 code: cases of the 7 days before the window's end and of the 7 before
    (from the window's (day, code) counts when it covers those 14 days)."""
    middle, first = (f.end - timedelta(days=7)).date(), (f.end - timedelta(days=14)).date()
    if cells is None or f.start.date() > first:
        wider = replace(f, start=f.end - timedelta(days=14))
        cells = [
            (_day(d), code or "", n)
            for d, code, n in session.execute(
                select(DAY, LEVEL1, func.count()).where(*wider.conditions()).group_by(DAY, LEVEL1)
            )
        ]
    now, before = Counter(), Counter()
    for d, code, n in cells:
        if d >= middle:
            now[code] += n
        elif d >= first:
            before[code] += n
    out = []
    for code in set(now) | set(before):
        change = (now[code] - before[code]) / before[code] if before[code] else None
        out.append({"code": code, "this_week": now[code], "last_week": before[code],
                    "change": change})  # fmt: skip
    return sorted(out, key=lambda r: (-r["this_week"], r["code"]))


def units(session: Session, f: Filters) -> list[dict]:
    """Per lead unit: cases, replied, on time and its rate, returns, median handling days,
    ratings, satisfaction, bad ratings and open rectifications (most cases first)."""
    where = [*f.conditions(), CaseRow.lead_unit_id.is_not(None)]
    figures: dict[str, dict] = {}
    for unit_id, counted in _unit_counts(session, where).items():
        figures[unit_id] = {"unit_id": unit_id, **counted, "rated": 0, "satisfied": 0, "bad": 0,
                            "rectifying": 0}  # fmt: skip
    rated = session.execute(
        select(
            RatingRow.unit_id,
            func.count(),
            func.sum(case((RatingRow.level.in_(SATISFIED), 1), else_=0)),
            func.sum(case((RatingRow.level.in_(BAD), 1), else_=0)),
        )
        .join(CaseRow, CaseRow.id == RatingRow.case_id)
        .where(*where, RatingRow.voided == false(), RatingRow.at >= f.start)
        .group_by(RatingRow.unit_id)
    ).all()
    for unit_id, n, good, bad in rated:
        if unit_id in figures:
            figures[unit_id].update(rated=n, satisfied=int(good or 0), bad=int(bad or 0))
    tasks = session.execute(
        select(RectificationRow.unit_id, func.count())
        .join(CaseRow, CaseRow.id == RectificationRow.case_id)
        .where(
            *where,
            RectificationRow.state.in_(OPEN_TASK_STATES),
            RectificationRow.opened_at >= f.start,
        )
        .group_by(RectificationRow.unit_id)
    ).all()
    for unit_id, n in tasks:
        if unit_id in figures:
            figures[unit_id]["rectifying"] = n
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


def _unit_counts(session: Session, where: list) -> dict[str, dict]:
    """Per unit: cases, replied, on time, returns and the median handling time of its replied
    cases, in days, to ``BUCKET_DAYS``. One scan: the database counts the cases per unit and
    tenth of a day of handling (unreplied cases in a bucket of their own), a hash aggregate that
    scales unlike an exact percentile, and the median is read from those counts."""
    if session.get_bind().dialect.name == "postgresql":
        bucket = func.floor(func.extract("epoch", HANDLING) / (86400 * BUCKET_DAYS))
    else:
        started = func.coalesce(CaseRow.dispatched_at, CaseRow.received_at)
        days = func.julianday(CaseRow.replied_at) - func.julianday(started)
        bucket = func.cast(days / BUCKET_DAYS, Integer)
    query = (
        select(CaseRow.lead_unit_id, bucket, func.count(), func.sum(ON_TIME),
               func.sum(CaseRow.returns))
        .where(*where)
        .group_by(CaseRow.lead_unit_id, bucket)
    )  # fmt: skip
    out: dict[str, dict] = {}
    buckets: dict[str, list[tuple[int, int]]] = {}
    for unit_id, b, n, on_time, returns in session.execute(query):
        row = out.setdefault(unit_id, {"cases": 0, "replied": 0, "on_time": 0, "returns": 0})
        row["cases"] += n
        row["on_time"] += int(on_time or 0)
        row["returns"] += int(returns or 0)
        if b is not None:  # replied
            row["replied"] += n
            buckets.setdefault(unit_id, []).append((int(b), n))
    for unit_id, row in out.items():
        counts = sorted(buckets.get(unit_id, []))
        total = sum(n for _, n in counts)
        middle = [(total + 1) // 2, total // 2 + 1]  # the middle one, or the middle two
        row["median_days"] = round(sum(_nth(counts, k) for k in middle) / 2, 1) if total else None
    return out


def _nth(buckets: list[tuple[int, int]], k: int) -> float:
    """The k-th smallest value (from 1) of sorted (bucket, count) pairs, at its bucket's middle."""
    seen = 0
    for b, n in buckets:
        seen += n
        if seen >= k:
            return (b + 0.5) * BUCKET_DAYS
    raise ValueError(k)


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
