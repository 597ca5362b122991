"""Knowledge-base evaluation on policy_qa.csv: retrieval, the answer decision and speed.

The 5,000 policy questions and answers become a knowledge base (built once, cached). Queries:
the original questions (a sanity check), and colloquial rewordings the project wrote
(``eval/data/kb_rewordings_*.csv``: ``dev`` and ``hard`` were used to tune the fusion weights and
the thresholds; ``test`` was written separately and not looked at while tuning). A hit is an
entry with the labelled entry's answer.
"""

from __future__ import annotations

import csv
import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from classifier import normalize_text
from kb import Entry, KnowledgeBase, Ranker
from kb.calibrate import choose_thresholds, fit_scale, outcomes, precision_coverage

REWORDINGS = Path(__file__).parent / "data"
TUNING_SETS = ("dev", "hard")


def policy_rows(data_dir: Path) -> list[dict[str, str]]:
    with (Path(data_dir) / "faq" / "policy_qa.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def policy_questions(data_dir: Path) -> list[str]:
    return [r["question"] for r in policy_rows(data_dir)]


def rewordings(name: str) -> list[dict[str, str]]:
    with (REWORDINGS / f"kb_rewordings_{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def policy_kb(data_dir: Path, encoder, cache_dir: Path) -> tuple[KnowledgeBase, float | None]:
    """The policy_qa knowledge base, built on first use; (base, seconds it took or None)."""
    source = Path(data_dir) / "faq" / "policy_qa.csv"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    folder = Path(cache_dir) / "eval" / f"policy-kb-{digest}"
    built = (folder / "CURRENT").exists()
    kb = KnowledgeBase.open(folder, encoder)
    seconds = None
    if not built or len(kb) == 0:
        start = time.perf_counter()
        entries = [
            Entry(id=r["id"], question=r["question"], answer=r["answer"])
            for r in policy_rows(data_dir)
        ]
        kb.upsert(entries, editor="eval")
        seconds = time.perf_counter() - start
    kb.set_ranker(Ranker())
    return kb, seconds


@dataclass
class Retrieval:
    recall1: float
    recall5: float
    mrr: float


METHODS = {
    "dense (question-to-question)": Ranker(question=1.0, passage=0.0, words=0.0, pinyin=0.0),
    "BM25 (jieba words + bigrams)": Ranker(question=0.0, passage=0.0, words=1.0, pinyin=0.0),
    "fusion (shipped weights)": Ranker(),
}


def retrieval(kb: KnowledgeBase, queries: list[str], answers: list[str], ranker: Ranker,
              vectors: np.ndarray) -> Retrieval:  # fmt: skip
    r1 = r5 = mrr = 0.0
    for query, vector, answer in zip(queries, vectors, answers, strict=True):
        hits = kb.rank(query, vector, 10, ranker=ranker)
        ranks = [i for i, h in enumerate(hits) if h.entry.answer == answer]
        if ranks:
            r1 += ranks[0] == 0
            r5 += ranks[0] < 5
            mrr += 1 / (ranks[0] + 1)
    n = len(queries)
    return Retrieval(r1 / n, r5 / n, mrr / n)


def kb_section(data_dir: Path, settings, encoder) -> str:
    kb, build_s = policy_kb(data_dir, encoder, settings.cache_dir)
    answer_of = {e.id: e.answer for e in kb.entries.values()}
    sets = {"original questions": [(r["question"], r["id"]) for r in policy_rows(data_dir)]}
    for name in ("dev", "hard", "test"):
        sets[f"rewordings: {name}"] = [(r["query"], r["entry_id"]) for r in rewordings(name)]
    lines = [
        "## Knowledge base (policy_qa.csv, 5,000 entries)",
        "",
        f"Build: {len(kb):,} entries"
        + (
            f" encoded and indexed in {build_s:.0f} s." if build_s else " (cached build)."
        ),  # fmt: skip
        "",
        "| queries | n | method | Recall@1 | Recall@5 | MRR@10 |",
        "|---|---|---|---|---|---|",
    ]
    for name, pairs in sets.items():
        answers = [answer_of[i] for _, i in pairs]
        queries = [kb.prepare_query(q) for q, _ in pairs]
        vectors = encoder.encode_queries(queries)
        rows = [(m, retrieval(kb, queries, answers, r, vectors)) for m, r in METHODS.items()]
        if name != "original questions":  # the same without undoing homophones
            raw = [normalize_text(q) for q, _ in pairs]
            rows.append(
                (
                    "fusion, homophones left as heard",
                    retrieval(kb, raw, answers, Ranker(), encoder.encode_queries(raw)),
                )
            )
        for method, r in rows:
            lines.append(f"| {name} | {len(pairs)} | {method} | {r.recall1:.3f} | {r.recall5:.3f}"
                         f" | {r.mrr:.3f} |")  # fmt: skip

    # The decision: scale and thresholds fitted on the tuning sets, then applied to test.
    def results(names):
        pairs = [p for n in names for p in sets[f"rewordings: {n}"]]
        return outcomes(kb, [q for q, _ in pairs], [answer_of[i] for _, i in pairs], Ranker())

    tuning = results(TUNING_SETS)
    scaled = fit_scale(tuning, Ranker())
    fitted, curve = choose_thresholds(tuning, scaled, 0.95)
    test = results(["test"])
    p_tune, c_tune = precision_coverage(tuning, fitted)
    p_test, c_test = precision_coverage(test, fitted)
    lines += [
        "",
        "Answer or hand off, at a target precision of 95% of answered questions: relevance ="
        f" sigmoid({fitted.slope:.1f} x fused {fitted.gap_slope:+.1f} x gap"
        f" {fitted.intercept:+.1f});"
        f" answer when relevance >="
        f" {fitted.threshold:.3f} and the best different answer is {fitted.margin:.2f} lower.",
        "",
        "| rewordings | n | coverage (answered) | precision of answered |",
        "|---|---|---|---|",
        f"| dev + hard (fitted here) | {len(tuning)} | {c_tune:.3f} | {p_tune:.3f} |",
        f"| test (held apart) | {len(test)} | {c_test:.3f} | {p_test:.3f} |",
        "",
        f"Precision/coverage curve on dev + hard (margin {fitted.margin:.2f}, by threshold):",
        "",
        "| threshold | precision | coverage |",
        "|---|---|---|",
    ]
    zero = [c for c in curve if c[1] == fitted.margin]
    for t, _, p, c in zero[:: max(1, len(zero) // 12)]:
        lines.append(f"| {t:.3f} | {p:.3f} | {c:.3f} |")

    # Speed of one question end to end (encoder included) at 5,000 entries.
    queries = [q for q, _ in sets["rewordings: dev"]][:200]
    kb.search(queries[0])
    times = []
    for q in queries:
        start = time.perf_counter()
        kb.reply(q)
        times.append((time.perf_counter() - start) * 1000)
    lines += ["", f"One question end to end (encode, search, decide) at {len(kb):,} entries,"
              f" {settings.threads} threads: p50 {np.percentile(times, 50):.1f} ms,"
              f" p95 {np.percentile(times, 95):.1f} ms.", ""]  # fmt: skip
    kb.set_ranker(replace(fitted, fitted_on="eval: dev + hard rewordings"))
    return "\n".join(lines)
