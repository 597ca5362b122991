"""The case life cycle on SQLite and PostgreSQL: every transition, deadlines, returns,
extensions, merges, escalation, the bad-rating loop and two agents acting at once."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from hotline.db import make_engine, prepare_database, session_scope
from hotline.tables import CaseEvent, Notification, RatingRow, UnitRow
from router.cases import Actor, CaseDesk
from router.deadlines import WorkCalendar
from router.lifecycle import (
    ACTIONS,
    STATES,
    Conflict,
    IllegalTransition,
    NotAllowed,
    check,
)
from router.ratings import RatingPolicy, dispute, rate, review, task_of, tell_result, unit_figures
from router.ratings import verify as verify_rating
from router.timers import run_timers

AGENT = Actor("坐席01", "agent")
BOSS = Actor("值班长", "supervisor")
CALLER = Actor("来电人", "caller")
HOUSING = Actor("东湖住建经办", "unit", "D-DH-ZJ")
STREET = Actor("湖滨街道经办", "unit", "S-HB")
# 2026: Thursday 1 October is National Day; the week off runs to 8 October, Saturday 10 October
# is a make-up workday.
CALENDAR = WorkCalendar(
    holidays={date(2026, 10, d) for d in range(1, 9)}, workdays={date(2026, 10, 10)}
)


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(settings):
    engine = make_engine(settings.db_url)
    prepare_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 23, 10, 0))  # a Monday


@pytest.fixture
def desk(engine, clock):
    """One desk on one session; each test step commits like the API would."""
    with session_scope(engine) as session:
        yield CaseDesk(session, calendar=CALENDAR, clock=clock)


def new_case(desk: CaseDesk, body="东湖区金色家园小区电梯坏了一个月物业不修", **kw) -> str:
    case, code = desk.create(
        AGENT,
        body=body,
        caller_name="张三",
        caller_phone="13800138000",
        consent=True,
        code="0102",
        **kw,
    )
    assert len(code) == 6 and code.isdigit()
    return case.number


def steps(desk: CaseDesk, number: str) -> list[tuple[str, str, str]]:
    return [(e.action, e.from_state, e.to_state) for e in desk.history(number)]


def test_a_case_goes_the_whole_way_and_every_step_is_logged(desk, clock):
    number = new_case(desk)
    desk.dispatch(AGENT, number, "D-DH-ZJ", reason="代码 0102 -> 东湖区住建局，规则 152")
    case = desk.get(number)
    assert case.due_at == datetime(2026, 11, 30, 10, 0)  # 5 working days over a weekend
    assert case.due_rule.startswith("一般诉求")
    assert case.return_by == datetime(2026, 11, 25, 10, 0)
    clock.now += timedelta(hours=2)
    desk.accept(HOUSING, number)
    desk.start(HOUSING, number, "已联系物业")
    desk.reply(HOUSING, number, "经现场核查，电梯已于今日修复。")
    desk.follow_up(AGENT, number, "来电人确认已修好")
    desk.close(AGENT, number, "办结")
    assert desk.get(number).state == "closed"
    assert steps(desk, number) == [
        ("receive", "", "received"),
        ("dispatch", "received", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("start", "accepted", "in_progress"),
        ("reply", "in_progress", "replied"),
        ("follow_up", "replied", "followed_up"),
        ("close", "followed_up", "closed"),
    ]
    events = desk.history(number)
    assert events[2].actor == "东湖住建经办" and events[2].at == datetime(2026, 11, 23, 12, 0)
    assert "东湖区住房和城乡建设局" in events[1].note and "规则 152" in events[1].note
    caller_messages = desk.session.scalars(
        select(Notification.text).where(
            Notification.case_id == desk.get(number).id, Notification.audience == "caller"
        )
    ).all()
    assert any("电梯已于今日修复" in t for t in caller_messages)


def test_a_consultation_answered_at_intake_is_closed_at_once(desk):
    number = new_case(desk, "社保卡丢了怎么补办")
    desk.answer(AGENT, number, "可到任一社保经办网点或通过掌上社保补办。")
    case = desk.get(number)
    assert case.state == "closed" and case.reply.startswith("可到")
    assert steps(desk, number)[-1] == ("answer", "received", "closed")


@pytest.mark.parametrize("action", [a for a in ACTIONS if a != "receive"])
def test_every_illegal_transition_is_refused_with_the_state_in_words(action):
    step = ACTIONS[action]
    role = step.roles[0]
    for state in STATES:
        if state in step.sources:
            assert check(action, state, role).target == step.target
        else:
            with pytest.raises(IllegalTransition, match=f"当前{STATES[state]}，不能{step.label}"):
                check(action, state, role, "X")


def test_an_illegal_step_on_a_stored_case_changes_nothing(desk):
    number = new_case(desk)
    version = desk.get(number).version
    with pytest.raises(IllegalTransition, match="已受理待派单，不能签收"):
        desk.accept(HOUSING, number)
    with pytest.raises(IllegalTransition, match="不能答复"):
        desk.reply(HOUSING, number, "已处理")
    case = desk.get(number)
    assert case.state == "received" and case.version == version and case.reply == ""
    assert steps(desk, number) == [("receive", "", "received")]


def test_roles_and_units_are_checked(desk):
    number = new_case(desk)
    with pytest.raises(NotAllowed):
        desk.dispatch(HOUSING, number, "D-DH-ZJ")  # a unit cannot dispatch
    desk.dispatch(AGENT, number, "D-DH-ZJ")
    with pytest.raises(NotAllowed, match="不由本单位承办"):
        desk.accept(STREET, number)  # another unit's case
    with pytest.raises(IllegalTransition, match="不在部门目录"):
        desk.dispatch(AGENT, new_case(desk), "NO-SUCH-UNIT")


def test_return_within_two_working_days_is_reviewed_then_redispatched(desk, clock):
    number = new_case(desk)
    desk.dispatch(AGENT, number, "D-DH-ZJ")
    with pytest.raises(IllegalTransition, match="退回理由不能为空"):
        desk.request_return(HOUSING, number, " ")
    desk.request_return(HOUSING, number, "小区电梯属街道老旧小区改造项目，非本局职责")
    desk.reject_return(BOSS, number, "电梯安全属住建部门监管")  # 派单异议审核: refused
    assert desk.get(number).state == "dispatched"
    desk.request_return(HOUSING, number, "再次申请：已与街道确认由街道牵头")
    desk.approve_return(BOSS, number, "同意，改派街道")
    case = desk.get(number)
    assert case.state == "received" and case.lead_unit_id is None and case.returns == 1
    desk.dispatch(AGENT, number, "S-HB", reason="退回后改派")
    assert desk.get(number).lead_unit_id == "S-HB"
    clock.now += timedelta(days=3)  # Thursday: the 2 working days to return have passed
    with pytest.raises(IllegalTransition, match="退回期限.*已过"):
        desk.request_return(STREET, number, "非本街道辖区")
    assert [s[0] for s in steps(desk, number)][1:] == [
        "dispatch",
        "request_return",
        "reject_return",
        "request_return",
        "approve_return",
        "dispatch",
    ]


def test_deadlines_skip_weekends_and_holidays_and_count_make_up_days():
    calendar = CALENDAR
    # Dispatched Wednesday 30 September: 5 working days are 9, 10 (make-up Saturday), 12, 13, 14 Oct
    assert calendar.add_working_days(datetime(2026, 9, 30, 15, 0), 5) == datetime(
        2026, 10, 14, 15, 0
    )


def test_deadlines_of_cases_follow_urgency_kind_and_the_holiday_calendar(desk, clock):
    clock.now = datetime(2026, 9, 30, 15, 0)
    ordinary = new_case(desk)
    desk.dispatch(AGENT, ordinary, "D-DH-ZJ")
    assert desk.get(ordinary).due_at == datetime(2026, 10, 14, 15, 0)
    water = new_case(desk, "湖滨街道停水一天了")
    desk.dispatch(AGENT, water, "CO-ZLS")  # water company: 24 hours on the clock, holiday or not
    assert desk.get(water).due_at == datetime(2026, 10, 1, 15, 0)
    gas = new_case(desk, "楼道里燃气泄漏味道很大", urgency="emergency")
    desk.dispatch(AGENT, gas, "CO-RQ")
    assert desk.get(gas).due_at == datetime(2026, 9, 30, 17, 0)
    hard = new_case(desk, "历史遗留房产证办不下来", complex_case=True)
    desk.dispatch(AGENT, hard, "D-DH-ZJ")
    assert desk.get(hard).due_rule.startswith("疑难复杂：15")


def test_extension_needs_approval_and_is_capped(desk):
    number = new_case(desk)
    desk.dispatch(AGENT, number, "D-DH-ZJ")
    desk.accept(HOUSING, number)
    due = desk.get(number).due_at
    desk.request_extension(HOUSING, number, 5, "需协调电梯维保单位更换主板")
    assert desk.get(number).due_at == due  # not before approval
    desk.decide_extension(BOSS, number, approve=True)
    case = desk.get(number)
    assert case.due_at == CALENDAR.add_working_days(due, 5) and case.extension_days == 5
    with pytest.raises(IllegalTransition, match="at most 10 working days"):
        desk.request_extension(HOUSING, number, 6, "还需更久")
    desk.request_extension(HOUSING, number, 2, "配件未到")
    desk.decide_extension(BOSS, number, approve=False, note="请先行采取临时措施")
    assert desk.get(number).extension_days == 5
    with pytest.raises(IllegalTransition, match="没有待审批的延期申请"):
        desk.decide_extension(BOSS, number, approve=True)


def test_merged_duplicates_share_the_reply_and_every_caller_hears(desk):
    master = new_case(desk)
    other = new_case(desk, "金色家园电梯又坏了，物业一直拖着")
    desk.dispatch(AGENT, master, "D-DH-ZJ")
    desk.merge(AGENT, other, master, "同一小区同一电梯")
    with pytest.raises(IllegalTransition, match="不能与自身合并"):
        desk.merge(AGENT, master, master)
    assert desk.get(other).state == "merged" and desk.get(other).master_id == desk.get(master).id
    desk.accept(HOUSING, master)
    desk.reply(HOUSING, master, "电梯已修复并完成年检。")
    linked = desk.get(other)
    assert linked.reply == "电梯已修复并完成年检。"
    texts = desk.session.scalars(
        select(Notification.text).where(
            Notification.case_id == linked.id, Notification.audience == "caller"
        )
    ).all()
    assert any("合并办理" in t for t in texts) and any("电梯已修复" in t for t in texts)
    assert steps(desk, other)[-1] == ("inform", "merged", "merged")


def test_the_audit_log_cannot_be_rewritten(engine, clock):
    with session_scope(engine) as s:
        number = new_case(CaseDesk(s, clock=clock))
    for statement in ("UPDATE case_event SET note = 'x'", "DELETE FROM case_event"):
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    with session_scope(engine) as s:
        assert [e.note for e in CaseDesk(s).history(number)] == ["渠道 phone"]


def test_reminders_then_escalation_to_the_supervisor_queue(engine, clock):
    options = {"calendar": CALENDAR, "clock": clock}
    with session_scope(engine) as s:
        desk = CaseDesk(s, **options)
        number = new_case(desk)
        desk.dispatch(AGENT, number, "D-DH-ZJ")  # due Monday 30 Nov 10:00
    clock.now = datetime(2026, 11, 27, 9, 0)
    assert run_timers(engine, "w1", options).reminded == 0
    clock.now = datetime(2026, 11, 27, 16, 0)  # a fifth of the time left
    run = run_timers(engine, "w1", options)
    assert (run.reminded, run.escalated) == (1, 0)
    clock.now = datetime(2026, 11, 30, 10, 1)
    run = run_timers(engine, "w1", options)
    assert (run.reminded, run.escalated) == (0, 1)
    assert run_timers(engine, "w1", options).escalated == 0  # once only
    with session_scope(engine) as s:
        desk = CaseDesk(s, **options)
        assert [c.number for c in desk.supervisor_queue()] == [number]
        supervisor = s.scalars(
            select(Notification.text).where(Notification.audience == "supervisor")
        ).all()
        assert supervisor == [f"督办：工单 {number} 超期未办结"]


def test_timers_run_once_across_workers(engine, clock):
    options = {"calendar": CALENDAR, "clock": clock}
    with session_scope(engine) as s:
        desk = CaseDesk(s, **options)
        numbers = [new_case(desk, f"第{i}号小区路灯不亮") for i in range(6)]
        for number in numbers:
            desk.dispatch(AGENT, number, "D-DH-CG")
    clock.now = datetime(2026, 12, 7, 9, 0)  # all overdue
    start = threading.Barrier(4)

    def worker(i: int):
        start.wait()
        return run_timers(engine, f"worker-{i}", options)

    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(worker(i))) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.escalated for r in results if r) == 6
    with session_scope(engine) as s:
        count = s.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.action == "escalate")
        )
        assert count == 6


def test_a_bad_rating_is_verified_rectified_and_the_result_told(desk, clock):
    number = new_case(desk)
    desk.dispatch(AGENT, number, "D-DH-ZJ")
    desk.accept(HOUSING, number)
    desk.reply(HOUSING, number, "已督促物业维修。")
    with pytest.raises(IllegalTransition, match="评价须为"):
        rate(desk, CALLER, number, 9)
    rate(desk, CALLER, number, "不满意", "电梯还是坏的")
    with pytest.raises(IllegalTransition, match="本轮已评价"):
        rate(desk, CALLER, number, "满意")
    assert task_of(desk, number).state == "verifying"
    verify_rating(desk, AGENT, number, confirmed=True, note="回访核实：电梯仍未修复")
    case, task = desk.get(number), task_of(desk, number)
    assert case.state == "in_progress" and case.round == 2
    assert task.state == "rectifying" and task.due_at == datetime(2026, 11, 30, 10, 0)
    with pytest.raises(IllegalTransition, match="尚未答复"):
        tell_result(desk, AGENT, number, "已告知")
    desk.reply(HOUSING, number, "已更换电梯主板，经特检院检验合格。")
    tell_result(desk, AGENT, number, "电话告知来电人")
    assert task_of(desk, number).state == "done" and desk.get(number).state == "followed_up"
    desk.close(AGENT, number)
    rate(desk, CALLER, number, "满意")  # the new round is rated again
    levels = desk.session.scalars(
        select(RatingRow.level).where(RatingRow.case_id == case.id).order_by(RatingRow.round)
    ).all()
    assert levels == [4, 2]
    actions = [s[0] for s in steps(desk, number)]
    assert actions[4:] == [
        "rate",
        "verify_rating",
        "reopen",
        "reply",
        "tell_result",
        "follow_up",
        "close",
        "rate",
    ]


def test_a_disputed_rating_upheld_leaves_the_units_figures(desk, clock):
    numbers = []
    for level in ("非常不满意", "非常满意"):
        number = new_case(desk)
        desk.dispatch(AGENT, number, "D-DH-ZJ")
        desk.accept(HOUSING, number)
        desk.reply(HOUSING, number, "已答复政策。")
        rate(desk, CALLER, number, level)
        numbers.append(number)
    bad = numbers[0]
    with pytest.raises(NotAllowed):
        dispute(desk, STREET, bad, "不是我们的")
    dispute(desk, HOUSING, bad, "来电人诉求为要求免除物业费，无政策依据")
    review(desk, BOSS, bad, upheld=True, note="诉求无政策依据，差评不计入")
    assert task_of(desk, bad).state == "voided"
    start, end = datetime(2026, 11, 1), datetime(2026, 12, 1)
    [figures] = unit_figures(desk, start, end)
    assert figures["unit_id"] == "D-DH-ZJ" and figures["cases"] == 2
    assert figures["rated"] == 1 and figures["satisfaction"] == 1.0 and figures["bad"] == 0
    assert figures["on_time_rate"] == 1.0


def test_a_rejected_dispute_goes_on_to_rectification(desk):
    number = new_case(desk)
    desk.dispatch(AGENT, number, "D-DH-ZJ")
    desk.accept(HOUSING, number)
    desk.reply(HOUSING, number, "已处理。")
    rate(desk, CALLER, number, 5)
    verify_rating(desk, AGENT, number, confirmed=False, note="来电人说法与单位不一致")
    assert task_of(desk, number).state == "disputed"
    review(desk, BOSS, number, upheld=False, note="单位答复未解决问题")
    assert task_of(desk, number).state == "rectifying" and desk.get(number).state == "in_progress"


def test_silence_becomes_the_default_rating_after_n_days(engine, clock):
    options = {"calendar": CALENDAR, "clock": clock}
    with session_scope(engine) as s:
        desk = CaseDesk(s, **options)
        number = new_case(desk)
        desk.answer(AGENT, number, "已电话答复。")
    policy = RatingPolicy(default_after_days=3)
    clock.now += timedelta(days=2)
    assert run_timers(engine, "w", options, policy).default_ratings == 0
    clock.now += timedelta(days=1)
    assert run_timers(engine, "w", options, policy).default_ratings == 1
    with session_scope(engine) as s:
        rating = s.scalar(select(RatingRow))
        assert (rating.level, rating.source) == (2, "default")


def test_two_agents_at_once_one_wins_the_other_gets_a_conflict(engine, clock):
    with session_scope(engine) as s:
        number = new_case(CaseDesk(s, calendar=CALENDAR, clock=clock))
    both_read = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def agent(name: str, unit: str):
        try:
            with session_scope(engine) as s:
                desk = CaseDesk(s, calendar=CALENDAR, clock=clock)
                seen = desk.get(number).version
                both_read.wait()
                desk.dispatch(Actor(name, "agent"), number, unit, expected_version=seen)
            outcomes[name] = "ok"
        except Conflict as exc:
            outcomes[name] = f"conflict: {exc}"

    threads = [
        threading.Thread(target=agent, args=a) for a in (("坐席A", "D-DH-ZJ"), ("坐席B", "S-HB"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["conflict", "ok"]
    winner = next(k for k, v in outcomes.items() if v == "ok")
    with session_scope(engine) as s:
        desk = CaseDesk(s, calendar=CALENDAR, clock=clock)
        events = [e for e in desk.history(number) if e.action == "dispatch"]
        assert [e.actor for e in events] == [winner]
        expected_unit = "D-DH-ZJ" if winner == "坐席A" else "S-HB"
        assert desk.get(number).lead_unit_id == expected_unit
        sent = s.scalar(
            select(func.count()).select_from(Notification).where(Notification.audience == "unit")
        )
        assert sent == 1


def test_a_stale_page_is_refused(desk):
    number = new_case(desk)
    seen = desk.get(number).version
    desk.dispatch(AGENT, number, "D-DH-ZJ")
    with pytest.raises(Conflict, match="已被他人修改"):
        desk.merge(AGENT, number, new_case(desk), expected_version=seen)


def test_the_directory_is_stored_and_units_that_leave_are_kept_inactive(engine):
    from router import Directory
    from router.cases import sync_directory

    demo = Directory.demo()
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(UnitRow)) == len(demo.units)
        smaller = Directory({k: v for k, v in demo.units.items() if k != "S-HB"}, demo.regions)
        sync_directory(s, smaller)
        assert s.get(UnitRow, "S-HB").active is False
        assert s.get(UnitRow, "D-DH-ZJ").kind == "住房城乡建设"


def test_the_running_server_escalates_overdue_cases_by_itself(settings):
    from fastapi.testclient import TestClient

    from hotline.app import create_app

    engine = make_engine(settings.db_url)
    prepare_database(engine)
    with session_scope(engine) as s:
        desk = CaseDesk(s, clock=Clock(datetime.now() - timedelta(days=30)))
        number = new_case(desk)
        desk.dispatch(AGENT, number, "D-DH-ZJ")
    fast = settings.model_copy(update={"timer_interval": 1})
    with TestClient(create_app(fast)):
        for _ in range(50):
            with session_scope(engine) as s:
                if CaseDesk(s).get(number).escalated_at is not None:
                    break
            threading.Event().wait(0.2)
    with session_scope(engine) as s:
        assert [c.number for c in CaseDesk(s).supervisor_queue()] == [number]
