"""The API as the web pages and outside tools use it: login and CSRF, cases through their life
cycle by role, suggestions, chat with hand-off, the caller's own view, Open311, input limits."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.db import make_engine, prepare_database, session_scope
from hotline.demo import seed_users

PASSWORD = "demo-pass-2026"


@pytest.fixture
def app(settings, demo_kb_dir):
    shutil.copytree(demo_kb_dir, settings.kb_dir)
    engine = make_engine(settings.db_url)
    prepare_database(engine)
    with session_scope(engine) as s:
        from datetime import datetime

        seed_users(s, datetime.now(), settings.data_dir, PASSWORD)
    engine.dispose()
    return create_app(settings.model_copy(update={"timer_interval": 0}))


def client(app, username: str | None = None) -> TestClient:
    """A client logged in as ``username`` with the bearer token (no CSRF needed)."""
    c = TestClient(app)
    if username:
        r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["Authorization"] = f"Bearer {r.json()['token']}"
        c.cookies.clear()
    return c


def test_login_failures_are_counted_and_then_refused(app):
    c = TestClient(app)
    for _ in range(5):
        r = c.post("/api/v1/auth/login", json={"username": "agent01", "password": "wrong-one"})
        assert r.status_code == 401 and r.json()["detail"] == "用户名或密码错误"
    r = c.post("/api/v1/auth/login", json={"username": "agent01", "password": PASSWORD})
    assert r.status_code == 429 and "10 分钟" in r.json()["detail"]
    assert client(app, "agent02").get("/api/v1/auth/me").json()["role"] == "agent"


def test_the_session_cookie_needs_the_csrf_token_to_change_anything(app):
    c = TestClient(app)
    r = c.post("/api/v1/auth/login", json={"username": "agent01", "password": PASSWORD})
    csrf = r.json()["csrf_token"]
    assert "httponly" in r.headers["set-cookie"].lower()
    assert c.get("/api/v1/cases").status_code == 200  # reading needs no token
    body = {"body": "湖滨街道路灯不亮"}
    refused = c.post("/api/v1/cases", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert c.post("/api/v1/cases", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    c.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert c.get("/api/v1/cases").status_code == 401


def test_an_appeal_goes_from_agent_to_unit_to_caller_rating(app):
    agent, unit, other_unit = client(app, "agent01"), client(app, "dh-zj"), client(app, "water")
    text = "东湖区金色家园小区3号楼电梯坏了半个月，物业一直不修，老人上下楼很困难。"
    hints = agent.post("/api/v1/suggest", json={"title": "电梯坏了", "body": text}).json()
    assert hints["unit"]["unit_id"] and "->" in hints["unit"]["reason"]
    assert len(hints["top3"]) == 3 and hints["urgency"] in ("normal", "urgent")
    created = agent.post(
        "/api/v1/cases",
        json={
            "title": "电梯坏了",
            "body": text,
            "caller_phone": "13800001234",
            "consent": True,
            "code": hints["code"]["code"],
        },
    ).json()
    number, access = created["number"], created["access_code"]
    path = f"/api/v1/cases/{number}/actions"
    bad_code = agent.post(f"{path}/dispatch", json={"unit_id": "D-DH-ZJ", "code": "9999"})
    assert bad_code.status_code == 422 and "9999" in bad_code.json()["detail"]
    case = agent.post(
        f"{path}/dispatch",
        json={"unit_id": "D-DH-ZJ", "note": hints["unit"]["reason"], "code": "0102"},
    ).json()
    assert case["code"] == "0102" and case["code_name"]
    assert case["state"] == "dispatched" and case["lead_unit"] == "示例市东湖区住房和城乡建设局"
    assert other_unit.get(f"/api/v1/cases/{number}").status_code == 403
    assert other_unit.get("/api/v1/cases").json()["total"] == 0
    assert unit.get("/api/v1/cases").json()["items"][0]["number"] == number
    unit.post(f"{path}/accept", json={})
    replied = unit.post(f"{path}/reply", json={"text": "已约谈物业，电梯已修复。"}).json()
    assert replied["state"] == "replied" and replied["events"][-1]["action"] == "reply"
    public = TestClient(app)
    wrong = public.post("/api/v1/public/cases/lookup", json={"number": number, "access_code": "0"})
    assert wrong.status_code == 403
    mine = public.post(
        "/api/v1/public/cases/lookup", json={"number": number, "access_code": access}
    )
    assert mine.json()["can_rate"] and mine.json()["reply"] == "已约谈物业，电梯已修复。"
    rated = public.post(
        "/api/v1/public/cases/rate", json={"number": number, "access_code": access, "level": 4}
    )
    assert rated.json()["rating"] == "不满意" and not rated.json()["can_rate"]
    seen = agent.get(f"/api/v1/cases/{number}").json()
    assert seen["rectification"] == "待核实" and seen["rated"]
    assert seen["events"][-1]["note"] == "不满意（来电人评价）"
    tasks = agent.get("/api/v1/cases?rectification=true&order=due").json()
    assert [c["number"] for c in tasks["items"]] == [number]
    analyst = client(app, "analyst01").get(f"/api/v1/cases/{number}").json()
    assert analyst["caller_phone"] == "" and "13800001234" not in str(analyst)


def test_a_stale_page_gets_a_conflict_and_an_illegal_step_a_clear_409(app):
    agent = client(app, "agent01")
    number = agent.post("/api/v1/cases", json={"body": "湖滨街道停水了"}).json()["number"]
    seen = agent.get(f"/api/v1/cases/{number}").json()["version"]
    path = f"/api/v1/cases/{number}/actions"
    assert agent.post(f"{path}/dispatch", json={"unit_id": "CO-ZLS"}).status_code == 200
    late = agent.post(f"{path}/close", json={"expected_version": seen})
    assert late.status_code == 409 and "已被他人修改" in late.json()["detail"]
    illegal = client(app, "water").post(f"{path}/reply", json={"text": "已恢复供水"})
    assert illegal.status_code == 409 and "不能答复" in illegal.json()["detail"]
    assert agent.post(f"{path}/fly", json={}).status_code == 404


def test_chat_answers_from_the_kb_then_hands_over_with_the_conversation(app):
    caller = TestClient(app)
    chat = caller.post("/api/v1/chats").json()
    headers = {"X-Chat-Token": chat["token"]}
    url = f"/api/v1/chats/{chat['chat_id']}"
    first = caller.post(
        f"{url}/messages", json={"text": "社保卡丢了怎么补办？"}, headers=headers
    ).json()
    bot = [m for m in first["messages"] if m["sender"] == "bot"]
    assert first["state"] == "bot" and bot and "条目" in bot[-1]["source"]
    second = caller.post(
        f"{url}/messages", json={"text": "我家楼上天天半夜装修吵得睡不着，找谁管"}, headers=headers
    ).json()
    caller.post(f"{url}/handoff", headers=headers)
    assert caller.get(f"{url}/messages", headers=headers).json()["state"] == "waiting"
    assert second["state"] in ("bot", "waiting")
    agent = client(app, "agent01")
    assert [c["chat_id"] for c in agent.get("/api/v1/chats").json()] == [chat["chat_id"]]
    taken = agent.post(f"{url}/claim").json()
    texts = [m["text"] for m in taken["messages"]]
    assert "社保卡丢了怎么补办？" in texts and taken["state"] == "agent"  # carried over
    assert client(app, "agent02").post(f"{url}/claim").status_code == 409
    agent.post(f"{url}/agent-messages", json={"text": "您好，请问您住在哪个小区？"})
    seen = caller.get(f"{url}/messages", headers=headers).json()["messages"]
    assert seen[-1]["sender"] == "agent"
    no_consent = caller.post(f"{url}/appeal", json={"caller_phone": "13900001111"}, headers=headers)
    assert no_consent.status_code == 409 and "同意" in no_consent.json()["detail"]
    filed = caller.post(
        f"{url}/appeal", json={"caller_phone": "13900001111", "consent": True}, headers=headers
    ).json()
    assert filed["state"] == "received" and len(filed["access_code"]) == 6
    assert caller.get(f"{url}/messages", headers={"X-Chat-Token": "guess"}).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "body.body"),
        ({"body": "长" * 5001}, "body.body"),
        ({"body": 12}, "body.body"),
        ({"body": "x", "urgency": "very"}, "body.urgency"),
        ({"title": ["a"], "body": "x"}, "body.title"),
    ],
)
def test_bad_input_gets_a_422_naming_the_field(app, payload, field):
    r = client(app, "agent01").post("/api/v1/cases", json=payload)
    assert r.status_code == 422 and r.json()["detail"].startswith(field)


def test_broken_json_and_huge_pages_are_4xx(app):
    agent = client(app, "agent01")
    r = agent.post(
        "/api/v1/cases", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert agent.get("/api/v1/cases?size=1000").status_code == 422
    assert agent.get("/api/v1/cases?state=lost").status_code == 422


def test_open311_lists_services_takes_a_request_and_reports_its_status(app):
    c = TestClient(app)
    services = c.get("/open311/v2/services.json").json()
    assert len(services) > 100 and {"service_code", "service_name"} <= set(services[0])
    code = services[0]["service_code"]
    refused = c.post(
        "/open311/v2/requests.json",
        data={"service_code": code, "description": "路灯坏了", "phone": "13800000000"},
    )
    assert refused.status_code == 400 and "consent" in refused.json()["detail"]
    [made] = c.post(
        "/open311/v2/requests.json",
        data={
            "service_code": code,
            "description": "湖滨路路灯坏了，电话13800000000",
            "address_string": "湖滨路",
            "phone": "13800000000",
            "attribute[consent]": "true",
        },
    ).json()
    [status] = c.get(f"/open311/v2/requests/{made['service_request_id']}.json").json()
    assert status["status"] == "open" and "13800000000" not in status["description"]
    assert (
        c.post(
            "/open311/v2/requests.json", data={"service_code": "zz", "description": "x"}
        ).status_code
        == 400
    )


def test_the_router_learns_the_centres_practice_from_answered_cases(settings, demo_kb_dir):
    from sqlalchemy import func, select

    from hotline.demo import demo_case_rows, seed_cases
    from hotline.services import MIN_HISTORY, Services
    from hotline.tables import CaseRow
    from router.cases import local_now

    engine = make_engine(settings.db_url)
    prepare_database(engine)
    with session_scope(engine) as s:
        seed_cases(s, local_now(), {"clock": local_now})
        answered = s.scalar(select(func.count()).where(
            CaseRow.state.in_(("replied", "followed_up", "closed")),
            CaseRow.lead_unit_id.is_not(None)))  # fmt: skip
    assert answered >= MIN_HISTORY
    services = Services(settings, engine)
    assert services.router.history.n == answered
    assert len(services.case_index) == len(demo_case_rows())  # every case searchable


def test_an_agent_turns_a_chat_into_a_case_and_the_caller_sees_its_number(app):
    caller, agent = TestClient(app), client(app, "agent01")
    chat = caller.post("/api/v1/chats").json()
    headers, url = {"X-Chat-Token": chat["token"]}, f"/api/v1/chats/{chat['chat_id']}"
    caller.post(f"{url}/handoff", headers=headers)
    agent.post(f"{url}/claim")
    body = {"body": "楼上半夜装修噪音", "chat_id": chat["chat_id"]}
    made = agent.post("/api/v1/cases", json=body)
    assert made.status_code == 201
    told = caller.get(f"{url}/messages", headers=headers).json()
    assert told["case_number"] == made.json()["number"]
    assert made.json()["access_code"] in told["messages"][-1]["text"]
    assert agent.post("/api/v1/cases", json=body).status_code == 409  # one case per chat
    assert agent.post("/api/v1/cases", json={**body, "chat_id": 99999}).status_code == 404
