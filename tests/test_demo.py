"""First-start demo data: logins kept private, and demo cases replayed through the life cycle."""

from __future__ import annotations

import stat
from collections import Counter

from sqlalchemy import select

from hotline import demo
from hotline.db import make_engine, prepare_database, session_scope
from hotline.tables import CaseEvent, CaseRow, RectificationRow
from router.cases import local_now


def test_demo_logins_and_cases_are_seeded_once(settings):
    engine = make_engine(settings.db_url)
    prepare_database(engine)
    now = local_now()
    with session_scope(engine) as s:
        logins = demo.seed_users(s, now, settings.data_dir)
        cases = demo.seed_cases(s, now, {"clock": local_now})
    assert {role for _, _, role in logins} == {"admin", "agent", "supervisor", "unit", "analyst"}
    assert len({password for _, password, _ in logins}) == len(logins)  # random, one each
    saved = settings.data_dir / "demo-logins.txt"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert cases == len(demo.demo_case_rows()) >= 200
    with session_scope(engine) as s:
        assert demo.seed_users(s, now, settings.data_dir) == []  # a second start adds nobody
        states = Counter(s.scalars(select(CaseRow.state)))
        assert set(states) >= {"received", "dispatched", "accepted", "in_progress", "replied",
                               "closed"}  # fmt: skip
        assert s.scalar(select(RectificationRow.state)) == "verifying"  # bad ratings came in
        types = Counter(s.scalars(select(CaseRow.appeal_type)))  # the dashboard's type ring
        assert "" not in types and {"投诉", "咨询", "求助"} <= set(types)
        # the audit log shows the replayed history, not a shortcut
        assert s.scalar(select(CaseEvent.id).where(CaseEvent.action == "follow_up")) is not None
