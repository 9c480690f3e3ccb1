"""Downloads for auditors: register CSV/Excel, audit-trail CSV, audit pack; background jobs and their progress."""

import tempfile

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from apps.audit.selectors import audit_entry_list
from apps.reports import exports
from apps.reports.exports import register_csv
from apps.reports.models import ExportJob, ExportKind
from apps.reports.tasks import FILENAMES, export_job_path, export_job_start
from apps.reports.views.auth import SessionOrTokenMixin, bad_request, wants_json

RECENT_JOBS = 10


def _stamped(name: str) -> str:
    stem, _, ext = name.rpartition(".")
    return f"{stem}-{timezone.now():%Y%m%d-%H%M%S}.{ext}"


def _wants_background(request) -> bool:
    return request.GET.get("background") in ("1", "true", "yes")


def _background(request, kind: str):
    """Start a job; browsers go to its progress page, token clients get 202 with where to poll and download."""
    job = export_job_start(user=request.user, kind=kind, params=request.GET)
    if wants_json(request):
        return JsonResponse(_job_json(request, job), status=202)
    return redirect("reports:export_job", pk=job.pk)


def _job_json(request, job: ExportJob) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "error": job.error,
        "status_url": request.build_absolute_uri(reverse("reports:export_job_status", args=[job.pk])),
        "download_url": request.build_absolute_uri(reverse("reports:export_job_download", args=[job.pk]))
        if job.status == "done"
        else None,
    }


class ExportView(SessionOrTokenMixin, View):
    """Base of the downloads: permission first (403), then filters (400), then the file or a background job."""

    kind = ""

    def get(self, request):
        exports.export_require(request.user)
        try:
            if _wants_background(request):
                return _background(request, self.kind)
            return self.respond(request)
        except ValidationError as exc:
            return bad_request(exc)

    def respond(self, request):
        raise NotImplementedError


class ExportDeploymentsCsvView(ExportView):
    """The register as CSV, streamed in large chunks as the database writes it (constant memory)."""

    kind = ExportKind.DEPLOYMENTS_CSV

    def respond(self, request):
        queryset = exports.export_deployments(user=request.user, params=request.GET)
        response = StreamingHttpResponse(register_csv.deployment_csv(queryset), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_stamped("deployments.csv")}"'
        return response


class ExportDeploymentsXlsxView(ExportView):
    """The register as an Excel workbook; more than BACKGROUND_ROWS rows are prepared in the background."""

    kind = ExportKind.DEPLOYMENTS_XLSX

    def respond(self, request):
        qs = exports.export_deployments(user=request.user, params=request.GET)
        if qs.count() > exports.BACKGROUND_ROWS:
            return _background(request, self.kind)
        handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 — FileResponse closes it
        exports.write_xlsx(handle, exports.DEPLOYMENT_HEADER, exports.deployment_rows(qs, text_times=False))
        handle.seek(0)
        return FileResponse(
            handle,
            as_attachment=True,
            filename=_stamped("deployments.xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


class ExportAuditCsvView(ExportView):
    """Every audit entry the user may read (service and product owners: their services'), streamed."""

    kind = ExportKind.AUDIT_CSV

    def respond(self, request):
        rows = exports.audit_rows(audit_entry_list(user=request.user, params=request.GET))
        response = StreamingHttpResponse(
            exports.csv_chunks(exports.AUDIT_HEADER, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{_stamped("audit-trail.csv")}"'
        return response


class ExportAuditPackView(ExportView):
    """A ZIP for auditors: register, audit trail, approvals, overrides and a SHA-256 manifest."""

    kind = ExportKind.AUDIT_PACK

    def respond(self, request):
        if exports.audit_pack_size(user=request.user, params=request.GET) > exports.BACKGROUND_ROWS:
            return _background(request, self.kind)
        handle = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 — FileResponse closes it
        exports.write_audit_pack(handle, user=request.user, params=request.GET)
        handle.seek(0)
        return FileResponse(
            handle, as_attachment=True, filename=_stamped("audit-pack.zip"), content_type="application/zip"
        )


class ExportListView(LoginRequiredMixin, TemplateView):
    """The exports a user may take, with the current register filters, and their recent background jobs."""

    template_name = "reports/exports.html"

    def get_context_data(self, **kwargs):
        exports.export_require(self.request.user)
        ctx = super().get_context_data(**kwargs)
        query = self.request.GET.urlencode()
        ctx.update(
            query=query,
            jobs=ExportJob.objects.filter(user=self.request.user)[:RECENT_JOBS],
            kinds=ExportKind.choices,
        )
        return ctx


def _own_job(request, pk: int) -> ExportJob:
    """Only the user who asked for an export may see or download it; everyone else gets 404."""
    return get_object_or_404(ExportJob, pk=pk, user=request.user)


class ExportJobView(LoginRequiredMixin, TemplateView):
    """The progress page of a background export (polled by static/js/reports-records.js)."""

    template_name = "reports/export_job.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["job"] = _own_job(self.request, kwargs["pk"])
        return ctx


class ExportJobStatusView(SessionOrTokenMixin, View):
    def get(self, request, pk: int):
        return JsonResponse(_job_json(request, _own_job(request, pk)))


class ExportJobDownloadView(SessionOrTokenMixin, View):
    def get(self, request, pk: int):
        job = _own_job(request, pk)
        path = export_job_path(job)
        if path is None:
            raise Http404("This export is not ready, or its file is gone.")
        name = _stamped(job.filename or FILENAMES[job.kind])
        return FileResponse(open(path, "rb"), as_attachment=True, filename=name)  # noqa: SIM115 — closed by Django
