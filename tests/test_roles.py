"""The role matrix: every endpoint called as every role; allowed means neither 401 nor 403."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.test_api import PASSWORD, app  # noqa: F401  (the app fixture)

ROLES = ("anonymous", "agent", "supervisor", "unit", "analyst", "admin")
USERS = {
    "agent": "agent01",
    "supervisor": "lead01",
    "unit": "dh-zj",
    "analyst": "analyst01",
    "admin": "admin",
}
EVERYONE = set(ROLES)
STAFF = EVERYONE - {"anonymous"}
MATRIX = {
    ("GET", "/health"): EVERYONE,
    ("GET", "/api/v1/department-kinds"): EVERYONE,
    ("POST", "/api/v1/text/analyze"): EVERYONE,
    ("POST", "/api/v1/auth/login"): EVERYONE,
    ("POST", "/api/v1/auth/logout"): STAFF,
    ("GET", "/api/v1/auth/me"): STAFF,
    ("GET", "/api/v1/users"): {"admin"},
    ("POST", "/api/v1/users"): {"admin"},
    ("PATCH", "/api/v1/users/{user_id}"): {"admin"},
    ("GET", "/api/v1/kb/entries"): {"admin", "agent", "supervisor"},
    ("PUT", "/api/v1/kb/entries/{entry_id}"): {"admin"},
    ("DELETE", "/api/v1/kb/entries/{entry_id}"): {"admin"},
    ("GET", "/api/v1/codes"): {"admin", "agent", "supervisor", "analyst"},
    ("POST", "/api/v1/cases"): {"agent"},
    ("GET", "/api/v1/cases"): STAFF,
    ("GET", "/api/v1/cases/{number}"): STAFF,
    ("POST", "/api/v1/suggest"): {"agent"},
    ("GET", "/api/v1/supervision"): {"supervisor", "agent"},
    ("GET", "/api/v1/units"): STAFF,
    ("GET", "/api/v1/units/figures"): {"supervisor", "analyst", "admin"},
    ("POST", "/api/v1/public/cases/lookup"): EVERYONE,
    ("POST", "/api/v1/public/cases/rate"): EVERYONE,
    ("POST", "/api/v1/chats"): EVERYONE,
    ("POST", "/api/v1/chats/{chat_id}/messages"): EVERYONE,
    ("GET", "/api/v1/chats/{chat_id}/messages"): EVERYONE,
    ("POST", "/api/v1/chats/{chat_id}/handoff"): EVERYONE,
    ("POST", "/api/v1/chats/{chat_id}/appeal"): EVERYONE,
    ("GET", "/api/v1/chats"): {"agent", "supervisor"},
    ("GET", "/api/v1/chats/{chat_id}"): {"agent", "supervisor"},
    ("POST", "/api/v1/chats/{chat_id}/claim"): {"agent"},
    ("POST", "/api/v1/chats/{chat_id}/agent-messages"): {"agent"},
    ("POST", "/api/v1/chats/{chat_id}/close"): {"agent"},
    ("GET", "/api/v1/analytics/summary"): {"analyst", "supervisor", "admin"},
    ("GET", "/api/v1/analytics/units"): {"analyst", "supervisor", "admin"},
    ("GET", "/api/v1/analytics/topics"): {"analyst", "supervisor", "admin"},
    ("GET", "/api/v1/analytics/spikes"): {"analyst", "supervisor", "admin"},
    ("GET", "/api/v1/analytics/cases"): {"analyst", "supervisor", "admin"},
    ("GET", "/api/v1/analytics/export.csv"): {"analyst", "supervisor", "admin"},
    ("GET", "/api/v1/analytics/export.xlsx"): {"analyst", "supervisor", "admin"},
    ("GET", "/open311/v2/services.json"): EVERYONE,
    ("GET", "/open311/v2/services/{service_code}.json"): EVERYONE,
    ("POST", "/open311/v2/requests.json"): EVERYONE,
    ("GET", "/open311/v2/requests/{request_id}.json"): EVERYONE,
}
# Life-cycle actions: who may take each one through the API.
ACTION_ROLES = {
    "answer": {"agent"},
    "dispatch": {"agent", "supervisor"},
    "request_return": {"unit"},
    "approve_return": {"supervisor"},
    "reject_return": {"supervisor"},
    "accept": {"unit"},
    "start": {"unit"},
    "reply": {"unit"},
    "request_extension": {"unit"},
    "decide_extension": {"supervisor"},
    "follow_up": {"agent"},
    "close": {"agent", "supervisor"},
    "merge": {"agent", "supervisor"},
    "escalate": {"supervisor"},
    "rate": {"agent"},
    "verify_rating": {"agent", "supervisor"},
    "dispute_rating": {"unit"},
    "review_dispute": {"supervisor"},
    "tell_result": {"agent"},
}


def _clients(app) -> dict[str, TestClient]:  # noqa: F811
    clients = {"anonymous": TestClient(app)}
    for role, username in USERS.items():
        c = TestClient(app)
        token = c.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        ).json()["token"]
        c.headers["Authorization"] = f"Bearer {token}"
        c.cookies.clear()
        clients[role] = c
    return clients


def test_every_api_route_is_in_the_matrix(app):  # noqa: F811
    routes = {
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    }
    routes.discard(("POST", "/api/v1/cases/{number}/actions/{action}"))  # ACTION_ROLES
    assert routes == set(MATRIX)


def test_each_role_reaches_exactly_its_endpoints(app):  # noqa: F811
    clients = _clients(app)
    number = (
        clients["agent"].post("/api/v1/cases", json={"body": "东湖区路灯不亮"}).json()["number"]
    )
    clients["agent"].post(f"/api/v1/cases/{number}/actions/dispatch", json={"unit_id": "D-DH-ZJ"})
    chat = clients["anonymous"].post("/api/v1/chats").json()
    fill = {
        "{number}": number,
        "{chat_id}": str(chat["chat_id"]),
        "{user_id}": "1",
        "{entry_id}": "demo-nothing",
        "{service_code}": "0101",
        "{request_id}": number,
    }
    bodies = {
        "/api/v1/auth/login": {"username": "agent02", "password": PASSWORD},
        "/api/v1/text/analyze": {"text": "x"},
    }
    wrong = []
    for (method, path), allowed in sorted(MATRIX.items()):
        if path == "/api/v1/auth/logout":
            continue  # logging out ends the session used for the rest of the matrix
        url = path
        for key, value in fill.items():
            url = url.replace(key, value)
        for role in ROLES:
            headers = {"X-Chat-Token": chat["token"]}
            r = clients[role].request(method, url, json=bodies.get(path, {}), headers=headers)
            if (r.status_code not in (401, 403)) != (role in allowed):
                wrong.append(f"{method} {path} as {role}: {r.status_code} {r.text[:80]}")
    assert wrong == []


@pytest.mark.parametrize("action", sorted(ACTION_ROLES))
def test_each_life_cycle_action_is_open_to_its_roles_only(app, action):  # noqa: F811
    clients = _clients(app)
    number = (
        clients["agent"].post("/api/v1/cases", json={"body": "东湖区路灯不亮"}).json()["number"]
    )
    clients["agent"].post(f"/api/v1/cases/{number}/actions/dispatch", json={"unit_id": "D-DH-ZJ"})
    outcome = {}
    for role in ROLES:
        r = clients[role].post(f"/api/v1/cases/{number}/actions/{action}", json={})
        outcome[role] = r.status_code not in (401, 403)
    assert {r for r, ok in outcome.items() if ok} == ACTION_ROLES[action]
