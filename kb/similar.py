"""Similar earlier cases and duplicate candidates over stored appeals (全口径诉求资源库).

The same machinery as the FAQ search, over appeals: e5 vectors in a FAISS index for "cases like
this one" (an agent reads how they were handled), and a stricter test for duplicates to merge:
the same matter (e5 cosine and character 3-gram overlap both high), the same place where both
name one, and filed within ``window_days`` of each other.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from classifier import Encoder, normalize_text
from kb.dense import DenseIndex

# Thresholds chosen on messages_with_votes.csv by ``eval/similar_eval.py`` (see its table).
DUPLICATE_COSINE = 0.93
DUPLICATE_TRIGRAMS = 0.7
WINDOW_DAYS = 30

# Place names as callers write them: districts, towns, streets, roads, estates, villages.
# A name holds no function words (的 了 是 在...), so "小区东门的路" is not read as a road.
_NAME_CHAR = r"(?:(?![的了是在和与及很都也就还把被让给对从向往到这那我你他她们个])[\u4e00-\u9fa5])"
_PLACE = re.compile(
    _NAME_CHAR + r"{2,8}?(?:区|县|镇|乡|街道|社区|村|路|街|大道|小区|花园|公寓|广场|大厦|苑|城)"
)
GENERIC_PLACES = {"小区", "社区", "城区", "市区", "郊区", "农村", "街道", "马路", "公路", "本小区"}


def places(text: str) -> set[str]:
    """Place names mentioned in an appeal (a cheap pattern; unknown when empty)."""
    return {p for p in _PLACE.findall(normalize_text(text)) if p not in GENERIC_PLACES}


def same_place(a: set[str], b: set[str]) -> bool:
    """Whether two appeals name a common place (the pattern may take in a word before it)."""
    return any(x.endswith(y) or y.endswith(x) for x in a for y in b)


def _trigrams(text: str) -> Counter:
    text = re.sub(r"\s+", "", normalize_text(text))
    return Counter(text[i : i + 3] for i in range(len(text) - 2))


def trigram_cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    return dot / (sum(v * v for v in a.values()) ** 0.5 * sum(v * v for v in b.values()) ** 0.5)


@dataclass
class StoredCase:
    id: str
    text: str
    time: datetime | None
    places: set[str]
    trigrams: Counter


@dataclass
class Similar:
    case_id: str
    score: float  # e5 cosine, 0-1 for these texts
    duplicate: bool
    reason: str


class CaseIndex:
    """``add`` appeals as they are filed; ``similar`` gives an agent the nearest earlier ones,
    each marked when it is a duplicate candidate to merge (thresholds settable per index)."""

    def __init__(self, encoder: Encoder, *, cosine: float = DUPLICATE_COSINE,
                 trigrams: float = DUPLICATE_TRIGRAMS, window_days: int = WINDOW_DAYS):  # fmt: skip
        self.cosine, self.trigrams, self.window_days = cosine, trigrams, window_days
        self.encoder = encoder
        self.dense = DenseIndex(encoder.dim)
        self.cases: list[StoredCase] = []

    def __len__(self) -> int:
        return len(self.cases)

    def add(self, ids: list[str], texts: list[str], times: list[datetime | None],
            vectors: np.ndarray | None = None) -> None:  # fmt: skip
        """Index appeals; ``vectors`` (e5 queries of ``texts``) when already encoded."""
        if vectors is None:
            vectors = self.encoder.encode_queries([normalize_text(t) for t in texts])
        start = len(self.cases)
        for case_id, text, time in zip(ids, texts, times, strict=True):
            self.cases.append(StoredCase(case_id, text, time, places(text), _trigrams(text)))
        self.dense.add(list(range(start, len(self.cases))), vectors)

    def similar(self, text: str, k: int = 5, *, time: datetime | None = None,
                vector: np.ndarray | None = None,
                exclude: str | None = None) -> list[Similar]:  # fmt: skip
        """The ``k`` most similar stored appeals, each marked when it is a duplicate candidate."""
        if vector is None:
            vector = self.encoder.encode_queries(normalize_text(text))
        grams, where = _trigrams(text), places(text)
        out = []
        for slot, score in self.dense.search(vector, k + 1):
            case = self.cases[slot]
            if case.id == exclude:
                continue
            duplicate, reason = self._duplicate(score, grams, where, time, case)
            out.append(Similar(case.id, score, duplicate, reason))
        return out[:k]

    def _duplicate(self, score, grams, where, time, case) -> tuple[bool, str]:
        overlap = trigram_cosine(grams, case.trigrams)
        if score < self.cosine or overlap < self.trigrams:
            return False, f"内容相近度 {score:.2f}/{overlap:.2f}，不足以判为同一诉求"
        if where and case.places and not same_place(where, case.places):
            here, there = "、".join(sorted(where)), "、".join(sorted(case.places))
            return False, f"地点不同（{here} / {there}）"
        if time and case.time and abs(time - case.time) > timedelta(days=self.window_days):
            return False, f"相隔超过 {self.window_days} 天"
        shared = "、".join(sorted(where)) if where and case.places else "未写明地点"
        return True, f"同一事项（相近度 {score:.2f}/{overlap:.2f}），地点：{shared}"
