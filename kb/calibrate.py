"""Fit the relevance scale and the answer thresholds from labelled questions.

Given questions with the entry that answers each, the top hit's fused score and its gap to the
best hit with another answer are mapped to a probability of being right (logistic regression),
and the relevance threshold and top-1/top-2 margin are chosen as the pair that answers the
most questions while the answered ones stay at least ``target_precision`` right. A hit counts
as right when its answer is the labelled entry's answer (knowledge bases hold duplicates).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from sklearn.linear_model import LogisticRegression

from kb.base import KnowledgeBase
from kb.ranking import Ranker

# At least 0.02: two different answers within a hair of each other are a coin toss, whatever
# the data says about the rest (one knowledge base's duplicates are another's contradiction).
MARGINS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)


@dataclass
class Outcome:
    """The top two hits for one labelled question."""

    fused: float
    runner_up: float  # fused score of the best hit with a different answer (0 if none)
    correct: bool


def outcomes(
    kb: KnowledgeBase, queries: list[str], answers: list[str], ranker: Ranker
) -> list[Outcome]:
    queries = [kb.prepare_query(q) for q in queries]
    vectors = kb.encoder.encode_queries(queries)
    out = []
    for query, vector, answer in zip(queries, vectors, answers, strict=True):
        hits = kb.rank(query, vector, 10, ranker=ranker)
        top = hits[0]
        other = next((h for h in hits[1:] if h.entry.answer != top.entry.answer), None)
        out.append(
            Outcome(
                fused=top.features["fused"],
                runner_up=other.features["fused"] if other else 0.0,
                correct=top.entry.answer == answer,
            )
        )
    return out


def answered(outcomes_: list[Outcome], ranker: Ranker) -> np.ndarray:
    """Whether the bot answers each question under ``ranker``'s thresholds."""
    flags = []
    for o in outcomes_:
        top = ranker.relevance(o.fused, o.fused - o.runner_up)
        second = ranker.relevance(o.runner_up, o.runner_up - o.fused)
        flags.append(top >= ranker.threshold and top - second > ranker.margin)
    return np.array(flags, dtype=bool)


def precision_coverage(outcomes_: list[Outcome], ranker: Ranker) -> tuple[float, float]:
    flags = answered(outcomes_, ranker)
    correct = np.array([o.correct for o in outcomes_])
    coverage = float(flags.mean())
    precision = float(correct[flags].mean()) if flags.any() else 1.0
    return precision, coverage


def fit_scale(outcomes_: list[Outcome], ranker: Ranker) -> Ranker:
    """The logistic relevance scale: P(top hit right | fused score, gap to the runner-up)."""
    x = np.array([[o.fused, o.fused - o.runner_up] for o in outcomes_])
    y = np.array([o.correct for o in outcomes_])
    if y.all() or not y.any():
        raise ValueError("calibration needs questions the search gets right and ones it gets wrong")
    model = LogisticRegression(C=10.0).fit(x, y)
    slope, gap_slope = (float(c) for c in model.coef_[0])
    return replace(ranker, slope=slope, gap_slope=gap_slope, intercept=float(model.intercept_[0]))


def choose_thresholds(
    outcomes_: list[Outcome], ranker: Ranker, target_precision: float = 0.95
) -> tuple[Ranker, list[tuple[float, float, float, float]]]:
    """The (threshold, margin) with the most coverage at ``target_precision``; and the curve.

    The curve lists (threshold, margin, precision, coverage) for every pair tried.
    """
    scores = sorted({round(ranker.relevance(o.fused, o.fused - o.runner_up), 4) for o in outcomes_})
    curve, best = [], None
    for margin in MARGINS:
        for threshold in scores:
            candidate = replace(ranker, threshold=threshold, margin=margin)
            precision, coverage = precision_coverage(outcomes_, candidate)
            curve.append((threshold, margin, precision, coverage))
            if precision >= target_precision and (best is None or coverage > best[1]):
                best = (candidate, coverage)
    if best is None:
        raise ValueError(f"no threshold reaches {target_precision:.0%} precision")
    return best[0], curve


def calibrate(
    kb: KnowledgeBase,
    queries: list[str],
    answers: list[str],
    *,
    target_precision: float = 0.95,
    source: str = "",
) -> tuple[Ranker, list[tuple[float, float, float, float]]]:
    """A ranker with the knowledge base's fusion weights, fitted scale and thresholds."""
    base = kb.ranker
    results = outcomes(kb, queries, answers, base)
    scaled = fit_scale(results, base)
    fitted, curve = choose_thresholds(results, scaled, target_precision)
    fitted.fitted_on = source or f"{len(queries)} labelled questions"
    return fitted, curve
