"""Routing accuracy by department kind on routing_dev.csv, and the handling-time baseline.

The classifier is trained on the ``train`` rows of the labelled files (level-1 labels only; no
department labels exist there) and codes each routing_dev message; the router turns the code,
the text and the place into a lead unit. The lead unit's kind is compared with the kind the
annotator read from the official reply.

Two set-ups: the catalogue alone (what a new centre gets), and the catalogue with a history of
routed past cases. For the second, 5-fold cross-validation over near-duplicate groups: each
message is routed with the other folds as its history, never with itself or its re-posts.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

from classifier import Classifier, CodeStandard
from classifier.duplicates import near_duplicate_groups
from eval.datasets import labelled_appeals
from router import Catalogue, Directory, Router, RoutingHistory


def routing_rows(data_dir: Path) -> list[dict[str, str]]:
    with (Path(data_dir) / "appeals" / "routing_dev.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["kind"]]


def handling_days(data_dir: Path) -> np.ndarray:
    """Days from message to official reply in messages_with_replies.csv."""
    days = []
    with (Path(data_dir) / "appeals" / "messages_with_replies.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                start = datetime.fromisoformat(row["time"].strip())
                end = datetime.fromisoformat(row["reply_time"].strip())
            except ValueError:
                continue
            if end >= start:
                days.append((end - start).total_seconds() / 86400)
    return np.array(days)


def routing_section(data_dir: Path, encoder) -> str:
    standard = CodeStandard.default()
    train = labelled_appeals(data_dir, "train")
    model = Classifier.train([a.title for a in train], [a.body for a in train],
                             [a.label for a in train], standard, encoder,
                             progress=lambda _m: None)  # fmt: skip
    directory, catalogue = Directory.demo(), Catalogue.default()
    rows = routing_rows(data_dir)
    texts = [f"{r['title']} {r['body']}" for r in rows]
    codes = [p.code for p in model.predict([r["title"] for r in rows], [r["body"] for r in rows])]
    vectors = encoder.encode_queries(texts)
    truth = [r["kind"] for r in rows]
    checked = np.array([r["checked_by_hand"] == "True" or r["confidence"] == "high" for r in rows])

    def score(decisions) -> tuple[float, float, float, np.ndarray]:
        lead = np.array([d.lead_kind for d in decisions])
        second = [d.assisting_kinds[0] if d.assisting_kinds else "" for d in decisions]
        right = lead == np.array(truth)
        top2 = np.mean([t in (a, b) for t, a, b in zip(truth, lead, second, strict=True)])
        return float(right.mean()), float(top2), float(right[checked].mean()), lead

    plain = Router(directory, catalogue, standard)
    alone = score([plain.route(t, c) for t, c in zip(texts, codes, strict=True)])
    groups = near_duplicate_groups([r["title"] for r in rows], [r["body"] for r in rows])
    with_history: list = [None] * len(rows)
    for train, test in GroupKFold(n_splits=5).split(texts, truth, groups):
        history = RoutingHistory(vectors.shape[1])
        history.add(vectors[train], [truth[i] for i in train])
        router = Router(directory, catalogue, standard, history)
        for i in test:
            with_history[i] = router.route(texts[i], codes[i], vectors[i])
    helped = score(with_history)
    truth_a, lead_a = np.array(truth), helped[3]
    days = handling_days(data_dir)
    lines = [
        "## Routing (routing_dev.csv)",
        "",
        f"{len(rows)} messages; {int(checked.sum())} of them labelled with high confidence or"
        " checked by hand.",
        "",
        "| router | lead kind accuracy | lead or first assisting | on high/checked rows |",
        "|---|---|---|---|",
        f"| catalogue alone | {alone[0]:.3f} | {alone[1]:.3f} | {alone[2]:.3f} |",
        f"| catalogue + history of past cases (5-fold) | {helped[0]:.3f} | {helped[1]:.3f} |"
        f" {helped[2]:.3f} |",
        "",
        "By true kind, catalogue + history:",
        "",
        "| true kind | n | routed right | most often routed to instead |",
        "|---|---|---|---|",
    ]
    for kind, n in Counter(truth).most_common():
        mask = truth_a == kind
        wrong = Counter(lead_a[mask & (lead_a != kind)]).most_common(2)
        instead = ", ".join(f"{k} ({c})" for k, c in wrong) or "-"
        lines.append(f"| {kind} | {n} | {(lead_a[mask] == kind).mean():.2f} | {instead} |")
    lines += [
        "",
        f"Handling time in messages_with_replies.csv ({len(days)} messages with a reply date):"
        f" median {np.median(days):.1f} days, p90 {np.percentile(days, 90):.1f} days,"
        f" {np.mean(days <= 7):.0%} replied within 7 days (calendar days).",
        "",
    ]
    return "\n".join(lines)
