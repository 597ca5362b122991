"""Supervised appeal classifiers trained from labelled records.

``BaselineModel`` is the classic jieba TF-IDF + linear SVM that centres already use; it is kept
to measure against. ``CalibratedSvm`` is what we ship: a linear SVM over jieba word (1-2 gram)
and character (1-3 gram) TF-IDF of the whole appeal plus the same features of the title alone
(a title says what the appeal is about in a few words; mixed into the body it is diluted), with
probabilities from a multinomial logistic regression fitted on the SVM's out-of-fold scores.

e5 sentence embeddings were tried as a second view (logistic regression, stacked with the SVM):
on the shared data the stack scored macro-F1 0.886-0.899 against 0.902 for this SVM alone, so
they are not used here.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.svm import LinearSVC

from classifier.duplicates import near_duplicate_groups
from classifier.segment import segment
from classifier.text import normalize_text


def _words(texts: list[str]) -> list[str]:
    return [" ".join(segment(t)) for t in texts]


def _word_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        token_pattern=r"(?u)\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=2
    )


def _char_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)


class BaselineModel:
    """jieba word TF-IDF + linear SVM (the classic baseline)."""

    def __init__(self, C: float = 0.5):
        self.C = C

    def fit(self, texts: list[str], labels: list[str]) -> BaselineModel:
        self.vectorizer_ = TfidfVectorizer(token_pattern=r"(?u)\S+", sublinear_tf=True, min_df=2)
        self.svm_ = LinearSVC(C=self.C, random_state=0).fit(
            self.vectorizer_.fit_transform(_words(texts)), labels
        )
        self.classes_ = self.svm_.classes_
        return self

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.svm_.predict(self.vectorizer_.transform(_words(texts)))


def title_body_views(titles: list[str], bodies: list[str]) -> list[list[str]]:
    """The four texts the SVM sees: appeal words, appeal characters, title words, title characters.

    Segmenting is the slow part of training, so it is done once and the views are sliced.
    """
    whole = [f"{t} {b}".strip() for t, b in zip(titles, bodies, strict=True)]
    return [_words(whole), whole, _words(titles), list(titles)]


def _take(views: list[list[str]], rows) -> list[list[str]]:
    return [[view[i] for i in rows] for view in views]


class TitleBodySvm:
    """Linear SVM over word and character TF-IDF of the appeal and of its title alone."""

    def __init__(self, C: float = 0.3):
        self.C = C

    def fit(self, views: list[list[str]], y: np.ndarray) -> TitleBodySvm:
        self.vectorizers_ = [
            _word_vectorizer(),
            _char_vectorizer(),
            _word_vectorizer(),
            _char_vectorizer(),
        ]
        parts = [v.fit_transform(x) for v, x in zip(self.vectorizers_, views, strict=True)]
        self.svm_ = LinearSVC(C=self.C, random_state=0).fit(hstack(parts).tocsr(), y)
        return self

    def decision_function(self, views: list[list[str]]) -> np.ndarray:
        parts = [v.transform(x) for v, x in zip(self.vectorizers_, views, strict=True)]
        scores = self.svm_.decision_function(hstack(parts).tocsr())
        return scores if scores.ndim == 2 else np.column_stack([-scores, scores])


class CalibratedSvm:
    """``TitleBodySvm`` with probabilities calibrated on out-of-fold scores."""

    def __init__(self, folds: int = 5, C: float = 0.3, C_calibration: float = 1.0):
        self.folds = folds
        self.C = C
        self.C_calibration = C_calibration

    def fit(self, titles: list[str], bodies: list[str], labels: list[str]) -> CalibratedSvm:
        titles = [normalize_text(t) for t in titles]
        bodies = [normalize_text(b) for b in bodies]
        self.classes_, y = np.unique(np.asarray(labels), return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("the labels name fewer than two level-1 categories: nothing to learn")
        counts = np.bincount(y)
        if counts.min() < 2:
            rare = self.classes_[counts.argmin()]
            raise ValueError(f"category {rare} has only one labelled appeal; it needs at least 2")
        views = title_body_views(titles, bodies)
        # Near-duplicates stay in one fold, so held-out scores are honest.
        groups = near_duplicate_groups(titles, bodies)
        folds = StratifiedGroupKFold(min(self.folds, counts.min()), shuffle=True, random_state=0)
        oof = np.zeros((len(y), len(self.classes_)))
        for train, held in folds.split(titles, y, groups):
            svm = TitleBodySvm(self.C).fit(_take(views, train), y[train])
            oof[held] = svm.decision_function(_take(views, held))
        self.calibration_ = LogisticRegression(C=self.C_calibration, max_iter=3000).fit(oof, y)
        # Held-out probabilities, for choosing the abstain threshold.
        self.oof_proba_ = self.calibration_.predict_proba(oof)
        self.oof_y_ = y
        self.svm_ = TitleBodySvm(self.C).fit(views, y)
        return self

    def predict_proba(self, titles: list[str], bodies: list[str]) -> np.ndarray:
        titles = [normalize_text(t) for t in titles]
        bodies = [normalize_text(b) for b in bodies]
        scores = self.svm_.decision_function(title_body_views(titles, bodies))
        return self.calibration_.predict_proba(scores)
