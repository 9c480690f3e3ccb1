"""Background exports: start an ExportJob, and the django-q2 task that writes its file under MEDIA_ROOT/exports/."""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.filters import as_querydict
from apps.audit.selectors import audit_entry_list
from apps.reports import exports
from apps.reports.models import ExportJob, ExportKind, ExportStatus

log = logging.getLogger(__name__)

EXPORT_DIR = "exports"
FILENAMES = {
    ExportKind.DEPLOYMENTS_CSV: "deployments.csv",
    ExportKind.DEPLOYMENTS_XLSX: "deployments.xlsx",
    ExportKind.AUDIT_CSV: "audit-trail.csv",
    ExportKind.AUDIT_PACK: "audit-pack.zip",
}


def export_job_start(*, user, kind: str, params) -> ExportJob:
    """Check the permission and the filters now (so bad input is a 400, not a failed job), then enqueue the job."""
    from django_q.tasks import async_task

    exports.export_require(user)
    _validate(user=user, kind=kind, params=params)
    job = ExportJob.objects.create(user=user, kind=kind, params=exports.params_to_json(as_querydict(params)))
    # the row is committed (no request-wide transaction), so the worker can read it at once
    transaction.on_commit(lambda: async_task("apps.reports.tasks.export_job_run", job.pk, task_name=f"export-{job.pk}"))
    return job


def _validate(*, user, kind: str, params) -> None:
    if kind == ExportKind.AUDIT_CSV:
        audit_entry_list(user=user, params=params)
    elif kind == ExportKind.AUDIT_PACK:
        exports.audit_pack_parts(user=user, params=params)
    else:
        exports.export_deployments(user=user, params=params)


def _total(job: ExportJob) -> int:
    if job.kind == ExportKind.AUDIT_CSV:
        return audit_entry_list(user=job.user, params=job.params).count()
    if job.kind == ExportKind.AUDIT_PACK:
        return exports.audit_pack_size(user=job.user, params=job.params)
    return exports.export_deployments(user=job.user, params=job.params).count()


def _write(job: ExportJob, path: Path, progress) -> None:
    user, params = job.user, job.params
    if job.kind == ExportKind.DEPLOYMENTS_CSV:
        rows = exports.deployment_rows(exports.export_deployments(user=user, params=params))
        exports.write_csv(str(path), exports.DEPLOYMENT_HEADER, rows, progress, text_columns=exports.DEPLOYMENT_TEXT)
    elif job.kind == ExportKind.DEPLOYMENTS_XLSX:
        rows = exports.deployment_rows(exports.export_deployments(user=user, params=params), text_times=False)
        exports.write_xlsx(str(path), exports.DEPLOYMENT_HEADER, rows, progress)
    elif job.kind == ExportKind.AUDIT_CSV:
        rows = exports.audit_rows(audit_entry_list(user=user, params=params))
        exports.write_csv(str(path), exports.AUDIT_HEADER, rows, progress)
    elif job.kind == ExportKind.AUDIT_PACK:
        exports.write_audit_pack(str(path), user=user, params=params, progress=progress)
    else:
        raise ValueError(f"Unknown export kind {job.kind!r}.")


def export_job_run(job_id: int) -> None:
    """Write the job's file, updating its progress; does nothing for a job that already ran (idempotent)."""
    job = ExportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or job.status in (ExportStatus.DONE, ExportStatus.FAILED):
        return
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.PENDING).update(status=ExportStatus.RUNNING)
    if not claimed:
        return  # another worker has it
    filename = FILENAMES[job.kind]
    relative = f"{EXPORT_DIR}/{uuid.uuid4().hex}-{filename}"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        total = _total(job)
        ExportJob.objects.filter(pk=job.pk).update(total=total)

        def progress(done: int) -> None:
            ExportJob.objects.filter(pk=job.pk).update(done=done)

        _write(job, path, progress)
    except Exception as exc:  # the job page must say it failed rather than spin for ever
        log.exception("Export job %s failed", job.pk)
        path.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        return
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.DONE, file=relative, filename=filename, finished_at=timezone.now()
    )


def export_job_path(job: ExportJob) -> Path | None:
    """The job's file on disk, when it is ready and still there."""
    if job.status != ExportStatus.DONE or not job.file:
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / job.file).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path
