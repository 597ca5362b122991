"""Cases: intake, search, detail with the audit log, life-cycle actions, suggestions, the caller's
own view (case number + access code) and rating, the supervisor queue, units and their figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select

from classifier import mask_pii
from hotline.auth import ROLE_NAMES, current_user, require
from hotline.services import Services
from hotline.suggest import Suggestions, suggest
from hotline.tables import CaseRow, ChatMessage, ChatRow, RectificationRow, UnitRow, UserRow
from router import ratings
from router.cases import CHANNELS, URGENCIES, Actor
from router.lifecycle import ACTIONS as LIFECYCLE
from router.lifecycle import STATES, WITH_UNIT

MAX_TEXT = 5000
api = APIRouter(prefix="/api/v1", tags=["cases"])
STAFF = ("agent", "supervisor", "unit", "analyst", "admin")


def services_of(request: Request) -> Services:
    return request.app.state.services


def actor_of(user: UserRow) -> Actor:
    return Actor(user.display_name or user.username, user.role, user.unit_id)


# -- schemas --------------------------------------------------------------------------------------
class CaseIn(BaseModel):
    title: str = Field(default="", max_length=200)
    body: str = Field(min_length=1, max_length=MAX_TEXT)
    channel: Literal[CHANNELS] = "phone"  # type: ignore[valid-type]
    caller_name: str = Field(default="", max_length=64)
    caller_phone: str = Field(default="", max_length=32)
    consent: bool = False
    code: str = Field(default="", max_length=16)
    appeal_type: str = Field(default="", max_length=16)
    urgency: Literal[URGENCIES] = "normal"  # type: ignore[valid-type]
    complex_case: bool = False
    chat_id: int | None = None  # the chat the agent turned into this case


class Created(BaseModel):
    number: str
    access_code: str
    state: str


class EventOut(BaseModel):
    at: datetime
    actor: str
    role: str
    action: str
    from_state: str
    to_state: str
    note: str


class CaseOut(BaseModel):
    number: str
    state: str
    state_label: str
    title: str
    body: str
    channel: str
    caller_name: str
    caller_phone: str
    code: str
    code_name: str
    appeal_type: str
    urgency: str
    lead_unit_id: str | None
    lead_unit: str
    route_reason: str
    received_at: datetime
    due_at: datetime | None
    due_rule: str
    overdue: bool
    escalated: bool
    extension_days: int
    extension_asked: int
    reply: str
    replied_at: datetime | None
    master: str | None
    round: int
    rectification: str | None
    rated: bool  # the current round has a rating
    version: int
    events: list[EventOut] = []


class CasePage(BaseModel):
    total: int
    page: int
    size: int
    items: list[CaseOut]


class ActionIn(BaseModel):
    note: str = Field(default="", max_length=MAX_TEXT)
    text: str = Field(default="", max_length=MAX_TEXT)
    unit_id: str = Field(default="", max_length=32)
    assisting: list[str] = Field(default_factory=list, max_length=10)
    days: int = Field(default=0, ge=0, le=30)
    approve: bool = True
    master: str = Field(default="", max_length=20)
    code: str = Field(default="", max_length=16)  # dispatch: the code the agent confirmed
    level: int = Field(default=0, ge=0, le=5)
    expected_version: int | None = None


ACTIONS = (
    "answer",
    "dispatch",
    "request_return",
    "approve_return",
    "reject_return",
    "accept",
    "start",
    "reply",
    "request_extension",
    "decide_extension",
    "follow_up",
    "close",
    "merge",
    "escalate",
    "rate",
    "verify_rating",
    "dispute_rating",
    "review_dispute",
    "tell_result",
)


# -- helpers --------------------------------------------------------------------------------------
def _roles_for(action: str) -> tuple[str, ...]:
    if action in ratings.TASK_ACTIONS:
        return ratings.TASK_ACTIONS[action][1]
    if action == "rate":
        return ("agent",)  # the follow-up call; citizens rate through /public/cases/rate
    step = LIFECYCLE["approve_extension" if action == "decide_extension" else action]
    return tuple(r for r in step.roles if r in STAFF)


def _case_out(
    services: Services, session, case: CaseRow, user: UserRow | None, events: bool = False
) -> CaseOut:
    masked = user is None or user.role == "analyst"
    unit = session.get(UnitRow, case.lead_unit_id) if case.lead_unit_id else None
    master = session.get(CaseRow, case.master_id) if case.master_id else None
    task = session.scalar(
        select(RectificationRow.state)
        .where(RectificationRow.case_id == case.id)
        .order_by(RectificationRow.id.desc())
        .limit(1)
    )
    code_name = services.codes[case.code].name if case.code in services.codes else ""
    now = services.now()
    out = CaseOut(
        number=case.number,
        state=case.state,
        state_label=STATES[case.state],
        title=mask_pii(case.title) if masked else case.title,
        body=mask_pii(case.body) if masked else case.body,
        channel=case.channel,
        caller_name="" if masked else case.caller_name,
        caller_phone="" if masked else case.caller_phone,
        code=case.code,
        code_name=code_name,
        appeal_type=case.appeal_type,
        urgency=case.urgency,
        lead_unit_id=case.lead_unit_id,
        lead_unit=unit.name if unit else "",
        route_reason=case.route_reason,
        received_at=case.received_at,
        due_at=case.due_at,
        due_rule=case.due_rule,
        overdue=bool(case.due_at and case.state in WITH_UNIT and case.due_at < now),
        escalated=case.escalated_at is not None,
        extension_days=case.extension_days,
        extension_asked=case.extension_asked,
        reply=case.reply,
        replied_at=case.replied_at,
        master=master.number if master else None,
        round=case.round,
        rectification=ratings.TASK_STATES.get(task) if task else None,
        rated=ratings.current_rating(services.desk(session), case) is not None,
        version=case.version,
    )
    if events:
        out.events = [
            EventOut.model_validate(e, from_attributes=True)
            for e in services.desk(session).history(case.number)
        ]
        if masked:
            for e in out.events:
                e.note = mask_pii(e.note)
    return out


def _visible(user: UserRow, case: CaseRow) -> None:
    if user.role == "unit" and case.lead_unit_id != user.unit_id:
        raise HTTPException(403, "该工单不由本单位承办")


# -- staff endpoints ------------------------------------------------------------------------------
@api.post("/cases", response_model=Created, status_code=201)
def create_case(body: CaseIn, request: Request, user: UserRow = Depends(require("agent"))):
    """An agent types up a call (or a web appeal) as a new case."""
    services = services_of(request)
    with services.session() as session:
        chat = session.get(ChatRow, body.chat_id) if body.chat_id is not None else None
        if body.chat_id is not None and chat is None:
            raise HTTPException(404, f"会话 {body.chat_id} 不存在")
        if chat is not None and chat.case_id is not None:
            raise HTTPException(409, f"会话 {body.chat_id} 已登记过工单")
        fields = body.model_dump(exclude={"chat_id"})
        case, code = services.desk(session).create(actor_of(user), **fields)
        if chat is not None:  # the caller sees the number and access code in their chat
            chat.case_id = case.id
            note = (f"坐席已为您登记诉求，工单号 {case.number}，查询码 {code}。"
                    "可凭工单号和查询码查看办理进度并评价。")  # fmt: skip
            session.add(ChatMessage(chat_id=chat.id, sender="system", text=note,
                                    at=services.now()))  # fmt: skip
        return Created(number=case.number, access_code=code, state=case.state)


@api.get("/cases", response_model=CasePage)
def list_cases(
    request: Request,
    user: UserRow = Depends(require(*STAFF)),
    state: str | None = None,
    q: str | None = Query(None, max_length=100),
    unit_id: str | None = None,
    overdue: bool = False,
    escalated: bool = False,
    rectification: bool = False,
    order: Literal["newest", "due"] = "newest",
    page: int = Query(1, ge=1),
    size: int = Query(20, ge=1, le=100),
):
    """Cases, newest first (or the nearest deadline first with ``order=due``); unit staff see
    their unit's cases only, analysts masked texts. ``rectification``: only cases with a
    rectification task still open."""
    if state and state not in STATES:
        raise HTTPException(422, f"state must be one of {', '.join(STATES)}")
    services = services_of(request)
    query = select(CaseRow)
    if user.role == "unit":
        unit_id = user.unit_id
    if unit_id:
        query = query.where(CaseRow.lead_unit_id == unit_id)
    if state:
        query = query.where(CaseRow.state == state)
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(CaseRow.title.like(like), CaseRow.body.like(like), CaseRow.number.like(like))
        )
    if overdue:
        query = query.where(CaseRow.state.in_(WITH_UNIT), CaseRow.due_at < services.now())
    if escalated:
        query = query.where(CaseRow.escalated_at.is_not(None), CaseRow.state.in_(WITH_UNIT))
    if rectification:
        open_tasks = select(RectificationRow.case_id).where(
            RectificationRow.state.in_(ratings.OPEN_TASK_STATES)
        )
        query = query.where(CaseRow.id.in_(open_tasks))
    if order == "due":  # open cases by deadline, the rest after them
        ordering = (CaseRow.due_at.is_(None), CaseRow.due_at, CaseRow.id)
    else:
        ordering = (CaseRow.received_at.desc(), CaseRow.id.desc())
    with services.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        rows = session.scalars(query.order_by(*ordering).offset((page - 1) * size).limit(size))
        items = [_case_out(services, session, c, user) for c in rows]
    return CasePage(total=total, page=page, size=size, items=items)


@api.get("/cases/{number}", response_model=CaseOut)
def get_case(number: str, request: Request, user: UserRow = Depends(require(*STAFF))):
    services = services_of(request)
    with services.session() as session:
        case = services.desk(session).get(number)
        _visible(user, case)
        return _case_out(services, session, case, user, events=True)


@api.post("/cases/{number}/actions/{action}", response_model=CaseOut)
def act_on_case(
    number: str,
    action: str,
    body: ActionIn,
    request: Request,
    user: UserRow = Depends(current_user),
):
    """One step of the life cycle (see the README); the role and the case's state are checked,
    and ``expected_version`` refuses a change made on a stale page."""
    if action not in ACTIONS:
        raise HTTPException(404, f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    roles = _roles_for(action)
    if (
        user.role not in roles
    ):  # before the input is checked: a role without the right learns nothing
        raise HTTPException(403, f"{ROLE_NAMES[user.role]}无权{action}（限 {'、'.join(roles)}）")
    services = services_of(request)
    actor, kw = actor_of(user), {"expected_version": body.expected_version}
    with services.session() as session:
        desk = services.desk(session)
        if action == "answer":
            desk.answer(actor, number, body.text, **kw)
        elif action == "dispatch":
            if body.code and body.code not in services.codes:
                raise HTTPException(422, f"code: {body.code!r} is not in the code standard")
            assisting = tuple(body.assisting)
            desk.dispatch(actor, number, body.unit_id, assisting=assisting, reason=body.note,
                          code=body.code, **kw)  # fmt: skip
        elif action in (
            "request_return",
            "approve_return",
            "reject_return",
            "start",
            "follow_up",
            "close",
        ):
            getattr(desk, action)(actor, number, body.note, **kw)
        elif action == "accept":
            desk.accept(actor, number, **kw)
        elif action == "reply":
            desk.reply(actor, number, body.text, **kw)
        elif action == "request_extension":
            desk.request_extension(actor, number, body.days, body.note, **kw)
        elif action == "decide_extension":
            desk.decide_extension(actor, number, body.approve, body.note, **kw)
        elif action == "merge":
            desk.merge(actor, number, body.master, body.note, **kw)
        elif action == "escalate":
            desk.escalate(actor, number, body.note or "值班长督办")
        elif action == "rate":
            ratings.rate(desk, actor, number, body.level, body.note, services.rating_policy)
        elif action == "verify_rating":
            ratings.verify(desk, actor, number, body.approve, body.note, services.rating_policy)
        elif action == "dispute_rating":
            ratings.dispute(desk, actor, number, body.note)
        elif action == "review_dispute":
            ratings.review(desk, actor, number, body.approve, body.note, services.rating_policy)
        else:
            ratings.tell_result(desk, actor, number, body.note)
        return _case_out(services, session, desk.get(number), user, events=True)


class SuggestIn(BaseModel):
    title: str = Field(default="", max_length=200)
    body: str = Field(min_length=1, max_length=MAX_TEXT)
    number: str | None = Field(default=None, max_length=20)  # the case itself, left out


@api.post("/suggest", response_model=Suggestions)
def suggestions(body: SuggestIn, request: Request, user: UserRow = Depends(require("agent"))):
    """What the agent console shows while the agent types."""
    return suggest(services_of(request), body.title, body.body, body.number)


@api.get("/supervision", response_model=list[CaseOut])
def supervisor_queue(request: Request, user: UserRow = Depends(require("supervisor", "agent"))):
    """Escalated (督办) cases still open, with return requests and extensions waiting."""
    services = services_of(request)
    with services.session() as session:
        desk = services.desk(session)
        waiting = session.scalars(
            select(CaseRow).where(
                or_(CaseRow.state == "return_requested", CaseRow.extension_asked > 0)
            )
        )
        rows = {c.id: c for c in [*desk.supervisor_queue(), *waiting]}
        return [_case_out(services, session, c, user) for c in rows.values()]


class UnitOut(BaseModel):
    id: str
    name: str
    kind: str
    level: str
    region: str
    phone: str


@api.get("/units", response_model=list[UnitOut], tags=["departments"])
def list_units(request: Request, user: UserRow = Depends(require(*STAFF)), kind: str | None = None):
    services = services_of(request)
    with services.session() as session:
        query = select(UnitRow).where(UnitRow.active.is_(True)).order_by(UnitRow.id)
        if kind:
            query = query.where(UnitRow.kind == kind)
        return [UnitOut.model_validate(u, from_attributes=True) for u in session.scalars(query)]


@api.get("/units/figures", tags=["departments"])
def figures(
    request: Request,
    days: int = Query(30, ge=1, le=366),
    user: UserRow = Depends(require("supervisor", "analyst", "admin")),
) -> list[dict]:
    """Per unit over the last ``days``: cases, on-time rate, returns, satisfaction, bad ratings."""
    services = services_of(request)
    end = services.now()
    with services.session() as session:
        names = dict(session.execute(select(UnitRow.id, UnitRow.name)).all())
        rows = ratings.unit_figures(services.desk(session), end - timedelta(days=days), end)
    return [{**r, "unit": names.get(r["unit_id"], r["unit_id"])} for r in rows]


# -- the caller's own case ------------------------------------------------------------------------
class AccessIn(BaseModel):
    number: str = Field(min_length=1, max_length=20)
    access_code: str = Field(min_length=1, max_length=12)


class PublicCase(BaseModel):
    number: str
    state_label: str
    received_at: datetime
    due_at: datetime | None
    reply: str
    can_rate: bool
    rating: str | None


class RatingIn(AccessIn):
    level: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=500)


def _public(services: Services, session, case: CaseRow) -> PublicCase:
    rating = ratings.current_rating(services.desk(session), case)
    rateable = case.state in ("replied", "followed_up", "closed") and case.master_id is None
    return PublicCase(
        number=case.number,
        state_label=STATES[case.state],
        received_at=case.received_at,
        due_at=case.due_at,
        reply=case.reply,
        can_rate=rateable and rating is None,
        rating=ratings.LEVELS[rating.level - 1] if rating else None,
    )


@api.post("/public/cases/lookup", response_model=PublicCase, tags=["callers"])
def lookup(body: AccessIn, request: Request):
    """A caller follows their case with the number and access code given at intake."""
    services = services_of(request)
    with services.session() as session:
        case = services.desk(session).check_access(body.number.strip(), body.access_code.strip())
        return _public(services, session, case)


@api.post("/public/cases/rate", response_model=PublicCase, tags=["callers"])
def rate_own_case(body: RatingIn, request: Request):
    """好差评 from the citizen: 1 非常满意 ... 5 非常不满意."""
    services = services_of(request)
    with services.session() as session:
        desk = services.desk(session)
        case = desk.check_access(body.number.strip(), body.access_code.strip())
        ratings.rate(
            desk,
            Actor("来电人", "caller"),
            case.number,
            body.level,
            body.comment,
            services.rating_policy,
        )
        return _public(services, session, desk.get(case.number))
