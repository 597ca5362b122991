"""Working-day calendar and case deadlines.

Deadlines in working days skip weekends and configured holidays, and count configured make-up
workdays (调休上班) even when they fall on a weekend. Emergency and urgent cases run on the
clock instead: a gas leak does not wait for Monday. The centre configures holidays each year
from the State Council's notice (``WorkCalendar.load``, a CSV of ``date,kind`` with kind
``holiday`` or ``workday``); nothing is shipped as fact.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

OPENING = time(9, 0)  # a case received on a day off starts counting at the next opening


class CalendarError(ValueError):
    """A calendar file that cannot be used; the message names the line."""


@dataclass
class WorkCalendar:
    holidays: set[date] = field(default_factory=set)
    workdays: set[date] = field(default_factory=set)  # make-up workdays on weekends

    @classmethod
    def load(cls, path: Path) -> WorkCalendar:
        text = Path(path).read_text("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text))
        calendar = cls()
        for row in reader:
            where = f"{path} line {reader.line_num}"
            try:
                day = date.fromisoformat((row.get("date") or "").strip())
            except ValueError:
                raise CalendarError(f"{where}: date must be YYYY-MM-DD") from None
            kind = (row.get("kind") or "").strip()
            if kind not in ("holiday", "workday"):
                raise CalendarError(f"{where}: kind must be holiday or workday, not {kind!r}")
            (calendar.holidays if kind == "holiday" else calendar.workdays).add(day)
        both = calendar.holidays & calendar.workdays
        if both:
            raise CalendarError(f"{path}: {min(both)} is both a holiday and a workday")
        return calendar

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def next_workday(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same clock time ``days`` working days later (from the next opening if
        ``start`` is on a day off)."""
        if not self.is_workday(start.date()):
            start = datetime.combine(self.next_workday(start.date()), OPENING, start.tzinfo)
        day = start.date()
        for _ in range(days):
            day = self.next_workday(day)
        return datetime.combine(day, start.timetz())


@dataclass(frozen=True)
class DeadlinePolicy:
    """Defaults of the hotline issue; a centre overrides any of them."""

    emergency_hours: int = 2
    urgent_hours: int = 24  # also water, power, gas and heat cut off
    normal_days: int = 5
    complex_days: int = 15
    max_extension_days: int = 10
    remind_before: float = 0.2  # remind when a fifth of the time is left


UTILITY_KIND = "供水供电供气"


def on_the_clock(urgency: str, kind: str = "") -> bool:
    """Emergency, urgent and utility cases count hours on the clock, not working days."""
    return urgency in ("emergency", "urgent") or kind == UTILITY_KIND


def due_time(received: datetime, urgency: str, *, kind: str = "", complex_case: bool = False,
             calendar: WorkCalendar, policy: DeadlinePolicy = DeadlinePolicy()
             ) -> tuple[datetime, str]:  # fmt: skip
    """When the reply is due, and the rule that set it (in words for the case record)."""
    if urgency == "emergency":
        return received + timedelta(hours=policy.emergency_hours), (
            f"紧急：{policy.emergency_hours} 小时内处置"
        )
    if on_the_clock(urgency, kind):
        why = "紧急诉求" if urgency == "urgent" else "水电气暖"
        return received + timedelta(hours=policy.urgent_hours), (
            f"{why}：{policy.urgent_hours} 小时内处置"
        )
    days = policy.complex_days if complex_case else policy.normal_days
    label = "疑难复杂" if complex_case else "一般诉求"
    return calendar.add_working_days(received, days), f"{label}：{days} 个工作日内答复"


def extended_due(due: datetime, days: int, already: int, *, calendar: WorkCalendar,
                 policy: DeadlinePolicy = DeadlinePolicy()) -> datetime:  # fmt: skip
    """The due time after an approved extension; ``already``: working days granted before."""
    if days <= 0:
        raise ValueError("an extension must be at least one working day")
    if already + days > policy.max_extension_days:
        left = policy.max_extension_days - already
        raise ValueError(f"at most {policy.max_extension_days} working days of extension in all;"
                         f" {left} left")  # fmt: skip
    return calendar.add_working_days(due, days)


def reminder_time(received: datetime, due: datetime, policy: DeadlinePolicy = DeadlinePolicy(),
                  calendar: WorkCalendar | None = None) -> datetime:  # fmt: skip
    """When to remind the unit: once ``remind_before`` of the time is left; counted in working
    days when a ``calendar`` is given (a reminder on a Saturday reaches nobody)."""
    if calendar is None:
        return due - (due - received) * policy.remind_before
    days = [received.date() + timedelta(days=i) for i in range(1, (due - received).days + 1)]
    workdays = [d for d in days if calendar.is_workday(d) and d <= due.date()]
    before = max(1, round(len(workdays) * policy.remind_before))
    if len(workdays) <= before:
        return received
    return datetime.combine(workdays[-1 - before], due.time())
