"""The appeal classifier: a code of the standard, with a confidence an agent can trust.

Level 1 comes from the supervised model where labelled records exist, otherwise from the
zero-shot model. Levels 2 and 3 are chosen among the children of the code above (zero-shot:
there are no labels below level 1), so a child never lands outside its parent. A level is only
given when its own probability clears ``depth_threshold``; the whole appeal is flagged
"needs a person" when the level-1 probability is below the abstain threshold, which training
sets from held-out predictions for the target precision.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import joblib
import numpy as np

from classifier.codes import CodeStandard
from classifier.supervised import StackedModel
from classifier.text import normalize_text
from classifier.triage import Triage, TypeModel, triage
from classifier.zeroshot import ZeroShot

FORMAT_VERSION = 1
MANIFEST = "classifier.json"


class ModelError(ValueError):
    """A model folder that cannot be used."""


@dataclass
class Prediction:
    code: str
    path: list[str]  # category names from level 1 down to ``code``
    confidence: float  # probability of ``code`` (product along the path)
    top3: list[tuple[str, float]]  # level-1 codes with probabilities
    needs_person: bool
    triage: Triage

    def as_dict(self) -> dict:
        return asdict(self)


def appeal_text(title: str | None, body: str | None) -> str:
    return normalize_text(f"{title or ''} {body or ''}")


def threshold_for_precision(proba: np.ndarray, y: np.ndarray, precision: float) -> float:
    """Lowest top-1 probability at which the answered share still reaches ``precision``."""
    conf = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    order = np.argsort(-conf)
    hits = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    ok = np.nonzero(hits >= precision)[0]
    if len(ok) == 0:
        return 1.0
    return float(conf[order][ok[-1]])


class Classifier:
    def __init__(
        self,
        standard: CodeStandard,
        encoder,
        level1: StackedModel | None = None,
        abstain_threshold: float = 0.5,
        depth_threshold: float = 0.5,
        info: dict | None = None,
    ):
        self.standard = standard
        self.encoder = encoder
        self.level1 = level1
        self.abstain_threshold = abstain_threshold
        self.depth_threshold = depth_threshold
        self.info = info or {}
        self.zero_shot = ZeroShot(standard, encoder)
        self.type_model = TypeModel(encoder)

    # -- training ----------------------------------------------------------------------------
    @classmethod
    def train(
        cls,
        titles: list[str],
        bodies: list[str],
        labels: list[str],
        standard: CodeStandard,
        encoder,
        *,
        target_precision: float = 0.95,
        progress=print,
    ) -> Classifier:
        """Train from labelled rows; labels are codes or category names of ``standard``."""
        started = time.time()
        texts = [appeal_text(t, b) for t, b in zip(titles, bodies, strict=True)]
        level1 = [standard.ancestor(standard.resolve(label), 1).code for label in labels]
        progress(f"encoding {len(texts)} appeals")
        vectors = encoder.encode_queries(texts)
        progress("training the stacked model (5 folds)")
        model = StackedModel().fit(texts, level1, vectors)
        y = model.oof_y_
        threshold = threshold_for_precision(model.oof_proba_, y, target_precision)
        oof_conf = model.oof_proba_.max(axis=1)
        info = {
            "trained_rows": len(texts),
            "level1_classes": list(model.classes_),
            "target_precision": target_precision,
            "heldout_accuracy": float((model.oof_proba_.argmax(axis=1) == y).mean()),
            "heldout_coverage_at_target": float((oof_conf >= threshold).mean()),
            "train_seconds": round(time.time() - started, 1),
        }
        return cls(standard, encoder, model, abstain_threshold=threshold, info=info)

    # -- saving and loading ------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the model folder atomically: a crash never leaves a half-written model."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
        try:
            (work / "codes.csv").write_text(self.standard.to_csv(), "utf-8")
            if self.level1 is not None:
                joblib.dump(self.level1, work / "level1.joblib")
            manifest = {
                "format": FORMAT_VERSION,
                "kind": "supervised" if self.level1 is not None else "zero-shot",
                "abstain_threshold": self.abstain_threshold,
                "depth_threshold": self.depth_threshold,
                "info": self.info,
            }
            (work / MANIFEST).write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8"
            )
            old = None
            if path.exists():
                old = path.parent / f".{path.name}-old-{os.getpid()}"
                os.rename(path, old)
            os.rename(work, path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @classmethod
    def load(cls, path: Path, encoder) -> Classifier:
        path = Path(path)
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise ModelError(f"{path} is not a classifier model folder (no {MANIFEST})")
        manifest = json.loads(manifest_path.read_text("utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
            raise ModelError(f"{path}: model format {manifest.get('format')} is not supported")
        standard = CodeStandard.load(path / "codes.csv")
        level1 = joblib.load(path / "level1.joblib") if manifest["kind"] == "supervised" else None
        return cls(
            standard,
            encoder,
            level1,
            abstain_threshold=manifest["abstain_threshold"],
            depth_threshold=manifest["depth_threshold"],
            info=manifest.get("info", {}),
        )

    # -- prediction --------------------------------------------------------------------------
    def level1_proba(self, texts: list[str], vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
        if self.level1 is not None:
            return list(self.level1.classes_), self.level1.predict_proba(texts, vectors)
        scores = self.zero_shot.node_scores(vectors)
        return self.zero_shot.children_proba(scores, None)

    def predict(self, titles: list[str], bodies: list[str]) -> list[Prediction]:
        texts = [appeal_text(t, b) for t, b in zip(titles, bodies, strict=True)]
        if not texts:
            return []
        vectors = self.encoder.encode_queries(texts)
        classes, proba = self.level1_proba(texts, vectors)
        node_scores = self.zero_shot.node_scores(vectors)
        out = []
        for i, text in enumerate(texts):
            order = np.argsort(-proba[i])
            top3 = [(classes[j], round(float(proba[i, j]), 4)) for j in order[:3]]
            code, confidence = top3[0]
            for _level in (2, 3):
                children, child_proba = self.zero_shot.children_proba(node_scores[i : i + 1], code)
                if not children:
                    break
                best = int(child_proba[0].argmax())
                if child_proba[0, best] < self.depth_threshold:
                    break
                code = children[best]
                confidence *= float(child_proba[0, best])
            out.append(
                Prediction(
                    code=code,
                    path=[n.name for n in self.standard.path(code)],
                    confidence=round(confidence, 4),
                    top3=top3,
                    needs_person=top3[0][1] < self.abstain_threshold,
                    triage=triage(text, vectors[i], self.type_model),
                )
            )
        return out
