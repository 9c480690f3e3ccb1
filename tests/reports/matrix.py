"""Permission-matrix rows of the reports app: KPI pages and API, calendar and feeds, matrix, exports and their jobs,
printable reports, and the audit findings register."""

import datetime as dt
from pathlib import Path

from django.conf import settings

from tests.matrix import api, page

NO_KPIS = {"practitioner": 403, "norole": 403}

KPI_ROWS = [
    page("/reports/kpis/", **NO_KPIS),
    page("/reports/kpis/?from=2025-03-30&to=2025-03-01", default=400, **NO_KPIS, name="GET /reports/kpis/ bad dates"),
    page("/reports/kpis/success_rate/", **NO_KPIS),
    page("/reports/kpis/unknown/", default=404, **NO_KPIS, name="GET /reports/kpis/<unknown>/"),
    api("/api/v1/kpis/", **NO_KPIS),
    api("/api/v1/kpis/?from=x", default=400, **NO_KPIS, name="GET /api/v1/kpis/ bad dates"),
    page("/reports/kpis/?automation_level=automated", **NO_KPIS, name="GET /reports/kpis/ automated only"),
    api("/api/v1/kpis/?automation_level=manual", **NO_KPIS, name="GET /api/v1/kpis/ manual only"),
    api("/api/v1/kpis/?automation_level=robots", default=400, **NO_KPIS, name="GET /api/v1/kpis/ bad automation"),
    # KPI targets: whoever sees KPIs reads them; only managers (and administrators) set them
    page("/reports/kpis/targets/", **NO_KPIS, name="KPI targets"),
    page(
        "/reports/kpis/targets/",
        method="post",
        data={"metric": "success_rate", "target": "95", "amber_band": "5"},
        default=403,
        manager=302,
        admin=302,
        name="KPI target set",
    ),
]

EXPORTERS = {"practitioner": 403, "norole": 403}  # everyone else with a role may export (owners: theirs only)


def _feed(w) -> str:
    from apps.reports.services import calendar_feed_token_rotate

    _, key = calendar_feed_token_rotate(user=w.users["service_owner"])
    return f"/calendar/feed/{key}.ics"


def _job(w):
    """A finished export of the auditor's, with its file on disk (made anew: each role's request is rolled back)."""
    from apps.reports.models import ExportJob, ExportStatus

    relative = "exports/matrix-test-deployments.csv"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("reference\n")
    return ExportJob.objects.create(
        user=w.users["auditor"],
        kind="deployments_csv",
        status=ExportStatus.DONE,
        file=relative,
        filename="deployments.csv",
        total=0,
    )


def _review(w):
    """The world's review if there is one; otherwise one made anew (each role's request is rolled back)."""
    from apps.reviews.models import ModelReview

    existing = getattr(w, "review", None)
    if existing is not None and ModelReview.objects.filter(pk=existing.pk).exists():
        return existing
    today = dt.date.today()
    return ModelReview.objects.create(
        model=w.model,
        kind="ad_hoc",
        period_start=today - dt.timedelta(days=90),
        period_end=today,
        due_date=today + dt.timedelta(days=7),
        findings="Checks were skipped twice.",
    )


RECORD_ROWS = [
    page("/calendar/"),
    page("/calendar/?view=week"),
    page("/calendar/", method="post", data={"action": "rotate"}, default=302, name="POST /calendar/ rotate feed"),
    page("/calendar.ics"),
    page(_feed, anonymous=200, name="GET secret calendar feed"),
    page("/matrix/"),
    page("/matrix/?by=component"),
    page("/exports/", **EXPORTERS),
    page("/exports/deployments.csv", **EXPORTERS),
    page("/exports/deployments.xlsx", **EXPORTERS),
    page("/exports/audit-trail.csv", **EXPORTERS),
    page("/exports/audit-pack.zip", **EXPORTERS),
    page(lambda w: f"/exports/jobs/{_job(w).pk}/", default=404, auditor=200, name="GET export job"),
    page(lambda w: f"/exports/jobs/{_job(w).pk}/status/", default=404, auditor=200, name="GET export job status"),
    page(lambda w: f"/exports/jobs/{_job(w).pk}/download/", default=404, auditor=200, name="GET export download"),
    page(
        lambda w: f"/deployments/{w.deployment.pk}/report/",
        norole=404,
        supplier_contact=200,  # a contact of its supplier sees w.deployment, so its printable report too
        name="GET deployment report",
    ),
    page(lambda w: f"/reviews/{_review(w).pk}/report/", norole=403, name="GET review report"),
]

# findings: auditors and managers read and raise them; w.finding is owned by the practitioner, who may see it and
# move its status; the service and product owners own none of w.finding (404), norole sees none
RAISERS = {"default": 403, "manager": 200, "auditor": 200, "admin": 200}
SEES_FINDING = {"default": 404, "manager": 200, "auditor": 200, "admin": 200, "practitioner": 200}
MOVES_FINDING = {"default": 404, "manager": 302, "admin": 302, "practitioner": 302, "auditor": 403}


def _new_finding(w) -> dict:
    return {
        "subject_type": "deployment",
        "subject_id": w.deployment.pk,
        "severity": "medium",
        "title": "Evidence missing",
        "description": "The smoke test has no evidence.",
        "owner": w.users["manager"].pk,
        "due_date": str(dt.date.today() + dt.timedelta(days=14)),
    }


FINDING_ROWS = [
    page("/findings/", name="finding register"),
    page("/findings/?severity=bogus&raised_after=nonsense&subject_id=x", name="finding register bad filters"),
    page("/findings/new/", **RAISERS, name="finding create form"),
    page("/findings/new/?subject_type=deployment&subject_id=999999999999999999999", **RAISERS, name="finding form odd"),
    page(
        "/findings/new/",
        method="post",
        data=_new_finding,
        **{**RAISERS, "manager": 302, "auditor": 302, "admin": 302},
        name="finding create",
    ),
    page(lambda w: f"/findings/{w.finding.pk}/", **SEES_FINDING, name="finding detail"),
    page("/findings/999999/", default=404, name="finding detail (missing)"),
    page(
        lambda w: f"/findings/{w.finding.pk}/status/",
        method="post",
        data={"status": "accepted", "reason": "Taken on."},
        **MOVES_FINDING,
        name="finding status change",
    ),
    api("/api/v1/audit-findings/", name="api audit findings"),
    api("/api/v1/audit-findings/?severity=high&status=open&subject_type=model", name="api audit findings filtered"),
    api("/api/v1/audit-findings/?severity=bogus", default=400, name="api audit findings bad filter"),
    api(lambda w: f"/api/v1/audit-findings/{w.finding.pk}/", **SEES_FINDING, name="api audit finding"),
    api("/api/v1/audit-findings/999999/", default=404, name="api audit finding (missing)"),
    api(
        "/api/v1/audit-findings/",
        method="post",
        data=_new_finding,
        **{**RAISERS, "manager": 201, "auditor": 201, "admin": 201},
        name="api audit finding create",
    ),
    api(
        lambda w: f"/api/v1/audit-findings/{w.finding.pk}/change-status/",
        method="post",
        data={"status": "accepted", "reason": "Taken on."},
        **{**MOVES_FINDING, "manager": 200, "admin": 200, "practitioner": 200},
        name="api audit finding change status",
    ),
]

ROWS = KPI_ROWS + RECORD_ROWS + FINDING_ROWS
