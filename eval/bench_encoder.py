"""Encoder speed and memory: single short queries (latency) and 200-character appeals (throughput).

Run through ``hotline eval`` or ``python -m eval.bench_encoder``. Texts come from the shared appeal
data when it is present, otherwise from the project's own sample sentences.
"""

from __future__ import annotations

import csv
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from classifier import Encoder, normalize_text

SAMPLE = [
    "小区楼下的烧烤店每天营业到凌晨两点，油烟和噪音严重影响居民休息，多次反映无果，请求城管部门依法处理。",
    "公司拖欠我们十几名工人三个月工资共计十二万元，老板一直推脱，请求劳动监察部门帮助讨薪。",
    "我家所在小区已经连续停水三天，物业和自来水公司互相推诿，老人孩子生活非常不便，希望尽快恢复供水。",
]


@dataclass
class EncoderBench:
    backend: str
    precision: str
    max_length: int
    threads: int
    single_p50_ms: float
    single_p95_ms: float
    batch_per_s: float


def appeal_texts(data_dir: Path | None, n: int, chars: int) -> list[str]:
    texts: list[str] = []
    path = data_dir / "appeals" / "labelled_bodies.csv" if data_dir else None
    if path and path.exists():
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                body = normalize_text(row["body"])
                if len(body) >= chars:
                    texts.append(body[:chars])
                if len(texts) == n:
                    break
    while len(texts) < n:  # no shared data: repeat the samples, varied so nothing is cached
        sample = SAMPLE[len(texts) % len(SAMPLE)]
        texts.append((f"{len(texts)}号反映：" + sample * 4)[:chars])
    return texts


def bench_encoder(
    cache_dir: Path,
    data_dir: Path | None,
    *,
    threads: int = 2,
    backend: str = "onnx",
    precision: str = "fp32",
    max_length: int = 256,
    n_single: int = 200,
    n_batch: int = 400,
) -> EncoderBench:
    enc = Encoder(
        cache_dir, threads=threads, backend=backend, precision=precision, max_length=max_length
    )
    queries = [t[:30] for t in appeal_texts(data_dir, n_single, 30)]
    appeals = appeal_texts(data_dir, n_batch, 200)
    for q in queries[:10]:  # warm-up
        enc.encode_queries(q)
    times = []
    for q in queries:
        start = time.perf_counter()
        enc.encode_queries(q)
        times.append((time.perf_counter() - start) * 1000)
    enc.encode_passages(appeals[:32])
    start = time.perf_counter()
    enc.encode_passages(appeals)
    per_s = len(appeals) / (time.perf_counter() - start)
    return EncoderBench(
        backend=backend,
        precision=precision,
        max_length=max_length,
        threads=threads,
        single_p50_ms=statistics.median(times),
        single_p95_ms=statistics.quantiles(times, n=20)[18],
        batch_per_s=per_s,
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--max-length", type=int, default=256)
    args = parser.parse_args()
    print(
        bench_encoder(
            args.cache_dir,
            args.data_dir,
            threads=args.threads,
            precision=args.precision,
            max_length=args.max_length,
        )
    )
