"""Cases in the database: intake, dispatch, the unit's work, follow-up, merging, with deadlines.

``CaseDesk`` works inside one database session (one transaction); the caller commits. Every
change checks the life cycle (``router.lifecycle``), appends a row to the audit log and, where
someone must hear of it, queues a notification. Concurrent changes to one case are caught by
the row's version: the second writer gets ``Conflict`` instead of overwriting the first.
Times are the centre's local wall-clock time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline.tables import CaseEvent, CaseRow, Notification, UnitRow
from router.deadlines import (
    DeadlinePolicy,
    WorkCalendar,
    due_time,
    extended_due,
    on_the_clock,
    reminder_time,
)
from router.directory import Directory
from router.lifecycle import (
    STATES,
    Action,
    CaseNotFound,
    Conflict,
    IllegalTransition,
    NotAllowed,
    check,
)

CHANNELS = ("phone", "chat", "web", "open311")
URGENCIES = ("normal", "urgent", "emergency")
RETURN_DAYS = 2  # a unit may ask to return a case within 2 working days of dispatch


def local_now(zone: str = "Asia/Shanghai") -> datetime:
    return datetime.now(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Actor:
    name: str
    role: str  # caller / agent / unit / supervisor / system
    unit_id: str | None = None  # for unit staff: the unit they work for


SYSTEM = Actor("system", "system")


def _hash_code(number: str, code: str) -> str:
    return hashlib.sha256(f"{number}:{code}".encode()).hexdigest()


def sync_directory(session: Session, directory: Directory) -> int:
    """Store the directory's units (new ones added, changed ones updated, missing ones marked
    inactive: cases keep pointing at them). Returns the number of active units."""
    stored = {u.id: u for u in session.scalars(select(UnitRow))}
    for unit in directory.units.values():
        row = stored.pop(unit.id, None) or UnitRow(id=unit.id)
        row.name, row.kind, row.level = unit.name, unit.kind, unit.level
        row.region, row.parent_id, row.phone, row.active = (
            unit.region,
            unit.parent,
            unit.phone,
            True,
        )
        session.add(row)
    for row in stored.values():
        row.active = False
    session.flush()
    return len(directory.units)


class CaseDesk:
    def __init__(
        self,
        session: Session,
        *,
        calendar: WorkCalendar | None = None,
        policy: DeadlinePolicy = DeadlinePolicy(),
        clock: Callable[[], datetime] = local_now,
    ):
        self.session = session
        self.calendar = calendar or WorkCalendar()
        self.policy = policy
        self.clock = clock

    # -- reading ---------------------------------------------------------------------------------
    def get(self, number: str) -> CaseRow:
        case = self.session.scalar(select(CaseRow).where(CaseRow.number == number))
        if case is None:
            raise CaseNotFound(f"工单 {number} 不存在")
        return case

    def history(self, number: str) -> list[CaseEvent]:
        case = self.get(number)
        query = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        return list(self.session.scalars(query))

    def check_access(self, number: str, access_code: str) -> CaseRow:
        """A caller's case, if the access code printed at intake matches."""
        case = self.get(number)
        if not hmac.compare_digest(case.access_code_hash, _hash_code(number, access_code)):
            raise NotAllowed("工单号或查询码不正确")
        return case

    # -- the common path of every change ---------------------------------------------------------
    def _begin(
        self, actor: Actor, number: str, action: str, expected_version: int | None
    ) -> tuple[CaseRow, Action]:
        case = self.get(number)
        if expected_version is not None and case.version != expected_version:
            raise Conflict(
                f"工单 {number} 已被他人修改（第 {case.version} 版，您看到的是第"
                f" {expected_version} 版），请刷新后重试"
            )
        step = check(action, case.state, actor.role, number)
        if actor.role == "unit" and actor.unit_id != case.lead_unit_id:
            raise NotAllowed(f"工单 {number} 不由本单位承办")
        return case, step

    def _log(self, case: CaseRow, actor: Actor, action: str, before: str, note: str = "") -> None:
        self.session.add(
            CaseEvent(
                case_id=case.id,
                at=self.clock(),
                actor=actor.name,
                role=actor.role,
                action=action,
                from_state=before,
                to_state=case.state,
                note=note,
            )
        )

    def _flush(self, number: str) -> None:
        try:
            self.session.flush()
        except StaleDataError:
            raise Conflict(f"工单 {number} 刚被他人修改，请刷新后重试") from None
        except OperationalError as exc:  # SQLite: another writer's snapshot is newer
            if "locked" not in str(exc):
                raise
            raise Conflict(f"工单 {number} 正被他人修改，请稍后重试") from None

    def notify(self, case: CaseRow, audience: str, text: str, unit_id: str | None = None) -> None:
        self.session.add(
            Notification(
                case_id=case.id,
                audience=audience,
                unit_id=unit_id,
                text=text,
                created_at=self.clock(),
            )
        )

    def _change(
        self,
        actor: Actor,
        number: str,
        action: str,
        *,
        note: str = "",
        expected_version: int | None = None,
        apply: Callable[[CaseRow], None] | None = None,
    ) -> CaseRow:
        case, step = self._begin(actor, number, action, expected_version)
        before = case.state
        if step.target:
            case.state = step.target
        if apply:
            apply(case)
        self._log(case, actor, action, before, note)
        self._flush(number)
        return case

    # -- intake ----------------------------------------------------------------------------------
    def create(
        self,
        actor: Actor,
        *,
        body: str,
        title: str = "",
        channel: str = "phone",
        caller_name: str = "",
        caller_phone: str = "",
        consent: bool = False,
        code: str = "",
        appeal_type: str = "",
        urgency: str = "normal",
        complex_case: bool = False,
        place: str = "",
    ) -> tuple[CaseRow, str]:
        """A new case; returns it and the caller's access code (shown once, stored hashed)."""
        if actor.role not in ("caller", "agent", "system"):
            raise NotAllowed(f"{actor.role} 不能受理工单")
        if not body.strip():
            raise IllegalTransition("诉求内容不能为空")
        if channel not in CHANNELS:
            raise IllegalTransition(f"channel must be one of {', '.join(CHANNELS)}")
        if urgency not in URGENCIES:
            raise IllegalTransition(f"urgency must be one of {', '.join(URGENCIES)}")
        if (caller_name or caller_phone) and not consent:
            raise IllegalTransition("保存来电人联系方式需要本人同意（consent）")
        now = self.clock()
        case = CaseRow(
            access_code_hash="",
            channel=channel,
            title=title.strip(),
            body=body,
            caller_name=caller_name,
            caller_phone=caller_phone,
            consent=consent,
            code=code,
            appeal_type=appeal_type,
            urgency=urgency,
            complex_case=complex_case,
            place=place,
            state="received",
            received_at=now,
            assisting_unit_ids="",
            route_reason="",
            reply="",
            due_rule="",
            extension_days=0,
            extension_asked=0,
            returns=0,
            round=1,
        )
        self.session.add(case)
        self.session.flush()
        case.number = f"{now:%Y%m%d}{case.id:06d}"
        access_code = f"{secrets.randbelow(10**6):06d}"
        case.access_code_hash = _hash_code(case.number, access_code)
        self._log(case, actor, "receive", "", f"渠道 {channel}")
        self.session.flush()
        return case, access_code

    def answer(self, actor: Actor, number: str, reply: str, **kw) -> CaseRow:
        """A consultation answered at intake (by the knowledge base or the agent)."""
        reply = _required(reply, "答复内容")
        now = self.clock()

        def apply(case: CaseRow) -> None:
            case.reply, case.replied_at, case.closed_at = reply, now, now

        return self._change(actor, number, "answer", note=reply[:200], apply=apply, **kw)

    # -- dispatch and the unit's answer to it ----------------------------------------------------
    def dispatch(
        self,
        actor: Actor,
        number: str,
        unit_id: str,
        *,
        assisting: tuple[str, ...] = (),
        reason: str = "",
        code: str = "",
        **kw,
    ) -> CaseRow:
        """Send the case to ``unit_id``; ``code``, when given, is the code the agent confirmed."""
        lead = self._unit(unit_id)
        for other in assisting:
            self._unit(other)
        now = self.clock()

        def apply(case: CaseRow) -> None:
            case.lead_unit_id, case.assisting_unit_ids = lead.id, ";".join(assisting)
            case.route_reason, case.dispatched_at = reason, now
            case.code = code or case.code
            case.return_by = self.calendar.add_working_days(now, RETURN_DAYS)
            case.due_at, case.due_rule = due_time(
                now,
                case.urgency,
                kind=lead.kind,
                complex_case=case.complex_case,
                calendar=self.calendar,
                policy=self.policy,
            )
            case.remind_at = self._reminder(now, case.due_at, case.urgency, lead.kind)
            case.reminded_at = case.escalated_at = None
            self.notify(
                case,
                "unit",
                f"新工单 {number}，{case.due_rule}，请于 {case.due_at:%m-%d %H:%M} 前答复",
                lead.id,
            )

        note = f"派至 {lead.name}" + (f"；{reason}" if reason else "")
        return self._change(actor, number, "dispatch", note=note, apply=apply, **kw)

    def request_return(self, actor: Actor, number: str, reason: str, **kw) -> CaseRow:
        reason = _required(reason, "退回理由")
        case = self.get(number)
        if case.state == "dispatched" and case.return_by and self.clock() > case.return_by:
            raise IllegalTransition(
                f"工单 {number} 的退回期限（{case.return_by:%Y-%m-%d %H:%M}，"
                f"派单后 {RETURN_DAYS} 个工作日）已过，请办理或申请延期"
            )
        return self._change(actor, number, "request_return", note=reason, **kw)

    def approve_return(self, actor: Actor, number: str, note: str = "", **kw) -> CaseRow:
        def apply(case: CaseRow) -> None:
            case.lead_unit_id, case.assisting_unit_ids = None, ""
            case.due_at = case.remind_at = case.return_by = None
            case.returns += 1

        return self._change(actor, number, "approve_return", note=note, apply=apply, **kw)

    def reject_return(self, actor: Actor, number: str, note: str, **kw) -> CaseRow:
        note = _required(note, "驳回理由")

        def apply(case: CaseRow) -> None:
            self.notify(case, "unit", f"工单 {number} 退回申请被驳回：{note}", case.lead_unit_id)

        return self._change(actor, number, "reject_return", note=note, apply=apply, **kw)

    def accept(self, actor: Actor, number: str, **kw) -> CaseRow:
        return self._change(actor, number, "accept", **kw)

    def start(self, actor: Actor, number: str, note: str = "", **kw) -> CaseRow:
        return self._change(actor, number, "start", note=note, **kw)

    def reply(self, actor: Actor, number: str, text: str, **kw) -> CaseRow:
        text = _required(text, "答复内容")
        now = self.clock()

        def apply(case: CaseRow) -> None:
            case.reply, case.replied_at = text, now
            self.notify(case, "caller", f"您的工单 {number} 已答复：{text}")
            for linked in self._merged_into(case):
                self._inform_linked(linked, case, actor)

        return self._change(actor, number, "reply", note=text[:200], apply=apply, **kw)

    # -- extensions ------------------------------------------------------------------------------
    def request_extension(self, actor: Actor, number: str, days: int, reason: str, **kw) -> CaseRow:
        reason = _required(reason, "延期理由")
        case = self.get(number)
        try:  # refuse now what could never be approved
            extended_due(
                case.due_at or self.clock(),
                days,
                case.extension_days,
                calendar=self.calendar,
                policy=self.policy,
            )
        except ValueError as exc:
            raise IllegalTransition(f"工单 {number}：{exc}") from None

        def apply(case: CaseRow) -> None:
            case.extension_asked = days

        return self._change(
            actor, number, "request_extension", note=f"{days} 个工作日：{reason}", apply=apply, **kw
        )

    def decide_extension(
        self, actor: Actor, number: str, approve: bool, note: str = "", **kw
    ) -> CaseRow:
        case = self.get(number)
        if not case.extension_asked:
            raise IllegalTransition(f"工单 {number} 没有待审批的延期申请")
        days = case.extension_asked

        def apply(case: CaseRow) -> None:
            if approve:
                case.due_at = extended_due(
                    case.due_at,
                    days,
                    case.extension_days,
                    calendar=self.calendar,
                    policy=self.policy,
                )
                case.extension_days += days
                case.remind_at = self._reminder(
                    case.dispatched_at,
                    case.due_at,
                    case.urgency,
                    self._unit(case.lead_unit_id).kind,
                )
                case.reminded_at = None
            case.extension_asked = 0
            verdict = (
                f"批准延期 {days} 个工作日，新期限 {case.due_at:%m-%d %H:%M}"
                if approve
                else f"延期申请未获批准：{note}"
            )
            self.notify(case, "unit", f"工单 {number} {verdict}", case.lead_unit_id)

        action = "approve_extension" if approve else "reject_extension"
        return self._change(actor, number, action, note=note, apply=apply, **kw)

    # -- after the reply -------------------------------------------------------------------------
    def follow_up(self, actor: Actor, number: str, note: str, **kw) -> CaseRow:
        return self._change(actor, number, "follow_up", note=_required(note, "回访情况"), **kw)

    def close(self, actor: Actor, number: str, note: str = "", **kw) -> CaseRow:
        now = self.clock()

        def apply(case: CaseRow) -> None:
            case.closed_at = now

        return self._change(actor, number, "close", note=note, apply=apply, **kw)

    def reopen(self, actor: Actor, number: str, note: str, due_days: int, **kw) -> CaseRow:
        """Back to the same unit after a confirmed bad rating, due in ``due_days`` working days."""
        note = _required(note, "重新办理原因")
        now = self.clock()

        def apply(case: CaseRow) -> None:
            case.round += 1
            case.closed_at = case.reminded_at = case.escalated_at = None
            case.dispatched_at = now
            case.due_at = self.calendar.add_working_days(now, due_days)
            case.due_rule = f"整改：{due_days} 个工作日内"
            case.remind_at = self._reminder(now, case.due_at, "normal")
            self.notify(
                case,
                "unit",
                f"工单 {number} 因不满意评价重新办理：{note}，"
                f"请于 {case.due_at:%m-%d %H:%M} 前答复整改结果",
                case.lead_unit_id,
            )

        return self._change(actor, number, "reopen", note=note, apply=apply, **kw)

    # -- duplicates ------------------------------------------------------------------------------
    def merge(self, actor: Actor, number: str, master_number: str, note: str = "", **kw) -> CaseRow:
        """Link a duplicate to its master case; the caller hears the master's number now and
        its reply when it comes."""
        master = self.get(master_number)
        if master.number == number:
            raise IllegalTransition("工单不能与自身合并")
        if master.state in ("merged", "closed"):
            raise IllegalTransition(f"工单 {master_number} {STATES[master.state]}，不能作为主工单")

        def apply(case: CaseRow) -> None:
            case.master_id = master.id
            self.notify(
                case,
                "caller",
                f"您的工单 {number} 与同一问题的工单 {master_number}"
                " 合并办理，办理结果将一并告知您",
            )
            if master.state in ("replied", "followed_up"):
                self._inform_linked(case, master, actor)

        note = f"并入 {master_number}" + (f"：{note}" if note else "")
        return self._change(actor, number, "merge", note=note, apply=apply, **kw)

    def _merged_into(self, master: CaseRow) -> list[CaseRow]:
        return list(self.session.scalars(select(CaseRow).where(CaseRow.master_id == master.id)))

    def _inform_linked(self, linked: CaseRow, master: CaseRow, actor: Actor) -> None:
        linked.reply, linked.replied_at = master.reply, self.clock()
        self.notify(
            linked,
            "caller",
            f"您的工单 {linked.number}（已并入 {master.number}）已答复：{master.reply}",
        )
        self._log(linked, actor, "inform", linked.state, f"主工单 {master.number} 已答复")

    # -- timers (``router.timers`` calls these) --------------------------------------------------
    def remind(self, number: str) -> CaseRow:
        def apply(case: CaseRow) -> None:
            case.reminded_at = self.clock()
            self.notify(
                case,
                "unit",
                f"工单 {number} 将于 {case.due_at:%m-%d %H:%M} 到期，请及时答复",
                case.lead_unit_id,
            )

        return self._change(SYSTEM, number, "remind", apply=apply)

    def escalate(self, actor: Actor, number: str, note: str = "超期未办结") -> CaseRow:
        def apply(case: CaseRow) -> None:
            case.escalated_at = self.clock()
            self.notify(case, "supervisor", f"督办：工单 {number} {note}")
            self.notify(case, "unit", f"工单 {number} 已被督办：{note}", case.lead_unit_id)

        return self._change(actor, number, "escalate", note=note, apply=apply)

    def supervisor_queue(self) -> list[CaseRow]:
        """Escalated cases still open, the oldest deadline first."""
        query = (
            select(CaseRow)
            .where(
                CaseRow.escalated_at.is_not(None),
                CaseRow.state.in_(("dispatched", "return_requested", "accepted", "in_progress")),
            )
            .order_by(CaseRow.due_at)
        )
        return list(self.session.scalars(query))

    # -- helpers ---------------------------------------------------------------------------------
    def _reminder(self, start: datetime, due: datetime, urgency: str, kind: str = "") -> datetime:
        calendar = None if on_the_clock(urgency, kind) else self.calendar
        return reminder_time(start, due, self.policy, calendar)

    def _unit(self, unit_id: str) -> UnitRow:
        unit = self.session.get(UnitRow, unit_id)
        if unit is None or not unit.active:
            raise IllegalTransition(f"单位 {unit_id} 不在部门目录中")
        return unit


def _required(text: str, what: str) -> str:
    if not (text or "").strip():
        raise IllegalTransition(f"{what}不能为空")
    return text.strip()
