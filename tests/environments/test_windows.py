"""Occurrences of freeze and maintenance windows: every rule, time zones, daylight saving and validity."""

import datetime as dt
from types import SimpleNamespace

import pytest

from apps.environments.models import FreezeWindow, Recurrence
from apps.environments.windows import overlaps, parse_holidays, window_occurrences

UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def window(**kwargs):
    base = {
        "recurrence": Recurrence.ONE_OFF,
        "start": utc(2026, 1, 1),
        "end": None,
        "time_zone": "UTC",
        "weekly_start_day": None,
        "weekly_end_day": None,
        "start_time": None,
        "end_time": None,
        "month_end_days": None,
        "holidays": [],
    }
    base.update(kwargs)
    return SimpleNamespace(**base)


def weekend(**kwargs):
    return window(
        recurrence=Recurrence.WEEKLY,
        weekly_start_day=4,
        start_time=dt.time(18),
        weekly_end_day=0,
        end_time=dt.time(6),
        **kwargs,
    )


def test_one_off_inside_range_is_returned_whole():
    # given a one-off window
    w = window(start=utc(2026, 3, 2, 10), end=utc(2026, 3, 2, 12))
    # when asked for a range that cuts it
    result = window_occurrences(w, utc(2026, 3, 2, 11), utc(2026, 3, 3))
    # then it is returned whole
    assert result == [(utc(2026, 3, 2, 10), utc(2026, 3, 2, 12))]


@pytest.mark.parametrize(
    ("range_start", "range_end"),
    [(utc(2026, 3, 2, 12), utc(2026, 3, 3)), (utc(2026, 3, 1), utc(2026, 3, 2, 10))],
)
def test_one_off_touching_range_is_not_returned(range_start, range_end):
    w = window(start=utc(2026, 3, 2, 10), end=utc(2026, 3, 2, 12))
    assert window_occurrences(w, range_start, range_end) == []


def test_weekly_wraps_over_the_week_end():
    # given Friday 18:00 → Monday 06:00 in UTC
    w = weekend()
    # when asked for two weeks of March 2026 (Fri 6th and Fri 13th)
    result = window_occurrences(w, utc(2026, 3, 2, 6), utc(2026, 3, 16, 6))
    # then each weekend is one occurrence
    assert result == [
        (utc(2026, 3, 6, 18), utc(2026, 3, 9, 6)),
        (utc(2026, 3, 13, 18), utc(2026, 3, 16, 6)),
    ]


def test_weekly_occurrence_started_before_range_is_included():
    w = weekend()
    result = window_occurrences(w, utc(2026, 3, 8, 12), utc(2026, 3, 8, 13))  # a Sunday
    assert result == [(utc(2026, 3, 6, 18), utc(2026, 3, 9, 6))]


def test_weekly_same_day_window():
    w = window(
        recurrence=Recurrence.WEEKLY,
        weekly_start_day=2,
        start_time=dt.time(9),
        weekly_end_day=2,
        end_time=dt.time(11),
    )
    result = window_occurrences(w, utc(2026, 3, 2), utc(2026, 3, 9))
    assert result == [(utc(2026, 3, 4, 9), utc(2026, 3, 4, 11))]


def test_weekly_same_day_end_before_start_spans_a_week():
    w = window(
        recurrence=Recurrence.WEEKLY,
        weekly_start_day=0,
        start_time=dt.time(6),
        weekly_end_day=0,
        end_time=dt.time(5),
    )
    result = window_occurrences(w, utc(2026, 3, 2, 5), utc(2026, 3, 3))
    assert result == [(utc(2026, 3, 2, 6), utc(2026, 3, 9, 5))]


def test_weekly_in_london_follows_the_wall_clock_across_daylight_saving():
    # given Saturday 22:00 → Sunday 04:00 Europe/London; BST starts on Sunday 29 March 2026 at 01:00 UTC
    w = window(
        recurrence=Recurrence.WEEKLY,
        time_zone="Europe/London",
        weekly_start_day=5,
        start_time=dt.time(22),
        weekly_end_day=6,
        end_time=dt.time(4),
    )
    # when asked for the weekends around the change
    result = window_occurrences(w, utc(2026, 3, 20), utc(2026, 4, 6))
    # then 22:00 GMT is 22:00 UTC, 04:00 BST is 03:00 UTC, and the next is 21:00–03:00 UTC
    assert result == [
        (utc(2026, 3, 21, 22), utc(2026, 3, 22, 4)),
        (utc(2026, 3, 28, 22), utc(2026, 3, 29, 3)),
        (utc(2026, 4, 4, 21), utc(2026, 4, 5, 3)),
    ]


def test_results_are_utc():
    w = window(
        recurrence=Recurrence.WEEKLY,
        time_zone="Asia/Tokyo",
        weekly_start_day=0,
        start_time=dt.time(9),
        weekly_end_day=0,
        end_time=dt.time(10),
    )
    [(start, end)] = window_occurrences(w, utc(2026, 3, 1), utc(2026, 3, 3))
    assert start == utc(2026, 3, 2, 0) and end == utc(2026, 3, 2, 1)
    assert start.utcoffset() == dt.timedelta(0)


def test_month_end_covers_the_last_days_all_day():
    # given the last 3 days of every month, in Europe/Berlin
    w = window(recurrence=Recurrence.MONTH_END, month_end_days=3, time_zone="Europe/Berlin")
    # when asked for February and March 2026
    result = window_occurrences(w, utc(2026, 2, 1), utc(2026, 3, 31))
    # then 26–28 Feb (CET, UTC+1) and 29–31 Mar (the clocks change on the 29th)
    assert result == [
        (utc(2026, 2, 25, 23), utc(2026, 2, 28, 23)),
        (utc(2026, 3, 28, 23), utc(2026, 3, 31, 22)),
    ]


def test_month_end_across_the_year_end():
    w = window(recurrence=Recurrence.MONTH_END, month_end_days=2)
    result = window_occurrences(w, utc(2026, 12, 15), utc(2027, 1, 31))
    assert result == [(utc(2026, 12, 30), utc(2027, 1, 1)), (utc(2027, 1, 30), utc(2027, 2, 1))]


def test_holidays_are_all_day_and_consecutive_ones_merge():
    w = window(recurrence=Recurrence.HOLIDAYS, holidays=["2026-12-25", "2026-12-24", "2027-01-01", "bad"])
    result = window_occurrences(w, utc(2026, 12, 1), utc(2027, 2, 1))
    assert result == [(utc(2026, 12, 24), utc(2026, 12, 26)), (utc(2027, 1, 1), utc(2027, 1, 2))]


def test_holidays_in_a_time_zone():
    w = window(recurrence=Recurrence.HOLIDAYS, holidays=["2026-07-04"], time_zone="America/New_York")
    assert window_occurrences(w, utc(2026, 7, 1), utc(2026, 7, 10)) == [(utc(2026, 7, 4, 4), utc(2026, 7, 5, 4))]


def test_recurring_window_is_cut_at_its_validity():
    # given weekends valid from Saturday noon to the next Sunday noon
    w = weekend(start=utc(2026, 3, 7, 12), end=utc(2026, 3, 15, 12))
    result = window_occurrences(w, utc(2026, 3, 1), utc(2026, 4, 1))
    assert result == [(utc(2026, 3, 7, 12), utc(2026, 3, 9, 6)), (utc(2026, 3, 13, 18), utc(2026, 3, 15, 12))]


def test_recurring_window_before_its_start_has_no_occurrence():
    w = weekend(start=utc(2027, 1, 1))
    assert window_occurrences(w, utc(2026, 3, 1), utc(2026, 4, 1)) == []


@pytest.mark.parametrize(
    "w",
    [
        window(start=utc(2026, 3, 2), end=None),
        window(start=utc(2026, 3, 2), end=utc(2026, 3, 2)),
        window(recurrence=Recurrence.WEEKLY),
        window(recurrence=Recurrence.MONTH_END),
        window(recurrence="unknown"),
    ],
)
def test_incomplete_windows_have_no_occurrence(w):
    assert window_occurrences(w, utc(2026, 3, 1), utc(2026, 4, 1)) == []


def test_empty_range_has_no_occurrence():
    assert window_occurrences(weekend(), utc(2026, 3, 10), utc(2026, 3, 10)) == []


def test_naive_range_is_read_as_utc():
    w = window(start=utc(2026, 3, 2, 10), end=utc(2026, 3, 2, 12))
    assert window_occurrences(w, dt.datetime(2026, 3, 2), dt.datetime(2026, 3, 3)) == [
        (utc(2026, 3, 2, 10), utc(2026, 3, 2, 12))
    ]


def test_works_on_a_model_instance():
    w = FreezeWindow(name="x", reason="y", recurrence=Recurrence.MONTH_END, month_end_days=1, start=utc(2026, 1, 1))
    assert window_occurrences(w, utc(2026, 4, 1), utc(2026, 5, 1)) == [(utc(2026, 4, 30), utc(2026, 5, 1))]


def test_parse_holidays_skips_bad_entries():
    assert parse_holidays(["2026-01-02", "x", None, "2026-01-01", "2026-01-02"]) == [
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 2),
    ]


def test_overlaps_is_half_open():
    assert overlaps(utc(2026, 1, 1), utc(2026, 1, 2), utc(2026, 1, 1, 12), utc(2026, 1, 3))
    assert not overlaps(utc(2026, 1, 1), utc(2026, 1, 2), utc(2026, 1, 2), utc(2026, 1, 3))
