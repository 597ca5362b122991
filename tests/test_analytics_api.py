"""The analyst dashboard's API on the demo cases: figures equal direct counts, filters narrow
them, the unit table matches a hand computation, exports hold no personal data."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from analytics import snapshots
from analytics.trends import LEVEL1
from classifier import find_pii
from hotline import topic_figures
from hotline.db import session_scope
from hotline.demo import seed_cases
from hotline.tables import CaseRow, RatingRow, SnapshotRow
from router.cases import local_now
from tests.test_api import app, client  # noqa: F401  (the app fixture)


@pytest.fixture
def seeded(app):  # noqa: F811
    with session_scope(app.state.engine) as s:
        seed_cases(s, local_now(), {"clock": local_now})
    return app


def _window(days: int = 365) -> dict:
    today = local_now().date()
    return {"start": str(today - timedelta(days=days - 1)), "end": str(today)}


def test_summary_counts_equal_direct_counts_and_filters_narrow_them(seeded):
    c = client(seeded, "analyst01")
    w = _window()
    start = local_now().replace(hour=0, minute=0, second=0) - timedelta(days=364)
    with session_scope(seeded.state.engine) as s:
        total = s.scalar(select(func.count()).where(CaseRow.received_at >= start))
        by_code = dict(s.execute(select(LEVEL1, func.count())
                                 .where(CaseRow.received_at >= start)
                                 .group_by(LEVEL1)).all())  # fmt: skip
        by_channel = dict(s.execute(select(CaseRow.channel, func.count())
                                    .where(CaseRow.received_at >= start)
                                    .group_by(CaseRow.channel)).all())  # fmt: skip
    r = c.get("/api/v1/analytics/summary", params=w)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["total"] == total > 200
    assert {x["key"]: x["count"] for x in data["by_code"]} == by_code
    assert {x["key"]: x["count"] for x in data["by_channel"]} == by_channel
    assert sum(x["count"] for x in data["by_day"]) == total
    assert sum(x["count"] for x in data["by_week"]) == total
    assert sum(x["count"] for x in data["by_region"]) == total
    assert next(x["name"] for x in data["by_code"] if x["key"] == "01") == "城乡建设"
    # a level-1 code
    one = c.get("/api/v1/analytics/summary", params={**w, "code": "01"}).json()
    assert one["total"] == by_code["01"]
    assert [x["key"] for x in one["by_code"]] == ["01"]
    # a channel
    chat = c.get("/api/v1/analytics/summary", params={**w, "channel": "chat"}).json()
    assert chat["total"] == by_channel["chat"]
    # a district: its own bureaus and the street offices inside it
    district = c.get("/api/v1/analytics/summary", params={**w, "region": "东湖区"}).json()
    assert 0 < district["total"] < total
    assert [x["key"] for x in district["by_region"]] == ["东湖区"]
    assert district["total"] == next(x["count"] for x in data["by_region"] if x["key"] == "东湖区")
    # a unit; and a window that holds nothing
    unit = c.get("/api/v1/analytics/summary", params={**w, "unit": "D-DH-ZJ"}).json()
    assert 0 < unit["total"] < total
    old = c.get("/api/v1/analytics/summary", params={"start": "2001-01-01", "end": "2001-01-31"})
    assert old.json()["total"] == 0 and old.json()["by_day"] == []


def test_bad_filters_are_refused(seeded):
    c = client(seeded, "analyst01")
    for params in (
        {"start": "2026-03-01", "end": "2026-02-01"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"code": "abc"},
        {"channel": "fax"},
        {"start": "not-a-day"},
    ):
        r = c.get("/api/v1/analytics/summary", params=params)
        assert 400 <= r.status_code < 500, (params, r.status_code)
        assert r.json()["detail"]
    assert client(seeded, "agent01").get("/api/v1/analytics/summary").status_code == 403


def test_unit_table_matches_a_hand_computation(seeded):
    c = client(seeded, "analyst01")
    rows = c.get("/api/v1/analytics/units", params=_window()).json()
    assert rows and rows == sorted(rows, key=lambda r: -r["cases"])
    with session_scope(seeded.state.engine) as s:
        for row in rows[:4]:
            cases = list(s.scalars(select(CaseRow).where(CaseRow.lead_unit_id == row["unit_id"])))
            replied = [x for x in cases if x.replied_at]
            on_time = [x for x in replied if x.due_at is None or x.replied_at <= x.due_at]
            ratings = list(s.scalars(select(RatingRow).where(
                RatingRow.case_id.in_([x.id for x in cases]), RatingRow.voided.is_(False),
                RatingRow.unit_id == row["unit_id"])))  # fmt: skip
            good = [x for x in ratings if x.level in (1, 2)]
            assert row["cases"] == len(cases)
            assert row["replied"] == len(replied)
            assert row["on_time_rate"] == (pytest.approx(len(on_time) / len(replied))
                                           if replied else None)  # fmt: skip
            assert row["rated"] == len(ratings)
            assert row["satisfaction"] == (pytest.approx(len(good) / len(ratings))
                                           if ratings else None)  # fmt: skip
            assert row["bad"] == sum(x.level in (4, 5) for x in ratings)
            if replied:
                days = [((x.replied_at - (x.dispatched_at or x.received_at)).total_seconds()
                         / 86400) for x in replied]  # fmt: skip
                # to a tenth of a day, rounded for display
                assert row["median_days"] == pytest.approx(statistics.median(days), abs=0.1)
            assert row["unit"] and row["region"]


def test_drill_down_is_masked_and_paginated(seeded):
    c = client(seeded, "analyst01")
    w = _window()
    first = c.get("/api/v1/analytics/cases", params={**w, "code": "01", "size": 10}).json()
    second = c.get("/api/v1/analytics/cases",
                   params={**w, "code": "01", "size": 10, "page": 2}).json()  # fmt: skip
    assert first["total"] == second["total"] > 10
    assert len(first["items"]) == 10
    assert not {x["number"] for x in first["items"]} & {x["number"] for x in second["items"]}
    assert all(x["code"].startswith("01") for x in first["items"])
    for item in first["items"]:
        assert "caller_name" not in item and "caller_phone" not in item
        assert not find_pii(item["title"] + item["body"])
    numbers = [x["number"] for x in first["items"][:3]]
    picked = c.get("/api/v1/analytics/cases", params={**w, "numbers": ",".join(numbers)}).json()
    assert sorted(x["number"] for x in picked["items"]) == sorted(numbers)


def test_exports_open_and_hold_no_personal_data(seeded):
    c = client(seeded, "lead01")
    w = _window()
    with session_scope(seeded.state.engine) as s:
        phones = [p for p in s.scalars(select(CaseRow.caller_phone)) if p]
        names = [n for n in s.scalars(select(CaseRow.caller_name)) if n]
        total = s.scalar(select(func.count()).select_from(CaseRow))
    assert phones and names
    r = c.get("/api/v1/analytics/export.csv", params=w)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-export-rows"] == str(total) and r.headers["x-export-truncated"] == "false"
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "工单号" and len(rows) == total + 1
    assert all(len(row) == len(rows[0]) for row in rows)
    r = c.get("/api/v1/analytics/export.xlsx", params={**w, "code": "01"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    cells = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert cells[0][0] == "工单号" and len(cells) - 1 == int(r.headers["x-export-rows"]) > 0
    assert all(row[4].startswith("01") for row in cells[1:])
    for table in (rows, cells):
        blob = "\n".join(",".join(row) for row in table)
        assert not [p for p in phones if p in blob]
        assert not [n for n in names if n in blob]
        texts = " ".join(" ".join(row[1:]) for row in table)  # case numbers look like cards
        assert not [x for x in find_pii(texts) if x.kind != "bank_card"]


def test_topics_and_spikes(seeded):
    c = client(seeded, "analyst01")
    w = _window(90)
    data = c.get("/api/v1/analytics/topics", params=w).json()
    assert data["cases"] > 0 and data["topics"] and data["unindexed"] == 0
    first = data["topics"][0]
    assert first["rank"] == 1 and first["count"] >= 2 and len(first["numbers"]) == first["count"]
    assert not find_pii(first["description"] + "".join(first["examples"]))
    spikes = c.get("/api/v1/analytics/spikes", params=w).json()
    assert set(spikes) == {"window", "codes", "regions"}
    for s in spikes["codes"] + spikes["regions"]:
        assert s["count"] >= 5 and "平时约" in s["reason"]


def test_topics_encode_a_bounded_number_of_new_cases_and_count_the_rest(seeded, monkeypatch):
    """Cases the timers have not encoded yet: a call encodes the newest ``ENCODE_NOW`` of them
    and stores their vectors, so the next call covers more; the rest are counted, not lost."""
    monkeypatch.setattr(topic_figures, "ENCODE_NOW", 40)
    c = client(seeded, "analyst01")
    w = _window(365)
    first = c.get("/api/v1/analytics/topics", params=w).json()
    total = first["cases"] + first["unindexed"]
    assert first["cases"] == 40 and total > 200
    second = c.get("/api/v1/analytics/topics", params=w).json()
    assert second["cases"] == 80 and second["unindexed"] == total - 80


def test_long_windows_come_from_the_timers_snapshot_with_the_same_figures(seeded):
    """近一年 and 近30天's hot topics without filters are computed by the timers and served from
    their snapshot, equal to the live figures; a filtered or stale window is computed live."""
    c = client(seeded, "analyst01")
    year, month = _window(365), _window(30)
    live = c.get("/api/v1/analytics/summary", params=year).json()
    live_units = c.get("/api/v1/analytics/units", params=year)
    live_topics = c.get("/api/v1/analytics/topics", params={**month, "top": 8}).json()
    assert live["as_of"] is None and "X-Figures-As-Of" not in live_units.headers
    assert live_topics["as_of"] is None and live_topics["topics"]
    seeded.state.services.background_work()
    snap_topics = c.get("/api/v1/analytics/topics", params={**month, "top": 8}).json()
    assert snap_topics["as_of"] is not None and {**snap_topics, "as_of": None} == live_topics
    snap = c.get("/api/v1/analytics/summary", params=year).json()
    snap_units = c.get("/api/v1/analytics/units", params=year)
    assert snap["as_of"] is not None and snap_units.headers["X-Figures-As-Of"]
    assert {**snap, "as_of": None} == live
    assert snap_units.json() == live_units.json()
    filtered = c.get("/api/v1/analytics/summary", params={**year, "code": "01"}).json()
    assert filtered["as_of"] is None and filtered["total"] < live["total"]
    with session_scope(seeded.state.engine) as s:  # a timer that stopped: stale, not served
        for row in s.scalars(select(SnapshotRow)):
            row.as_of -= snapshots.KINDS["topics"].max_age + timedelta(minutes=1)
    assert c.get("/api/v1/analytics/summary", params=year).json()["as_of"] is None
