"""Search-only speed and recall of the FAISS index kinds at scale (1M vectors by default).

The vectors are synthetic but shaped like real e5 embeddings: each is a real question embedding
plus Gaussian noise, renormalised, so they bunch together the way e5 cosines do (a uniform
random sphere would flatter the approximate indexes less realistically). Exact search gives the
true top 10 for recall@10.

    python -m eval.bench_kb --n 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import faiss
import numpy as np

from kb.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_NEIGHBOURS

NOISE = 0.035  # per-dimension noise: cosine to the seed vector about 0.8


def synthetic(seeds: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((n, seeds.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        block = seeds[rng.integers(0, len(seeds), m)] + rng.normal(0, NOISE, (m, seeds.shape[1]))
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _latency(index: faiss.Index, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, dict]:
    ids, times = [], []
    for q in queries:
        start = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - start) * 1000)
        ids.append(found[0])
    times = np.array(times)
    return np.array(ids), {"p50_ms": float(np.percentile(times, 50)),
                           "p95_ms": float(np.percentile(times, 95))}  # fmt: skip


def run(seeds: np.ndarray, n: int = 1_000_000, n_queries: int = 500, threads: int = 2) -> dict:
    faiss.omp_set_num_threads(threads)
    rng = np.random.default_rng(0)
    dim = seeds.shape[1]
    data = synthetic(seeds, n, rng)
    queries = synthetic(seeds, n_queries, rng)
    results: dict[str, dict] = {"n": n, "dim": dim, "threads": threads}

    rss = _rss_mb()
    start = time.perf_counter()
    flat = faiss.IndexFlatIP(dim)
    flat.add(data)
    truth, timing = _latency(flat, queries)
    results["flat"] = {"build_s": time.perf_counter() - start, **timing, "recall@10": 1.0,
                       "memory_mb": data.nbytes / 2**20}  # fmt: skip

    start = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    hnsw.add(data)
    build = time.perf_counter() - start
    for ef in (32, 64, HNSW_EF_SEARCH, 160):
        hnsw.hnsw.efSearch = ef
        found, timing = _latency(hnsw, queries)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)])
        results[f"hnsw_ef{ef}"] = {"build_s": build, **timing, "recall@10": float(recall)}
    results["hnsw_memory_mb"] = data.nbytes / 2**20 + n * HNSW_NEIGHBOURS * 2 * 4 / 2**20
    results["peak_rss_mb"] = _rss_mb()
    results["rss_before_mb"] = rss
    return results


def main() -> None:
    from pathlib import Path

    from classifier import Encoder
    from eval.kb_eval import policy_questions
    from hotline.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    settings = get_settings()
    encoder = Encoder.shared(settings.cache_dir, **settings.encoder_options())
    seeds = encoder.encode_queries(policy_questions(args.data_dir)[:2000])
    print(json.dumps(run(seeds, args.n), indent=1))


if __name__ == "__main__":
    main()
