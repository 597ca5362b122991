"""Suggestions for an agent typing up a call: code, type and urgency, the unit with its reason,
FAQ answers to read out, similar earlier cases and a duplicate to merge."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select

from classifier import find_pii, normalize_text
from hotline.services import Services
from hotline.tables import CaseRow, UnitRow
from router.lifecycle import STATES


class CodeGuess(BaseModel):
    code: str
    name: str
    confidence: float


class UnitGuess(BaseModel):
    unit_id: str | None
    unit_name: str
    kind: str
    assisting: list[str]
    reason: str


class FaqAnswer(BaseModel):
    entry_id: str
    question: str
    answer: str
    source: str
    relevance: float


class SimilarCase(BaseModel):
    number: str
    state: str
    title: str
    similarity: float
    duplicate: bool
    reason: str


class Suggestions(BaseModel):
    code: CodeGuess
    top3: list[CodeGuess]
    needs_person: bool
    appeal_type: str
    type_reason: str
    urgency: str
    urgency_reason: str
    transfer_to: str | None
    unit: UnitGuess
    faq: list[FaqAnswer]
    similar: list[SimilarCase]
    duplicate: SimilarCase | None
    personal_data: list[dict]


def suggest(services: Services, title: str, body: str, exclude: str | None = None) -> Suggestions:
    text = normalize_text(f"{title} {body}")
    vector = services.encoder.encode_queries(text)
    prediction = services.classifier.predict([title], [body])[0]
    standard = services.classifier.standard
    decision = services.router.route(text, prediction.code, vector)
    kb = services.kb
    kb.refresh()
    faq = [
        FaqAnswer(
            entry_id=h.entry.id,
            question=h.entry.question,
            answer=h.entry.answer,
            source=h.entry.source,
            relevance=round(h.score, 3),
        )
        for h in kb.search(text, 3)
        if not h.expired
    ]
    found = services.indexed_cases().similar(
        text, 5, time=services.now(), vector=vector, exclude=exclude
    )
    with services.session() as session:
        rows = {
            c.number: c
            for c in session.scalars(
                select(CaseRow).where(CaseRow.number.in_([s.case_id for s in found]))
            )
        }
        lead = session.get(UnitRow, decision.lead.id) if decision.lead else None
        similar = [
            SimilarCase(
                number=s.case_id,
                state=STATES[rows[s.case_id].state],
                title=rows[s.case_id].title or rows[s.case_id].body[:30],
                similarity=round(s.score, 3),
                duplicate=s.duplicate,
                reason=s.reason,
            )
            for s in found
            if s.case_id in rows
        ]
    duplicate = next((s for s in similar if s.duplicate and s.state != STATES["merged"]), None)
    t = prediction.triage
    return Suggestions(
        code=CodeGuess(
            code=prediction.code,
            name=" / ".join(prediction.path),
            confidence=round(prediction.confidence, 3),
        ),
        top3=[
            CodeGuess(code=c, name=standard[c].name, confidence=round(p, 3))
            for c, p in prediction.top3
        ],
        needs_person=prediction.needs_person,
        appeal_type=t.appeal_type,
        type_reason=t.type_reason,
        urgency=t.urgency,
        urgency_reason=t.urgency_reason,
        transfer_to=t.transfer_to,
        unit=UnitGuess(
            unit_id=lead.id if lead else None,
            unit_name=lead.name if lead else decision.lead_kind,
            kind=decision.lead_kind,
            assisting=[u.name for u in decision.assisting],
            reason=decision.reason,
        ),
        faq=faq,
        similar=similar,
        duplicate=duplicate,
        personal_data=[{"kind": p.kind, "start": p.start, "end": p.end} for p in find_pii(text)],
    )
