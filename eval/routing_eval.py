"""Routing accuracy by department kind on routing_dev.csv, and the handling-time baseline.

The classifier is trained on the ``train`` rows of the labelled files (level-1 labels only; no
department labels exist there) and codes each routing_dev message; the router turns the code,
the text and the place into a lead unit. The lead unit's kind is compared with the kind the
annotator read from the official reply.

Set-ups: the catalogue alone (what a new centre gets); the catalogue with a ``KindModel``
learned from the centre's closed cases, here the messages_with_replies.csv rows that are not in
routing_dev.csv, labelled by reading their official replies with ``router.handlers.handler_kind``
(weak labels; no routing_dev row or label is used, so this is a clean held-out measure); and, for
reference, the kNN ``RoutingHistory`` of routing_dev's own labels in 5-fold cross-validation over
near-duplicate groups (each message routed with the other folds as its history, never with
itself or its re-posts). The labeller's agreement with the annotators is reported too.
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
from router.handlers import handler_kind
from router.kind_model import KindModel


def routing_rows(data_dir: Path) -> list[dict[str, str]]:
    with (Path(data_dir) / "appeals" / "routing_dev.csv").open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["kind"]]


def reply_rows(data_dir: Path) -> list[dict[str, str]]:
    with (Path(data_dir) / "appeals" / "messages_with_replies.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def weak_training_rows(data_dir: Path, exclude: set[str]) -> list[tuple[dict[str, str], str]]:
    """Replied messages outside ``exclude`` with the kind their reply names (when it does)."""
    out = []
    for row in reply_rows(data_dir):
        if row["id"] not in exclude and (found := handler_kind(row["reply"])):
            out.append((row, found[0]))
    return out


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

    # The learned history: trained on weak-labelled replies outside routing_dev only.
    weak = weak_training_rows(data_dir, {r["id"] for r in rows})
    weak_texts = [f"{r['title']} {r['body']}" for r, _ in weak]
    weak_kinds = [k for _, k in weak]
    weak_vectors = encoder.encode_queries(weak_texts)
    kind_model = KindModel.from_vectors(weak_vectors, weak_kinds)
    learned = Router(directory, catalogue, standard, kind_model)
    held_out = score([learned.route(t, c, v)
                      for t, c, v in zip(texts, codes, vectors, strict=True)])  # fmt: skip

    # The choice of model: 5-fold group cross-validation on the weak labels themselves.
    weak_codes = [p.code for p in model.predict([r["title"] for r, _ in weak],
                                                [r["body"] for r, _ in weak])]  # fmt: skip
    weak_groups = [r["dup_group"] or r["id"] for r, _ in weak]
    cv = {"catalogue alone": [], "catalogue + kNN history (10 nearest, share >= 0.6)": [],
          "catalogue + KindModel (e5 + logistic regression)": []}  # fmt: skip
    for train, test in GroupKFold(n_splits=5).split(weak_texts, weak_kinds, weak_groups):
        knn = RoutingHistory(weak_vectors.shape[1])
        knn.add(weak_vectors[train], [weak_kinds[i] for i in train])
        fitted = KindModel.from_vectors(weak_vectors[train], [weak_kinds[i] for i in train])
        for hist, right in zip([None, knn, fitted], cv.values(), strict=True):
            r = Router(directory, catalogue, standard, hist)
            right += [r.route(weak_texts[i], weak_codes[i], weak_vectors[i]).lead_kind
                      == weak_kinds[i] for i in test]  # fmt: skip

    # The labeller's agreement with the annotators on routing_dev's replies.
    replies = {r["id"]: r["reply"] for r in reply_rows(data_dir)}
    read = [handler_kind(replies.get(r["id"], "")) for r in rows]
    covered = [(f[0], r["kind"]) for f, r in zip(read, rows, strict=True) if f]
    covered_checked = [(f[0], r["kind"]) for f, r, c in zip(read, rows, checked, strict=True)
                       if f and c]  # fmt: skip
    agree = np.mean([a == b for a, b in covered]) if covered else 0.0
    agree_checked = np.mean([a == b for a, b in covered_checked]) if covered_checked else 0.0

    truth_a, lead_a = np.array(truth), held_out[3]
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
        f"| catalogue + history learned from {len(weak)} weak-labelled replies not in routing_dev"
        f" (held out) | {held_out[0]:.3f} | {held_out[1]:.3f} | {held_out[2]:.3f} |",
        f"| catalogue + kNN history of routing_dev's own labels (5-fold, reference) |"
        f" {helped[0]:.3f} | {helped[1]:.3f} | {helped[2]:.3f} |",
        "",
        f"Reply labeller (router.handlers.handler_kind) on routing_dev's replies: reads a handler"
        f" for {len(covered)} of {len(rows)} ({len(covered) / len(rows):.0%}); agrees with the"
        f" annotator's kind on {agree:.3f} of those ({agree_checked:.3f} on the"
        f" {len(covered_checked)} high/checked ones).",
        "",
        f"Choice of the learned history: 5-fold group cross-validation on the {len(weak)}"
        f" weak-labelled replies (lead kind agreeing with the kind read from the reply):",
        "",
        "| set-up | accuracy |",
        "|---|---|",
        *[f"| {name} | {np.mean(right):.3f} |" for name, right in cv.items()],
        "",
        "By true kind, catalogue + learned history (held out):",
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
