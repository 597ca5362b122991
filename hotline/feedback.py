"""Codes confirmed or corrected by agents, kept for the next training run."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier import CodeStandard
from hotline.db import make_engine, prepare_database, session_scope
from hotline.tables import CodeFeedback


def record_feedback(
    session: Session,
    *,
    title: str,
    body: str,
    final_code: str,
    agent: str,
    predicted_code: str | None = None,
) -> CodeFeedback:
    row = CodeFeedback(
        title=title,
        body=body,
        predicted_code=predicted_code,
        final_code=final_code,
        agent=agent,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def stored_corrections(settings, standard: CodeStandard) -> list[tuple[str, str, str]]:
    """(title, body, code) of every stored confirmation whose code the standard still has."""
    engine = make_engine(settings.db_url)
    prepare_database(engine)
    with session_scope(engine) as session:
        rows = session.scalars(select(CodeFeedback).order_by(CodeFeedback.id)).all()
        return [(r.title, r.body, r.final_code) for r in rows if r.final_code in standard]
