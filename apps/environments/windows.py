"""When a freeze or maintenance window holds: its occurrences, computed in its own time zone, as UTC periods."""

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Iterator

from apps.environments.models import Recurrence

UTC = dt.UTC
Period = tuple[dt.datetime, dt.datetime]


def _tz(window) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(window.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _aware(value: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """A naive datetime read as wall-clock time in `tz`, to UTC (a time skipped by DST moves forward)."""
    local = value.replace(tzinfo=tz)
    # A wall-clock time inside a spring-forward gap does not exist; round-tripping through UTC normalises it.
    return local.astimezone(UTC)


def _as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _dates(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _weekly(window, first: dt.date, last: dt.date, tz) -> Iterator[Period]:
    start_day, end_day = window.weekly_start_day, window.weekly_end_day
    start_time, end_time = window.start_time, window.end_time
    if None in (start_day, end_day, start_time, end_time):
        return
    span = (end_day - start_day) % 7
    if span == 0 and end_time <= start_time:
        span = 7  # e.g. Monday 06:00 to Monday 05:00 the next week
    for day in _dates(first, last):
        if day.weekday() != start_day:
            continue
        begin = _aware(dt.datetime.combine(day, start_time), tz)
        finish = _aware(dt.datetime.combine(day + dt.timedelta(days=span), end_time), tz)
        yield begin, finish


def _month_end(window, first: dt.date, last: dt.date, tz) -> Iterator[Period]:
    days = window.month_end_days
    if not days:
        return
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        length = calendar.monthrange(year, month)[1]
        begin_day = dt.date(year, month, max(1, length - days + 1))
        next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
        yield (
            _aware(dt.datetime.combine(begin_day, dt.time()), tz),
            _aware(dt.datetime.combine(next_month, dt.time()), tz),
        )
        year, month = next_month.year, next_month.month


def parse_holidays(values) -> list[dt.date]:
    """The valid ISO dates of a holidays list, sorted and without repeats (invalid entries are skipped)."""
    found = set()
    for value in values or []:
        try:
            found.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            continue
    return sorted(found)


def _holidays(window, first: dt.date, last: dt.date, tz) -> Iterator[Period]:
    for day in parse_holidays(window.holidays):
        if first <= day <= last:
            begin = _aware(dt.datetime.combine(day, dt.time()), tz)
            yield begin, _aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), tz)


RULES = {Recurrence.WEEKLY: _weekly, Recurrence.MONTH_END: _month_end, Recurrence.HOLIDAYS: _holidays}


def periods_merge(periods: list[Period]) -> list[Period]:
    """Join periods that touch or overlap (two holidays in a row are one closed period)."""
    merged: list[Period] = []
    for begin, finish in sorted(periods):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def window_occurrences(window, range_start: dt.datetime, range_end: dt.datetime) -> list[Period]:
    """Every occurrence of `window` that overlaps [range_start, range_end), as aware UTC (start, end) pairs.

    Occurrences are whole (not cut at the range) but cut at the window's own validity (`start`–`end`), and
    computed on the wall clock of the window's time zone, so "Saturday 22:00 Europe/London" stays 22:00 local
    across daylight-saving changes.
    """
    range_start, range_end = _as_utc(range_start), _as_utc(range_end)
    if range_end <= range_start or window.start is None:
        return []
    valid_from = _as_utc(window.start)
    valid_to = _as_utc(window.end) if window.end else None
    if window.recurrence == Recurrence.ONE_OFF:
        if valid_to is None or valid_to <= valid_from:
            return []
        overlaps = valid_from < range_end and valid_to > range_start
        return [(valid_from, valid_to)] if overlaps else []
    rule = RULES.get(window.recurrence)
    if rule is None:
        return []
    lower = max(range_start, valid_from)
    upper = min(range_end, valid_to) if valid_to else range_end
    if upper <= lower:
        return []
    tz = _tz(window)
    # a weekly occurrence lasts at most a week, so start looking 8 local days earlier
    first = (lower.astimezone(tz) - dt.timedelta(days=8)).date()
    last = upper.astimezone(tz).date()
    periods = []
    for begin, finish in rule(window, first, last, tz):
        begin, finish = max(begin, valid_from), min(finish, valid_to) if valid_to else finish
        if begin < finish and begin < range_end and finish > range_start:
            periods.append((begin, finish))
    return [p for p in periods_merge(periods) if p[0] < range_end and p[1] > range_start]


def overlaps(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> bool:
    """True when half-open periods [a_start, a_end) and [b_start, b_end) share a moment."""
    return a_start < b_end and b_start < a_end
