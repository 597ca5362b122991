"""Zero-shot coding from the code standard alone: names, descriptions and keywords, no labels.

Every node of the tree is encoded once as a passage. An appeal is scored against a node by the
best cosine among the node itself and all its descendants, so that an appeal matching one
specific leaf lifts its whole branch. Scores become probabilities with a softmax among siblings.
"""

from __future__ import annotations

import numpy as np

from classifier.codes import CodeStandard

# e5 cosines bunch together (0.7-0.9): a low temperature spreads them into usable probabilities.
TEMPERATURE = 0.02


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


class ZeroShot:
    def __init__(self, standard: CodeStandard, encoder, temperature: float = TEMPERATURE):
        self.standard = standard
        self.temperature = temperature
        self.codes_ = list(standard.nodes)
        self.index_ = {code: i for i, code in enumerate(self.codes_)}
        vectors = encoder.encode_passages([standard[c].profile() for c in self.codes_])
        self.vectors_ = np.asarray(vectors, dtype=np.float32)
        # For each node, the rows of itself and all its descendants.
        self.subtree_ = {code: [self.index_[code]] for code in self.codes_}
        for code in self.codes_:
            for ancestor in standard.path(code)[:-1]:
                self.subtree_[ancestor.code].append(self.index_[code])

    def node_scores(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine of each appeal with each node's best-matching subtree member, (n, nodes)."""
        sims = np.atleast_2d(vectors) @ self.vectors_.T
        return np.stack([sims[:, rows].max(axis=1) for rows in self.subtree_.values()], axis=1)

    def children_proba(
        self, scores: np.ndarray, parent: str | None
    ) -> tuple[list[str], np.ndarray]:
        """Probabilities over the children of ``parent`` (level 1 when ``None``), (n, children)."""
        children = [n.code for n in self.standard.children(parent)]
        cols = [self.index_[c] for c in children]
        return children, softmax(scores[:, cols] / self.temperature, axis=1)
