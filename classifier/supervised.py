"""Supervised appeal classifiers trained from labelled records.

``BaselineModel`` is the classic jieba TF-IDF + linear SVM that centres already use; we keep it
to measure against. ``StackedModel`` is what we ship: two different views of an appeal,

- a linear SVM over jieba word (1-2 gram) and character (1-3 gram) TF-IDF, and
- a logistic regression over e5 sentence embeddings,

whose out-of-fold scores feed a multinomial logistic regression. The stacker learns how far
to trust each view and gives probabilities that are calibrated on data the bases never saw.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import LabelEncoder
from sklearn.svm import LinearSVC

from classifier.segment import segment


def _words(texts: list[str]) -> list[str]:
    return [" ".join(segment(t)) for t in texts]


class BaselineModel:
    """jieba word TF-IDF + linear SVM (the classic baseline)."""

    def __init__(self, C: float = 0.5):
        self.C = C

    def fit(self, texts: list[str], labels: list[str]) -> BaselineModel:
        self.vectorizer_ = TfidfVectorizer(token_pattern=r"(?u)\S+", sublinear_tf=True, min_df=2)
        self.svm_ = LinearSVC(C=self.C).fit(self.vectorizer_.fit_transform(_words(texts)), labels)
        self.classes_ = self.svm_.classes_
        return self

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.svm_.predict(self.vectorizer_.transform(_words(texts)))


class TfidfSvm:
    """Linear SVM over word and character TF-IDF; ``decision_function`` scores per class."""

    def __init__(self, C: float = 0.5):
        self.C = C

    def _features(self, texts: list[str], words: list[str], fit: bool):
        if fit:
            self.words_ = TfidfVectorizer(
                token_pattern=r"(?u)\S+", ngram_range=(1, 2), sublinear_tf=True, min_df=2
            )
            self.chars_ = TfidfVectorizer(
                analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2
            )
            return hstack([self.words_.fit_transform(words), self.chars_.fit_transform(texts)])
        return hstack([self.words_.transform(words), self.chars_.transform(texts)])

    def fit(self, texts: list[str], words: list[str], y: np.ndarray) -> TfidfSvm:
        self.svm_ = LinearSVC(C=self.C).fit(self._features(texts, words, fit=True).tocsr(), y)
        return self

    def decision_function(self, texts: list[str], words: list[str]) -> np.ndarray:
        return self.svm_.decision_function(self._features(texts, words, fit=False).tocsr())


class EmbeddingLogReg:
    def __init__(self, C: float = 10.0):
        self.C = C

    def fit(self, vectors: np.ndarray, y: np.ndarray) -> EmbeddingLogReg:
        self.lr_ = LogisticRegression(C=self.C, max_iter=3000).fit(vectors, y)
        return self

    def decision_function(self, vectors: np.ndarray) -> np.ndarray:
        return self.lr_.predict_log_proba(vectors)


class StackedModel:
    """Word/char TF-IDF SVM and e5 logistic regression, stacked by a calibrated meta-model."""

    def __init__(
        self, folds: int = 5, C_svm: float = 0.5, C_emb: float = 10.0, C_meta: float = 1.0
    ):
        self.folds = folds
        self.C_svm = C_svm
        self.C_emb = C_emb
        self.C_meta = C_meta

    def _base_scores(self, svm, emb, texts, words, vectors) -> np.ndarray:
        parts = [svm.decision_function(texts, words)]
        if emb is not None:
            parts.append(emb.decision_function(vectors))
        return np.hstack(parts)

    def fit(self, texts: list[str], labels: list[str], vectors: np.ndarray | None = None):
        self.labels_ = LabelEncoder().fit(labels)
        self.classes_ = self.labels_.classes_
        y = self.labels_.transform(labels)
        words = _words(texts)
        n_scores = len(self.classes_) * (2 if vectors is not None else 1)
        oof = np.zeros((len(texts), n_scores))
        folds = StratifiedKFold(self.folds, shuffle=True, random_state=0)
        for train, held in folds.split(texts, y):
            svm = TfidfSvm(self.C_svm).fit(
                [texts[i] for i in train], [words[i] for i in train], y[train]
            )
            emb = (
                EmbeddingLogReg(self.C_emb).fit(vectors[train], y[train])
                if vectors is not None
                else None
            )
            oof[held] = self._base_scores(
                svm, emb, [texts[i] for i in held], [words[i] for i in held],
                vectors[held] if vectors is not None else None,
            )  # fmt: skip
        self.oof_proba_ = None
        self.meta_ = LogisticRegression(C=self.C_meta, max_iter=3000).fit(oof, y)
        # Out-of-fold probabilities of the stacked model, for choosing the abstain threshold.
        self.oof_proba_ = self.meta_.predict_proba(oof)
        self.oof_y_ = y
        self.svm_ = TfidfSvm(self.C_svm).fit(texts, words, y)
        self.emb_ = EmbeddingLogReg(self.C_emb).fit(vectors, y) if vectors is not None else None
        return self

    def predict_proba(self, texts: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        scores = self._base_scores(self.svm_, self.emb_, texts, _words(texts), vectors)
        return self.meta_.predict_proba(scores)
