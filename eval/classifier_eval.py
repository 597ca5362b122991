"""Appeal classifier against the classic baseline, on the shared data's train/test split."""

from __future__ import annotations

import csv
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from classifier import Classifier, CodeStandard
from classifier.model import ENCODER_CHARS, appeal_text
from classifier.supervised import BaselineModel
from eval.datasets import labelled_appeals


@dataclass
class ClassifierReport:
    train_rows: int
    test_rows: int
    baseline_macro_f1: float
    baseline_accuracy: float
    macro_f1: float
    accuracy: float
    top3_accuracy: float
    zero_shot_macro_f1: float
    zero_shot_accuracy: float
    self_trained_macro_f1: float
    self_trained_accuracy: float
    ece: float
    threshold: float
    coverage_at_threshold: float
    precision_at_threshold: float
    curve: list[tuple[float, float, float]] = field(default_factory=list)  # threshold, cov, prec
    train_seconds: float = 0.0
    single_p50_ms: float = 0.0
    single_p95_ms: float = 0.0
    batch_per_s: float = 0.0
    level2_rows: int = 0
    level2_given_true_level1: float = 0.0
    level2_end_to_end: float = 0.0
    level2_high_confidence_rows: int = 0
    level2_high_confidence: float = 0.0
    level2_given_share: float = 0.0
    level2_given_accuracy: float = 0.0


def expected_calibration_error(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            ece += inside.mean() * abs(conf[inside].mean() - correct[inside].mean())
    return float(ece)


def precision_coverage(conf: np.ndarray, correct: np.ndarray) -> list[tuple[float, float, float]]:
    rows = []
    for t in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98):
        answered = conf >= t
        if answered.any():
            rows.append((t, float(answered.mean()), float(correct[answered].mean())))
    return rows


HAND_CODED = Path(__file__).parent / "data" / "level2_hand_coded.csv"


def level2_check(model: Classifier, data_dir: Path) -> dict:
    """Level-2 accuracy on 200 test appeals coded by hand (ids and codes only, in eval/data).

    ``given_true_level1``: the best child of the appeal's labelled level-1 category;
    ``end_to_end``: the best child of the predicted level-1 category.
    """
    with HAND_CODED.open(encoding="utf-8") as f:
        gold = {r["id"]: r for r in csv.DictReader(f)}
    with (Path(data_dir) / "appeals" / "labelled_full.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["id"] in gold]
    std = model.standard
    texts = [appeal_text(r["title"], r["body"]) for r in rows]
    vectors = model.encoder.encode_queries([t[:ENCODER_CHARS] for t in texts])
    classes, proba = model.level1_proba(
        [r["title"] for r in rows], [r["body"] for r in rows], vectors
    )
    hits_true, hits_e2e, high, given = [], [], [], []
    for i, r in enumerate(rows):
        want = gold[r["id"]]["level2_code"]
        for parent, hits in (
            (std.resolve(r["label"]), hits_true),
            (classes[int(proba[i].argmax())], hits_e2e),
        ):
            children, child_proba = model.zero_shot.children_proba(vectors[i], parent)
            hits.append(children[int(child_proba[0].argmax())] == want)
            if hits is hits_e2e and child_proba[0].max() >= model.depth_threshold:
                given.append(hits[-1])  # the model would state this level-2 code
        if gold[r["id"]]["confidence"] == "high":
            high.append(hits_true[-1])
    return {
        "level2_rows": len(rows),
        "level2_given_true_level1": float(np.mean(hits_true)),
        "level2_end_to_end": float(np.mean(hits_e2e)),
        "level2_high_confidence_rows": len(high),
        "level2_high_confidence": float(np.mean(high)),
        "level2_given_share": len(given) / len(rows),
        "level2_given_accuracy": float(np.mean(given)) if given else 0.0,
    }


def evaluate_classifier(data_dir: Path, encoder) -> ClassifierReport:
    standard = CodeStandard.default()
    train = labelled_appeals(data_dir, "train")
    test = labelled_appeals(data_dir, "test")
    y_test = [standard.resolve(a.label) for a in test]

    baseline = BaselineModel().fit(
        [appeal_text(a.title, a.body) for a in train], [a.label for a in train]
    )
    base_pred = [
        standard.resolve(x) for x in baseline.predict([appeal_text(a.title, a.body) for a in test])
    ]

    started = time.time()
    model = Classifier.train(
        [a.title for a in train], [a.body for a in train], [a.label for a in train],
        standard, encoder, progress=lambda _msg: None,
    )  # fmt: skip
    train_seconds = time.time() - started
    preds = model.predict([a.title for a in test], [a.body for a in test])
    top1 = [p.top3[0][0] for p in preds]
    conf = np.array([p.top3[0][1] for p in preds])
    correct = np.array([p == y for p, y in zip(top1, y_test, strict=True)])
    top3 = np.mean([y in [c for c, _ in p.top3] for p, y in zip(preds, y_test, strict=True)])
    answered = conf >= model.abstain_threshold

    titles, bodies = [a.title for a in test], [a.body for a in test]
    zero = Classifier(standard, encoder, zero_shot_vectors=model.zero_shot.vectors_)
    zero_top1 = [p.top3[0][0] for p in zero.predict(titles, bodies)]
    selft = Classifier.self_train(
        [a.title for a in train], [a.body for a in train], standard, encoder,
        progress=lambda _msg: None,
    )  # fmt: skip
    self_top1 = [p.top3[0][0] for p in selft.predict(titles, bodies)]
    labels = sorted(set(y_test))  # macro-F1 over the categories the test rows have

    # Speed: one appeal at a time (text in, code out), then the whole test set as one batch.
    times = []
    for a in test[:100]:
        start = time.perf_counter()
        model.predict([a.title], [a.body])
        times.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    model.predict([a.title for a in test], [a.body for a in test])
    batch_per_s = len(test) / (time.perf_counter() - start)

    return ClassifierReport(
        train_rows=len(train),
        test_rows=len(test),
        baseline_macro_f1=f1_score(y_test, base_pred, average="macro"),
        baseline_accuracy=accuracy_score(y_test, base_pred),
        macro_f1=f1_score(y_test, top1, average="macro"),
        accuracy=float(correct.mean()),
        top3_accuracy=float(top3),
        zero_shot_macro_f1=f1_score(y_test, zero_top1, labels=labels, average="macro"),
        zero_shot_accuracy=accuracy_score(y_test, zero_top1),
        self_trained_macro_f1=f1_score(y_test, self_top1, labels=labels, average="macro"),
        self_trained_accuracy=accuracy_score(y_test, self_top1),
        ece=expected_calibration_error(conf, correct),
        threshold=model.abstain_threshold,
        coverage_at_threshold=float(answered.mean()),
        precision_at_threshold=float(correct[answered].mean()) if answered.any() else 0.0,
        curve=precision_coverage(conf, correct),
        train_seconds=train_seconds,
        single_p50_ms=statistics.median(times),
        single_p95_ms=statistics.quantiles(times, n=20)[18],
        batch_per_s=batch_per_s,
        **level2_check(model, data_dir),
    )


def _row(name: str, *values: float) -> str:
    cells = [f"{v:.4f}" for v in values] + [""] * (3 - len(values))
    return f"| {name} | {' | '.join(cells)} |"


def classifier_section(data_dir: Path, encoder) -> str:
    r = evaluate_classifier(data_dir, encoder)
    lines = [
        "## Appeal classifier (level 1)",
        "",
        f"Trained on {r.train_rows:,} deduplicated `train` rows of the three labelled files;"
        f" tested on the {r.test_rows} `test` rows of labelled_full.csv (title + body).",
        "",
        "| model | macro-F1 | accuracy | top-3 accuracy |",
        "|---|---|---|---|",
        _row("baseline: jieba TF-IDF + linear SVM", r.baseline_macro_f1, r.baseline_accuracy),
        _row("zero-shot (no labels, 15 level-1 codes)", r.zero_shot_macro_f1, r.zero_shot_accuracy),
        _row(
            "zero-shot, then self-trained on the train texts without their labels",
            r.self_trained_macro_f1,
            r.self_trained_accuracy,
        ),  # fmt: skip
        _row(
            "hotline: word/char TF-IDF of appeal and title, SVM, calibrated",
            r.macro_f1,
            r.accuracy,
            r.top3_accuracy,
        ),  # fmt: skip
        "",
        f"- Expected calibration error of the top-1 probability: {r.ece:.4f}.",
        f"- Abstain threshold chosen on out-of-fold training predictions for 95% precision:"
        f" {r.threshold:.3f}; on the test rows it answers {r.coverage_at_threshold:.1%}"
        f" without a person at {r.precision_at_threshold:.1%} precision.",
        f"- Training wall time: {r.train_seconds:.0f} s. One appeal end to end:"
        f" p50 {r.single_p50_ms:.0f} ms, p95 {r.single_p95_ms:.0f} ms;"
        f" batch {r.batch_per_s:.0f} appeals/s.",
        "",
        f"Level 2 (zero-shot within the branch; no level-2 labels exist), checked on"
        f" {r.level2_rows} test appeals we coded by hand (`eval/data/level2_hand_coded.csv`):"
        f" {r.level2_given_true_level1:.1%} correct when the level-1 label is right,"
        f" {r.level2_end_to_end:.1%} end to end; {r.level2_high_confidence:.1%} on the"
        f" {r.level2_high_confidence_rows} appeals the coder marked high-confidence. The model"
        f" states a level-2 code (probability >= the depth threshold) for"
        f" {r.level2_given_share:.0%} of them, {r.level2_given_accuracy:.1%} correct.",
        "",
        "| threshold | coverage | precision |",
        "|---|---|---|",
        *[f"| {t:.2f} | {c:.1%} | {p:.1%} |" for t, c, p in r.curve],
        "",
    ]
    return "\n".join(lines)
