"""The FAISS index of question vectors: exact inner product when small, HNSW when large.

Vectors are unit length, so inner product is cosine. Exact search costs about 0.14 ms per
thousand vectors on 2 cores (143 ms p50 at 1M, ``eval/bench_kb.py``), so ``IndexFlatIP`` serves
up to ``HNSW_ABOVE`` vectors (about 7 ms); above that an HNSW graph answers 1M vectors in under
a millisecond at p50 with recall@10 0.975 (efSearch 96). HNSW cannot delete, so removed ids are
kept as tombstones and filtered from results until the next snapshot rebuilds the graph.
"""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np

# One query at a time gains nothing from OpenMP threads, and their spin-waiting fights ONNX
# Runtime's threads for the same 2 cores (measured: a 5,000-entry search took 3 ms, not 0.5).
faiss.omp_set_num_threads(1)

HNSW_ABOVE = 50_000
HNSW_NEIGHBOURS = 32
HNSW_EF_SEARCH = 96
HNSW_EF_CONSTRUCTION = 80


def _flat(dim: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))


def _hnsw(dim: int) -> faiss.Index:
    graph = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    graph.hnsw.efSearch = HNSW_EF_SEARCH
    return faiss.IndexIDMap2(graph)


class DenseIndex:
    def __init__(self, dim: int, *, index: faiss.Index | None = None, tombstones=()):
        self.dim = dim
        self.index = index if index is not None else _flat(dim)
        self.tombstones: set[int] = set(tombstones)

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dim: int) -> DenseIndex:
        """A fresh index of the right kind for this many vectors."""
        index = _hnsw(dim) if len(ids) > HNSW_ABOVE else _flat(dim)
        if len(ids):
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
            index.add_with_ids(vectors, ids.astype(np.int64))
        return cls(dim, index=index)

    @property
    def is_exact(self) -> bool:
        return isinstance(faiss.downcast_index(self.index.index), faiss.IndexFlat)

    def __len__(self) -> int:
        return self.index.ntotal - len(self.tombstones)

    def add(self, ids: list[int], vectors: np.ndarray) -> None:
        if ids:
            vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
            self.index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: list[int]) -> None:
        if not ids:
            return
        if self.is_exact:
            self.index.remove_ids(np.asarray(ids, dtype=np.int64))
        else:
            self.tombstones.update(ids)

    def vectors(self, ids: list[int]) -> np.ndarray:
        return (
            np.vstack([self.index.reconstruct(int(i)) for i in ids])
            if ids
            else np.zeros((0, self.dim), dtype=np.float32)
        )

    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(id, cosine) of the ``k`` nearest vectors, best first."""
        if self.index.ntotal == 0:
            return []
        fetch = min(self.index.ntotal, k + len(self.tombstones) if self.tombstones else k)
        scores, ids = self.index.search(vector.reshape(1, -1).astype(np.float32), fetch)
        hits = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        return [h for h in hits if h[0] not in self.tombstones][:k]

    def save(self, folder: Path) -> None:
        faiss.write_index(self.index, str(folder / "questions.faiss"))
        (folder / "tombstones.json").write_text(json.dumps(sorted(self.tombstones)))

    @classmethod
    def load(cls, folder: Path, dim: int) -> DenseIndex:
        index = faiss.read_index(str(folder / "questions.faiss"))
        tombstones = json.loads((folder / "tombstones.json").read_text())
        return cls(dim, index=index, tombstones=tombstones)
