"""Incident links: resolved with a time and withdrawn with a reason, through the service, the page and the API;
both audited (a DeploymentEvent and an audit-chain entry with the channel); refusals change nothing; review
analyses and KPIs use the resolution times and leave withdrawn links out."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.core.exceptions import ConflictError
from apps.deployments.models import DeploymentEvent, IncidentLink
from apps.deployments.services import Context, incident_link_add, incident_link_resolve, incident_link_withdraw
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.deployments.workflow import Status
from apps.reports.selectors.kpis import kpi_report
from apps.reviews.analysis import compute_analysis
from tests.factories.accounts import UserFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.reviews.helpers import days_ago, deployed

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(world):
    """INC0001 linked to the world's approved deployment, opened three hours ago, by its assigned practitioner."""
    return incident_link_add(
        ctx=Context(actor=world.users["practitioner"]),
        deployment=world.deployment,
        incident_ref="INC0001",
        title="Checkout slow",
        opened_at=timezone.now().replace(microsecond=0) - dt.timedelta(hours=3),
    )


def _row(link) -> tuple:
    row = IncidentLink.objects.get(pk=link.pk)
    return row.resolved_at, row.resolved_by_id, row.withdrawn_at, row.withdrawn_by_id, row.withdrawn_reason


def _records() -> tuple[int, int]:
    return DeploymentEvent.objects.count(), AuditEntry.objects.count()


# --- the services ----------------------------------------------------------------------------------------------


def test_resolving_records_the_time_who_and_an_audited_event(world, link):
    # given an open incident link
    resolved_at = link.opened_at + dt.timedelta(hours=2)
    events, entries = _records()
    # when the practitioner resolves it through the API channel
    ctx = Context(actor=world.users["practitioner"], channel="api")
    incident_link_resolve(ctx=ctx, link=link, resolved_at=resolved_at)
    # then the time and who are stored, one event and one audit entry say so
    assert _row(link) == (resolved_at, world.users["practitioner"].pk, None, None, "")
    assert IncidentLink.objects.get(pk=link.pk).state == "resolved"
    assert _records() == (events + 1, entries + 1)
    event = DeploymentEvent.objects.latest("id")
    assert (event.kind, event.channel, event.comment) == (
        "incident",
        "api",
        "Incident INC0001 resolved (2.0 h after it was opened).",
    )
    assert event.data == {"incident_id": link.pk, "incident_ref": "INC0001", "resolved_at": resolved_at.isoformat()}
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.channel, entry.actor_id) == ("incident", "api", world.users["practitioner"].pk)


def test_resolving_without_a_time_means_now(world, link):
    before = timezone.now()
    incident_link_resolve(ctx=Context(actor=world.users["manager"]), link=link)
    assert before <= IncidentLink.objects.get(pk=link.pk).resolved_at <= timezone.now()


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (lambda link: link.opened_at - dt.timedelta(minutes=1), "An incident cannot be resolved before it was opened"),
        (lambda link: timezone.now() + dt.timedelta(hours=1), "The resolution time cannot be in the future."),
    ],
)
def test_a_resolution_time_before_the_opening_or_in_the_future_is_refused(world, link, when, message):
    before, records = _row(link), _records()
    with pytest.raises(ValidationError) as exc:
        incident_link_resolve(ctx=Context(actor=world.users["manager"]), link=link, resolved_at=when(link))
    assert exc.value.message_dict["resolved_at"][0].startswith(message)
    assert (_row(link), _records()) == (before, records)


def test_resolving_twice_is_a_conflict_and_keeps_the_first_time(world, link):
    first = link.opened_at + dt.timedelta(hours=1)
    incident_link_resolve(ctx=Context(actor=world.users["manager"]), link=link, resolved_at=first)
    before, records = _row(link), _records()
    with pytest.raises(ConflictError) as exc:
        incident_link_resolve(ctx=Context(actor=world.users["manager"]), link=link)
    assert exc.value.code == "incident_resolved"
    assert (_row(link), _records()) == (before, records)


@pytest.mark.parametrize("role", ["service_owner", "product_owner", "auditor", "norole"])
def test_only_managers_and_assigned_practitioners_resolve_or_withdraw(world, link, role):
    before, records = _row(link), _records()
    ctx = Context(actor=world.users[role])
    with pytest.raises(PermissionDenied):
        incident_link_resolve(ctx=ctx, link=link)
    with pytest.raises(PermissionDenied):
        incident_link_withdraw(ctx=ctx, link=link, reason="Not ours")
    assert (_row(link), _records()) == (before, records)


def test_withdrawing_needs_a_reason_then_is_recorded_and_final(world, link):
    manager = world.users["manager"]
    before, records = _row(link), _records()
    # a blank reason is refused
    with pytest.raises(ValidationError) as exc:
        incident_link_withdraw(ctx=Context(actor=manager), link=link, reason="   ")
    assert exc.value.message_dict == {"reason": ["Say why incident INC0001 is withdrawn."]}
    assert (_row(link), _records()) == (before, records)
    # with a reason it is withdrawn, audited
    incident_link_withdraw(ctx=Context(actor=manager), link=link, reason=" Linked to the wrong change ")
    row = IncidentLink.objects.get(pk=link.pk)
    assert (row.state, row.withdrawn_by, row.withdrawn_reason) == ("withdrawn", manager, "Linked to the wrong change")
    assert _records() == (records[0] + 1, records[1] + 1)
    assert DeploymentEvent.objects.latest("id").comment == "Incident INC0001 withdrawn: Linked to the wrong change"
    # and nothing changes it any more
    after, records = _row(link), _records()
    for attempt in (
        lambda: incident_link_withdraw(ctx=Context(actor=manager), link=link, reason="again"),
        lambda: incident_link_resolve(ctx=Context(actor=manager), link=link),
    ):
        with pytest.raises(ConflictError) as exc:
            attempt()
        assert exc.value.code == "incident_withdrawn"
    assert (_row(link), _records()) == (after, records)


def test_a_withdrawn_incident_may_be_linked_again(world, link):
    incident_link_withdraw(ctx=Context(actor=world.users["manager"]), link=link, reason="Opened too early")
    again = incident_link_add(
        ctx=Context(actor=world.users["manager"]), deployment=world.deployment, incident_ref="INC0001"
    )
    assert list(world.deployment.incidents.order_by("pk").values_list("pk", flat=True)) == [link.pk, again.pk]
    with pytest.raises(ValidationError):
        incident_link_add(
            ctx=Context(actor=world.users["manager"]), deployment=world.deployment, incident_ref="INC0001"
        )


# --- the page --------------------------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_resolves_and_withdraws(world, link):
    client = _client(world.users["practitioner"])
    base = f"/deployments/{world.deployment.pk}/incidents/{link.pk}"
    page = client.get(f"/deployments/{world.deployment.pk}/").content.decode()
    assert f'action="{base}/resolve/"' in page and f'action="{base}/withdraw/"' in page
    resolved_at = (link.opened_at + dt.timedelta(hours=1)).astimezone(timezone.get_current_timezone())
    response = client.post(f"{base}/resolve/", {"resolved_at": resolved_at.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    assert IncidentLink.objects.get(pk=link.pk).resolved_at == resolved_at.replace(second=0)
    response = client.post(f"{base}/withdraw/", {"reason": "A duplicate of INC0002"})
    assert response.status_code == 302
    page = client.get(f"/deployments/{world.deployment.pk}/").content.decode()
    assert 'data-state="withdrawn"' in page and "A duplicate of INC0002" in page
    assert f'action="{base}/withdraw/"' not in page


def test_the_page_shows_a_refusal_and_changes_nothing(world, link):
    client = _client(world.users["manager"])
    base = f"/deployments/{world.deployment.pk}/incidents/{link.pk}"
    before, records = _row(link), _records()
    response = client.post(f"{base}/withdraw/", {"reason": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    future = (timezone.now() + dt.timedelta(days=1)).astimezone(timezone.get_current_timezone())
    response = client.post(f"{base}/resolve/", {"resolved_at": future.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 400
    assert "The resolution time cannot be in the future." in response.content.decode()
    assert (_row(link), _records()) == (before, records)


def test_the_page_refuses_others_and_links_of_other_deployments(world, link):
    base = f"/deployments/{world.deployment.pk}/incidents/{link.pk}"
    before = _row(link)
    assert _client(world.users["auditor"]).post(f"{base}/resolve/", {}).status_code == 403
    other = f"/deployments/{world.other_deployment.pk}/incidents/{link.pk}/resolve/"
    assert _client(world.users["manager"]).post(other, {}).status_code == 404
    assert _row(link) == before


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_api_resolves_and_withdraws(api_client, world, link):
    api_client.force_authenticate(world.users["practitioner"])
    base = f"/api/v1/deployments/{world.deployment.pk}/incidents/{link.pk}"
    resolved_at = link.opened_at + dt.timedelta(minutes=90)
    response = api_client.post(f"{base}/resolve/", {"resolved_at": resolved_at.isoformat()}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["resolved_by"]) == ("resolved", world.users["practitioner"].pk)
    assert IncidentLink.objects.get(pk=link.pk).resolved_at == resolved_at
    # resolving again is a 409 and changes nothing
    before = _row(link)
    response = api_client.post(f"{base}/resolve/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "incident_resolved")
    assert _row(link) == before
    # withdrawing without a reason is a 400, with one a 200
    response = api_client.post(f"{base}/withdraw/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    assert _row(link) == before
    response = api_client.post(f"{base}/withdraw/", {"reason": "Not caused by this change"}, format="json")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["withdrawn_reason"]) == ("withdrawn", "Not caused by this change")
    listed = api_client.get(f"/api/v1/deployments/{world.deployment.pk}/incidents/").json()["results"]
    assert [(i["incident_ref"], i["state"]) for i in listed] == [("INC0001", "withdrawn")]


@pytest.mark.parametrize("suffix", ["resolve", "withdraw"])
def test_the_api_refuses_readers_before_the_body_and_404s_unknown_links(api_client, world, link, suffix):
    before = _row(link)
    api_client.force_authenticate(world.users["auditor"])
    url = f"/api/v1/deployments/{world.deployment.pk}/incidents/{link.pk}/{suffix}/"
    assert api_client.post(url, {"resolved_at": "nonsense"}, format="json").status_code == 403
    api_client.force_authenticate(world.users["manager"])
    for bad in ("999999", "abc"):
        missing = f"/api/v1/deployments/{world.deployment.pk}/incidents/{bad}/{suffix}/"
        assert api_client.post(missing, {}, format="json").status_code == 404
    assert _row(link) == before


# --- analyses and KPIs -----------------------------------------------------------------------------------------


def test_the_review_analysis_uses_resolution_times_and_leaves_withdrawn_links_out():
    # given a model's two deployments with three incidents: one resolved in 4 h, one open, one withdrawn
    model = DeploymentModelFactory(active=True)
    first, second = deployed(model, when=days_ago(5)), deployed(model, Status.FAILED, when=days_ago(6))
    opened = days_ago(5)
    IncidentLink.objects.create(
        deployment=first, incident_ref="INC-1", opened_at=opened, resolved_at=opened + dt.timedelta(hours=4)
    )
    IncidentLink.objects.create(deployment=first, incident_ref="INC-2", opened_at=opened)
    IncidentLink.objects.create(
        deployment=second, incident_ref="INC-3", opened_at=opened, withdrawn_at=opened, withdrawn_reason="Wrong one"
    )
    today = timezone.localdate()
    # when the analysis is computed
    a = compute_analysis(model=model, start=today - dt.timedelta(days=30), end=today)
    # then the withdrawn one counts nowhere, and the resolution time is measured
    assert (a["incidents"], a["deployments_with_incidents"], a["incident_rate"]) == (2, 1, 0.5)
    assert (a["incidents_resolved"], a["incidents_open"]) == (1, 1)
    assert (a["incident_resolution_avg_hours"], a["incident_resolution_max_hours"]) == (4.0, 4.0)
    listed = {row["ref"]: (row["resolved"], row["hours_to_resolve"]) for row in a["incident_list"]}
    assert listed == {"INC-1": (True, 4.0), "INC-2": (False, None)}


def test_the_kpis_leave_withdrawn_links_out():
    # given two finished deployments, one with an open incident, one whose only incident was withdrawn
    model = DeploymentModelFactory(active=True)
    with_open, with_withdrawn = deployed(model, when=days_ago(5)), deployed(model, when=days_ago(6))
    IncidentLink.objects.create(deployment=with_open, incident_ref="INC-1", opened_at=days_ago(5))
    IncidentLink.objects.create(
        deployment=with_withdrawn,
        incident_ref="INC-2",
        opened_at=days_ago(6),
        withdrawn_at=days_ago(5),
        withdrawn_reason="Not ours",
    )
    today = timezone.localdate()
    kpi_rollup_rebuild()  # rows written directly: the rollup is recomputed
    # when a manager's KPI report covers them
    report = kpi_report(user=UserFactory(roles=["manager"]), start=today - dt.timedelta(days=30), end=today)
    # then one of the two finished deployments had an incident
    kpi = report["incident_rate"]
    assert (kpi.value, kpi.numerator, kpi.denominator) == (50.0, 1, 2)
