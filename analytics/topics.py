"""Hot topics (热点问题): appeals of a time window grouped into issues (same matter, same place),
each with a short label, a place, a time range and a heat index; printed like a 12345 briefing.

Grouping: average linkage over each appeal's ``NEIGHBOURS`` nearest (e5 cosine): groups merge
while their appeals are on average at least ``threshold`` alike and do not name different places.

Heat (热度), explained for readers of the briefing:
    heat = 10 * (ln(1 + appeals) + 0.5 * ln(1 + citizens) + 0.3 * ln(1 + votes))
               * (0.5 + 0.5 * recency) * (1 + 0.5 * growth)
- appeals: the issue's appeals in the window; citizens: distinct callers (appeals where unknown);
  votes: the likes citizens gave them (0 where a channel has none);
- recency = exp(-days from the issue's last appeal to the window's end / 7): a week-old issue
  counts about two thirds of a fresh one;
- growth = (appeals in the second half of the issue's span - in the first half) / appeals, in
  [-1, 1]: a rising issue ranks above a fading one of the same size.
Only issues with at least ``MIN_APPEALS`` appeals are listed.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import faiss
import numpy as np

from classifier import mask_pii, segment
from kb.similar import places, same_place

THRESHOLD = 0.92  # chosen on the demo cases' repeated complaints (see the issue note)
NEIGHBOURS = 15
MIN_APPEALS = 2
RECENCY_DAYS = 7.0


@dataclass
class Appeal:
    id: str
    title: str
    body: str
    time: datetime
    user: str = ""
    votes: int = 0

    @property
    def text(self) -> str:
        return f"{self.title} {self.body}".strip()


@dataclass
class Topic:
    heat: float
    label: str
    place: str
    start: datetime
    end: datetime
    description: str
    appeals: list[str]
    citizens: int
    votes: int
    growth: float
    examples: list[str] = field(default_factory=list)


def group(appeals: list[Appeal], vectors: np.ndarray, *, threshold: float = THRESHOLD,
          window_days: int | None = None) -> list[list[int]]:  # fmt: skip
    """Positions of ``appeals`` grouped into issues (largest first); singletons included.

    Average linkage over the nearest-neighbour pairs, most similar first: two groups merge only
    when their appeals are similar on average (not through a chain of look-alikes), do not name
    different places and, if ``window_days`` is given, span at most that many days (a briefing
    already bounds the time: one matter that lasts six weeks is one issue).
    """
    n = len(appeals)
    if n == 0:
        return []
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    scores, neighbours = index.search(vectors, min(NEIGHBOURS + 1, n))
    pairs = sorted(((float(s), i, int(j)) for i in range(n)
                    for s, j in zip(scores[i], neighbours[i], strict=True)
                    if j > i and s >= threshold), reverse=True)  # fmt: skip
    where = [places(a.text) for a in appeals]
    parent = list(range(n))
    total = vectors.astype(np.float64)  # sum of each group's vectors, kept at its root
    size = [1] * n
    first, last = [a.time for a in appeals], [a.time for a in appeals]
    named = [set(w) for w in where]

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for _, i, j in pairs:
        a, b = root(i), root(j)
        if a == b:
            continue
        if float(total[a] @ total[b]) / (size[a] * size[b]) < threshold:
            continue  # similar pair, dissimilar groups
        if (
            window_days is not None
            and (max(last[a], last[b]) - min(first[a], first[b])).days > window_days
        ):
            continue
        if named[a] and named[b] and not same_place(named[a], named[b]):
            continue
        parent[a] = b
        total[b] += total[a]
        size[b] += size[a]
        first[b], last[b] = min(first[a], first[b]), max(last[a], last[b])
        named[b] |= named[a]
    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(root(i), []).append(i)
    return sorted(members.values(), key=len, reverse=True)


def heat(appeals: int, citizens: int, votes: int, recency: float, growth: float) -> float:
    size = math.log1p(appeals) + 0.5 * math.log1p(citizens) + 0.3 * math.log1p(votes)
    return 10 * size * (0.5 + 0.5 * recency) * (1 + 0.5 * growth)


def hot_topics(appeals: list[Appeal], vectors: np.ndarray, *, end: datetime | None = None,
               top: int = 10, threshold: float = THRESHOLD) -> list[Topic]:  # fmt: skip
    """The ``top`` hottest issues among ``appeals`` (one window), hottest first."""
    if not appeals:
        return []
    end = end or max(a.time for a in appeals)
    words = [segment(a.text) for a in appeals]
    document_frequency = Counter(w for ws in words for w in set(ws))
    topics = []
    for members in group(appeals, vectors, threshold=threshold):
        if len(members) < MIN_APPEALS:
            break
        topics.append(_topic(appeals, vectors, words, document_frequency, members, end))
    topics.sort(key=lambda t: t.heat, reverse=True)
    return topics[:top]


def _topic(appeals, vectors, words, document_frequency, members, end) -> Topic:
    chosen = [appeals[i] for i in members]
    times = sorted(a.time for a in chosen)
    start, last = times[0], times[-1]
    middle = start + (last - start) / 2
    later = sum(t > middle for t in times)
    growth = (later - (len(times) - later)) / len(times) if last > start else 0.0
    recency = math.exp(-max(0.0, (end - last).total_seconds() / 86400) / RECENCY_DAYS)
    citizens = len({a.user for a in chosen if a.user}) or len(chosen)
    votes = sum(max(a.votes, 0) for a in chosen)
    # Label: the words most particular to this issue (frequent here, rare in the window).
    counts = Counter(w for i in members for w in set(words[i]) if len(w) > 1)
    n = len(appeals)
    weight = {w: c * math.log(n / document_frequency[w]) for w, c in counts.items() if c >= 2}
    label = "·".join(w for w, _ in sorted(weight.items(), key=lambda x: -x[1])[:3])
    # Description: the appeal closest to the centre.
    centre = vectors[members].mean(axis=0)
    central = chosen[int(np.argmax(vectors[members] @ centre))]
    named = Counter(p for a in chosen for p in places(a.text))
    ordered = sorted(chosen, key=lambda a: a.time)
    return Topic(
        heat=round(heat(len(chosen), citizens, votes, recency, growth), 1),
        label=label or central.title[:12], place=named.most_common(1)[0][0] if named else "",
        start=start, end=last, description=mask_pii(central.title or central.body[:40]),
        appeals=[a.id for a in ordered], citizens=citizens, votes=votes,
        growth=round(growth, 2),
        examples=[mask_pii(a.body)[:80] for a in ordered[:3]],
    )  # fmt: skip


def briefing(topics: list[Topic], start: datetime | None = None,
             end: datetime | None = None) -> str:  # fmt: skip
    """The hot-topic list as a 12345 briefing (Markdown)."""
    span = f"{start:%Y-%m-%d} 至 {end:%Y-%m-%d}" if start and end else ""
    lines = [f"# 热点问题 {span}".rstrip(), ""]
    if not topics:
        return "\n".join([*lines, "本期未发现 2 件以上的同类诉求。", ""])
    for rank, t in enumerate(topics, 1):
        place = t.place or "未写明地点"
        lines += [
            f"## {rank}. {t.label}（热度 {t.heat}）",
            f"- 时间：{t.start:%Y-%m-%d} 至 {t.end:%Y-%m-%d}；地点：{place}",
            f"- 诉求 {len(t.appeals)} 件，来电人 {t.citizens} 人，点赞 {t.votes}，"
            f"趋势 {'上升' if t.growth > 0 else '下降' if t.growth < 0 else '持平'}",
            f"- 概述：{t.description}",
            *[f"  - 例：{e}" for e in t.examples],
            "",
        ]
    return "\n".join(lines)
