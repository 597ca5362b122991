"""Duplicate detection measured on the ``dup_group`` column of messages_with_votes.csv.

Every appeal is added to a ``CaseIndex``; each is then looked up (itself excluded) and every
neighbour the index marks as a duplicate is a predicted pair. True pairs are those in one
``dup_group`` (citizens re-posting the same complaint; the data's rule is character 3-gram
cosine >= 0.9, so a pure 3-gram rule recovers them by construction: the interesting question is
how the product's meaning-based rule, with its place and time checks, does on them).
"""

from __future__ import annotations

import csv
import itertools
from datetime import datetime
from pathlib import Path

from kb import similar as sim
from kb.similar import CaseIndex

NEIGHBOURS = 10


def _rows(data_dir: Path) -> list[dict[str, str]]:
    with (Path(data_dir) / "appeals" / "messages_with_votes.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _pairs_by_group(rows) -> set[tuple[int, int]]:
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r["dup_group"]:
            groups.setdefault(r["dup_group"], []).append(i)
    return {p for members in groups.values() for p in itertools.combinations(members, 2)}


def similar_section(data_dir: Path, encoder) -> str:
    rows = _rows(data_dir)
    texts = [f"{r['title']} {r['body']}".strip() for r in rows]
    times = [_time(r["time"]) for r in rows]
    index = CaseIndex(encoder)
    vectors = encoder.encode_queries(texts)
    index.add([str(i) for i in range(len(rows))], texts, times, vectors)
    truth = _pairs_by_group(rows)
    window = {(i, j) for i, j in truth if not (times[i] and times[j]) or
              abs(times[i] - times[j]).days <= sim.WINDOW_DAYS}  # fmt: skip

    def predicted(cosine: float, trigrams: float) -> set[tuple[int, int]]:
        index.cosine, index.trigrams = cosine, trigrams
        found = set()
        for i, text in enumerate(texts):
            for hit in index.similar(text, NEIGHBOURS, time=times[i], vector=vectors[i],
                                     exclude=str(i)):  # fmt: skip
                if hit.duplicate:
                    j = int(hit.case_id)
                    found.add((min(i, j), max(i, j)))
        return found

    lines = [
        "## Similar cases and duplicates (messages_with_votes.csv)",
        "",
        f"{len(rows):,} appeals, {len(truth)} same-group pairs ({len(window)} filed within"
        f" {sim.WINDOW_DAYS} days of each other). A pair is predicted when the"
        f" index marks a neighbour (top {NEIGHBOURS}) as a duplicate: e5 cosine and character"
        f" 3-gram cosine at least the thresholds, same place where both name one, within"
        f" {sim.WINDOW_DAYS} days.",
        "",
        "| e5 cosine >= | 3-gram cosine >= | predicted pairs | precision | recall |"
        " recall within the window |",
        "|---|---|---|---|---|---|",
    ]
    for cosine, trigrams in [(0.90, 0.0), (0.93, 0.0), (0.95, 0.0), (0.90, 0.5), (0.93, 0.5),
                             (0.95, 0.5), (0.93, 0.7)]:  # fmt: skip
        found = predicted(cosine, trigrams)
        hits = len(found & truth)
        precision = hits / len(found) if found else 1.0
        shipped = " (shipped)" if (cosine, trigrams) == (
            sim.DUPLICATE_COSINE, sim.DUPLICATE_TRIGRAMS) else ""  # fmt: skip
        lines.append(f"| {cosine:.2f}{shipped} | {trigrams:.1f} | {len(found)} |"
                     f" {precision:.3f} | {hits / len(truth):.3f} |"
                     f" {len(found & window) / len(window):.3f} |")  # fmt: skip
    return "\n".join(lines) + "\n"
