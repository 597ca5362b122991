"""Stored case vectors: every case is encoded once, by whichever worker needs it first (or by
the timers, which fill in new cases in the background), and read from the database afterwards.

Vectors are kept as float16 (768 bytes for e5-small): cosine similarities move by less than
0.001, and a million cases take 0.8 GB instead of 1.5 GB. A vector whose length is not the
encoder's dimension (another model) counts as missing and is encoded again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from classifier import normalize_text
from hotline.tables import CaseRow, CaseVectorRow


def case_text(title: str, body: str) -> str:
    """What a case's vector encodes: its title and body, normalised as for every query."""
    return normalize_text(f"{title} {body}")


def load(session: Session, case_ids: Sequence[int], dim: int) -> dict[int, np.ndarray]:
    """The stored vectors of these cases (float32, unit length) by case id."""
    out: dict[int, np.ndarray] = {}
    ids = list(case_ids)
    for start in range(0, len(ids), 5000):
        rows = session.execute(
            select(CaseVectorRow.case_id, CaseVectorRow.vector).where(
                CaseVectorRow.case_id.in_(ids[start : start + 5000])
            )
        )
        for case_id, blob in rows:
            vector = np.frombuffer(blob, dtype=np.float16)
            if vector.shape[0] == dim:
                vector = vector.astype(np.float32)
                out[case_id] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    return out


def store(session: Session, vectors: dict[int, np.ndarray]) -> None:
    """Store vectors by case id; a vector another worker stored first is kept, a stale one
    (another dimension) is replaced."""
    if not vectors:
        return
    dim = len(next(iter(vectors.values())))
    stale = [
        case_id
        for case_id, blob in session.execute(
            select(CaseVectorRow.case_id, CaseVectorRow.vector).where(
                CaseVectorRow.case_id.in_(list(vectors))
            )
        )
        if len(blob) != 2 * dim
    ]
    if stale:
        session.execute(delete(CaseVectorRow).where(CaseVectorRow.case_id.in_(stale)))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [{"case_id": k, "vector": v.astype(np.float16).tobytes()} for k, v in vectors.items()]
    session.execute(insert(CaseVectorRow).on_conflict_do_nothing(), rows)


def vectors_for(session: Session, encoder, cases: Sequence[tuple[int, str, str]]) -> np.ndarray:
    """Vectors of ``cases`` (id, title, body) in their order: stored ones read, the others
    encoded now and stored."""
    if not cases:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    found = load(session, [c[0] for c in cases], encoder.dim)
    missing = [c for c in cases if c[0] not in found]
    if missing:
        encoded = encoder.encode_queries([case_text(t, b) for _, t, b in missing])
        new = dict(zip([c[0] for c in missing], encoded, strict=True))
        store(session, new)
        found.update(new)
    return np.stack([found[c[0]] for c in cases])


def missing(session: Session, dim: int, limit: int) -> list[tuple[int, str, str]]:
    """Up to ``limit`` of the newest cases without a stored vector of ``dim`` numbers:
    (id, title, body)."""
    rows = session.execute(
        select(CaseRow.id, CaseRow.title, CaseRow.body)
        .outerjoin(CaseVectorRow, CaseVectorRow.case_id == CaseRow.id)
        .where(or_(CaseVectorRow.case_id.is_(None), func.length(CaseVectorRow.vector) != 2 * dim))
        .order_by(CaseRow.id.desc())
        .limit(limit)
    ).all()
    return [tuple(r) for r in rows]
