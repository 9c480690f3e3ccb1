"""Printable reports: a deployment with everything recorded about it, and a model review."""

import datetime as dt

from apps.reviews.models import ImprovementInitiative, ModelReview
from tests.reports.helpers import client_for


def test_deployment_report_holds_plan_approvals_checks_and_timeline(rec):
    # given a completed deployment
    w = rec
    # when the auditor opens its printable report
    response = client_for(w.users["auditor"]).get(f"/deployments/{w.completed.pk}/report/")
    html = response.content.decode()
    # then it shows the plan, the approval, the checks with their evidence, the timeline, with the print stylesheet
    assert response.status_code == 200
    assert w.completed.reference in html
    assert "shop-web 1.0.0" in html
    assert 'data-testid="report-approvals"' in html and "manager" in html
    checks = list(response.context["checks"])
    assert checks and all(c.result == "pass" for c in checks)
    assert "ok" in html  # the evidence the practitioner recorded
    assert len(response.context["events"]) >= 7
    assert "css/print.css" in html
    assert "<script>" not in html  # the CSP allows no inline script


def test_deployment_report_is_404_when_not_visible(rec):
    w = rec
    assert client_for(w.users["service_owner"]).get(f"/deployments/{w.other_deployment.pk}/report/").status_code == 404
    assert client_for(w.users["manager"]).get("/deployments/999999/report/").status_code == 404


def test_review_report_shows_analysis_findings_decision_and_initiatives(world):
    # given a completed review with an analysis and an initiative
    w = world
    today = dt.date.today()
    review = ModelReview.objects.create(
        model=w.model,
        kind="scheduled",
        status="completed",
        period_start=today - dt.timedelta(days=90),
        period_end=today,
        due_date=today,
        analysis={"deployments": 12, "success_rate": 91.7, "failed": [{"reference": "DEP-000009"}]},
        findings="Two failures from skipped smoke tests.",
        decision="update",
    )
    ImprovementInitiative.objects.create(review=review, title="Automate smoke tests", change_request_ref="CR-42")
    # when a practitioner opens the printable review
    response = client_for(w.users["practitioner"]).get(f"/reviews/{review.pk}/report/")
    html = response.content.decode()
    # then everything is there
    assert response.status_code == 200
    assert "success_rate" in html and "91.7" in html
    assert "Two failures from skipped smoke tests." in html
    assert "Update" in html
    assert "Automate smoke tests" in html and "CR-42" in html
    # and users without a role may not read it
    assert client_for(w.users["norole"]).get(f"/reviews/{review.pk}/report/").status_code == 403
    assert client_for(w.users["manager"]).get("/reviews/999999/report/").status_code == 404
