"""Hot topics and spikes on the shared data.

- Hot topics on messages_with_votes.csv, 2019: the top-10 briefing, and how the issue groups
  recover the file's ``dup_group`` groups of 3+ messages (pairwise precision and recall among the
  messages of those groups, and the adjusted Rand index on them).
- Spikes by injection: the real daily series of all dated messages in ../shared/data/appeals
  (each id once); bursts of known size spread over 2 days are added at random days; recall by
  size and delay, and false alarms per 30 days on the untouched series.
- Speed: hot topics for 100,000 appeals with their vectors (the real messages repeated, each
  copy's vector with a little noise), and the encoder's rate on the real messages.
"""

from __future__ import annotations

import csv
import itertools
import random
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from analytics.spikes import BASELINE_DAYS, WEEKDAY_WEEKS, detect
from analytics.topics import Appeal, briefing, group, hot_topics

BURST_SIZES = (5, 10, 20, 40)
TRIALS = 200


def votes_rows(data_dir: Path) -> list[dict[str, str]]:
    with (Path(data_dir) / "appeals" / "messages_with_votes.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["time"].strip()]


def appeal_of(r: dict[str, str]) -> Appeal:
    likes = r.get("likes", "").strip()
    return Appeal(
        r["id"],
        r["title"],
        r["body"],
        datetime.fromisoformat(r["time"].strip()),
        r.get("user", ""),
        int(likes) if likes.isdigit() else 0,
    )


def topics_part(data_dir: Path, encoder) -> tuple[list[str], list[Appeal], np.ndarray, float]:
    """The briefing and dup_group recovery lines; the messages, their vectors and the
    encoder's rate on them."""
    rows = votes_rows(data_dir)
    appeals = [appeal_of(r) for r in rows]
    started = time.perf_counter()
    vectors = encoder.encode_queries([a.text for a in appeals])
    encode_s = time.perf_counter() - started
    year = [i for i, a in enumerate(appeals) if a.time.year == 2019]
    started = time.perf_counter()
    top = hot_topics(
        [appeals[i] for i in year], vectors[year], end=datetime(2019, 12, 31, 23, 59), top=10
    )
    topic_s = time.perf_counter() - started
    lines = [
        "## Hot topics (messages_with_votes.csv)",
        "",
        f"{len(appeals)} messages encoded in {encode_s:.0f} s; the 2019 briefing"
        f" ({len(year)} messages) took {topic_s:.1f} s after encoding.",
        "",
        "Top 10 of 2019 (the whole year as one window):",
        "",
        briefing(top, datetime(2019, 1, 1), datetime(2019, 12, 31)).replace("# ", "### ", 1),
        "Recovery of dup_group groups of 3+ messages (all years):",
        "",
        "| grouping | pairs predicted among them | precision | recall | ARI |",
        "|---|---|---|---|---|",
    ]
    sizes = Counter(r["dup_group"] for r in rows if r["dup_group"])
    members = [i for i, r in enumerate(rows) if sizes.get(r["dup_group"], 0) >= 3]
    truth = [rows[i]["dup_group"] for i in members]
    true_pairs = {
        (a, b) for a, b in itertools.combinations(range(len(members)), 2) if truth[a] == truth[b]
    }
    for name, window in (("shipped (no span limit)", None), ("span at most 30 days", 30)):
        found = group(appeals, vectors, window_days=window)
        label = {i: g for g, m in enumerate(found) for i in m}
        predicted = [label[i] for i in members]
        pairs = {
            (a, b)
            for a, b in itertools.combinations(range(len(members)), 2)
            if predicted[a] == predicted[b]
        }
        hit = len(pairs & true_pairs)
        precision = hit / len(pairs) if pairs else 0.0
        lines.append(
            f"| {name} | {len(pairs)} | {precision:.3f} | {hit / len(true_pairs):.3f} |"
            f" {adjusted_rand_score(truth, predicted):.3f} |"
        )
    lines += [
        "",
        f"({len(members)} messages in {sum(v >= 3 for v in sizes.values())} groups,"
        f" {len(true_pairs)} true pairs.)",
        "",
    ]
    return lines, appeals, vectors, len(appeals) / encode_s


def daily_series(data_dir: Path) -> Counter:
    """Messages per day over every dated file of ../shared/data/appeals (each id once)."""
    seen, counts = set(), Counter()
    for path in sorted((Path(data_dir) / "appeals").glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                when, key = (r.get("time") or "").strip(), r.get("id") or ""
                if not when or (key and key in seen):
                    continue
                seen.add(key)
                try:
                    counts[datetime.fromisoformat(when).date()] += 1
                except ValueError:
                    continue
    return counts


def spikes_part(data_dir: Path) -> list[str]:
    series = daily_series(data_dir)
    first, last = min(series), max(series)
    start = first + timedelta(days=7 * WEEKDAY_WEEKS + BASELINE_DAYS)
    days = (last - start).days + 1
    quiet = detect(series, "all", start, last)
    rng = random.Random(12345)
    lines = [
        "## Spikes by injection",
        "",
        f"Daily series of {sum(series.values())} dated messages, {first} to {last};"
        f" tested on the {days} days from {start} (earlier days are the baseline)."
        f" Untouched series: {len(quiet)} days flagged, {30 * len(quiet) / days:.2f} false"
        " alarms per 30 days (some may be real rises).",
        "",
        f"Injected bursts ({TRIALS} trials per size, a burst split over 2 consecutive days at"
        " a random day; detected when a flag falls on a burst day or the 2 days after):",
        "",
        "| burst size | recall | delay, days (mean) |",
        "|---|---|---|",
    ]
    for size in BURST_SIZES:
        found, delays = 0, []
        for _ in range(TRIALS):
            day = start + timedelta(days=rng.randrange(days - 3))
            counts = Counter(series)
            counts[day] += size // 2
            counts[day + timedelta(days=1)] += size - size // 2
            flags = [s.day for s in detect(counts, "all", day, day + timedelta(days=3))]
            if flags:
                found += 1
                delays.append((min(flags) - day).days)
        delay = f"{np.mean(delays):.2f}" if delays else "-"
        lines.append(f"| {size} | {found / TRIALS:.2f} | {delay} |")
    return [*lines, ""]


def repeated(appeals: list[Appeal], vectors: np.ndarray, n: int,
             now: datetime) -> tuple[list[Appeal], np.ndarray]:  # fmt: skip
    """``n`` appeals: the real ``appeals`` repeated at random times in the 30 days before
    ``now``, each copy's vector its message's plus a little noise (cosine about 0.96 between
    copies of one message)."""
    rng = np.random.default_rng(0)
    source = np.arange(n) % len(appeals)
    copies = [
        Appeal(str(i), appeals[k].title, appeals[k].body, now - timedelta(minutes=int(x)),
               appeals[k].user)
        for i, (k, x) in enumerate(zip(source, rng.integers(0, 43_200, n), strict=True))
    ]  # fmt: skip
    noisy = vectors[source] + rng.normal(scale=0.01, size=(n, vectors.shape[1]))
    return copies, (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def speed_part(appeals: list[Appeal], vectors: np.ndarray, rate: float,
               n: int = 100_000) -> list[str]:  # fmt: skip
    """Hot topics for ``n`` appeals with their vectors (``repeated``); ``rate``: appeals/s the
    encoder managed on the real messages."""
    now = datetime(2026, 11, 26)
    copies, noisy = repeated(appeals, vectors, n, now)
    started = time.perf_counter()
    top = hot_topics(copies, noisy, end=now, top=10)
    grouping_s = time.perf_counter() - started
    return [
        "## Hot-topic speed",
        "",
        f"{n:,} appeals with their stored vectors ({len(appeals):,} real messages repeated):"
        f" grouped, labelled and ranked in {grouping_s:.0f} s ({len(top)} topics listed)."
        f" The server stores each case's vector once, in the background ({rate:.0f} appeals/s"
        " on these messages); `python -m eval.bench_topics` measures the same through the API"
        " on PostgreSQL.",
        "",
    ]


def analytics_section(data_dir: Path, encoder) -> str:
    topics, appeals, vectors, rate = topics_part(data_dir, encoder)
    return "\n".join([*topics, *spikes_part(data_dir), *speed_part(appeals, vectors, rate)])
