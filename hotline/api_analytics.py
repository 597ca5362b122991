"""The analyst dashboard's API (统计分析): trends, unit performance, hot topics, spikes, the
drill-down case list and exports. Every figure comes from ``analytics.trends`` (grouped in the
database); case texts leave masked (``mask_pii``) and no caller name or phone ever leaves.

Filters shared by every endpoint (query parameters): ``start``/``end`` (days, both included;
default the 30 days up to today), ``code`` (a code prefix, e.g. a level-1 code ``01``),
``region`` (a district or street of the directory, with everything inside it; or a place),
``unit`` (lead unit id), ``type`` (appeal type), ``channel``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from analytics import snapshots, trends
from analytics.spikes import detect
from classifier import mask_pii
from hotline.api_cases import services_of
from hotline.auth import require
from hotline.services import Services
from hotline.tables import UserRow
from hotline.topic_figures import KEPT, topic_figures
from router.cases import CHANNELS
from router.directory import Directory
from router.lifecycle import STATES

api = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
ROLES = ("analyst", "supervisor", "admin")
DEFAULT_DAYS = 30
MAX_DAYS = 366
EXPORT_LIMIT = 100_000
CHANNEL_NAMES = {"phone": "电话", "chat": "在线咨询", "web": "网站", "open311": "Open311"}
UNASSIGNED = "未派单"
allowed = require(*ROLES)


@lru_cache(maxsize=4)
def _directory(folder) -> Directory:
    return Directory.load(folder) if folder else Directory.demo()


def directory_of(services: Services) -> Directory:
    return _directory(services.settings.directory_dir)


def area_of(directory: Directory, region: str) -> str:
    """The district (县区) a region belongs to; city-level and unknown regions stay as they are."""
    return directory.district_of(region) or region


def regions_in(directory: Directory, region: str) -> tuple[str, ...]:
    """``region`` and every region of the directory inside it."""
    inside = {r for r in directory.regions if region in directory.area_of(r)}
    return tuple(sorted(inside | {region}))


class Window(BaseModel):
    start: date
    end: date
    code: str
    region: str
    unit: str
    type: str
    channel: str


def window(
    request: Request,
    start: date | None = Query(None, description="first day (default: 29 days before end)"),
    end: date | None = Query(None, description="last day, included (default: today)"),
    code: str = Query("", max_length=12, pattern=r"^\d*$", description="code prefix, e.g. 01"),
    region: str = Query("", max_length=64),
    unit: str = Query("", max_length=32),
    type: str = Query("", max_length=16),
    channel: str = Query("", max_length=16),
) -> tuple[Window, trends.Filters]:
    services = services_of(request)
    end = end or services.now().date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise HTTPException(400, f"起始日期 {start} 晚于结束日期 {end}")
    if (end - start).days + 1 > MAX_DAYS:
        raise HTTPException(400, f"时间范围最长 {MAX_DAYS} 天")
    if channel and channel not in CHANNELS:
        raise HTTPException(400, f"未知渠道 {channel}（可选 {'、'.join(CHANNELS)}）")
    regions = regions_in(directory_of(services), region) if region else ()
    filters = trends.Filters(
        start=datetime.combine(start, time()),
        end=datetime.combine(end + timedelta(days=1), time()),
        code=code,
        regions=regions,
        unit=unit,
        appeal_type=type,
        channel=channel,
    )
    shown = Window(start=start, end=end, code=code, region=region, unit=unit, type=type,
                   channel=channel)  # fmt: skip
    return shown, filters


def _code_name(services: Services, code: str) -> str:
    if not code:
        return "未分类"
    return services.codes[code].name if code in services.codes else code


def _keyed(rows, name) -> list[dict]:
    return [{"key": k, "name": name(k), "count": n} for k, n in rows]


@api.get("/summary")
def summary(request: Request, w=Depends(window), user: UserRow = Depends(allowed)) -> dict:
    """Totals, counts by level-1 code, district, appeal type, channel, day and week, and week on
    week per level-1 code, for the filters."""
    services = services_of(request)
    shown, filters = w
    directory = directory_of(services)
    with services.session() as session:
        figures, as_of = snapshots.figures(session, "summary", filters, services.now())
        if figures is None:
            figures = trends.summary(session, filters)
    regions: dict[str, int] = {}
    for key, n in figures["by_region"]:
        area = area_of(directory, key) if key else UNASSIGNED
        regions[area] = regions.get(area, 0) + n
    by_region = sorted(regions.items(), key=lambda r: -r[1])
    return {
        "window": shown.model_dump(),
        "as_of": as_of,  # when the figures come from the timers' snapshot of a long window
        **{k: figures[k] for k in ("total", "replied", "on_time", "on_time_rate", "returns",
                                   "rated", "satisfied", "satisfaction", "bad")},
        "by_code": _keyed(figures["by_code"], lambda k: _code_name(services, k)),
        "by_region": _keyed(by_region, lambda k: f"{k}（市级）" if k == directory.city() else k),
        "by_type": _keyed(figures["by_type"], lambda k: k or "未标注"),
        "by_channel": _keyed(figures["by_channel"], lambda k: CHANNEL_NAMES.get(k, k)),
        "by_day": [{"day": d, "count": n} for d, n in figures["by_day"]],
        "by_week": [{"week": d, "count": n} for d, n in figures["by_week"]],
        "week_on_week": [
            {**r, "name": _code_name(services, r["code"])} for r in figures["week_on_week"]
        ],
    }  # fmt: skip


@api.get("/units")
def units(
    request: Request, response: Response, w=Depends(window), user: UserRow = Depends(allowed)
) -> list[dict]:
    """Per lead unit: cases, replied, on-time rate, returns, median handling days, satisfaction,
    bad ratings, open rectifications. From the timers' snapshot for the long windows, with its
    time in the ``X-Figures-As-Of`` header."""
    services = services_of(request)
    with services.session() as session:
        figures, as_of = snapshots.figures(session, "units", w[1], services.now())
        if figures is None:
            figures = trends.units(session, w[1])
    if as_of is not None:
        response.headers["X-Figures-As-Of"] = as_of.isoformat(timespec="seconds")
    return figures


@api.get("/topics")
def topics(
    request: Request,
    w=Depends(window),
    top: int = Query(10, ge=1, le=KEPT),
    user: UserRow = Depends(allowed),
) -> dict:
    """Hot topics (热点问题) among the newest 100,000 cases of the window, hottest first
    (``hotline.topic_figures``); 近7天 and 近30天 without filters from the timers' snapshot."""
    services = services_of(request)
    shown, filters = w
    with services.session() as session:
        figures, as_of = snapshots.figures(session, "topics", filters, services.now())
    if figures is None:
        figures = topic_figures(services, filters, top)
    return {"window": shown.model_dump(), "as_of": as_of,
            **figures, "topics": figures["topics"][:top]}  # fmt: skip


@api.get("/spikes")
def spikes(request: Request, w=Depends(window), user: UserRow = Depends(allowed)) -> dict:
    """Days of the window on which a level-1 code's or a district's cases rose well above their
    usual level, with the reason in words (strongest first)."""
    services = services_of(request)
    shown, filters = w
    directory = directory_of(services)
    with services.session() as session:
        by_code = trends.daily(session, filters, "code")
        by_region = trends.daily(session, filters, "region")
    areas: dict[str, dict] = {}
    for key, counts in by_region.items():
        area = area_of(directory, key) if key else UNASSIGNED
        areas.setdefault(area, {}).update(
            {d: areas.get(area, {}).get(d, 0) + n for d, n in counts.items()}
        )
    first, last = filters.start.date(), filters.end.date() - timedelta(days=1)

    def found(groups: dict, label) -> list[dict]:
        out = []
        for key, counts in groups.items():
            for s in detect(Counter(counts), label(key), first, last):
                out.append({"key": key, "name": s.key, "day": s.day, "count": s.count,
                            "expected": s.expected, "score": s.score,
                            "reason": s.reason})  # fmt: skip
        return sorted(out, key=lambda s: -s["score"])

    def code_label(k: str) -> str:
        return f"{_code_name(services, k)}（{k}）" if k else "未分类"

    return {
        "window": shown.model_dump(),
        "codes": found(by_code, code_label),
        "regions": found({k: v for k, v in areas.items() if k != UNASSIGNED}, lambda k: k),
    }


@api.get("/cases")
def drill_down(
    request: Request,
    w=Depends(window),
    numbers: str = Query("", max_length=5000, description="case numbers, comma-separated"),
    page: int = Query(1, ge=1, le=10_000),
    size: int = Query(20, ge=1, le=100),
    user: UserRow = Depends(allowed),
) -> dict:
    """The cases behind a figure, newest first: texts masked, no caller name or phone."""
    services = services_of(request)
    shown, filters = w
    if numbers:
        wanted = tuple(n.strip() for n in numbers.split(",") if n.strip())[:200]
        filters = trends.Filters(**{**filters.__dict__, "numbers": wanted})
    with services.session() as session:
        total, rows = trends.case_page(session, filters, page, size)
    return {
        "window": shown.model_dump(),
        "total": total,
        "page": page,
        "size": size,
        "items": [_row_out(services, r) for r in rows],
    }


def _row_out(services: Services, r) -> dict:
    return {
        "number": r.number,
        "received_at": r.received_at,
        "channel": r.channel,
        "channel_name": CHANNEL_NAMES.get(r.channel, r.channel),
        "appeal_type": r.appeal_type,
        "code": r.code,
        "code_name": _code_name(services, r.code) if r.code else "",
        "region": r.region or "",
        "lead_unit_id": r.lead_unit_id,
        "lead_unit": r.lead_unit or "",
        "state": r.state,
        "state_label": STATES.get(r.state, r.state),
        "due_at": r.due_at,
        "replied_at": r.replied_at,
        "on_time": None if r.replied_at is None else (r.due_at is None or r.replied_at <= r.due_at),
        "returns": r.returns,
        "title": mask_pii(r.title),
        "body": mask_pii(r.body),
    }


# -- exports --------------------------------------------------------------------------------------
COLUMNS = [
    ("number", "工单号"), ("received_at", "受理时间"), ("channel_name", "渠道"),
    ("appeal_type", "诉求类型"), ("code", "分类代码"), ("code_name", "分类名称"),
    ("region", "区域"), ("lead_unit", "承办单位"), ("state_label", "状态"),
    ("due_at", "办理时限"), ("replied_at", "答复时间"), ("on_time", "按时答复"),
    ("returns", "退回次数"), ("title", "标题（已脱敏）"), ("body", "诉求内容（已脱敏）"),
]  # fmt: skip


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def _export_rows(services: Services, filters: trends.Filters) -> Iterator[list]:
    with services.session() as session:
        for r in trends.iter_cases(session, filters, EXPORT_LIMIT):
            out = _row_out(services, r)
            yield [_cell(out[k]) for k, _ in COLUMNS]


def _export_headers(services, shown: Window, filters, suffix: str) -> dict[str, str]:
    with services.session() as session:
        total = trends.count(session, filters)
    name = f"cases_{shown.start}_{shown.end}.{suffix}"
    return {
        "Content-Disposition": f"attachment; filename={name}; filename*=UTF-8''{quote(name)}",
        "X-Export-Total": str(total),
        "X-Export-Rows": str(min(total, EXPORT_LIMIT)),
        "X-Export-Limit": str(EXPORT_LIMIT),
        "X-Export-Truncated": "true" if total > EXPORT_LIMIT else "false",
    }


@api.get("/export.csv")
def export_csv(request: Request, w=Depends(window), user: UserRow = Depends(allowed)):
    """The filtered cases as CSV (UTF-8 with BOM for Excel), newest first, at most 100,000 rows
    (``X-Export-Truncated`` says when more matched); texts masked, no caller fields."""
    services = services_of(request)
    shown, filters = w
    headers = _export_headers(services, shown, filters, "csv")

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow([title for _, title in COLUMNS])
        for i, row in enumerate(_export_rows(services, filters), 1):
            writer.writerow(row)
            if i % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


@api.get("/export.xlsx")
def export_xlsx(request: Request, w=Depends(window), user: UserRow = Depends(allowed)):
    """The filtered cases as an Excel workbook, same rows and limit as the CSV export."""
    from openpyxl import Workbook

    services = services_of(request)
    shown, filters = w
    headers = _export_headers(services, shown, filters, "xlsx")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append([title for _, title in COLUMNS])
    for row in _export_rows(services, filters):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return StreamingResponse(data, media_type=kind, headers=headers)
