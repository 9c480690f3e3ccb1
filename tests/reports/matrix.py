"""Permission-matrix rows of the reports app: KPI pages and API, calendar and feeds, matrix, exports and their jobs,
printable reports."""

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
    page(lambda w: f"/deployments/{w.deployment.pk}/report/", norole=404, name="GET deployment report"),
    page(lambda w: f"/reviews/{_review(w).pk}/report/", norole=403, name="GET review report"),
]

ROWS = KPI_ROWS + RECORD_ROWS
