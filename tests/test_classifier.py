"""The appeal classifier trained on a small project-written sample, and the zero-shot model."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from classifier import Classifier, CodeStandard, Encoder
from classifier.model import ModelError

SAMPLE = Path(__file__).parent / "data" / "appeals_sample.csv"

# Held aside: not in the sample, each clearly about one level-1 category.
CLEAR = [
    (
        "物业费涨价",
        "物业公司没有经过业主同意就把物业费从每平米1.2元涨到2元，请住建局查处。",
        "城乡建设",
    ),
    (
        "老板欠薪不还",
        "饭店老板拖欠我两个月工资五千元，一直说没钱，我想通过劳动监察讨回工资。",
        "劳动和社会保障",
    ),
    ("学校乱收费", "孩子读初中，学校要求每个学生交八百元的资料费和补课费，没有收据。", "教育文体"),
    (
        "烧烤摊油烟污染",
        "路边烧烤摊每天晚上油烟很大，烟雾飘进居民家里，附近还有噪音，空气污染严重。",
        "环境保护",
    ),
]


@pytest.fixture(scope="module")
def standard() -> CodeStandard:
    return CodeStandard.default()


@pytest.fixture(scope="module")
def encoder(cache_dir) -> Encoder:
    return Encoder.shared(cache_dir, threads=2)


@pytest.fixture(scope="module")
def trained(standard, encoder) -> Classifier:
    with SAMPLE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return Classifier.train(
        [r["title"] for r in rows], [r["body"] for r in rows], [r["label"] for r in rows],
        standard, encoder, progress=lambda _m: None,
    )  # fmt: skip


def test_trained_model_codes_clear_held_aside_appeals(trained, standard):
    preds = trained.predict([t for t, _, _ in CLEAR], [b for _, b, _ in CLEAR])
    assert [p.path[0] for p in preds] == [label for _, _, label in CLEAR]
    for p in preds:
        assert p.top3[0][0] == standard.resolve(p.path[0])


def test_children_are_always_under_their_parent(trained, standard):
    preds = trained.predict(
        [t for t, _, _ in CLEAR] * 2, [b for _, b, _ in CLEAR] + ["", "", "", ""]
    )
    for p in preds:
        nodes = standard.path(p.code)
        assert [n.name for n in nodes] == p.path
        assert nodes[0].code == p.top3[0][0]


def test_level1_probabilities_sum_to_one(trained, encoder):
    titles, bodies = [t for t, _, _ in CLEAR], [b for _, b, _ in CLEAR]
    vectors = encoder.encode_queries([f"{t} {b}" for t, b in zip(titles, bodies, strict=True)])
    _, proba = trained.level1_proba(titles, bodies, vectors)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (proba >= 0).all()


def test_confidence_and_abstain_flag(trained):
    (clear,) = trained.predict([CLEAR[1][0]], [CLEAR[1][1]])
    (vague,) = trained.predict(["你好"], ["我想反映一个情况"])
    assert clear.confidence > vague.confidence
    assert vague.needs_person or vague.top3[0][1] < clear.top3[0][1]
    assert 0.0 < trained.abstain_threshold <= 1.0


def test_saved_model_loads_and_predicts_the_same(trained, encoder, tmp_path):
    trained.save(tmp_path / "model")
    loaded = Classifier.load(tmp_path / "model", encoder)
    titles, bodies = [t for t, _, _ in CLEAR], [b for _, b, _ in CLEAR]
    assert [p.code for p in loaded.predict(titles, bodies)] == [
        p.code for p in trained.predict(titles, bodies)
    ]
    with pytest.raises(ModelError, match="not a classifier model folder"):
        Classifier.load(tmp_path, encoder)


def test_zero_shot_needs_no_labels(standard, encoder):
    zero = Classifier(standard, encoder)
    preds = zero.predict(
        ["拖欠农民工工资", "校外培训机构不退学费"],
        ["包工头拖欠我们工资半年了，要求劳动部门帮忙讨薪", "孩子的培训班倒闭了，学费不退"],
    )
    assert [p.path[0] for p in preds] == ["劳动和社会保障", "教育文体"]
    assert all(len(p.path) >= 1 and p.confidence > 0 for p in preds)
