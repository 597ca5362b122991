"""Hot topics and spikes on small series whose answer is known."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import numpy as np

from analytics.spikes import detect, spikes
from analytics.topics import Appeal, briefing, group, hot_topics, place_name

END = datetime(2026, 11, 26, 18, 0)


def _vectors(kinds: list[int], seed: int = 0) -> np.ndarray:
    """Unit vectors: the same ``kind`` gives near-identical vectors (cosine ~0.98)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(10, 64))
    v = np.array([centres[k] + rng.normal(scale=0.1, size=64) for k in kinds])
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _appeal(i: int, title: str, body: str, days_ago: float, user: str = "", votes: int = 0):
    return Appeal(str(i), title, body, END - timedelta(days=days_ago), user, votes)


def test_the_same_matter_at_the_same_place_is_one_hot_topic_and_ranks_by_heat():
    appeals = [
        _appeal(
            0, "金色家园电梯坏了", "东湖区金色家园小区8栋电梯坏了没人修，电话13800001111", 6, "u1"
        ),
        _appeal(1, "金色家园电梯又停了", "金色家园小区电梯停运三天，老人下不了楼", 2, "u2", 5),
        _appeal(2, "电梯故障", "金色家园小区电梯故障，物业不管", 1, "u3", 2),
        _appeal(3, "电梯坏了", "荷风雅居小区电梯坏了", 1, "u4"),  # same words, another place
        _appeal(4, "工地夜间施工", "科技大道工地半夜施工太吵", 20, "u5"),
        _appeal(5, "夜里施工噪音", "科技大道工地凌晨还在施工", 19, "u6"),
        _appeal(6, "社保卡补办", "社保卡丢了怎么补办", 3, "u7"),
    ]
    vectors = _vectors([0, 0, 0, 0, 1, 1, 2])
    groups = group(appeals, vectors)
    assert sorted(map(sorted, groups))[:2] == [[0, 1, 2], [3]]
    topics = hot_topics(appeals, vectors, end=END)
    assert [t.appeals for t in topics] == [["0", "1", "2"], ["4", "5"]]  # bigger and fresher first
    lift = topics[0]
    assert "电梯" in lift.label and "金色家园" in lift.place
    assert (lift.citizens, lift.votes) == (3, 7) and lift.growth > 0
    text = briefing(topics, END - timedelta(days=30), END)
    assert "## 1." in text and f"热度 {lift.heat}" in text
    assert "13800001111" not in text  # examples are masked


def test_a_topic_names_its_place_without_the_words_the_pattern_took_in():
    """Citizens write "目前小区…" or "A5区洞井街道…": the briefing shows 洞井街道, not 区洞井街道,
    and no place at all rather than a fragment such as 期间因电路 or 目前小区."""
    assert place_name("区洞井街道") == "洞井街道"
    assert place_name("位于学丰路") == "学丰路"
    assert place_name("我住在东方红路") == "东方红路"
    for name in ("幸福小区", "建设小区", "发展大道", "丽发新城"):  # names that look like words
        assert place_name(name) == name
    for fragment in ("期间因电路", "目前小区", "县城区", "城市市区", "公交线路"):
        assert place_name(fragment) == ""
    appeals = [
        _appeal(0, "停车收费", "目前小区物业乱收停车费，A5区洞井街道汇金路", 2, "u1"),
        _appeal(1, "停车乱收费", "目前小区物业又涨停车费，洞井街道汇金路", 1, "u2"),
        _appeal(2, "物业收停车费", "期间因电路改造停车场关闭，物业照收停车费", 1, "u3"),
    ]
    topics = hot_topics(appeals, _vectors([0, 0, 0]), end=END)
    assert topics[0].place in ("洞井街道", "汇金路")


def test_a_span_limit_keeps_appeals_months_apart_apart():
    appeals = [
        _appeal(0, "路灯不亮", "湖滨路路灯不亮", 90),
        _appeal(1, "路灯不亮", "湖滨路路灯不亮", 1),
    ]
    assert len(group(appeals, _vectors([3, 3]))) == 1  # the briefing's window bounds the time
    assert len(group(appeals, _vectors([3, 3]), window_days=30)) == 2


def _series(days: int, per_day: dict[int, int]) -> Counter:
    """``days`` days ending yesterday, with a count per weekday (0 = Monday)."""
    start = date(2026, 6, 1)
    return Counter({start + timedelta(d): per_day[(start + timedelta(d)).weekday()]
                    for d in range(days)})  # fmt: skip


def test_a_burst_is_flagged_with_its_reason_and_a_busy_monday_is_not():
    weekly = {0: 6, 1: 3, 2: 3, 3: 3, 4: 3, 5: 0, 6: 0}  # Mondays are always busy
    counts = _series(120, weekly)
    start, end = date(2026, 6, 1) + timedelta(60), date(2026, 6, 1) + timedelta(119)
    assert detect(counts, "0102 物业管理", start, end) == []
    burst_day = date(2026, 6, 1) + timedelta(100)  # a Thursday
    counts[burst_day] += 12
    [spike] = detect(counts, "0102 物业管理", start, end)
    assert spike.day == burst_day and spike.count == 15 and spike.score > 3
    assert "0102 物业管理：15 件" in spike.reason and "倍" in spike.reason


def test_spikes_are_found_per_key_strongest_first():
    days, keys = [], []
    base = date(2026, 6, 1)
    for d in range(90):
        for key, n in (("东湖区", 2), ("西山区", 2)):
            days += [base + timedelta(d)] * n
            keys += [key] * n
    days += [base + timedelta(80)] * 10 + [base + timedelta(85)] * 20
    keys += ["东湖区"] * 10 + ["西山区"] * 20
    found = spikes(days, keys, base + timedelta(40), base + timedelta(89))
    assert [(s.key, s.day) for s in found] == [("西山区", base + timedelta(85)),
                                                ("东湖区", base + timedelta(80))]  # fmt: skip
