"""An in-process client of the app for the benchmarks, logged in as the demo analyst."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.db import make_engine, session_scope
from hotline.demo import seed_users
from hotline.settings import Settings

PASSWORD = "bench-analyst-2026"


def analyst_client(settings: Settings, now: datetime) -> TestClient:
    """The app on ``settings`` (its database already prepared), with the demo logins seeded and
    the client signed in as analyst01."""
    engine = make_engine(settings.db_url)
    with session_scope(engine) as s:
        seed_users(s, now, settings.data_dir, PASSWORD)
    engine.dispose()
    client = TestClient(create_app(settings))
    token = client.post(
        "/api/v1/auth/login", json={"username": "analyst01", "password": PASSWORD}
    ).json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client
