"""The calendar page (month, week), freezes and conflicts, iCalendar downloads and the per-user secret feed."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.models import Deployment
from apps.deployments.services import Context, deployment_transition
from apps.deployments.services.calendar_days import counts_rebuild
from apps.deployments.workflow import PLANNED, Status
from apps.reports.models import CalendarFeedToken
from apps.reports.selectors.calendar import CHIPS_SHOWN, calendar_build
from apps.reports.selectors.calendar_conflicts import OVERLAPS_LISTED, PlannedWindow, calendar_conflicts
from apps.reports.templatetags.calendar_tags import REASONS_SHOWN
from tests.factories.accounts import token_for
from tests.factories.deployments import DeploymentFactory, plan
from tests.reports.helpers import client_for, many_deployments


def _ics(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(b"".join(response.streaming_content))


def _uids(cal: Calendar) -> set[str]:
    return {str(event["uid"]) for event in cal.walk("VEVENT")}


def test_month_view_shows_the_deployments_of_the_month(world):
    # given the world's deployments, planned 12 to 16 days from now
    w = world
    day = w.deployment.planned_start.date()
    # when the manager opens the month that holds w.deployment
    response = client_for(w.users["manager"]).get(f"/calendar/?date={day:%Y-%m-%d}")
    # then it is on the page, with previous/next links
    assert response.status_code == 200
    html = response.content.decode()
    assert w.deployment.reference in html
    assert 'data-testid="calendar-prev"' in html and 'data-testid="calendar-next"' in html
    assert response.context["cal"].title == f"{day:%B %Y}"


def test_a_deployment_planned_long_before_a_month_shows_on_the_days_it_still_covers(world):
    from apps.reports.selectors.calendar import longest_window

    # given a deployment whose window began 40 days before the month of w.deployment and ends on its third day
    w = world
    month = w.deployment.planned_start.date().replace(day=1)
    first = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
    Deployment.objects.filter(pk=w.deployment.pk).update(
        planned_start=first - dt.timedelta(days=40), planned_end=first + dt.timedelta(days=2, hours=3)
    )
    counts_rebuild()  # changed outside the services that keep the calendar's day counts
    # then it is the longest window, and the month shows it on its first three days, not the fourth (a bound that
    # left out the 40 days before the month would drop it)
    assert longest_window() == dt.timedelta(days=42, hours=3)
    cal = calendar_build(user=w.users["manager"], params=QueryDict(""), anchor=month)
    covered = {day.date for week in cal.weeks for day in week if w.deployment.pk in {d.pk for d in day.deployments}}
    assert {first.date() + dt.timedelta(days=n) for n in range(3)} <= covered
    assert first.date() + dt.timedelta(days=3) not in covered


def test_week_view_lists_deployments_per_environment(world):
    w = world
    day = w.deployment.planned_start.date()
    response = client_for(w.users["manager"]).get(f"/calendar/?view=week&date={day:%Y-%m-%d}")
    assert response.status_code == 200
    cal = response.context["cal"]
    assert cal.view == "week"
    assert cal.start == day - dt.timedelta(days=day.weekday())
    rows = dict(cal.by_environment)
    test_days = next(days for env, days in cal.by_environment if env == w.env_test)
    assert w.deployment in [d for dd in test_days for d in dd.deployments]
    assert len(rows) == 3


def test_the_calendar_shows_only_what_the_user_may_see(world):
    # given a service owner of the shop only
    w = world
    day = w.other_deployment.planned_start.date()
    # when they open the calendar and the .ics for that month
    page = client_for(w.users["service_owner"]).get(f"/calendar/?date={day:%Y-%m-%d}")
    cal = _ics(client_for(w.users["service_owner"]).get("/calendar.ics"))
    # then the payroll deployment is in neither
    assert w.other_deployment not in page.context["cal"].deployments
    assert w.other_deployment.reference not in page.content.decode()
    assert f"{w.other_deployment.reference}@deploydesk" not in _uids(cal)
    assert f"{w.draft.reference}@deploydesk" in _uids(cal)


def test_the_calendar_filters_like_the_register(world):
    w = world
    day = w.deployment.planned_start.date()
    response = client_for(w.users["manager"]).get(f"/calendar/?date={day:%Y-%m-%d}&service={w.other_service.pk}")
    assert response.context["cal"].deployments == [w.other_deployment]


def test_freezes_are_shown_and_deployments_inside_them_conflict(world):
    # given two pending deployments overlapping in production (no parallel deployments) inside the freeze
    w = world
    start = w.freeze.start + dt.timedelta(hours=2)
    first, second = (
        plan(
            requester=w.users["product_owner"],
            service=w.service,
            environment=w.env_prod,
            versions=[v],
            start=start,
            title=title,
        )
        for v, title in ((w.version_1, "Prod A"), (w.version_2, "Prod B"))
    )
    for d in (first, second):
        deployment_transition(ctx=Context(actor=w.users["product_owner"]), deployment=d, transition="submit")
    # when the manager opens that month
    response = client_for(w.users["manager"]).get(f"/calendar/?date={start:%Y-%m-%d}")
    cal = response.context["cal"]
    # then the freeze occurrence is listed, and both deployments are marked with both conflicts
    assert [occ.window for occ in cal.freezes] == [w.freeze]
    for d, other in ((first, second), (second, first)):
        reasons = " ".join(cal.conflicts[d.pk])
        assert f"Overlaps {other.reference}" in reasons
        assert "Quarter close" in reasons
        assert "same component" in reasons
    assert 'data-testid="calendar-conflict"' in response.content.decode()


def test_a_chip_lists_its_first_conflicts_and_counts_the_rest(world):
    # given eight approved deployments of one component version at the same hour in production (no parallel
    # deployments)
    w = world
    day = (w.deployment.planned_start + dt.timedelta(days=40)).replace(hour=0, minute=0, second=0, microsecond=0)
    made = [
        DeploymentFactory(
            status=Status.APPROVED,
            environment=w.env_prod,
            service=w.service,
            versions=[w.version_1],
            planned_start=day + dt.timedelta(hours=9, minutes=n),
            planned_end=day + dt.timedelta(hours=11),
            title=f"Crowded {n}",
        )
        for n in range(8)
    ]
    counts_rebuild()  # written by factory: the day counts recomputed
    # when the manager opens that month
    response = client_for(w.users["manager"]).get(f"/calendar/?date={day:%Y-%m-%d}")
    cal, page = response.context["cal"], response.content.decode()
    shown = [d for d in cal.deployments if d.pk in {m.pk for m in made}]
    assert len(shown) == CHIPS_SHOWN
    for d in shown:
        # then each shown one lists its first three overlaps in production by reference and counts the other four, and
        # lists the seven that deploy its component
        others = [m for m in made if m.pk != d.pk]
        reasons = cal.conflicts[d.pk]
        overlaps = [r for r in reasons if r.startswith("Overlaps DEP-")]
        assert overlaps == [
            f"Overlaps {m.reference} in Production, which allows no parallel deployments."
            for m in others[:OVERLAPS_LISTED]
        ]
        assert reasons[-1] == "Overlaps 4 more deployments in Production, which allows no parallel deployments."
        assert [r for r in reasons if "same component" in r] == [
            f"Deploys the same component as {m.reference} in an overlapping window." for m in others
        ]
        assert len(reasons) == 3 + 1 + 7
        # and its chip's title shows the first REASONS_SHOWN of them and how many more there are
        title = re.search(rf'data-reference="{d.reference}" title="([^"]*)"', page).group(1)
        listed = title.split("&#10;")[1:]
        assert listed[:REASONS_SHOWN] == [f"⚠ {reason}" for reason in reasons[:REASONS_SHOWN]]
        assert listed[REASONS_SHOWN:] == [f"⚠ … and {11 - REASONS_SHOWN} more: see the deployment&#x27;s page"]
    # and the page's reads of the overlaps find what the check finds among every planned deployment
    planned = [
        PlannedWindow(m.pk, m.reference, m.environment_id, m.planned_start, m.planned_end)
        for m in Deployment.objects.filter(status__in=PLANNED)
    ]
    assert cal.conflicts == calendar_conflicts(cal.deployments, cal.freezes, planned)


def test_a_bad_date_or_filter_is_a_400_not_a_500(world):
    client = client_for(world.users["manager"])
    assert client.get("/calendar/?date=2024-02-30").status_code == 400
    assert client.get("/calendar/?environment=abc").status_code == 400
    assert client.get("/calendar.ics?from=nope").status_code == 400


def test_month_view_queries_do_not_grow_with_deployments(world):
    w = world
    client = client_for(w.users["manager"])
    day = w.deployment.planned_start.date()
    url = f"/calendar/?date={day:%Y-%m-%d}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    many_deployments(w, 20, start=w.deployment.planned_start)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    cal = response.context["cal"]
    days = [day for week in cal.weeks for day in week]
    assert all(len(day.deployments) <= CHIPS_SHOWN for day in days)
    busy = max(days, key=lambda day: day.count)
    assert busy.count > CHIPS_SHOWN and busy.more == busy.count - CHIPS_SHOWN
    assert sum(len(day.deployments) + day.more for day in days) >= 23
    assert [d.planned_start for d in busy.deployments] == sorted(d.planned_start for d in busy.deployments)
    assert f"+{busy.more} more" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_month_view_queries_do_not_grow_with_the_planned_deployments_shown(world):
    # given one approved deployment in production (no parallel deployments) in a month
    w = world
    later = w.deployment.planned_start + dt.timedelta(days=40)
    day = later.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    def approved(n: int, environment) -> Deployment:
        at = day + dt.timedelta(days=n % 20, hours=n % 7)
        return DeploymentFactory(
            status=Status.APPROVED,
            environment=environment,
            service=w.service if n % 2 else w.other_service,
            planned_start=at,
            planned_end=at + dt.timedelta(hours=2),
        )

    approved(0, w.env_prod)
    counts_rebuild()  # written by factory: the day counts recomputed
    client = client_for(w.users["manager"])
    url = f"/calendar/?date={day:%Y-%m-%d}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    # when thirty more are planned that month, in production and in test, of both services
    for n in range(1, 31):
        approved(n, w.env_prod if n % 3 else w.env_test)
    counts_rebuild()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    # then the page shows them, checked for conflicts, in as many queries as it showed one
    cal = response.context["cal"]
    assert len(cal.deployments) > 20 and cal.conflicts
    assert len(many.captured_queries) == len(few.captured_queries)


def day_of(deployment) -> dt.date:
    return deployment.planned_start.astimezone(dt.UTC).date()


def test_more_links_to_the_register_filtered_to_that_day(world):
    # given 20 more deployments on the day of w.deployment
    w = world
    many_deployments(w, 20, start=w.deployment.planned_start)
    day = day_of(w.deployment)
    client = client_for(w.users["manager"])
    # when the manager opens the month and follows the busiest day's "+N more"
    cal = client.get(f"/calendar/?date={day:%Y-%m-%d}").context["cal"]
    busy = max((d for week in cal.weeks for d in week), key=lambda d: d.count)
    day = busy.date
    register = client.get(busy.more_url)
    # then the register lists exactly the deployments the calendar counted that day
    assert register.status_code == 200
    assert f"planned_from={day:%Y-%m-%d}T00%3A00%3A00.000001Z" in busy.more_url
    assert "status=cancelled" not in busy.more_url and "status=approved" in busy.more_url
    filterset = DeploymentFilterSet(QueryDict(busy.more_url.split("?", 1)[1]), queryset=Deployment.objects.all())
    assert filterset.is_valid(), filterset.errors
    assert filterset.qs.count() == busy.count


def test_ics_has_deployments_and_freezes_with_their_details(world):
    # given the world (a freeze next month, deployments in the coming weeks)
    w = world
    # when the manager downloads the .ics
    cal = _ics(client_for(w.users["manager"]).get("/calendar.ics"))
    # then every planned deployment is an event with its reference, window, status, environment and link
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    event = events[f"{w.deployment.reference}@deploydesk"]
    assert str(event["summary"]) == f"{w.deployment.reference} {w.deployment.title}"
    assert event.decoded("dtstart") == w.deployment.planned_start
    assert event.decoded("dtend") == w.deployment.planned_end
    assert "Status: Approved" in str(event["description"])
    assert "Environment: Test" in str(event["description"])
    assert f"/deployments/{w.deployment.pk}/" in str(event["description"])
    freezes = [e for uid, e in events.items() if uid.startswith(f"freeze-{w.freeze.pk}-")]
    assert len(freezes) == 1
    assert freezes[0].decoded("dtstart") == w.freeze.start


def test_ics_by_api_token(world):
    key = token_for(world.users["auditor"])
    cal = _ics(Client().get("/calendar.ics", HTTP_AUTHORIZATION=f"Token {key}"))
    assert f"{world.other_deployment.reference}@deploydesk" in _uids(cal)
    assert Client().get("/calendar.ics", HTTP_AUTHORIZATION="Token wrong").status_code == 401
    assert Client().get("/calendar.ics").status_code == 302


def test_secret_feed_can_be_created_used_rotated_and_revoked(world):
    # given a service owner on the calendar page
    w = world
    client = client_for(w.users["service_owner"])
    # when they create a feed URL
    response = client.post("/calendar/", {"action": "rotate"}, follow=True)
    url = response.context["feed_url"]
    assert url and "/calendar/feed/" in url
    path = url.split("testserver", 1)[1]
    # then a calendar program without a session reads their deployments only
    cal = _ics(Client().get(path))
    assert f"{w.draft.reference}@deploydesk" in _uids(cal)
    assert f"{w.other_deployment.reference}@deploydesk" not in _uids(cal)
    assert CalendarFeedToken.objects.get(user=w.users["service_owner"]).last_used_at is not None
    # and the URL is shown once only
    assert client.get("/calendar/").context["feed_url"] == ""
    # when they rotate it, the old URL stops working
    new_url = client.post("/calendar/", {"action": "rotate"}, follow=True).context["feed_url"]
    assert new_url != url
    assert Client().get(path).status_code == 404
    new_path = new_url.split("testserver", 1)[1]
    assert Client().get(new_path).status_code == 200
    # when they revoke it, no URL works
    client.post("/calendar/", {"action": "revoke"})
    assert Client().get(new_path).status_code == 404
    assert not CalendarFeedToken.objects.filter(user=w.users["service_owner"]).exists()


def test_feed_of_a_deactivated_user_is_gone(world):
    w = world
    client = client_for(w.users["auditor"])
    url = client.post("/calendar/", {"action": "rotate"}, follow=True).context["feed_url"]
    w.users["auditor"].is_active = False
    w.users["auditor"].save()
    assert Client().get(url.split("testserver", 1)[1]).status_code == 404


@pytest.mark.parametrize("key", ["x", "a" * 300, "../../etc/passwd"])
def test_unknown_feed_keys_are_404(world, key):
    assert Client().get(f"/calendar/feed/{key}.ics").status_code == 404


def test_calendar_build_month_grid_is_whole_weeks(world):
    data = calendar_build(user=world.users["manager"], params=None, view="month", anchor=dt.date(2026, 2, 11))
    assert data.start == dt.date(2026, 1, 26)
    assert data.end == dt.date(2026, 3, 2)
    assert all(len(week) == 7 for week in data.weeks)
    assert (data.previous, data.next) == (dt.date(2026, 1, 1), dt.date(2026, 3, 1))


def test_ics_streams_every_deployment_of_its_range_and_refuses_an_unbounded_one(world):
    # given more deployments than the month grid shows chips on a day
    w = world
    extra = many_deployments(w, CHIPS_SHOWN + 3, start=w.deployment.planned_start)
    client = client_for(w.users["manager"])
    # when the manager downloads the .ics
    response = client.get("/calendar.ics")
    # then it is streamed and holds every one of them
    assert response.streaming
    assert {f"{d.reference}@deploydesk" for d in extra} <= _uids(_ics(response))
    # and a range over two years is refused
    assert client.get("/calendar.ics?from=2020-01-01&to=2024-01-01").status_code == 400


def test_a_feed_with_only_one_bound_is_served_within_the_longest_range(world):
    # given a subscription saved with only `from` (or only `to`), years before or after today
    client = client_for(world.users["manager"])
    day = day_of(world.deployment)
    # when the calendar program fetches it
    from_only = client.get(f"/calendar.ics?from={day - dt.timedelta(days=3 * 365):%Y-%m-%d}")
    to_only = client.get(f"/calendar.ics?to={day + dt.timedelta(days=3 * 365):%Y-%m-%d}")
    near = client.get(f"/calendar.ics?from={day - dt.timedelta(days=1):%Y-%m-%d}")
    # then each is a feed (the missing bound is taken within two years), not a 400
    assert from_only.status_code == to_only.status_code == near.status_code == 200
    assert f"{world.deployment.reference}@deploydesk" in _uids(_ics(near))


def test_more_keeps_every_register_filter_of_the_calendar(world):
    # given the calendar filtered by requester, with more deployments on one day than it draws
    w = world
    many_deployments(w, CHIPS_SHOWN + 3, start=w.deployment.planned_start)
    requester = w.deployment.requester_id
    client = client_for(w.users["manager"])
    day = day_of(w.deployment)
    cal = client.get(f"/calendar/?date={day:%Y-%m-%d}&requester={requester}").context["cal"]
    # when its busiest day's "+N more" is followed
    busy = max((d for week in cal.weeks for d in week), key=lambda d: d.count)
    # then the register keeps the requester filter and counts what the calendar counted
    assert f"requester={requester}" in busy.more_url
    filterset = DeploymentFilterSet(QueryDict(busy.more_url.split("?", 1)[1]), queryset=Deployment.objects.all())
    assert filterset.is_valid(), filterset.errors
    assert filterset.qs.count() == busy.count
    assert set(filterset.qs.values_list("requester_id", flat=True)) <= {requester}


def test_the_filters_show_the_chosen_environment_service_and_status_selected(world):
    # when the manager filters the calendar by an environment, a service and a status
    params = f"environment={world.env_staging.pk}&service={world.other_service.pk}&status=verifying_components"
    html = client_for(world.users["manager"]).get(f"/calendar/?{params}").content.decode()
    # then exactly those options are selected, each by its whole value (not "verifying" inside another status)
    selected = re.findall(r'<option value="([^"]*)" selected>', html)
    assert selected == [str(world.env_staging.pk), str(world.other_service.pk), "verifying_components"]
    assert f'<option value="{world.service.pk}">{world.service.name}</option>' in html
