"""The knowledge base: files, editing, search, the answer decision and what other readers see."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from classifier import Encoder
from kb import Entry, KbImportError, KnowledgeBase, read_entries, write_entries
from kb import base as kb_base

DEMO = Path(str(resources.files("kb").joinpath("resources", "demo_kb.csv")))


@pytest.fixture(scope="module")
def encoder(cache_dir) -> Encoder:
    return Encoder.shared(cache_dir, threads=2)


@pytest.fixture(scope="module")
def demo_entries() -> list[Entry]:
    return read_entries(DEMO)


@pytest.fixture(scope="module")
def demo_kb(tmp_path_factory, encoder, demo_entries) -> KnowledgeBase:
    kb = KnowledgeBase.open(tmp_path_factory.mktemp("kb") / "demo", encoder)
    kb.upsert(demo_entries)
    return kb


def _entry(entry_id: str, question: str, answer: str, **extra) -> Entry:
    return Entry(id=entry_id, question=question, answer=answer, **extra)


# -- files ---------------------------------------------------------------------------------------
def test_demo_knowledge_base_is_marked_and_complete(demo_entries):
    assert len(demo_entries) >= 150
    assert all(e.id.startswith("demo-") and e.source.startswith("示例") for e in demo_entries)
    assert all(len(e.similar_questions) >= 2 and e.code and e.department for e in demo_entries)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
def test_export_then_import_gives_the_same_entries(tmp_path, demo_entries, suffix):
    path = tmp_path / f"kb{suffix}"
    write_entries(path, demo_entries[:20])
    assert read_entries(path) == demo_entries[:20]


def test_import_lists_every_bad_row_and_refuses_the_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,question,answer,code,valid_from,valid_to\n"
        "a1,身份证怎么补办,带户口本去派出所,,,\n"
        "a2,,空问题,,,\n"
        "a3,问题,答案,9999,,\n"
        "a1,重复的编号,答案,,,\n"
        "a4,问题,答案,,2026-05-01,2026-01-01\n",
        "utf-8",
    )
    with pytest.raises(KbImportError) as err:
        read_entries(path)
    message = str(err.value)
    for fragment in ("row 3: question", "row 4: code", "row 5: id 'a1' repeats row 2", "row 6"):
        assert fragment in message


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("kb.txt", "x", "unknown file type"),
        ("kb.csv", "question,answer\n问,答\n", "missing column(s) id"),
        ("kb.json", "{not json", "not valid JSON"),
        ("kb.xlsx", "not a workbook", "cannot be read as XLSX"),
    ],
)
def test_unreadable_files_get_one_clear_error(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, "utf-8")
    with pytest.raises(KbImportError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_entries(path)


# -- search and the decision ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("我身份证弄丢了咋补啊", "身份证"),
        ("公基金怎么取出来付房租", "公积金"),  # speech recognition: 公基金
        ("孩子刚出生怎么上户口", "落户"),
    ],
)
def test_colloquial_questions_find_the_entry(demo_kb, question, topic):
    reply = demo_kb.reply(question, today=date(2026, 6, 1))
    assert reply.answered, reply.reason
    assert topic in reply.entry.question + "".join(reply.entry.similar_questions)
    assert 0 <= reply.hits[-1].score <= reply.hits[0].score <= 1


def test_unrelated_question_is_handed_to_a_person(demo_kb):
    reply = demo_kb.reply("你们食堂今天中午的红烧肉咸不咸", today=date(2026, 6, 1))
    assert not reply.answered and reply.reason == "low_score" and reply.entry is None


def test_expired_entry_is_never_given(demo_kb, demo_entries):
    expired = next(e for e in demo_entries if e.valid_to and e.valid_to < date(2026, 1, 1))
    reply = demo_kb.reply(expired.question, today=date(2026, 6, 1))
    assert reply.hits[0].entry.id == expired.id and reply.hits[0].expired
    assert not reply.answered and reply.reason == "expired"


def test_emergencies_and_requests_for_a_person_go_to_a_person(demo_kb):
    gas = demo_kb.reply("家里燃气泄漏了味道很大怎么办")
    assert (gas.answered, gas.reason) == (False, "emergency") and "119" in gas.message
    person = demo_kb.reply("身份证丢了怎么补办，我要转人工")
    assert (person.answered, person.reason) == (False, "asked_for_person")


def test_two_entries_with_different_answers_to_one_question_are_ambiguous(tmp_path, encoder):
    kb = KnowledgeBase.open(tmp_path / "kb", encoder)
    kb.upsert([  # two editors answered the same question differently
        _entry("a", "城东区的垃圾几点清运", "每天早上六点"),
        _entry("b", "城东区的垃圾几点清运", "每天晚上八点"),
        _entry("c", "护照怎么办理", "到出入境窗口办理"),
    ])  # fmt: skip
    reply = kb.reply("城东区垃圾清运时间")
    assert not reply.answered and reply.reason == "ambiguous"


def test_empty_question_is_refused(demo_kb):
    with pytest.raises(ValueError, match="empty"):
        demo_kb.search("   ")


# -- editing and other readers --------------------------------------------------------------------
def test_one_entry_is_added_updated_and_deleted_without_a_rebuild(tmp_path, encoder):
    kb = KnowledgeBase.open(tmp_path / "kb", encoder)
    other_worker = KnowledgeBase.open(tmp_path / "kb", encoder)
    assert kb.upsert([_entry("p1", "护照过期了怎么换", "带身份证到出入境窗口")]) == (1, 0)
    snapshot = (tmp_path / "kb" / "CURRENT").read_text()

    assert kb.upsert([_entry("p1", "护照过期了怎么换新的", "网上预约后到窗口")], "张三") == (0, 1)
    other_worker.refresh()
    entry = other_worker.entries["p1"]
    assert (entry.version, entry.editor, entry.answer) == (2, "张三", "网上预约后到窗口")
    assert other_worker.search("护照到期换新")[0].entry.id == "p1"

    assert kb.delete(["p1", "nope"]) == 1
    other_worker.refresh()
    assert len(other_worker) == 0 and other_worker.search("护照到期换新") == []
    # Small changes went to the journal, not to a new snapshot.
    assert (tmp_path / "kb" / "CURRENT").read_text() == snapshot


def test_a_half_written_change_is_not_read(tmp_path, encoder):
    kb = KnowledgeBase.open(tmp_path / "kb", encoder)
    kb.upsert([_entry("p1", "护照怎么办理", "到出入境窗口办理")])
    journal = next((tmp_path / "kb").glob("journal-*.jsonl"))
    with open(journal, "a", encoding="utf-8") as f:
        f.write('{"op": "delete", "ids": ["p1"]')  # no newline: a writer still at work
    reader = KnowledgeBase.open(tmp_path / "kb", encoder)
    assert "p1" in reader.entries
    with open(journal, "a", encoding="utf-8") as f:
        f.write("}\n")
    reader.refresh()
    assert "p1" not in reader.entries


def test_compaction_writes_a_snapshot_that_reopens_the_same(tmp_path, encoder, monkeypatch):
    monkeypatch.setattr(kb_base, "COMPACT_AFTER", 3)
    kb = KnowledgeBase.open(tmp_path / "kb", encoder)
    for i in range(5):
        kb.upsert([_entry(f"e{i}", f"第{i}号问题：怎么办理居住证", f"答案{i}")])
    kb.delete(["e0"])
    assert (tmp_path / "kb" / "CURRENT").read_text() != "snap-000001"  # compacted
    assert len(list((tmp_path / "kb").glob("snap-*"))) <= 2
    reopened = KnowledgeBase.open(tmp_path / "kb", encoder)
    assert sorted(reopened.entries) == ["e1", "e2", "e3", "e4"]
    query = "第3号问题：怎么办理居住证"
    assert [h.entry.id for h in reopened.search(query)] == [h.entry.id for h in kb.search(query)]


def test_replace_all_removes_entries_missing_from_the_file(tmp_path, encoder):
    kb = KnowledgeBase.open(tmp_path / "kb", encoder)
    kb.upsert([_entry("a", "护照怎么办", "窗口"), _entry("b", "社保怎么交", "网上")])
    kb.replace_all([_entry("b", "社保怎么交", "税务APP")])
    assert list(kb.entries) == ["b"] and kb.entries["b"].version == 2


def test_journal_lines_are_json(tmp_path, encoder):
    kb = KnowledgeBase.open(tmp_path / "kb", encoder)
    kb.upsert([_entry("a", "护照怎么办", "窗口")])
    lines = next((tmp_path / "kb").glob("journal-*.jsonl")).read_text("utf-8").splitlines()
    assert json.loads(lines[0])["op"] == "upsert"


def test_calibration_sets_thresholds_that_reach_the_target_precision(demo_kb, demo_entries):
    from kb.calibrate import calibrate, outcomes, precision_coverage

    # The similar questions as labelled questions, plus questions the base cannot answer,
    # labelled with an entry they do not match (the search gets them "wrong").
    queries = [e.similar_questions[1] for e in demo_entries[:60]]
    answers = [e.answer for e in demo_entries[:60]]
    queries += ["明天会下雨吗", "帮我订一张去北京的机票", "你们单位食堂好吃吗", "股票明天涨不涨"]
    answers += [demo_entries[100].answer] * 4
    ranker, curve = calibrate(demo_kb, queries, answers, target_precision=0.95)
    precision, coverage = precision_coverage(outcomes(demo_kb, queries, answers, ranker), ranker)
    assert precision >= 0.95 and coverage > 0.5
    assert curve and all(0 <= p <= 1 and 0 <= c <= 1 for _, _, p, c in curve)


def test_a_new_threshold_takes_effect_in_every_open_worker(tmp_path, encoder):
    from kb import Ranker

    kb = KnowledgeBase.open(tmp_path / "kb", encoder)
    kb.upsert([_entry("p1", "护照过期了怎么换", "带身份证到出入境窗口"),
               _entry("s1", "社保卡丢了怎么补办", "到社保服务窗口挂失补办")])  # fmt: skip
    other_worker = KnowledgeBase.open(tmp_path / "kb", encoder)
    assert other_worker.reply("护照过期了怎么换").answered
    kb.set_ranker(Ranker(threshold=0.9999))  # a centre that wants the bot nearly silent
    reply = other_worker.reply("护照过期了怎么换")
    assert (reply.answered, reply.reason) == (False, "low_score")
