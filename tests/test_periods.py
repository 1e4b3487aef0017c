"""Report periods: years, quarters and ISO weeks on the Shanghai calendar, as UTC bounds."""
from datetime import date, datetime

import pytest

from lms.domain.reports import periods, rollup

TZ = "Asia/Shanghai"


def test_a_week_runs_monday_to_monday_local_time():
    week = periods.parse("2026-W48", TZ)
    assert (week.kind, week.first_day, week.last_day) == ("week", date(2026, 11, 23),
                                                          date(2026, 11, 29))
    # Monday 00:00 in Shanghai is Sunday 16:00 UTC.
    assert week.start == datetime(2026, 11, 22, 16, 0)
    assert week.end == datetime(2026, 11, 29, 16, 0)
    assert week.label == "2026年第48周"


def test_sunday_evening_local_is_inside_the_week_and_after_midnight_is_not():
    week = periods.parse("2026-W48", TZ)
    due_sunday_2359_local = datetime(2026, 11, 29, 15, 59)
    monday_0030_local = datetime(2026, 11, 29, 16, 30)
    assert week.start <= due_sunday_2359_local < week.end
    assert not monday_0030_local < week.end
    assert periods.parse("2026-W49", TZ).start <= monday_0030_local


def test_quarters_and_years_start_at_local_midnight():
    q4 = periods.parse("2026Q4", TZ)
    assert (q4.first_day, q4.end_day) == (date(2026, 10, 1), date(2027, 1, 1))
    assert (q4.start, q4.end) == (datetime(2026, 9, 30, 16), datetime(2026, 12, 31, 16))
    assert q4.label == "2026年第4季度"
    q1 = periods.parse("2026Q1", TZ)
    assert (q1.first_day, q1.end_day) == (date(2026, 1, 1), date(2026, 4, 1))
    year = periods.parse("2026", TZ)
    assert (year.start, year.end) == (datetime(2025, 12, 31, 16), datetime(2026, 12, 31, 16))
    assert year.label == "2026年"


def test_iso_week_one_may_start_in_the_previous_year():
    week = periods.parse("2026-W01", TZ)
    assert week.first_day == date(2025, 12, 29)
    assert periods.parse("2026-W53", TZ).first_day == date(2026, 12, 28)  # 2026 has 53 weeks


def test_lower_case_and_surrounding_space_are_accepted():
    assert periods.parse(" 2026q4 ", TZ).key == "2026Q4"
    assert periods.parse("2026-w05", TZ).key == "2026-W05"


@pytest.mark.parametrize("text", [
    "", "26", "20261", "2026Q0", "2026Q5", "2026-Q4", "2026-W00", "2025-W53", "2026-W54",
    "2026-W1", "2026W48", "2026-48", "1999", "Q4 2026", "2026Q4; drop table", "２０２６",
    "2026-W48x", None,
])
def test_malformed_periods_raise_value_error(text):
    with pytest.raises(ValueError):
        periods.parse(text, TZ)


def test_week_quarter_and_year_of_a_day():
    day = date(2026, 11, 29)
    assert periods.week_of(day, TZ).key == "2026-W48"
    assert periods.quarter_of(day, TZ).key == "2026Q4"
    assert periods.year_of(day, TZ).key == "2026"
    assert periods.week_of(date(2027, 1, 1), TZ).key == "2026-W53"


def test_local_today_follows_shanghai():
    assert periods.local_today(datetime(2026, 11, 29, 16, 30), TZ) == date(2026, 11, 30)


def test_weeks_in_a_quarter_cover_it_without_gaps():
    q4 = periods.parse("2026Q4", TZ)
    weeks = periods.weeks_in(q4, TZ)
    assert weeks[0].key == "2026-W40" and weeks[0].first_day <= q4.first_day
    assert weeks[-1].key == "2026-W53" and weeks[-1].end_day >= q4.end_day
    assert all(a.end == b.start for a, b in zip(weeks, weeks[1:]))
    assert periods.weeks_in(periods.parse("2026-W10", TZ), TZ)[0].key == "2026-W10"


def test_recent_weeks_end_with_the_current_one():
    weeks = periods.recent_weeks(date(2026, 1, 7), 3, TZ)
    assert [w.key for w in weeks] == ["2025-W52", "2026-W01", "2026-W02"]


def test_choices_offer_weeks_quarters_and_years_newest_first():
    keys = [p.key for p in periods.choices(date(2026, 11, 29), TZ)]
    assert keys[0] == "2026-W48" and keys[11] == "2026-W37"
    assert keys[12:16] == ["2026Q4", "2026Q3", "2026Q2", "2026Q1"]
    assert keys[16:] == ["2026", "2025"]


def test_the_trend_shows_eight_weeks_up_to_a_week_or_lesson_and_a_quarters_weeks_so_far():
    now = datetime(2026, 10, 20)
    eight = [f"2026-W{n}" for n in range(41, 49)]
    week = rollup.Selection(period=periods.parse("2026-W48", TZ))
    assert [w.key for w in rollup.trend_weeks(week, now, TZ)] == eight
    due = datetime(2026, 11, 29, 15, 59)  # Sunday 23:59 of 2026-W48 in Shanghai
    lesson = rollup.Selection(lesson=rollup.LessonRef(1, 1, "第一期", due))
    assert [w.key for w in rollup.trend_weeks(lesson, now, TZ)] == eight
    quarter = rollup.Selection(period=periods.parse("2026Q4", TZ))
    assert [w.key for w in rollup.trend_weeks(quarter, now, TZ)] == [
        "2026-W40", "2026-W41", "2026-W42", "2026-W43"]
    # A quarter not yet begun still draws its first week.
    later = rollup.Selection(period=periods.parse("2027Q1", TZ))
    assert [w.key for w in rollup.trend_weeks(later, now, TZ)] == ["2026-W53"]
