"""Fusion of the dense and lexical scores, the 0-1 relevance, and the answer-or-hand-off decision.

Per candidate entry the fused score is a weighted sum of
- ``question``: the best cosine of the query with the entry's question or similar questions,
- ``passage``:  the cosine of the query with the entry's question and answer (e5 ``passage:``),
- ``words`` and ``pinyin``: BM25 of jieba words + character bigrams, and of pinyin syllable
  bigrams, each divided by the best BM25 of the query among the candidates (0-1).
The weights come from ``eval/kb_eval.py`` (figures in the closing note of the knowledge-base
issue). Relevance is a logistic calibration of the fused score and of its gap to the best candidate
with a different answer (a question two entries fit equally well is a coin toss however high
both score): the estimated probability that the entry answers the question, so 0.9 means
"right nine times in ten", not a distance.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

FEATURES = ("question", "passage", "words", "pinyin")

# A caller asking for a person is handed over whatever the knowledge base holds.
_ASKS_FOR_PERSON = re.compile(
    r"转人工|人工(客服|服务|坐席|接听|台)|(找|要|接|叫)(个)?(真人|人工|客服|接线员|坐席)|真人(客服)?|"
    r"不要(机器人|自动回复)|跟人(说|讲|聊)"
)


def asks_for_person(text: str) -> bool:
    return bool(_ASKS_FOR_PERSON.search(text))


@dataclass
class Ranker:
    """Fusion weights, calibration and the answer thresholds; saved as ``ranker.json``."""

    question: float = 1.0
    passage: float = 0.8
    words: float = 0.02
    pinyin: float = 0.0  # redundant once homophones are undone; still brings candidates
    # Scale and thresholds as fitted by ``hotline eval`` on the dev + hard rewordings of
    # policy_qa.csv for 95% precision; `hotline kb calibrate` refits them for a centre's base.
    slope: float = 3.9
    gap_slope: float = 13.4
    intercept: float = -5.0
    threshold: float = 0.838  # least relevance of the top entry to answer
    margin: float = 0.02  # the top entry must lead the best different answer by more than this
    fitted_on: str = "defaults"

    def fuse(self, features: dict[str, float]) -> float:
        return sum(getattr(self, name) * features.get(name, 0.0) for name in FEATURES)

    def relevance(self, fused: float, gap: float) -> float:
        """``gap``: fused minus the best fused score of a candidate with another answer."""
        z = self.slope * fused + self.gap_slope * gap + self.intercept
        return 1 / (1 + math.exp(-z)) if z > -30 else 0.0

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), "utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Ranker:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text("utf-8"))
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})
