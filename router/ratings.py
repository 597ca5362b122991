"""好差评 and rectification (整改), and the figures per unit that ratings feed.

A rating has five levels. 不满意 and 非常不满意 open a rectification task:
  verifying (核实) -> a verification call confirms it -> rectifying: the case goes back to its unit
  with a deadline (default 5 working days) -> the unit replies -> the result is told to the
  citizen -> done.
A rating the call does not confirm, or one the unit disputes, is reviewed by a supervisor
(差评申诉审核): upheld disputes void the rating (it leaves the unit's figures), rejected ones go
on to rectification. Every step is logged in the case's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from hotline.tables import CaseRow, RatingRow, RectificationRow
from router.cases import Actor, CaseDesk
from router.lifecycle import Conflict, IllegalTransition, NotAllowed

LEVELS = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")  # level 1 .. 5
BAD = (4, 5)
SATISFIED = (1, 2)
SOURCES = {"caller": "citizen", "agent": "follow_up", "system": "default"}
SOURCE_NAMES = {"citizen": "来电人评价", "follow_up": "回访评价", "default": "逾期默认"}
# Rectification steps: the task states they start from and the roles that take them.
TASK_ACTIONS = {
    "verify_rating": (("verifying",), ("agent", "supervisor")),
    "dispute_rating": (("verifying", "rectifying"), ("unit",)),
    "review_dispute": (("disputed",), ("supervisor",)),
    "tell_result": (("rectifying",), ("agent",)),
}
OPEN_TASK_STATES = ("verifying", "rectifying", "disputed")  # a rectification still under way
TASK_STATES = {
    "verifying": "待核实",
    "rectifying": "整改中",
    "disputed": "申诉待审核",
    "done": "已办结",
    "voided": "差评已撤销",
}


@dataclass(frozen=True)
class RatingPolicy:
    default_after_days: int = 7  # no rating this many days after the reply: the default applies
    default_level: int = 2  # 满意, as 好差评 systems usually record silence
    rectify_days: int = 5


def parse_level(level: int | str) -> int:
    if isinstance(level, str) and level in LEVELS:
        return LEVELS.index(level) + 1
    if isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 5:
        return level
    raise IllegalTransition(f"评价须为 1-5 或 {'/'.join(LEVELS)}，不是 {level!r}")


def current_rating(desk: CaseDesk, case: CaseRow) -> RatingRow | None:
    return desk.session.scalar(
        select(RatingRow).where(RatingRow.case_id == case.id, RatingRow.round == case.round)
    )


def rate(
    desk: CaseDesk,
    actor: Actor,
    number: str,
    level: int | str,
    comment: str = "",
    policy: RatingPolicy = RatingPolicy(),
) -> RatingRow:
    """Record the rating of the case's current round; a bad one opens a rectification task."""
    level = parse_level(level)
    case = desk.get(number)
    if current_rating(desk, case) is not None:
        raise IllegalTransition(f"工单 {number} 本轮已评价")
    rating = RatingRow(
        case_id=case.id,
        round=case.round,
        unit_id=case.lead_unit_id,
        level=level,
        source=SOURCES.get(actor.role, actor.role),
        comment=comment.strip(),
        at=desk.clock(),
        voided=False,
    )

    def apply(case: CaseRow) -> None:
        desk.session.add(rating)
        if level in BAD:
            desk.session.flush()
            desk.session.add(
                RectificationRow(
                    case_id=case.id,
                    rating_id=rating.id,
                    unit_id=case.lead_unit_id,
                    state="verifying",
                    opened_at=desk.clock(),
                    note="",
                )
            )
            desk.notify(
                case, "supervisor", f"工单 {number} 收到差评（{LEVELS[level - 1]}），请核实"
            )

    desk._change(
        actor,
        number,
        "rate",
        note=f"{LEVELS[level - 1]}（{SOURCE_NAMES.get(rating.source, rating.source)}）"
        + (f"：{comment.strip()}" if comment.strip() else ""),
        apply=apply,
    )
    return rating


def task_of(desk: CaseDesk, number: str) -> RectificationRow:
    """The case's newest rectification task."""
    case = desk.get(number)
    task = desk.session.scalar(
        select(RectificationRow)
        .where(RectificationRow.case_id == case.id)
        .order_by(RectificationRow.id.desc())
        .limit(1)
    )
    if task is None:
        raise IllegalTransition(f"工单 {number} 没有整改任务")
    return task


def _step(
    desk: CaseDesk, actor: Actor, number: str, action: str, target: str, note: str
) -> RectificationRow:
    sources, roles = TASK_ACTIONS[action]
    task = task_of(desk, number)
    if actor.role not in roles:
        raise NotAllowed(f"{actor.role} 不能进行此整改操作（可由 {'、'.join(roles)} 操作）")
    if actor.role == "unit" and actor.unit_id != task.unit_id:
        raise NotAllowed(f"工单 {number} 不由本单位承办")
    if task.state not in sources:
        raise IllegalTransition(
            f"工单 {number} 的整改任务{TASK_STATES[task.state]}，不能进行此操作"
            f"（仅在{'、'.join(TASK_STATES[s] for s in sources)}时可以）"
        )
    before = task.state
    task.state, task.note = target, note
    case = desk.get(number)
    desk._log(
        case,
        actor,
        action,
        case.state,
        f"整改任务 {TASK_STATES[before]} -> {TASK_STATES[target]}" + (f"：{note}" if note else ""),
    )
    try:
        desk.session.flush()
    except StaleDataError:
        raise Conflict(f"工单 {number} 的整改任务刚被他人处理，请刷新") from None
    return task


def verify(
    desk: CaseDesk,
    actor: Actor,
    number: str,
    confirmed: bool,
    note: str,
    policy: RatingPolicy = RatingPolicy(),
) -> RectificationRow:
    """The verification call: a confirmed complaint goes back to the unit to rectify; an
    unconfirmed one goes to review."""
    target = "rectifying" if confirmed else "disputed"
    task = _step(desk, actor, number, "verify_rating", target, note)
    if confirmed:
        _reopen(desk, actor, number, task, note, policy)
    else:
        task.dispute_from = "verifying"
    return task


def dispute(desk: CaseDesk, actor: Actor, number: str, reason: str) -> RectificationRow:
    """The unit contests the rating (申诉)."""
    if not reason.strip():
        raise IllegalTransition("申诉理由不能为空")
    before = task_of(desk, number).state
    task = _step(desk, actor, number, "dispute_rating", "disputed", reason.strip())
    task.dispute_from = before
    return task


def review(
    desk: CaseDesk,
    actor: Actor,
    number: str,
    upheld: bool,
    note: str,
    policy: RatingPolicy = RatingPolicy(),
) -> RectificationRow:
    """A supervisor decides a disputed rating: upheld voids it; rejected means rectify."""
    came_from = task_of(desk, number).dispute_from
    target = "voided" if upheld else "rectifying"
    task = _step(desk, actor, number, "review_dispute", target, note)
    if upheld:
        desk.session.get(RatingRow, task.rating_id).voided = True
    elif came_from == "verifying":  # not reopened yet
        _reopen(desk, actor, number, task, note, policy)
    return task


def tell_result(desk: CaseDesk, actor: Actor, number: str, note: str) -> RectificationRow:
    """The rectified case's reply is told to the citizen; the task ends, the case is followed up."""
    case = desk.get(number)
    if case.state != "replied":
        raise IllegalTransition(f"工单 {number} 的整改尚未答复，不能告知结果")
    task = _step(desk, actor, number, "tell_result", "done", note)
    desk.notify(case, "caller", f"您的工单 {number} 整改结果：{case.reply}")
    desk.follow_up(actor, number, f"整改结果已告知：{note}")
    return task


def _reopen(
    desk: CaseDesk,
    actor: Actor,
    number: str,
    task: RectificationRow,
    note: str,
    policy: RatingPolicy,
) -> None:
    case = desk.reopen(actor, number, note or "差评核实属实", policy.rectify_days)
    task.due_at = case.due_at


def default_rating_due(case: CaseRow, now: datetime, policy: RatingPolicy) -> bool:
    return case.replied_at is not None and (now - case.replied_at).days >= policy.default_after_days


def unit_figures(desk: CaseDesk, start: datetime, end: datetime) -> list[dict]:
    """Per unit, for cases dispatched in [start, end): cases, replied, on time, returns,
    satisfaction (share of 非常满意+满意 among valid ratings), bad ratings, open rectifications."""
    cases = list(
        desk.session.scalars(
            select(CaseRow).where(
                CaseRow.dispatched_at >= start,
                CaseRow.dispatched_at < end,
                CaseRow.lead_unit_id.is_not(None),
            )
        )
    )
    ratings = list(
        desk.session.scalars(
            select(RatingRow).where(
                RatingRow.case_id.in_([c.id for c in cases]), RatingRow.voided.is_(False)
            )
        )
    )
    tasks = list(
        desk.session.scalars(
            select(RectificationRow).where(RectificationRow.case_id.in_([c.id for c in cases]))
        )
    )
    figures: dict[str, dict] = {}
    for case in cases:
        f = figures.setdefault(
            case.lead_unit_id,
            dict.fromkeys(
                (
                    "cases",
                    "replied",
                    "on_time",
                    "returns",
                    "rated",
                    "satisfied",
                    "bad",
                    "rectifying",
                ),
                0,
            ),
        )
        f["cases"] += 1
        f["returns"] += case.returns
        if case.replied_at is not None:
            f["replied"] += 1
            f["on_time"] += int(case.due_at is None or case.replied_at <= case.due_at)
    for rating in ratings:
        if rating.unit_id in figures:
            f = figures[rating.unit_id]
            f["rated"] += 1
            f["satisfied"] += int(rating.level in SATISFIED)
            f["bad"] += int(rating.level in BAD)
    for task in tasks:
        if task.unit_id in figures and task.state in OPEN_TASK_STATES:
            figures[task.unit_id]["rectifying"] += 1
    out = []
    for unit_id, f in sorted(figures.items()):
        f["unit_id"] = unit_id
        f["on_time_rate"] = f["on_time"] / f["replied"] if f["replied"] else None
        f["satisfaction"] = f["satisfied"] / f["rated"] if f["rated"] else None
        out.append(f)
    return out
