"""The case life cycle: its states, the actions that move a case, and who may take them.

received -> dispatched -> accepted -> in progress -> replied -> followed up -> closed, with the
side roads a 12345 centre needs: answered at intake, a unit's return request and its review
(派单异议审核), extensions, merging duplicates, reopening after a bad rating. Anything else is
an illegal transition and gets an error that says what the case is and what it allows.
"""

from __future__ import annotations

from dataclasses import dataclass

STATES = {
    "received": "已受理待派单",
    "dispatched": "已派单待签收",
    "return_requested": "退回待审核",
    "accepted": "已签收",
    "in_progress": "办理中",
    "replied": "已答复待回访",
    "followed_up": "已回访",
    "closed": "已办结",
    "merged": "已合并",
}
OPEN_STATES = ("received", "dispatched", "return_requested", "accepted", "in_progress")
WITH_UNIT = ("dispatched", "return_requested", "accepted", "in_progress")  # the unit's clock runs
ROLES = ("caller", "agent", "unit", "supervisor", "system")


@dataclass(frozen=True)
class Action:
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: the state does not change (the event is still logged)
    roles: tuple[str, ...]


ACTIONS = {
    "receive": Action("受理", (), "received", ("caller", "agent", "system")),
    "answer": Action("当场答复", ("received",), "closed", ("agent",)),
    "dispatch": Action("派单", ("received",), "dispatched", ("agent", "supervisor")),
    "request_return": Action("申请退回", ("dispatched",), "return_requested", ("unit",)),
    "approve_return": Action("同意退回", ("return_requested",), "received", ("supervisor",)),
    "reject_return": Action("驳回退回", ("return_requested",), "dispatched", ("supervisor",)),
    "accept": Action("签收", ("dispatched",), "accepted", ("unit",)),
    "start": Action("开始办理", ("accepted",), "in_progress", ("unit",)),
    "reply": Action("答复", ("accepted", "in_progress"), "replied", ("unit",)),
    "request_extension": Action("申请延期", ("accepted", "in_progress"), None, ("unit",)),
    "approve_extension": Action("批准延期", ("accepted", "in_progress"), None, ("supervisor",)),
    "reject_extension": Action("驳回延期", ("accepted", "in_progress"), None, ("supervisor",)),
    "follow_up": Action("回访", ("replied",), "followed_up", ("agent",)),
    "close": Action("办结", ("followed_up",), "closed", ("agent", "supervisor")),
    "merge": Action(
        "合并",
        ("received", "dispatched", "accepted", "in_progress"),
        "merged",
        ("agent", "supervisor"),
    ),
    "inform": Action("告知合并工单来电人", ("merged",), None, ("agent", "unit", "system")),
    "rate": Action(
        "评价", ("replied", "followed_up", "closed"), None, ("caller", "agent", "system")
    ),
    "reopen": Action(
        "重新办理", ("replied", "followed_up", "closed"), "in_progress", ("agent", "supervisor")
    ),
    "remind": Action("到期提醒", ("dispatched", "accepted", "in_progress"), None, ("system",)),
    "escalate": Action("督办", WITH_UNIT, None, ("system", "supervisor")),
}


class CaseError(ValueError):
    """A request on a case that cannot be done; the message says why, in words for the user."""


class IllegalTransition(CaseError):
    pass


class NotAllowed(CaseError):
    pass


class Conflict(CaseError):
    """Someone else changed the case first; reload and try again."""


class CaseNotFound(CaseError):
    pass


def check(action: str, state: str, role: str, number: str = "") -> Action:
    """The action, if a ``role`` may take it on a case in ``state``; otherwise an error."""
    if action not in ACTIONS:
        raise IllegalTransition(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    step = ACTIONS[action]
    if role not in step.roles:
        raise NotAllowed(f"{role} 不能{step.label}（可由 {'、'.join(step.roles)} 操作）")
    if state not in step.sources:
        allowed = "、".join(STATES[s] for s in step.sources)
        raise IllegalTransition(
            f"工单 {number} 当前{STATES[state]}，不能{step.label}（仅在{allowed}时可以）"
        )
    return step
