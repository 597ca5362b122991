"""Deadlines on the working-day calendar: weekends, holidays, make-up workdays, extensions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from router.deadlines import (
    CalendarError,
    WorkCalendar,
    due_time,
    extended_due,
    reminder_time,
)

# A week of National Day holidays with a make-up Saturday, as the State Council announces them.
CALENDAR = WorkCalendar(
    holidays={date(2026, 10, d) for d in range(1, 8)}, workdays={date(2026, 10, 10)}
)


def test_ordinary_case_skips_the_weekend():
    friday = datetime(2026, 11, 20, 15, 30)
    due, why = due_time(friday, "normal", calendar=CALENDAR)
    assert due == datetime(2026, 11, 27, 15, 30) and "5 个工作日" in why


def test_holidays_are_skipped_and_make_up_workdays_count():
    before_holiday = datetime(2026, 9, 30, 10, 0)  # Wednesday, then 1-7 October off
    due, _ = due_time(before_holiday, "normal", calendar=CALENDAR)
    # Working days: 8 Oct (Thu), 9 (Fri), 10 (make-up Saturday), 12 (Mon), 13 (Tue).
    assert due == datetime(2026, 10, 13, 10, 0)


def test_a_case_received_on_a_day_off_counts_from_the_next_opening():
    sunday_night = datetime(2026, 11, 22, 23, 0)
    due, _ = due_time(sunday_night, "normal", calendar=CALENDAR)
    assert due == datetime(2026, 11, 30, 9, 0)  # Monday 9:00 + 5 working days


def test_emergency_urgent_and_utilities_run_on_the_clock():
    saturday = datetime(2026, 11, 21, 20, 0)
    assert due_time(saturday, "emergency", calendar=CALENDAR)[0] == datetime(2026, 11, 21, 22, 0)
    assert due_time(saturday, "urgent", calendar=CALENDAR)[0] == datetime(2026, 11, 22, 20, 0)
    due, why = due_time(saturday, "normal", kind="供水供电供气", calendar=CALENDAR)
    assert due == datetime(2026, 11, 22, 20, 0) and "水电气暖" in why


def test_complex_cases_get_fifteen_working_days():
    due, _ = due_time(datetime(2026, 11, 2, 9, 0), "normal", complex_case=True, calendar=CALENDAR)
    assert due == datetime(2026, 11, 23, 9, 0)


def test_extensions_are_capped_at_ten_working_days_in_all():
    due = datetime(2026, 11, 27, 15, 30)
    assert extended_due(due, 3, 0, calendar=CALENDAR) == datetime(2026, 12, 2, 15, 30)
    with pytest.raises(ValueError, match="at most 10 working days of extension in all; 2 left"):
        extended_due(due, 3, 8, calendar=CALENDAR)


def test_reminder_comes_before_the_deadline():
    received, due = datetime(2026, 11, 2, 9, 0), datetime(2026, 11, 9, 9, 0)
    assert received < reminder_time(received, due) < due


def test_calendar_file_is_checked_line_by_line(tmp_path):
    path = tmp_path / "holidays.csv"
    path.write_text("date,kind\n2026-10-01,holiday\n2026-10-10,workday\n", "utf-8")
    loaded = WorkCalendar.load(path)
    assert loaded.is_workday(date(2026, 10, 10)) and not loaded.is_workday(date(2026, 10, 1))
    path.write_text("date,kind\n2026-10-01,holiday\n2026-13-01,holiday\n", "utf-8")
    with pytest.raises(CalendarError, match="line 3: date must be YYYY-MM-DD"):
        WorkCalendar.load(path)
    path.write_text("date,kind\n2026-10-01,party\n", "utf-8")
    with pytest.raises(CalendarError, match="line 2: kind must be holiday or workday"):
        WorkCalendar.load(path)


def test_a_reminder_counted_in_working_days_never_falls_on_a_day_off():
    monday = datetime(2026, 11, 23, 10, 0)
    due, _ = due_time(monday, "normal", calendar=CALENDAR)
    remind = reminder_time(monday, due, calendar=CALENDAR)
    assert remind == datetime(2026, 11, 27, 10, 0)  # Friday, one working day before Monday's due
