"""Zero-shot coding from the code standard alone: names, descriptions and keywords, no labels.

Every node of the tree is encoded once as a passage. An appeal is scored against a node by the
mean of its best few cosines among the node itself and all its descendants, so that an appeal
matching specific leaves lifts their whole branch. Scores become probabilities with a softmax
among siblings.
"""

from __future__ import annotations

import numpy as np

from classifier.codes import CodeStandard

# e5 cosines bunch together (0.7-0.9): a low temperature spreads them into usable probabilities.
TEMPERATURE = 0.02
# How many of a subtree's best-matching nodes are averaged (one stray match is not enough).
TOP_K = 3


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class ZeroShot:
    def __init__(
        self,
        standard: CodeStandard,
        encoder,
        vectors: np.ndarray | None = None,
        temperature: float = TEMPERATURE,
    ):
        """``vectors``: the node profiles' embeddings when already computed (a saved model)."""
        self.standard = standard
        self.temperature = temperature
        self.codes_ = list(standard.nodes)
        self.index_ = {code: i for i, code in enumerate(self.codes_)}
        if vectors is None or len(vectors) != len(self.codes_):
            vectors = encoder.encode_passages([standard[c].profile() for c in self.codes_])
        self.vectors_ = np.asarray(vectors, dtype=np.float32)
        # For each node, the rows of itself and all its descendants.
        self.subtree_ = {code: [self.index_[code]] for code in self.codes_}
        for code in self.codes_:
            for ancestor in standard.path(code)[:-1]:
                self.subtree_[ancestor.code].append(self.index_[code])

    def node_scores(self, vectors: np.ndarray, codes: list[str]) -> np.ndarray:
        """Mean of the best ``TOP_K`` cosines in each node's subtree, shape (n, len(codes))."""
        sims = np.atleast_2d(vectors) @ self.vectors_.T
        out = np.empty((sims.shape[0], len(codes)), dtype=np.float32)
        for j, code in enumerate(codes):
            rows = self.subtree_[code]
            k = min(TOP_K, len(rows))
            out[:, j] = np.partition(sims[:, rows], len(rows) - k, axis=1)[:, -k:].mean(axis=1)
        return out

    def children_proba(
        self, vectors: np.ndarray, parent: str | None
    ) -> tuple[list[str], np.ndarray]:
        """Probabilities over the children of ``parent`` (level 1 when ``None``), (n, children)."""
        children = [n.code for n in self.standard.children(parent)]
        scores = self.node_scores(vectors, children)
        return children, softmax(scores / self.temperature, axis=1)
