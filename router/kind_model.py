"""The kind of unit a centre sends an appeal to, learned from its own routed, closed cases.

``KindModel.train(texts, kinds, encoder)`` fits a logistic regression on the e5 query vectors of
past appeals and the kind of unit that handled each one (from the case records, or read from the
official replies with ``router.handlers.handler_kind``). ``Router`` consults it like a
``RoutingHistory``: where the model is confident enough (``threshold``), the centre's practice
beats the generic catalogue, and the reason says so.

Chosen by 5-fold group cross-validation on weak-labelled replies (see eval/routing_eval.py):
e5 + logistic regression, a kNN vote of the 10 nearest, character TF-IDF with logistic regression
or a linear SVM and their combinations all scored within a few points of each other; the
logistic regression on e5 vectors was best and is the simplest to retrain. Fitting 1,200 cases
takes a second or two on 2 cores once the vectors exist; nothing is downloaded.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.linear_model import LogisticRegression

# The model's probability for its best kind at or above which it overrides the catalogue.
MODEL_THRESHOLD = 0.3
MODEL_C = 64.0


class KindModel:
    """``vote(vector)`` -> (kind, probability, number of past cases it learned from)."""

    threshold = MODEL_THRESHOLD
    learned = True  # the router's reason says "learned from n closed cases", not "n nearest"

    def __init__(self, model: LogisticRegression | None, kind: str, n: int):
        self.model = model
        self.only_kind = kind  # a history with one kind only: always that kind
        self.n = n

    @classmethod
    def train(cls, texts: list[str], kinds: list[str], encoder) -> KindModel:
        """Fit on past appeals' texts and the kinds of unit that handled them."""
        return cls.from_vectors(encoder.encode_queries(list(texts)), kinds)

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, kinds: list[str], c: float = MODEL_C) -> KindModel:
        """Fit on e5 query vectors (``encoder.encode_queries``) of past appeals."""
        kinds = list(kinds)
        if len(vectors) != len(kinds) or not kinds:
            raise ValueError("a kind model needs one kind per vector, and at least one case")
        counts = Counter(kinds)
        if len(counts) == 1:
            return cls(None, kinds[0], len(kinds))
        model = LogisticRegression(C=c, max_iter=3000)
        model.fit(np.asarray(vectors, dtype=np.float32), kinds)
        return cls(model, "", len(kinds))

    def proba(self, vector: np.ndarray) -> list[tuple[str, float]]:
        """Kinds with their probabilities, the likeliest first."""
        if self.model is None:
            return [(self.only_kind, 1.0)]
        p = self.model.predict_proba(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        order = np.argsort(-p)
        return [(str(self.model.classes_[i]), float(p[i])) for i in order]

    def vote(self, vector: np.ndarray) -> tuple[str, float, int]:
        kind, p = self.proba(vector)[0]
        return kind, p, self.n
