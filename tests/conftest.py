"""Shared fixtures: settings on a temporary data folder, and databases on SQLite and PostgreSQL.

PostgreSQL is part of the default run (CI has it at 127.0.0.1:5432). Each test gets a schema of
its own, dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hotline.settings import Settings

POSTGRES_URL = os.environ.get(
    "HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The converted encoder is shared by all tests (converting takes a few seconds, once).
CACHE_DIR = Path(os.environ.get("HOTLINE_CACHE_DIR") or Settings().cache_dir)


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return CACHE_DIR


def _postgres_schema_url():
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # a clear failure, not a skip: CI must cover PostgreSQL
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    return admin, schema, url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hotline.db'}"
        return
    admin, schema, url = _postgres_schema_url()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path, database_url, cache_dir) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        cache_dir=cache_dir,
        threads=2,
    )


@pytest.fixture(scope="session")
def demo_kb_dir(tmp_path_factory, cache_dir) -> Path:
    """The demo knowledge base, built once per test run (tests copy it)."""
    from classifier import Encoder
    from kb import KnowledgeBase, read_entries

    folder = tmp_path_factory.mktemp("demo-kb") / "kb"
    base = KnowledgeBase.open(folder, Encoder.shared(cache_dir, threads=2))
    base.upsert(read_entries(Path(__file__).parents[1] / "kb" / "resources" / "demo_kb.csv"))
    return folder
