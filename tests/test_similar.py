"""Similar earlier cases and duplicate candidates: same matter, same place, within the window."""

from __future__ import annotations

from datetime import datetime

import pytest

from classifier import Encoder
from kb.similar import CaseIndex, places

NOISE = "小区东门的路灯坏了一个多月，晚上出行很不方便，老人孩子容易摔倒，请尽快派人维修。"


@pytest.fixture(scope="module")
def index(cache_dir) -> CaseIndex:
    idx = CaseIndex(Encoder.shared(cache_dir, threads=2))
    idx.add(
        ["c1", "c2", "c3"],
        [
            "幸福里小区" + NOISE,
            "阳光花园" + NOISE,
            "学校门口早上堵车严重，家长乱停车，希望交警早高峰来疏导交通。",
        ],
        [datetime(2026, 3, 1), datetime(2026, 3, 2), datetime(2026, 3, 2)],
    )
    return idx


def test_places_are_read_from_the_text():
    assert {"幸福里小区"} <= places("幸福里小区东门的路灯坏了")


def test_repost_of_the_same_matter_is_a_duplicate(index):
    hits = index.similar("幸福里小区" + NOISE + "再次反映！", time=datetime(2026, 3, 10))
    assert hits[0].case_id == "c1" and hits[0].duplicate
    other_place = next(h for h in hits if h.case_id == "c2")
    assert not other_place.duplicate and "地点不同" in other_place.reason


def test_same_matter_months_later_is_similar_but_not_merged(index):
    hits = index.similar("幸福里小区" + NOISE, time=datetime(2026, 9, 1))
    assert hits[0].case_id == "c1" and not hits[0].duplicate and "天" in hits[0].reason


def test_a_different_matter_is_not_a_duplicate(index):
    hits = index.similar("学校门口早上堵车，请交警来疏导", exclude="c1")
    assert hits[0].case_id == "c3" and not hits[0].duplicate
    assert all(h.case_id != "c1" for h in hits)
