"""Spikes (突增): days on which a code's or a region's appeals rise well above their usual level.

The usual level of day d is the mean of the ``BASELINE_DAYS`` days before it, scaled by a
weekday factor (how that weekday compares with the average over the ``WEEKDAY_WEEKS`` weeks
before it, smoothed towards 1 so that a quiet history does not give wild factors). A day is a
spike when its count is at least ``MIN_COUNT``, at least ``MIN_RATIO`` times the usual level, and
improbable under a Poisson law at that level (p <= ``MAX_P``). The score is -log10(p).
Only days before d are used, so a spike is flagged on the day it happens, never in hindsight.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from scipy.stats import poisson

BASELINE_DAYS = 28
WEEKDAY_WEEKS = 8
MIN_COUNT = 5
MIN_RATIO = 2.0
MAX_P = 0.001
FLOOR = 0.5  # the lowest usual level assumed: a first appeal on a quiet key is no spike
SMOOTHING = 4.0  # pseudo-days pulling each weekday factor towards 1


@dataclass(frozen=True)
class Spike:
    key: str
    day: date
    count: int
    expected: float
    score: float
    reason: str


def usual_level(counts: Counter, day: date) -> float:
    """The expected count of ``day`` from the days before it (see the module's text)."""
    before = [counts.get(day - timedelta(days=k), 0) for k in range(1, BASELINE_DAYS + 1)]
    level = sum(before) / BASELINE_DAYS
    history = [(day - timedelta(days=k)) for k in range(1, 7 * WEEKDAY_WEEKS + 1)]
    total = sum(counts.get(d, 0) for d in history)
    if total == 0:
        return FLOOR
    mean = total / len(history)
    same = [d for d in history if d.weekday() == day.weekday()]
    weekday_mean = sum(counts.get(d, 0) for d in same) / len(same)
    factor = (weekday_mean * len(same) + mean * SMOOTHING) / (mean * (len(same) + SMOOTHING))
    return max(FLOOR, level * factor)


def detect(counts: Counter, key: str, start: date, end: date) -> list[Spike]:
    """Spikes of one key's daily ``counts`` on the days from ``start`` to ``end``."""
    spikes = []
    day = start
    while day <= end:
        count = counts.get(day, 0)
        if count >= MIN_COUNT:
            expected = usual_level(counts, day)
            p = float(poisson.sf(count - 1, expected))
            if count >= MIN_RATIO * expected and p <= MAX_P:
                score = round(min(-math.log10(max(p, 1e-300)), 300.0), 1)
                spikes.append(Spike(key, day, count, round(expected, 2), score, (
                    f"{day:%Y-%m-%d} {key}：{count} 件，平时约 {expected:.1f} 件"
                    f"（{count / expected:.1f} 倍，近 {BASELINE_DAYS} 天按星期调整），"
                    f"偶然出现的概率 p={p:.0e}")))  # fmt: skip
        day += timedelta(days=1)
    return spikes


def daily_counts(days: list[date], keys: list[str]) -> dict[str, Counter]:
    """Per key, appeals per day."""
    out: dict[str, Counter] = {}
    for day, key in zip(days, keys, strict=True):
        out.setdefault(key, Counter())[day] += 1
    return out


def spikes(days: list[date], keys: list[str], start: date, end: date) -> list[Spike]:
    """Spikes of every key between ``start`` and ``end``, the strongest first."""
    found = [s for key, counts in daily_counts(days, keys).items()
             for s in detect(counts, key, start, end)]  # fmt: skip
    return sorted(found, key=lambda s: -s.score)
