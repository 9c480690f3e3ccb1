"""The findings register's pages and its API: list with filters, raising, detail with history, status change; the
"Raise finding" links of the subjects' pages; the API's fields, filters, pages and refusals (never a 500)."""

import datetime as dt
import itertools
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.reports.models import AuditFinding, FindingEvent
from tests.factories.accounts import token_for
from tests.factories.reports import raise_finding
from tests.reports.helpers import client_for

pytestmark = pytest.mark.django_db

DUE = (timezone.localdate() + dt.timedelta(days=21)).isoformat()
API = "/api/v1/audit-findings/"
FIELDS = {
    "id",
    "reference",
    "subject_type",
    "subject_id",
    "severity",
    "title",
    "description",
    "owner",
    "due_date",
    "status",
    "raised_by",
    "raised_at",
}


_tokens = itertools.count()


def api_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user, name=f'findings {next(_tokens)}')}")
    return client


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_register_lists_and_filters_findings(world):
    # given the world's findings (a high one on the model, a medium one on the deployment) and a critical one
    w = world
    critical = raise_finding(
        actor=w.users["auditor"], subject=w.review, owner=w.users["manager"], severity="critical", title="No minutes"
    )
    client = client_for(w.users["auditor"])
    # when the auditor opens the register, then filters it
    everything = client.get("/findings/")
    by_severity = client.get("/findings/?severity=critical")
    by_subject = client.get(f"/findings/?subject_type=deployment&subject_id={w.deployment.pk}")
    # then each shows exactly the findings that match
    assert everything.status_code == 200
    assert [f.pk for f in everything.context["findings"]] == [critical.pk, w.other_finding.pk, w.finding.pk]
    assert [f.pk for f in by_severity.context["findings"]] == [critical.pk]
    assert [f.pk for f in by_subject.context["findings"]] == [w.finding.pk]
    assert b"No minutes" in everything.content


def test_an_owner_without_the_register_sees_only_their_findings(world):
    w = world
    response = client_for(w.users["practitioner"]).get("/findings/")
    assert [f.pk for f in response.context["findings"]] == [w.finding.pk]
    assert client_for(w.users["practitioner"]).get(f"/findings/{w.other_finding.pk}/").status_code == 404


def test_raising_a_finding_from_the_deployment_page(world):
    # given the deployment's page seen by an auditor, with its "Raise finding" link
    w = world
    client = client_for(w.users["auditor"])
    page = client.get(f"/deployments/{w.deployment.pk}/")
    link = f"/findings/new/?subject_type=deployment&amp;subject_id={w.deployment.pk}"
    assert link.encode() in page.content
    form = client.get(link.replace("&amp;", "&"))
    assert form.status_code == 200
    assert form.context["subject"] == w.deployment
    # when the form is sent
    response = client.post(
        "/findings/new/",
        {
            "subject_type": "deployment",
            "subject_id": w.deployment.pk,
            "severity": "critical",
            "title": "Approval after the start",
            "description": "Approved 10 minutes after the deployment started.",
            "owner": w.users["manager"].pk,
            "due_date": DUE,
        },
    )
    # then the finding is raised and its page shown
    finding = AuditFinding.objects.get(title="Approval after the start")
    assert response.status_code == 302
    assert response["Location"] == f"/findings/{finding.pk}/"
    assert (finding.severity, finding.raised_by, finding.deployment) == ("critical", w.users["auditor"], w.deployment)


@pytest.mark.parametrize(
    ("url", "role"),
    [
        (lambda w: f"/models/{w.model.pk}/", "manager"),
        (lambda w: f"/reviews/{w.review.pk}/", "auditor"),
    ],
)
def test_model_and_review_pages_link_to_raising_a_finding(world, url, role):
    w = world
    page = client_for(w.users[role]).get(url(w))
    assert b'data-testid="raise-finding"' in page.content
    assert b'data-testid="subject-findings"' in page.content


def test_practitioners_see_no_raise_link(world):
    w = world
    page = client_for(w.users["practitioner"]).get(f"/deployments/{w.deployment.pk}/")
    assert b'data-testid="raise-finding"' not in page.content


def test_a_bad_form_shows_what_is_missing_and_raises_nothing(world):
    w = world
    before = AuditFinding.objects.count()
    response = client_for(w.users["auditor"]).post(
        "/findings/new/",
        {"subject_type": "deployment", "subject_id": 999999, "severity": "low", "title": "t", "description": "d"},
    )
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert "due_date" in response.context["form"].errors
    response = client_for(w.users["auditor"]).post(
        "/findings/new/",
        {
            "subject_type": "deployment",
            "subject_id": 999999,
            "severity": "low",
            "title": "t",
            "description": "d",
            "owner": w.users["manager"].pk,
            "due_date": DUE,
        },
    )
    assert response.status_code == 400
    assert "No deployment with id 999999" in str(response.context["form"].errors["subject_id"])
    assert AuditFinding.objects.count() == before


def test_the_form_offers_no_auditor_as_owner_and_the_page_refuses_one(world):
    # given the raise form seen by an auditor
    w = world
    client = client_for(w.users["auditor"])
    form = client.get(f"/findings/new/?subject_type=deployment&subject_id={w.deployment.pk}")
    owners = set(form.context["form"].fields["owner"].queryset)
    # then auditors are not offered as owners, the others who hold a role are
    assert w.users["auditor"] not in owners
    assert {w.users["manager"], w.users["practitioner"]} <= owners
    # and an auditor posted as owner anyway is refused, nothing raised
    before = AuditFinding.objects.count()
    response = client.post(
        "/findings/new/",
        {
            "subject_type": "deployment",
            "subject_id": w.deployment.pk,
            "severity": "low",
            "title": "t",
            "description": "d",
            "owner": w.users["auditor"].pk,
            "due_date": DUE,
        },
    )
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert AuditFinding.objects.count() == before


def test_the_detail_shows_the_history_and_the_owner_changes_the_status(world):
    w = world
    client = client_for(w.users["practitioner"])
    page = client.get(f"/findings/{w.finding.pk}/")
    assert page.status_code == 200
    assert [s for s, _ in page.context["status_form"].fields["status"].choices] == ["accepted", "remediated"]
    # when the owner accepts it with a reason
    response = client.post(f"/findings/{w.finding.pk}/status/", {"status": "accepted", "reason": "On it."})
    # then it is accepted and the history shows it
    assert response.status_code == 302
    page = client.get(f"/findings/{w.finding.pk}/")
    assert [(e.to_status, e.reason) for e in page.context["events"]] == [("open", "Raised."), ("accepted", "On it.")]
    assert b"On it." in page.content


def test_a_status_change_without_a_reason_is_a_form_error(world):
    w = world
    response = client_for(w.users["manager"]).post(f"/findings/{w.finding.pk}/status/", {"status": "closed"})
    assert response.status_code == 400
    assert "reason" in response.context["status_form"].errors
    w.finding.refresh_from_db()
    assert w.finding.status == "open"


def test_auditors_get_no_status_form_and_cannot_post_one(world):
    w = world
    client = client_for(w.users["auditor"])
    assert client.get(f"/findings/{w.finding.pk}/").context["status_form"] is None
    assert client.post(f"/findings/{w.finding.pk}/status/", {"status": "closed", "reason": "x"}).status_code == 403
    assert FindingEvent.objects.filter(finding=w.finding).count() == 1


def test_the_navigation_shows_findings_to_auditors_and_managers_only(world):
    w = world
    for role, shown in [("auditor", True), ("manager", True), ("practitioner", False), ("service_owner", False)]:
        page = client_for(w.users[role]).get("/")
        assert (b'href="/findings/"' in page.content) is shown, role


# --- API --------------------------------------------------------------------------------------------------------


def test_the_api_lists_findings_with_the_contract_fields(world):
    w = world
    response = api_client(w.users["auditor"]).get(API)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert set(first) == FIELDS
    assert first == {
        "id": w.other_finding.pk,
        "reference": f"F-{w.other_finding.pk:05d}",
        "subject_type": "model",
        "subject_id": w.model.pk,
        "severity": "high",
        "title": w.other_finding.title,
        "description": w.other_finding.description,
        "owner": w.users["service_owner"].pk,
        "due_date": w.other_finding.due_date.isoformat(),
        "status": "open",
        "raised_by": w.users["manager"].pk,
        "raised_at": first["raised_at"],
    }
    detail = api_client(w.users["auditor"]).get(f"{API}{w.finding.pk}/").json()
    assert [(h["to_status"], h["reason"], h["actor"]) for h in detail["history"]] == [("open", "Raised.", "auditor")]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("severity=high", ["other_finding"]),
        ("status=open&subject_type=deployment", ["finding"]),
        ("subject_type=model&subject_id={model}", ["other_finding"]),
        ("owner={practitioner}", ["finding"]),
        ("overdue=true", []),
        ("q=smoke", ["other_finding", "finding"]),
        ("ordering=raised_at", ["finding", "other_finding"]),
        ("subject_id=99999999999999999999", []),
    ],
)
def test_the_api_filters(world, query, expected):
    w = world
    query = query.format(model=w.model.pk, practitioner=w.users["practitioner"].pk)
    response = api_client(w.users["manager"]).get(f"{API}?{query}")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [getattr(w, name).pk for name in expected]


def test_the_api_raises_a_finding(world):
    w = world
    body = {
        "subject_type": "review",
        "subject_id": w.review.pk,
        "severity": "medium",
        "title": "Participants not recorded",
        "description": "The review lists no product owner.",
        "owner": w.users["manager"].pk,
        "due_date": DUE,
    }
    response = api_client(w.users["auditor"]).post(API, body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert {k: created[k] for k in body} == body
    assert (created["status"], created["raised_by"]) == ("open", w.users["auditor"].pk)
    finding = AuditFinding.objects.get(pk=created["id"])
    assert finding.events.get().channel == "api"


def test_the_api_changes_the_status_with_a_reason(world):
    w = world
    client = api_client(w.users["manager"])
    response = client.post(f"{API}{w.finding.pk}/change-status/", {"status": "closed", "reason": "Withdrawn."})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["history"][-1]["reason"] == "Withdrawn."
    again = client.post(f"{API}{w.finding.pk}/change-status/", {"status": "closed", "reason": "Again."})
    assert again.status_code == 409
    assert "cannot become closed" in json.dumps(again.json())


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": "closed"},
        {"status": "nonsense", "reason": "x"},
        {"status": ["closed"], "reason": {"a": 1}},
        {"status": "closed", "reason": ""},
    ],
)
def test_bad_status_bodies_are_400_and_change_nothing(world, body):
    w = world
    response = api_client(w.users["manager"]).post(f"{API}{w.finding.pk}/change-status/", body, format="json")
    assert response.status_code == 400
    w.finding.refresh_from_db()
    assert w.finding.status == "open"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"subject_type": "deployment", "subject_id": -1},
        {"subject_type": "deployment", "subject_id": 2**70},
        {"subject_type": "x", "subject_id": "y", "severity": 3, "owner": "z", "due_date": "tomorrow"},
        {
            "subject_type": "deployment",
            "subject_id": 1,
            "severity": "low",
            "title": "t",
            "description": "d",
            "owner": 999999,
            "due_date": DUE,
        },
    ],
)
def test_bad_create_bodies_are_400(world, body):
    w = world
    before = AuditFinding.objects.count()
    response = api_client(w.users["auditor"]).post(API, body, format="json")
    assert response.status_code == 400
    assert AuditFinding.objects.count() == before


def test_the_api_refuses_an_auditor_as_owner_with_400_saying_why(world):
    w = world
    body = {
        "subject_type": "deployment",
        "subject_id": w.deployment.pk,
        "severity": "low",
        "title": "Self-owned",
        "description": "An auditor naming themselves owner.",
        "owner": w.users["auditor"].pk,
        "due_date": DUE,
    }
    before = AuditFinding.objects.count()
    response = api_client(w.users["auditor"]).post(API, body, format="json")
    assert response.status_code == 400
    assert "auditors raise findings and change nothing" in json.dumps(response.json())
    assert AuditFinding.objects.count() == before


def test_the_api_refuses_by_role(world):
    w = world
    body = {"status": "accepted", "reason": "ok"}
    assert api_client(w.users["auditor"]).post(API, {}, format="json").status_code == 400  # may, but sent nothing
    assert api_client(w.users["practitioner"]).post(API, {}, format="json").status_code == 403
    assert api_client(w.users["auditor"]).post(f"{API}{w.finding.pk}/change-status/", body).status_code == 403
    assert api_client(w.users["practitioner"]).post(f"{API}{w.finding.pk}/change-status/", body).status_code == 200
    assert api_client(w.users["service_owner"]).get(f"{API}{w.finding.pk}/").status_code == 404
    assert APIClient().get(API).status_code == 401


def test_the_api_list_is_paginated_with_bounded_queries(world, django_assert_max_num_queries):
    w = world
    for i in range(6):
        raise_finding(actor=w.users["auditor"], subject=w.deployment, owner=w.users["manager"], title=f"F{i}")
    client = api_client(w.users["auditor"])
    with django_assert_max_num_queries(12):
        body = client.get(f"{API}?page_size=5").json()
    assert (body["count"], len(body["results"]), body["next"] is not None) == (8, 5, True)


def test_the_register_page_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    # given the world's findings (on a deployment and a model), the register read once
    w = world
    client = client_for(w.users["manager"])
    with django_assert_max_num_queries(100) as few:
        assert client.get("/findings/").status_code == 200
    # when six more are raised, on the deployment and on the model, each with another owner
    for i in range(6):
        subject, owner = (w.deployment, w.users["manager"]) if i % 2 else (w.model, w.users["service_owner"])
        raise_finding(actor=w.users["auditor"], subject=subject, owner=owner, title=f"More {i}")
    # then the register lists them all with no more queries than before
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/findings/").content.decode()
    assert all(f"More {i}" in html for i in range(6))


def test_the_kpi_tile_counts_findings_by_severity_and_opens_the_register(world):
    # given the world's two findings, raised today
    w = world
    today = timezone.localdate()
    # when the auditor opens the KPI report of the last week
    page = client_for(w.users["auditor"]).get(f"/reports/kpis/?from={today - dt.timedelta(days=7)}&to={today}")
    html = page.content.decode()
    tile = html[html.index('data-metric="audit_findings"') :]
    tile = tile[: tile.index("</div>\n</div>")]
    # then the tile shows two findings, one of each severity found, and links to the register for the period
    assert page.context["report"]["audit_findings"].value == 2
    assert page.context["report"]["audit_findings"].breakdown == {"low": 0, "medium": 1, "high": 1, "critical": 0}
    assert "medium 1 · high 1" in tile
    assert f'href="/findings/?raised_after={today - dt.timedelta(days=7)}&amp;raised_before={today}"' in tile
