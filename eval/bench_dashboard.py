"""Speed of the analyst dashboard's API on PostgreSQL with many cases (1,000,000 by default).

Generates N cases with one ``INSERT ... SELECT generate_series`` into a fresh schema: spread over
the 365 days up to now (more recently), level-1 codes and units skewed like a real centre, states
by age, deadlines, replies and returns, stored in receiving order as a live centre stores them;
ratings for most replied cases and rectifications for the bad ones. Then it calls each dashboard
endpoint through the app (auth, SQL, masking and JSON/CSV included) ``--repeat`` times and prints
p50/p95 in milliseconds. The long windows are measured both as the dashboard's quick buttons get
them (the timers' snapshot, refreshed once here as the timers would) and live.
The schema is dropped at the end.

    python -m eval.bench_dashboard --n 1000000

Uses ``HOTLINE_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from analytics import snapshots
from eval.app_client import analyst_client
from eval.pg_schema import scratch_schema
from hotline.db import make_engine, prepare_database, session_scope
from hotline.settings import Settings
from router.cases import local_now

TITLES = [
    "小区电梯故障长期不修", "夜间施工噪音扰民", "路灯不亮", "道路坑洼积水", "垃圾清运不及时",
    "物业费收费不合理", "拖欠工资", "社保卡补办咨询", "公积金提取咨询", "停水没有通知",
    "燃气费异常", "占道经营", "违章停车堵路", "餐饮油烟扰民", "学校招生政策咨询",
    "医保报销问题", "公交线路调整建议", "小区绿化被毁", "房屋漏水维修", "噪音扰民",
]  # fmt: skip
STATES_BY_AGE = (  # (share, state): older cases are further along
    (0.03, "received"), (0.06, "dispatched"), (0.10, "accepted"), (0.16, "in_progress"),
    (0.30, "replied"), (0.45, "followed_up"), (1.00, "closed"),
)  # fmt: skip

GENERATE = """
WITH codes AS (SELECT array_agg(code ORDER BY code) AS a FROM (VALUES {codes}) v(code)),
     units AS (SELECT array_agg(id ORDER BY id) AS a FROM unit WHERE level <> 'company'),
     titles AS (SELECT ARRAY[{titles}] AS a),
     g AS (
       SELECT i, random() AS r_code, random() AS r_unit, random() AS r_state, random() AS r_reply,
              random() AS r_chan, random() AS r_type, random() AS r_title,
              :now - (power(random(), 1.15) * interval '365 days') AS received
       FROM generate_series(1, :n) AS i
     ),
     c AS (
       SELECT g.*, codes.a[1 + floor(power(r_code, 2.2) * array_length(codes.a, 1))::int] AS code,
              units.a[1 + floor(power(r_unit, 1.8) * array_length(units.a, 1))::int] AS unit,
              titles.a[1 + floor(r_title * array_length(titles.a, 1))::int] AS title,
              CASE WHEN r_state < 0.08 * greatest(0.1, 1 - extract(epoch FROM :now - received)
                                        / 86400 / 30) THEN 'open'
                   ELSE 'done' END AS phase
       FROM g, codes, units, titles
     )
INSERT INTO hotline_case (number, access_code_hash, channel, title, body, caller_name,
  caller_phone, consent, code, appeal_type, urgency, complex_case, place, state, lead_unit_id,
  assisting_unit_ids, route_reason, reply, received_at, dispatched_at, due_at, due_rule,
  replied_at, closed_at, extension_days, extension_asked, returns, round, version)
SELECT 'B' || lpad(i::text, 13, '0'), md5(i::text),
  CASE WHEN r_chan < 0.62 THEN 'phone' WHEN r_chan < 0.85 THEN 'chat' WHEN r_chan < 0.97
       THEN 'web' ELSE 'open311' END,
  title, title || '，已经反映多次没有解决，请尽快处理。联系人王先生，电话1380000'
         || lpad((i % 10000)::text, 4, '0') || '。',
  '王先生', '1380000' || lpad((i % 10000)::text, 4, '0'), true, code,
  (ARRAY['投诉','咨询','求助','建议','举报'])[1 + floor(power(r_type, 1.5) * 5)::int],
  'normal', false, '',
  CASE WHEN phase = 'open' AND r_state < 0.004 THEN 'received'
       WHEN phase = 'open' AND r_state < 0.02 THEN 'dispatched'
       WHEN phase = 'open' THEN 'in_progress'
       WHEN r_reply < 0.1 THEN 'replied' WHEN r_reply < 0.25 THEN 'followed_up'
       ELSE 'closed' END,
  CASE WHEN phase = 'open' AND r_state < 0.004 THEN NULL ELSE unit END,
  '', '', '', received,
  received + interval '2 hours',
  received + interval '2 hours' + CASE WHEN r_type < 0.1 THEN interval '21 days'
                                       ELSE interval '7 days' END,
  'ordinary',
  CASE WHEN phase = 'open' THEN NULL
       ELSE received + interval '3 hours' + power(r_reply, 1.3) * interval '9 days' END,
  CASE WHEN phase = 'done' AND r_reply >= 0.25 THEN received + interval '10 days' END,
  0, 0, CASE WHEN r_unit > 0.93 THEN 1 ELSE 0 END, 1, 1
FROM c ORDER BY received
"""
RATE = """
INSERT INTO rating (case_id, round, unit_id, level, source, comment, at, voided)
SELECT id, 1, lead_unit_id,
  CASE WHEN r < 0.55 THEN 1 WHEN r < 0.86 THEN 2 WHEN r < 0.94 THEN 3 WHEN r < 0.985 THEN 4
       ELSE 5 END,
  'citizen', '', replied_at + interval '1 day', r > 0.997
FROM (SELECT id, lead_unit_id, replied_at, random() AS r FROM hotline_case
      WHERE replied_at IS NOT NULL AND lead_unit_id IS NOT NULL AND random() < 0.8) s
ORDER BY id
"""
RECTIFY = """
INSERT INTO rectification (case_id, rating_id, unit_id, state, opened_at, due_at, dispute_from,
  note, version)
SELECT case_id, id, unit_id,
  (ARRAY['verifying','rectifying','disputed','done','done','done'])[1 + floor(random() * 6)::int],
  at, at + interval '5 days', '', '', 1
FROM rating WHERE level >= 4 AND NOT voided ORDER BY id
"""


def generate(url: str, n: int, now: datetime) -> float:
    from classifier import CodeStandard

    started = time.perf_counter()
    engine = make_engine(url)
    prepare_database(engine)
    codes = [node.code for node in CodeStandard.default().children(None)]
    sql = GENERATE.format(
        codes=", ".join(f"('{c}01')" for c in codes),
        titles=", ".join(f"'{t}'" for t in TITLES),
    )
    with engine.begin() as conn:
        conn.execute(text(sql), {"n": n, "now": now})
        conn.execute(text(RATE))
        conn.execute(text(RECTIFY))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def measure(client: TestClient, path: str, params: dict, repeat: int) -> tuple[float, float, int]:
    times = []
    size = 0
    for _ in range(repeat):
        started = time.perf_counter()
        r = client.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, r.text[:300]
        size = len(r.content)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, size


def run(n: int, repeat: int) -> str:
    with scratch_schema("bench") as url:
        now = local_now()
        seconds = generate(url, n, now)
        with tempfile.TemporaryDirectory() as data:
            settings = Settings(data_dir=Path(data), database_url=url, timer_interval=0)
            engine = make_engine(url)
            with session_scope(engine) as s:
                cases = s.scalar(text("SELECT count(*) FROM hotline_case"))
                ratings = s.scalar(text("SELECT count(*) FROM rating"))
            started = time.perf_counter()
            with session_scope(engine) as s:  # what the timers do every few minutes
                for kind, f in snapshots.due(s, now):
                    if kind in snapshots.SQL_FIGURES:
                        snapshots.store(s, kind, f, now, snapshots.SQL_FIGURES[kind](s, f))
            refresh_s = time.perf_counter() - started
            engine.dispose()
            client = analyst_client(settings, now)
            today = now.date()
            month = {"start": str(today - timedelta(days=29)), "end": str(today)}
            year = {"start": str(today - timedelta(days=364)), "end": str(today)}
            quarter = {"start": str(today - timedelta(days=89)), "end": str(today)}
            yesterday = today - timedelta(days=1)  # a window no snapshot answers
            year_live = {"start": str(yesterday - timedelta(days=364)), "end": str(yesterday)}
            day = str(today - timedelta(days=3))
            base = "/api/v1/analytics"
            queries = [
                ("summary, 30 days, no filter", "summary", month),
                ("summary, 30 days, code 01 + 东湖区", "summary", {**month, "code": "01",
                                                                  "region": "东湖区"}),
                ("summary, 30 days, one unit", "summary", {**month, "unit": "D-DH-ZJ"}),
                ("units table, 30 days", "units", month),
                ("summary, 90 days (snapshot)", "summary", quarter),
                ("units table, 90 days (snapshot)", "units", quarter),
                ("summary, 365 days (snapshot)", "summary", year),
                ("units table, 365 days (snapshot)", "units", year),
                ("summary, 365 days to yesterday (live)", "summary", year_live),
                ("units table, 365 days to yesterday (live)", "units", year_live),
                ("summary, 365 days, code 01 + 东湖区 (live)", "summary", {**year, "code": "01",
                                                                       "region": "东湖区"}),
                ("summary, 365 days, one unit (live)", "summary", {**year, "unit": "D-DH-ZJ"}),
                ("drill-down page 1, 30 days, code 01", "cases", {**month, "code": "01"}),
                ("drill-down page 50, 30 days", "cases", {**month, "page": 50}),
                ("export CSV, one day", "export.csv", {"start": day, "end": day}),
            ]  # fmt: skip
            lines = [
                f"PostgreSQL, {cases:,} cases, {ratings:,} ratings (generated in {seconds:.0f} s);"
                f" {repeat} calls each through the app (TestClient), after one warm-up call."
                f" The timers' snapshots of the long windows took {refresh_s:.1f} s to compute.",
                "",
                "| query | p50 ms | p95 ms | response bytes |",
                "|---|---:|---:|---:|",
            ]
            for name, path, params in queries:
                measure(client, f"{base}/{path}", params, 1)  # warm-up
                p50, p95, size = measure(client, f"{base}/{path}", params, repeat)
                lines.append(f"| {name} | {p50:.0f} | {p95:.0f} | {size:,} |")
                print(lines[-1], flush=True)
            client.close()
            return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="cases to generate")
    parser.add_argument("--repeat", type=int, default=20, help="calls per query")
    args = parser.parse_args()
    print(run(args.n, args.repeat))


if __name__ == "__main__":
    main()
