"""First-start demo data: staff logins and a few hundred demo cases of the demo city, so every
page has something to show. Passwords are random per installation unless
``HOTLINE_DEMO_PASSWORD`` sets one; they are printed once and kept in ``demo-logins.txt``
(readable by the owner only) in the data folder."""

from __future__ import annotations

import csv
import io
import os
import secrets
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import auth
from hotline.tables import UnitRow, UserRow
from router import ratings
from router.cases import Actor, CaseDesk

DEMO_USERS = [  # username, display name, role, unit
    ("admin", "系统管理员", "admin", None),
    ("agent01", "坐席 王芳", "agent", None),
    ("agent02", "坐席 李强", "agent", None),
    ("lead01", "值班长 陈静", "supervisor", None),
    ("analyst01", "分析员 赵敏", "analyst", None),
    ("dh-zj", "东湖区住建局 经办人", "unit", "D-DH-ZJ"),
    ("hb-street", "湖滨街道 经办人", "unit", "S-HB"),
    ("water", "自来水公司 经办人", "unit", "CO-ZLS"),
]


def seed_users(session: Session, now: datetime, folder: Path,
               password: str | None = None) -> list[tuple[str, str, str]]:  # fmt: skip
    """Create the demo logins when there are no users yet; returns (user, password, role)."""
    if session.scalar(select(func.count()).select_from(UserRow)):
        return []
    logins = []
    for username, name, role, unit in DEMO_USERS:
        if unit and session.get(UnitRow, unit) is None:
            continue  # a centre's own directory without this demo unit
        secret = password or secrets.token_urlsafe(9)
        auth.create_user(session, username, secret, role, name, unit, now)
        logins.append((username, secret, role))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo-logins.txt"
    path.write_text("".join(f"{u}\t{p}\t{r}\n" for u, p, r in logins), "utf-8")
    os.chmod(path, 0o600)
    return logins


class _Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def demo_case_rows() -> list[dict[str, str]]:
    text = resources.files("hotline").joinpath("resources", "demo_cases.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def seed_cases(session: Session, now: datetime, desk_options: dict) -> int:
    """Replay each demo case from its intake ``days_ago`` to its ``outcome`` through the life
    cycle (so the audit log, deadlines and ratings are real)."""
    clock = _Clock(now)
    desk = CaseDesk(session, **{**desk_options, "clock": clock})
    agent, lead = Actor("坐席 王芳", "agent"), Actor("值班长 陈静", "supervisor")
    count = 0
    for i, row in enumerate(demo_case_rows()):
        clock.now = now - timedelta(days=int(row["days_ago"]), hours=(i * 7) % 9, minutes=i % 60)
        case, _ = desk.create(agent if row["channel"] == "phone" else Actor("来电人", "caller"),
                              body=row["body"], title=row["title"], channel=row["channel"],
                              code=row["code"], urgency=row["urgency"],
                              appeal_type=row["appeal_type"],
                              caller_name=f"来电人{i:03d}" if i % 3 == 0 else "",
                              caller_phone=f"1380000{i:04d}" if i % 3 == 0 else "",
                              consent=i % 3 == 0)  # fmt: skip
        number, outcome = case.number, row["outcome"]
        count += 1
        if outcome == "received":
            continue
        if outcome == "answered":
            desk.answer(agent, number, "已按知识库口径当场答复来电人。")
            _rate(desk, number, row, clock)
            continue
        unit = Actor("经办人", "unit", row["unit_id"])
        desk.dispatch(agent, number, row["unit_id"], reason="演示数据：按派单目录派单")
        steps = ["accepted", "in_progress", "replied", "closed"]
        reached = steps.index(outcome) + 1 if outcome in steps else 0
        clock.now += timedelta(hours=3)
        if reached >= 1:
            desk.accept(unit, number)
        if reached >= 2:
            desk.start(unit, number, "已安排人员现场核查")
        if reached >= 3:
            clock.now += timedelta(days=min(3, int(row["days_ago"]) // 2))
            desk.reply(unit, number, "经现场核查，已协调相关单位处理完毕，感谢您的监督。")
            _rate(desk, number, row, clock)
        if reached >= 4:
            desk.follow_up(agent, number, "回访来电人，对办理结果知悉")
            desk.close(lead, number, "办结")
    return count


def _rate(desk: CaseDesk, number: str, row: dict[str, str], clock: _Clock) -> None:
    if row.get("rating"):
        clock.now += timedelta(hours=5)
        ratings.rate(desk, Actor("来电人", "caller"), number, row["rating"])
