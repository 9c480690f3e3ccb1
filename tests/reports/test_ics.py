"""The iCalendar feed's text: the same events as the icalendar library writes them, escaped, folded and CRLF-ended."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar, Event

from apps.catalog.models import Service
from apps.deployments import workflow
from apps.deployments.services import Context, deployment_transition
from apps.environments.models import Environment, FreezeWindow
from apps.reports.exports import ics
from apps.reports.exports.ics import calendar_ics
from apps.reports.selectors.calendar import calendar_deployments, calendar_freezes
from tests.factories.deployments import plan, soon
from tests.reports.helpers import client_for, many_deployments

NOW = dt.datetime.now(dt.UTC).replace(microsecond=891011)  # the clock of the feed, standing still
BASE_URL = "http://testserver"

TRICKY_TITLES = [
    "Comma, semicolon; colon: and a backslash \\ in one",
    "Line one\nLine two\r\nLine three\rthe end",
    "Emoji 🚀🔥 release ✅ — ünïcødé ñ 漢字",
    "<script>alert('x')</script> & \"quotes\" <b>bold</b>",
    "Long " + "word, " * 30 + "end",  # 185 characters: folded twice
    "🚀" * 50,  # 200 octets of four-octet characters: a fold must never split one
    "é" * 100,  # two-octet characters, folds at odd and even offsets
    "\\" * 120,  # escaped backslashes across fold boundaries
    "x" + "\\;" * 60,  # escapes across fold boundaries at the other parity
    "  leading and trailing spaces  ",
    "Tab\there",
]


def _reference_ics(*, user, params, base_url: str, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> bytes:
    """The feed as it was written with the icalendar library, one Event object per deployment (kept as the oracle
    the direct writer is compared with)."""
    deployments = calendar_deployments(user=user, params=params, start=start, end=end)
    environment_filter = params.get("environment") if params else None
    env_ids = [int(environment_filter)] if environment_filter and environment_filter.isdigit() else None
    freezes = calendar_freezes(start=start, end=end, environment_ids=env_ids)
    cal = Calendar()
    cal.add("prodid", "-//Deploydesk//Deployment calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Deploydesk deployments")
    for d in deployments:
        event = Event()
        event.add("uid", f"{d.reference}@deploydesk")
        event.add("dtstamp", now)
        event.add("dtstart", d.planned_start)
        event.add("dtend", d.planned_end)
        event.add("summary", f"{d.reference} {d.title}")
        link = f"{base_url}/deployments/{d.pk}/"
        event.add(
            "description",
            f"Status: {d.get_status_display()}\nEnvironment: {d.environment.name}\nService: {d.service.name}\n{link}",
        )
        event.add("location", d.environment.name)
        event.add("url", link)
        event.add("categories", ["deployment", d.status])
        if d.status == workflow.Status.CANCELLED:
            event.add("status", "CANCELLED")
        cal.add_component(event)
    for occ in freezes:
        event = Event()
        event.add("uid", f"freeze-{occ.window.pk}-{occ.start:%Y%m%dT%H%M%SZ}@deploydesk")
        event.add("dtstamp", now)
        event.add("dtstart", occ.start)
        event.add("dtend", occ.end)
        event.add("summary", f"Freeze: {occ.window.name} ({occ.scope})")
        event.add("description", occ.window.reason)
        event.add("categories", ["freeze"])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


def _feed(user, query: str = "", start=None, end=None) -> bytes:
    start = start or NOW - dt.timedelta(days=60)
    end = end or NOW + dt.timedelta(days=365)
    return b"".join(calendar_ics(user=user, params=QueryDict(query), base_url=BASE_URL, start=start, end=end))


def _reference(user, query: str = "", start=None, end=None) -> bytes:
    start = start or NOW - dt.timedelta(days=60)
    end = end or NOW + dt.timedelta(days=365)
    return _reference_ics(user=user, params=QueryDict(query), base_url=BASE_URL, start=start, end=end, now=NOW)


def _unfolded(body: bytes) -> list[str]:
    return body.decode().replace("\r\n ", "").split("\r\n")


def _events(body: bytes) -> list[dict]:
    """Every component's properties as the icalendar library parses them: name -> (value as written, decoded)."""
    parsed = Calendar.from_ical(body)
    found = []
    for component in parsed.walk():
        props = {}
        for name, value in component.property_items(recursive=False):
            if name in ("BEGIN", "END"):
                continue
            decoded = component.decoded(name) if name in ("DTSTART", "DTEND", "DTSTAMP") else str(value)
            props[name] = (value.to_ical() if hasattr(value, "to_ical") else value, decoded)
        found.append((component.name, props))
    return found


def assert_well_formed(body: bytes) -> None:
    """RFC 5545 §3.1: CRLF line ends, physical lines of at most 75 octets that are valid UTF-8 each, and
    continuation lines that start with one space."""
    assert body.endswith(b"\r\n")
    lines = body[:-2].split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    for line in lines:
        assert len(line) <= 75, line
        line.decode()  # a fold never splits a multi-octet character
    assert all(line.startswith(b" ") or re.match(rb"[A-Z-]+[:;]", line) for line in lines)


@pytest.fixture
def tricky(world, monkeypatch):
    """The world plus deployments with titles that need escaping and folding (`tricky.deployments`, the first one
    cancelled: `tricky.cancelled`), in an environment and a service with such names, and the freeze renamed likewise;
    the clock stands still at NOW. A namespace of its own: the module's shared world must not hold this test's rows."""
    w = world
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    Environment.objects.filter(pk=w.env_staging.pk).update(name="Staging, EU; \\zone\\ 🚀")
    Service.objects.filter(pk=w.service.pk).update(name="Shop; web, <b>front</b>")
    FreezeWindow.objects.filter(pk=w.freeze.pk).update(
        name="Quarter close, Q1; \\ 🔒", reason="No changes:\nfinance, audit; and \\ the rest.\r\n" + "é" * 80
    )
    deployments = [
        plan(
            requester=w.users["product_owner"],
            service=w.service,
            environment=w.env_staging,
            versions=[w.version_2],
            start=soon(20) + dt.timedelta(hours=3 * i),
            title=title,
        )
        for i, title in enumerate(TRICKY_TITLES)
    ]
    ctx = Context(actor=w.users["product_owner"])
    deployment_transition(ctx=ctx, deployment=deployments[0], transition="cancel", comment="Not now.")
    deployments[0].refresh_from_db()
    return SimpleNamespace(**vars(w), deployments=deployments, cancelled=deployments[0])


@pytest.mark.parametrize(
    ("role", "query"),
    [
        ("manager", ""),
        ("manager", "status=cancelled&status=draft&status=approved"),
        ("manager", "environment={env_staging}"),
        ("service_owner", ""),
        ("product_owner", "q=Emoji"),
        ("auditor", "service={other_service}"),
    ],
)
def test_the_feed_has_the_events_the_icalendar_library_wrote(tricky, role, query):
    # given the tricky deployments and a user who sees some of them
    w = tricky
    query = query.format(env_staging=w.env_staging.pk, other_service=w.other_service.pk)
    # when the feed is written
    body = _feed(w.users[role], query)
    expected = _reference(w.users[role], query)
    # then it has the same components with the same properties and values, in the same order, as the icalendar
    # library wrote them, line for line once unfolded
    assert _events(body) == _events(expected)
    assert _unfolded(body) == _unfolded(expected)
    assert_well_formed(body)


def test_tricky_titles_survive_the_round_trip(tricky):
    # given the tricky deployments, one of them cancelled
    w = tricky
    # when the manager's feed of every status is parsed by the icalendar library
    body = _feed(w.users["manager"], "status=cancelled&status=draft")
    events = {str(e["uid"]): e for e in Calendar.from_ical(body).walk("VEVENT")}
    # then every title, environment and service name reads back as it was stored (line ends become \n)
    for d in w.deployments:
        event = events[f"{d.reference}@deploydesk"]
        title = d.title.replace("\r\n", "\n").replace("\r", "\n")
        assert str(event["summary"]) == f"{d.reference} {title}"
        assert str(event["location"]) == "Staging, EU; \\zone\\ 🚀"
        assert str(event["description"]) == (
            f"Status: {d.get_status_display()}\nEnvironment: Staging, EU; \\zone\\ 🚀\n"
            f"Service: Shop; web, <b>front</b>\n{BASE_URL}/deployments/{d.pk}/"
        )
        assert str(event["url"]) == f"{BASE_URL}/deployments/{d.pk}/"
        assert event.decoded("dtstart") == d.planned_start
        assert event.decoded("dtend") == d.planned_end
        assert event.decoded("dtstamp") == NOW.replace(microsecond=0)
        assert [str(c) for c in event["categories"].cats] == ["deployment", d.status]
        assert ("STATUS" in event) == (d.pk == w.cancelled.pk)
    assert str(events[f"{w.cancelled.reference}@deploydesk"]["status"]) == "CANCELLED"
    freeze = next(e for uid, e in events.items() if uid.startswith(f"freeze-{w.freeze.pk}-"))
    assert str(freeze["summary"]) == "Freeze: Quarter close, Q1; \\ 🔒 (Production)"
    assert str(freeze["description"]) == "No changes:\nfinance, audit; and \\ the rest.\n" + "é" * 80
    assert str(freeze["transp"]) == "TRANSPARENT"
    assert_well_formed(body)


def test_text_is_escaped_and_lines_folded_as_rfc_5545_asks(tricky):
    # given a deployment titled with every character TEXT escapes
    w = tricky
    d = plan(
        requester=w.users["manager"],
        service=w.other_service,
        environment=w.env_test,
        versions=[w.other_version],
        start=soon(30),
        title="a\\b;c,d\ne",
    )
    long = plan(
        requester=w.users["manager"],
        service=w.other_service,
        environment=w.env_test,
        versions=[w.other_version],
        start=soon(31),
        title="x" * 200,
    )
    # when the feed is written
    body = _feed(w.users["manager"], f"service={w.other_service.pk}")
    lines = _unfolded(body)
    # then the summary line escapes them, dates are UTC, and the document is CRLF-framed
    assert f"SUMMARY:{d.reference} a\\\\b\\;c\\,d\\ne" in lines
    assert f"DTSTART:{d.planned_start.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" in lines
    assert f"DTEND:{d.planned_end.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" in lines
    assert f"DTSTAMP:{NOW:%Y%m%dT%H%M%SZ}" in lines
    assert f"URL:{BASE_URL}/deployments/{d.pk}/" in lines
    assert lines[:5] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Deploydesk//Deployment calendar//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Deploydesk deployments",
    ]
    assert lines[-2:] == ["END:VCALENDAR", ""]
    # and a long line is cut at 75 octets (continuation lines: a space and 74), never inside an escape
    raw = body.split(b"\r\n")
    first = next(i for i, line in enumerate(raw) if line.startswith(f"SUMMARY:{long.reference}".encode()))
    rest = len(f"SUMMARY:{long.reference} {long.title}") - 75 - 74
    assert [len(line) for line in raw[first : first + 3]] == [75, 75, 1 + rest]
    assert raw[first + 1].startswith(b" ") and raw[first + 2].startswith(b" ")
    assert not raw[first + 3].startswith(b" ")
    assert all((len(line) - len(line.rstrip(b"\\"))) % 2 == 0 for line in raw)


def test_a_backslash_before_n_stays_a_backslash(tricky):
    # given a title with a literal backslash-N (the icalendar library turned it into a line break: fixed here)
    w = tricky
    d = plan(
        requester=w.users["manager"],
        service=w.other_service,
        environment=w.env_test,
        versions=[w.other_version],
        start=soon(30),
        title="C:\\New folder and C:\\new one",
    )
    # when the feed is parsed
    body = _feed(w.users["manager"], f"service={w.other_service.pk}")
    events = {str(e["uid"]): e for e in Calendar.from_ical(body).walk("VEVENT")}
    # then the title reads back unchanged
    assert f"SUMMARY:{d.reference} C:\\\\New folder and C:\\\\new one" in _unfolded(body)
    assert str(events[f"{d.reference}@deploydesk"]["summary"]) == f"{d.reference} {d.title}"


def test_the_view_streams_the_same_document_in_pieces_with_constant_queries(tricky, monkeypatch):
    # given the manager, signed in, and a feed that yields every 4 events
    w = tricky
    monkeypatch.setattr(ics, "ICS_CHUNK", 4)
    client = client_for(w.users["manager"])
    url = "/calendar.ics?status=cancelled&status=draft&status=approved"
    # when they download the .ics of every status
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
        pieces = list(response.streaming_content)
    # then it is streamed in pieces (the head, one per 4 deployments, the rest with the freezes and the end) and
    # holds what the icalendar library wrote for the default range
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    deployments = len(w.deployments) + 3  # the world's draft, approved and other deployments
    assert len(pieces) == 1 + deployments // 4 + 1
    body = b"".join(pieces)
    expected = _reference(w.users["manager"], "status=cancelled&status=draft&status=approved")
    assert _events(body) == _events(expected)
    assert _unfolded(body) == _unfolded(expected)
    assert body.count(b"BEGIN:VEVENT") == deployments + 1
    # and ten more deployments cost no more queries
    many_deployments(w, 10, start=w.deployment.planned_start)
    with CaptureQueriesContext(connection) as many:
        body = b"".join(client.get(url).streaming_content)
    assert body.count(b"BEGIN:VEVENT") == deployments + 10 + 1
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_empty_feed_is_a_valid_calendar(tricky):
    w = tricky
    body = _feed(w.users["norole"])
    assert _events(body) == _events(_reference(w.users["norole"]))
    assert _unfolded(body) == _unfolded(_reference(w.users["norole"]))
