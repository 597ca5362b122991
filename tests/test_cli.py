"""The command line, run as a user runs it: the installed ``hotline`` command in a subprocess."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

HOTLINE = shutil.which("hotline") or str(Path(sys.executable).parent / "hotline")


def run(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HOTLINE, *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


COMMANDS = [[], ["serve"], ["prepare"], ["eval"], ["train"], ["classify"], ["route"],
            ["kb", "import"], ["kb", "search"], ["kb", "export"], ["kb", "calibrate"],
            ["kb", "delete"], ["topics"]]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    out = run(*command, "--help")
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout


def test_missing_data_folder_is_one_line_error(tmp_path):
    out = run("eval", "--data-dir", str(tmp_path / "nowhere"))
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0
    assert "data folder not found" in out.stderr


def test_bad_setting_is_a_clear_error(tmp_path):
    out = run("prepare", env={"HOTLINE_THREADS": "many", "HOTLINE_DATA_DIR": str(tmp_path)})
    assert out.returncode != 0
    assert out.stderr.strip().splitlines() == [
        "hotline: error: invalid setting HOTLINE_THREADS: Input should be a valid integer,"
        " unable to parse string as an integer"
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_and_docs(tmp_path, cache_dir):
    port = _free_port()
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_CACHE_DIR": str(cache_dir),
           "HOTLINE_PORT": str(port)}  # fmt: skip
    proc = subprocess.Popen([HOTLINE, "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.time() < deadline, "server did not start"
                time.sleep(0.5)
        assert health.status_code == 200
        assert health.json()["database"] == "sqlite"
        assert health.json()["encoder_ready"] is True
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
        assert (tmp_path / "hotline.db").is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


SAMPLE = Path(__file__).parent / "data" / "appeals_sample.csv"


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_train_then_classify_writes_the_contract_columns(tmp_path, cache_dir):
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_CACHE_DIR": str(cache_dir)}
    out = run(
        "train", "--data", str(SAMPLE), "--out", str(tmp_path / "model"), env=env, timeout=600
    )
    assert out.returncode == 0, out.stderr
    appeals = write(
        tmp_path / "in.csv",
        "id,title,body\n"
        "a1,工资被拖欠,公司三个月不发工资，老板失联，我们要讨薪\n"
        "a2,,小区门口的烧烤摊油烟很大，污染空气\n",
    )
    result = tmp_path / "out.csv"
    out = run("classify", "--model", str(tmp_path / "model"), "--in", str(appeals), "--out",
              str(result), env=env, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = read(result)
    assert list(rows[0]) == ["id", "code", "level1", "level2", "level3", "confidence", "top3"]
    assert [r["id"] for r in rows] == ["a1", "a2"]
    assert [r["level1"] for r in rows] == ["劳动和社会保障", "环境保护"]
    for r in rows:
        top3 = json.loads(r["top3"])
        assert len(top3) == 3 and r["code"].startswith(top3[0][0])
        assert 0 < float(r["confidence"]) <= 1

    routed = tmp_path / "routed.csv"
    out = run("route", "--model", str(tmp_path / "model"), "--in", str(appeals), "--out",
              str(routed), env=env, timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = read(routed)
    assert list(rows[0]) == ["id", "code", "department", "department_kind", "assisting", "reason"]
    assert [r["department_kind"] for r in rows] == ["人力资源社会保障", "生态环境"]
    assert all(r["department"] and "规则" in r["reason"] for r in rows)
    out = run("route", "--model", str(tmp_path / "model"), "--in", str(appeals), "--out",
              str(routed), "--directory", str(tmp_path), env=env)  # fmt: skip
    assert out.returncode == 2 and "units.csv: file not found" in out.stderr


@pytest.mark.parametrize(
    ("content", "encoding", "message"),
    [
        ("id,title\n1,停水\n", "utf-8", "missing column(s) body"),
        ("", "utf-8", "empty file"),
        ("id,title,body\n", "utf-8", "no rows below the header"),
        ("id,title,body\n1,停水,小区停水三天\n", "gbk", "not UTF-8"),
        ("id,title,body\n1,,\n", "utf-8", "line 2: title and body are both empty"),
    ],
)
def test_classify_rejects_bad_csv_with_one_line(tmp_path, content, encoding, message):
    bad = write(tmp_path / "bad.csv", content, encoding)
    result = tmp_path / "out.csv"
    out = run(
        "classify", "--model", str(tmp_path / "nomodel"), "--in", str(bad), "--out", str(result)
    )
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and message in out.stderr
    assert not result.exists()


def test_train_rejects_unknown_label_naming_the_line(tmp_path):
    bad = write(
        tmp_path / "bad.csv", "title,body,label\n停水,小区停水,城乡建设\n噪音,,不存在的类\n"
    )
    out = run("train", "--data", str(bad), "--out", str(tmp_path / "model"))
    assert out.returncode == 2
    assert "bad.csv line 3: unknown code or category name '不存在的类'" in out.stderr
    assert not (tmp_path / "model").exists()


def test_training_learns_from_agents_corrections(tmp_path, cache_dir):
    from hotline.db import make_engine, prepare_database, session_scope
    from hotline.feedback import record_feedback

    data_dir = tmp_path / "data"
    engine = make_engine(f"sqlite:///{data_dir / 'hotline.db'}")
    prepare_database(engine)
    with session_scope(engine) as session:
        record_feedback(session, title="小区化粪池满溢", body="污水流到路上", predicted_code="01",
                        final_code="04", agent="agent7")  # fmt: skip
        record_feedback(session, title="x", body="y", final_code="9999", agent="agent7")
    env = {"HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_CACHE_DIR": str(cache_dir)}
    out = run("train", "--data", str(SAMPLE), "--out", str(tmp_path / "m"), env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "adding 1 corrections confirmed by agents" in out.stdout  # the unknown code is skipped
    assert "48 rows" not in out.stdout and "49 rows" in out.stdout


def test_self_training_from_unlabelled_appeals(tmp_path, cache_dir):
    rows = read(SAMPLE)
    unlabelled = tmp_path / "unlabelled.csv"
    with unlabelled.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["title", "body"])
        writer.writerows([r["title"], r["body"]] for r in rows)
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_CACHE_DIR": str(cache_dir)}
    model = tmp_path / "model"
    out = run("train", "--unlabelled", str(unlabelled), "--out", str(model), env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "self-trained on 24 appeals" in out.stdout  # the surest half of the zero-shot guesses
    manifest = json.loads((model / "classifier.json").read_text("utf-8"))
    assert manifest["kind"] == "supervised" and manifest["info"]["self_trained"] is True


def test_train_needs_labelled_or_unlabelled_data_not_both(tmp_path):
    for args in [[], ["--data", str(SAMPLE), "--unlabelled", str(SAMPLE)]]:
        out = run("train", *args, "--out", str(tmp_path / "m"))
        assert out.returncode == 2
        assert "give labelled files with --data, or unlabelled ones with --unlabelled" in out.stderr


def _kb_env(cache_dir: Path, tmp_path: Path) -> dict:
    return {"HOTLINE_CACHE_DIR": str(cache_dir), "HOTLINE_DATA_DIR": str(tmp_path / "data")}


def test_kb_import_and_search_follow_the_contract(tmp_path, cache_dir):
    env = _kb_env(cache_dir, tmp_path)
    entries = tmp_path / "faq.csv"
    entries.write_text(
        "id,question,answer,similar_questions,valid_to\n"
        "k1,身份证丢了怎么补办,带户口本到派出所办理,身份证掉了咋办|补办身份证,\n"
        "k2,公积金怎么提取付房租,在公积金APP申请租房提取,取公积金交房租,\n"
        "k3,去年的供暖补贴怎么领,已结束,,2025-12-31\n",
        "utf-8",
    )
    out = run("kb", "import", "--kb", str(tmp_path / "kb"), str(entries), env=env)
    assert out.returncode == 0, out.stderr
    assert "3 added" in out.stdout
    queries = tmp_path / "q.csv"
    queries.write_text("qid,query\nq1,我身份证丢了\nq2,今天天气怎么样呀\nq3,去年供暖补贴咋领\n")
    result = tmp_path / "out.csv"
    out = run("kb", "search", "--kb", str(tmp_path / "kb"), "--in", str(queries),
              "--out", str(result), "--k", "2", env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = read(result)
    assert list(rows[0]) == ["qid", "rank", "entry_id", "score", "answered"]
    top = {r["qid"]: r for r in rows if r["rank"] == "1"}
    assert (top["q1"]["entry_id"], top["q1"]["answered"]) == ("k1", "true")
    assert top["q2"]["answered"] == "false"
    assert (top["q3"]["entry_id"], top["q3"]["answered"]) == ("k3", "false")  # expired
    assert all(0 <= float(r["score"]) <= 1 for r in rows)
    assert all(r["answered"] == "false" for r in rows if r["rank"] == "2")

    exported = tmp_path / "export.xlsx"
    out = run("kb", "export", "--kb", str(tmp_path / "kb"), "--out", str(exported), env=env)
    assert out.returncode == 0 and exported.stat().st_size > 0

    out = run("kb", "delete", "--kb", str(tmp_path / "kb"), "k3", "k9", env=env)
    assert out.returncode == 2 and "k9" in out.stderr
    out = run("kb", "delete", "--kb", str(tmp_path / "kb"), "k3", env=env)
    assert out.returncode == 0 and "2 entries left" in out.stdout


def test_kb_import_of_a_bad_file_changes_nothing(tmp_path, cache_dir):
    env = _kb_env(cache_dir, tmp_path)
    good = tmp_path / "good.csv"
    good.write_text("id,question,answer\nk1,护照怎么办,到出入境窗口\n", "utf-8")
    assert run("kb", "import", "--kb", str(tmp_path / "kb"), str(good), env=env).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("id,question,answer\nk1,护照怎么办,新答案\nk2,,没有问题\n", "utf-8")
    out = run("kb", "import", "--kb", str(tmp_path / "kb"), str(bad), env=env)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "row 3: question" in out.stderr
    exported = tmp_path / "export.json"
    run("kb", "export", "--kb", str(tmp_path / "kb"), "--out", str(exported), env=env)
    assert [e["answer"] for e in json.loads(exported.read_text("utf-8"))] == ["到出入境窗口"]


def test_kb_search_without_a_knowledge_base_is_one_line_error(tmp_path, cache_dir):
    queries = tmp_path / "q.csv"
    queries.write_text("qid,query\nq1,护照\n", "utf-8")
    out = run("kb", "search", "--kb", str(tmp_path / "none"), "--in", str(queries),
              "--out", str(tmp_path / "o.csv"), env=_kb_env(cache_dir, tmp_path))  # fmt: skip
    assert out.returncode == 2 and "no knowledge base" in out.stderr
    assert not (tmp_path / "o.csv").exists()


def test_a_bad_holiday_calendar_stops_the_start_with_its_line(tmp_path):
    calendar = tmp_path / "holidays.csv"
    calendar.write_text("date,kind\n2026-10-01,holiday\n2026-10-11,day off\n", encoding="utf-8")
    out = run("prepare", env={"HOTLINE_CALENDAR_FILE": str(calendar),
                              "HOTLINE_DATA_DIR": str(tmp_path)})  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"hotline: error: {calendar} line 3: kind must be holiday or workday, not 'day off'"
    ]
    assert not (tmp_path / "hotline.db").exists()  # nothing was started half-way


def test_an_unknown_time_zone_is_a_clear_error(tmp_path):
    out = run(
        "prepare", env={"HOTLINE_TIMEZONE": "Mars/Olympus", "HOTLINE_DATA_DIR": str(tmp_path)}
    )
    assert out.returncode != 0 and "unknown time zone 'Mars/Olympus'" in out.stderr


TOPIC_ROWS = [
    (
        "1",
        "金色家园电梯坏了",
        "东湖区金色家园小区8栋电梯坏了一周没人修，老人下不了楼",
        "2026-11-20 09:00",
    ),
    (
        "2",
        "金色家园电梯又坏了",
        "金色家园小区8栋电梯又坏了，物业说等配件，一直不修",
        "2026-11-22 10:00",
    ),
    (
        "3",
        "金色家园电梯故障",
        "金色家园8栋电梯故障好几天了，物业不管，请帮忙催修",
        "2026-11-25 11:00",
    ),
    ("4", "社保卡补办", "我的社保卡丢了，想问怎么补办", "2026-11-24 09:00"),
    ("5", "路灯不亮", "西山区枫林路路灯晚上不亮，走夜路很危险", "2026-11-23 20:00"),
]


def test_topics_prints_the_briefing_of_a_date_range(tmp_path, cache_dir):
    appeals = tmp_path / "appeals.csv"
    with appeals.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([("id", "title", "body", "time"), *TOPIC_ROWS])
    env = {"HOTLINE_CACHE_DIR": str(cache_dir)}
    out = run("topics", "--in", str(appeals), "--from", "2026-11-01", "--to", "2026-11-30",
              "--out", str(tmp_path / "brief.md"), env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "# 热点问题 2026-11-01 至 2026-11-30" in out.stdout
    assert "## 1." in out.stdout and "诉求 3 件" in out.stdout and "金色家园" in out.stdout
    assert (tmp_path / "brief.md").read_text("utf-8").strip() == out.stdout.strip()
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,body,time\n1,a,b,yesterday\n", encoding="utf-8")
    out = run("topics", "--in", str(bad), env=env)
    assert out.returncode == 2
    assert out.stderr.strip().endswith(
        "line 2: time 'yesterday' is not a date-time (YYYY-MM-DD HH:MM)"
    )
