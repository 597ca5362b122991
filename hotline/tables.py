"""Tables of the application database (schema changes go through Alembic migrations)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class AppMeta(Base):
    """Facts about this installation, e.g. which seed data has been loaded."""

    __tablename__ = "app_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DepartmentKindRow(Base):
    __tablename__ = "department_kind"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    typical_city_unit: Mapped[str] = mapped_column(String(128))
    typical_topics: Mapped[str] = mapped_column(Text)  # ';'-separated


class CodeFeedback(Base):
    """A code an agent confirmed or corrected; the next training run learns from it."""

    __tablename__ = "code_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    predicted_code: Mapped[str | None] = mapped_column(String(16))
    final_code: Mapped[str] = mapped_column(String(16))
    agent: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- Department directory and cases (times are the centre's local wall-clock time, no zone) ------


class UnitRow(Base):
    """A unit of the department directory (loaded from the directory files at start-up)."""

    __tablename__ = "unit"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    region: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CaseRow(Base):
    """A case (工单). ``version`` makes concurrent changes fail instead of overwriting."""

    __tablename__ = "hotline_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    access_code_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    caller_name: Mapped[str] = mapped_column(String(64), default="")
    caller_phone: Mapped[str] = mapped_column(String(32), default="")
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    code: Mapped[str] = mapped_column(String(16), default="")
    appeal_type: Mapped[str] = mapped_column(String(16), default="")
    urgency: Mapped[str] = mapped_column(String(16), default="normal")
    complex_case: Mapped[bool] = mapped_column(Boolean, default=False)
    place: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(24), index=True)
    lead_unit_id: Mapped[str | None] = mapped_column(ForeignKey("unit.id"), index=True)
    assisting_unit_ids: Mapped[str] = mapped_column(Text, default="")  # ';'-separated
    route_reason: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    master_id: Mapped[int | None] = mapped_column(ForeignKey("hotline_case.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime)
    return_by: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    due_rule: Mapped[str] = mapped_column(String(64), default="")
    remind_at: Mapped[datetime | None] = mapped_column(DateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_asked: Mapped[int] = mapped_column(Integer, default=0)  # waiting for approval
    returns: Mapped[int] = mapped_column(Integer, default=0)
    round: Mapped[int] = mapped_column(Integer, default=1)  # +1 each time it is reopened
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}


class CaseVectorRow(Base):
    """A case's e5 query vector (title + body), stored once so that similar cases, the router's
    learned history and hot topics never encode the same case again (float16 bytes)."""

    __tablename__ = "case_vector"
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_case.id"), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class SnapshotRow(Base):
    """Dashboard figures of a long window, computed by the timers (``analytics.snapshots``)."""

    __tablename__ = "figure_snapshot"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    as_of: Mapped[datetime] = mapped_column(DateTime)
    body: Mapped[str] = mapped_column(Text)


class CaseEvent(Base):
    """The audit log: one row per change, never updated or deleted (triggers refuse it)."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_case.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")


class Notification(Base):
    """A message to a caller or a unit, waiting for the SMS/chat gateway to send it."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_case.id"), index=True)
    audience: Mapped[str] = mapped_column(String(16))  # caller / unit / supervisor
    unit_id: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class RatingRow(Base):
    """好差评: one rating per case and round (a reopened case is rated again)."""

    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("case_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_case.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[str | None] = mapped_column(String(32), index=True)
    level: Mapped[int] = mapped_column(Integer)  # 1 非常满意 ... 5 非常不满意
    source: Mapped[str] = mapped_column(String(16))  # citizen / follow_up / default
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)  # a dispute upheld


class RectificationRow(Base):
    """整改: opened by a bad rating; verified by a call, rectified by a deadline, result told."""

    __tablename__ = "rectification"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hotline_case.id"), index=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id"), unique=True)
    unit_id: Mapped[str | None] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    dispute_from: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}


class TimerLease(Base):
    """Which worker runs the timers now: taken with one conditional UPDATE, so only one does."""

    __tablename__ = "timer_lease"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), default="")
    until: Mapped[datetime] = mapped_column(DateTime)


# -- People and chats -----------------------------------------------------------------------------


class UserRow(Base):
    """Staff who log in: agent, supervisor, unit (department staff), analyst, admin."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("unit.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class WebSession(Base):
    """A login; the browser or API client holds the token, the database only its hash."""

    __tablename__ = "web_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginAttempt(Base):
    """Failed logins, counted per user name and per address to slow down guessing."""

    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)


class ChatRow(Base):
    """An online chat: the bot answers until it hands over to a person (转人工)."""

    __tablename__ = "chat"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)  # bot / waiting / agent / closed
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("hotline_case.id"))
    handoff_reason: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}


class ChatMessage(Base):
    __tablename__ = "chat_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chat.id"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # caller / bot / agent / system
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="")  # the KB entry a bot answer came from
    at: Mapped[datetime] = mapped_column(DateTime)
