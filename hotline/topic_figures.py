"""The hot-topic list of a dashboard window, from the stored cases and their stored vectors
(what ``GET /api/v1/analytics/topics`` returns, and what the timers keep for 近7天 and 近30天)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from analytics.topics import Appeal, hot_topics
from analytics.trends import Filters
from classifier import mask_pii
from hotline import case_vectors
from hotline.tables import CaseRow

MAX_TOPIC_CASES = 100_000  # newest cases of the window that hot topics group
ENCODE_NOW = 2_000  # cases without a stored vector that one computation encodes itself
KEPT = 50  # topics computed; a request asks for at most this many


def topic_figures(services, filters: Filters, top: int = KEPT) -> dict:
    """Hot topics (热点问题) among the newest ``MAX_TOPIC_CASES`` cases of ``filters``, hottest
    first. Cases are grouped by their stored vectors; those the timers have not encoded yet are
    encoded now, the newest ``ENCODE_NOW`` of them, and any older ones are left out and counted
    in ``unindexed``. Texts leave masked; caller phones only count distinct citizens."""
    with services.session() as session:
        rows = session.execute(
            select(CaseRow.id, CaseRow.number, CaseRow.title, CaseRow.body,
                   CaseRow.received_at, CaseRow.caller_phone)
            .where(*filters.conditions())
            .order_by(CaseRow.received_at.desc(), CaseRow.id.desc())
            .limit(MAX_TOPIC_CASES)
        ).all()  # fmt: skip
        dim = services.encoder.dim
        stored = case_vectors.load(session, [r.id for r in rows], dim) if rows else {}
    missing = [(r.id, r.title, r.body) for r in rows if r.id not in stored][:ENCODE_NOW]
    if missing:
        stored.update(zip([c[0] for c in missing], services.case_vectors(missing), strict=True))
    kept = [r for r in rows if r.id in stored]
    appeals = [
        Appeal(id=r.number, title=r.title, body=r.body, time=r.received_at, user=r.caller_phone)
        for r in kept
    ]
    vectors = np.stack([stored[r.id] for r in kept]) if kept else np.zeros((0, dim), np.float32)
    found = hot_topics(appeals, vectors, end=filters.end, top=top) if appeals else []
    return {
        "cases": len(appeals),
        "limited": len(rows) >= MAX_TOPIC_CASES,
        "unindexed": len(rows) - len(kept),
        "topics": [
            {
                "rank": rank,
                "heat": t.heat,
                "label": mask_pii(t.label),
                "place": t.place,
                "start": t.start,
                "end": t.end,
                "count": len(t.appeals),
                "citizens": t.citizens,
                "growth": t.growth,
                "description": t.description,
                "examples": t.examples,
                "numbers": t.appeals[:200],
            }
            for rank, t in enumerate(found, 1)
        ],
    }
