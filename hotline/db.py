"""Database engine, sessions, migrations and first-start seeding."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from hotline.tables import AppMeta, DepartmentKindRow
from router import Directory, department_kinds
from router.cases import sync_directory

SEED_VERSION = "1"
_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK_ID = 12345_0001  # advisory lock: one worker migrates and seeds at a time


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on an exception. Objects
    keep their loaded values after the commit (a response is built from them)."""
    with sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
        yield session


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest migration shipped with this version."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration."""
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def seed(session: Session) -> bool:
    """Load the product's own seed data once; returns whether anything was loaded."""
    done = session.get(AppMeta, "seed_version")
    if done is not None and done.value == SEED_VERSION:
        return False
    existing = set(session.scalars(select(DepartmentKindRow.name)))
    for kind in department_kinds():
        if kind.name not in existing:
            session.add(
                DepartmentKindRow(
                    name=kind.name,
                    typical_city_unit=kind.typical_city_unit,
                    typical_topics=";".join(kind.typical_topics),
                )
            )
    session.merge(AppMeta(key="seed_version", value=SEED_VERSION))
    return True


def prepare_database(engine: Engine, directory: Directory | None = None) -> bool:
    """Migrate, seed, and store the department directory (the demo city unless a centre's own
    is given); safe to call from several workers at once. Returns whether it seeded."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as lock_conn:
            lock_conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
            try:
                return _migrate_and_seed(engine, directory)
            finally:
                lock_conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        with open(f"{database}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return _migrate_and_seed(engine, directory)
    return _migrate_and_seed(engine, directory)


def _migrate_and_seed(engine: Engine, directory: Directory | None) -> bool:
    migrate(engine)
    with session_scope(engine) as session:
        seeded = seed(session)
        sync_directory(session, directory or Directory.demo())
        return seeded
