"""Tables of the application database (schema changes go through Alembic migrations)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
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
