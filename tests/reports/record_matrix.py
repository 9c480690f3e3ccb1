"""Permission-matrix rows of the records part of reports: calendar, feeds, matrix, exports, jobs, audit, printables."""

import datetime as dt
from pathlib import Path

from django.conf import settings

from tests.matrix import api, page

EXPORTERS = {"practitioner": 403, "norole": 403}  # everyone else with a role may export (owners: theirs only)
AUDITORS = {"manager": 200, "auditor": 200, "admin": 200}


def _feed(w) -> str:
    from apps.reports.calendar import calendar_feed_token_rotate

    _, key = calendar_feed_token_rotate(user=w.users["service_owner"])
    return f"/calendar/feed/{key}.ics"


def _job(w):
    """A finished export of the auditor's, with its file on disk (made anew: each role's request is rolled back)."""
    from apps.reports.record_models import ExportJob, ExportStatus

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


def _audit_entry(w):
    from apps.reports.models import AuditEntry

    return AuditEntry.objects.filter(service_id=w.service.pk).order_by("id").first()


ROWS = [
    page("/calendar/"),
    page("/calendar/?view=week"),
    page("/calendar/", method="post", data={"action": "rotate"}, default=302, name="POST /calendar/ rotate feed"),
    page("/calendar.ics"),
    page(_feed, anonymous=200, name="GET secret calendar feed"),
    page("/matrix/"),
    page("/matrix/?by=component"),
    page("/audit/", default=403, **AUDITORS),
    page("/audit/", method="post", default=403, manager=302, auditor=302, admin=302, name="POST /audit/ verify"),
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
    api("/api/v1/audit-entries/", **EXPORTERS),
    api(lambda w: f"/api/v1/audit-entries/{_audit_entry(w).pk}/", name="GET audit entry", **EXPORTERS),
]
