"""Speed of the dashboard's hot topics on 100,000 stored cases in PostgreSQL, through the app.

The cases are the real messages of messages_with_votes.csv repeated (each copy a new case in the
last 30 days) with their stored vectors: a message's real e5 vector plus a little noise per copy
(cosine about 0.96 between copies), as the timers would have stored them at intake. Then
``GET /api/v1/analytics/topics`` groups the window's newest 100,000 cases: reading rows and
vectors, grouping, labelling, ranking and masking, all in the call. The encoder's own rate on the
same messages is printed too: it is what the timers need to keep up with intake. Then the timers'
snapshot pass runs once and the call is timed again, as the dashboard's 近30天 gets it.

    python -m eval.bench_topics --data-dir ../shared/data --n 100000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert, text

from classifier import Encoder
from eval.analytics_eval import appeal_of, repeated, votes_rows
from eval.app_client import analyst_client
from eval.pg_schema import scratch_schema
from hotline.db import make_engine, prepare_database
from hotline.settings import Settings
from hotline.tables import CaseRow, CaseVectorRow
from router.cases import local_now


def store_cases(url: str, appeals: list, vectors: np.ndarray, n: int, now) -> float:
    started = time.perf_counter()
    copies, noisy = repeated(appeals, vectors, n, now)
    engine = make_engine(url)
    prepare_database(engine)
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            part = range(start, min(n, start + 10_000))
            rows = [{
                "id": i + 1, "number": f"T{i + 1:013d}", "access_code_hash": "", "channel": "web",
                "title": copies[i].title, "body": copies[i].body, "caller_phone": copies[i].user,
                "state": "received", "version": 1, "received_at": copies[i].time,
            } for i in part]  # fmt: skip
            blobs = [{"case_id": i + 1, "vector": noisy[i].astype(np.float16).tobytes()}
                     for i in part]  # fmt: skip
            conn.execute(insert(CaseRow), rows)
            conn.execute(insert(CaseVectorRow), blobs)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def run(data_dir: Path, n: int) -> str:
    appeals = [appeal_of(r) for r in votes_rows(data_dir)]
    encoder = Encoder.shared(Settings().cache_dir)
    started = time.perf_counter()
    vectors = encoder.encode_queries([a.text for a in appeals])
    rate = len(appeals) / (time.perf_counter() - started)
    with scratch_schema("topics") as url, tempfile.TemporaryDirectory() as data:
        now = local_now()
        stored_s = store_cases(url, appeals, vectors, n, now)
        settings = Settings(data_dir=Path(data), database_url=url, timer_interval=0)
        client = analyst_client(settings, now)
        old = {"start": "2020-01-01", "end": "2020-01-01"}  # no cases: loads the encoder
        assert client.get("/api/v1/analytics/topics", params=old).status_code == 200
        window = {"start": str(now.date() - timedelta(days=29)), "end": str(now.date())}
        started = time.perf_counter()
        r = client.get("/api/v1/analytics/topics", params={**window, "top": 10})
        wall = time.perf_counter() - started
        assert r.status_code == 200, r.text[:300]
        data = r.json()
        started = time.perf_counter()
        client.app.state.services.background_work()  # what the timers do every 15 minutes
        background_s = time.perf_counter() - started
        started = time.perf_counter()
        r = client.get("/api/v1/analytics/topics", params={**window, "top": 10})
        snapshot_ms = (time.perf_counter() - started) * 1000
        assert r.json()["as_of"] and r.json()["topics"] == data["topics"]
        client.close()
    lines = [
        f"PostgreSQL, {n:,} stored cases with vectors ({len(appeals):,} real messages repeated;"
        f" stored in {stored_s:.0f} s), one call through the app:",
        "",
        f"- `GET /api/v1/analytics/topics` for 30 days: {wall:.0f} s wall; it grouped"
        f" {data['cases']:,} cases ({data['unindexed']} without a vector) and listed"
        f" {len(data['topics'])} topics; the largest holds {data['topics'][0]['count']} cases.",
        f"- The timers' pass that snapshots the standard windows (hot topics of 7 and 30 days,"
        f" summary and unit table of 90 and 365 days) took {background_s:.0f} s; the same call"
        f" then took {snapshot_ms:.0f} ms, served from the snapshot.",
        f"- The encoder on these messages: {rate:.0f} appeals/s on this machine, i.e."
        f" {rate * 86400 / 1e6:.1f} million a day for the timers, far above a city's intake.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--n", type=int, default=100_000, help="cases to store")
    args = parser.parse_args()
    print(run(args.data_dir, args.n))


if __name__ == "__main__":
    main()
