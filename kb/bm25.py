"""An incremental Okapi BM25 index: add or remove one document without rebuilding the rest."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np


class Bm25Index:
    """Documents are token lists keyed by integer ids; scores are plain BM25 (k1, b)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.postings: dict[str, dict[int, int]] = defaultdict(dict)
        self.lengths: dict[int, int] = {}
        self.total_length = 0

    def __len__(self) -> int:
        return len(self.lengths)

    def add(self, doc_id: int, tokens: list[str]) -> None:
        if doc_id in self.lengths:
            raise KeyError(f"document {doc_id} is already indexed")
        for token, count in Counter(tokens).items():
            self.postings[token][doc_id] = count
        self.lengths[doc_id] = len(tokens)
        self.total_length += len(tokens)

    def remove(self, doc_id: int, tokens: list[str]) -> None:
        """Remove a document; ``tokens`` are the ones it was added with."""
        for token in set(tokens):
            docs = self.postings.get(token)
            if docs is not None:
                docs.pop(doc_id, None)
                if not docs:
                    del self.postings[token]
        self.total_length -= self.lengths.pop(doc_id)

    def scores(self, tokens: list[str]) -> dict[int, float]:
        """BM25 score of every document sharing a token with the query."""
        n = len(self.lengths)
        if not n:
            return {}
        avg = self.total_length / n
        out: dict[int, float] = defaultdict(float)
        for token, q_count in Counter(tokens).items():
            docs = self.postings.get(token)
            if not docs:
                continue
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            for doc_id, tf in docs.items():
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[doc_id] / avg)
                out[doc_id] += q_count * idf * tf * (self.k1 + 1) / norm
        return out

    def top(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        scores = self.scores(tokens)
        if not scores:
            return []
        ids = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
        values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
        best = np.argsort(-values, kind="stable")[:k]
        return [(int(ids[i]), float(values[i])) for i in best]
