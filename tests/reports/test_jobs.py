"""Background exports end to end (django-q2 in sync mode): job, progress JSON, download by its owner only."""

import csv
import io
import zipfile

import pytest
from django.test import Client

from apps.reports import exports
from apps.reports.models import ExportJob, ExportStatus
from apps.reports.tasks import export_job_run
from tests.factories.accounts import token_for
from tests.reports.helpers import client_for


def _file(response) -> bytes:
    return b"".join(response.streaming_content)


def test_background_csv_export_runs_and_only_its_owner_downloads_it(rec, django_capture_on_commit_callbacks):
    # given an auditor asking for the register in the background
    w = rec
    client = client_for(w.users["auditor"])
    # when they ask (the worker runs in sync mode once the job row is committed)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/exports/deployments.csv?background=1&environment={w.env_test.pk}")
    # then they land on the job page, and the job is done with its progress
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exports/jobs/{job.pk}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'data-status-url="/exports/jobs/' in page.content.decode()
    status = client.get(f"/exports/jobs/{job.pk}/status/").json()
    assert (status["status"], status["done"], status["total"], status["percent"]) == ("done", 2, 2, 100)
    assert status["download_url"].endswith(f"/exports/jobs/{job.pk}/download/")
    # and the file holds the filtered register
    download = client.get(f"/exports/jobs/{job.pk}/download/")
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(_file(download).decode())))
    assert sorted(r["reference"] for r in rows) == sorted([w.completed.reference, w.other_deployment.reference])
    # and nobody else may see or download it
    for other in ("manager", "admin", "service_owner"):
        other_client = client_for(w.users[other])
        assert other_client.get(f"/exports/jobs/{job.pk}/").status_code == 404
        assert other_client.get(f"/exports/jobs/{job.pk}/status/").status_code == 404
        assert other_client.get(f"/exports/jobs/{job.pk}/download/").status_code == 404


def test_large_excel_exports_go_to_the_background(rec, monkeypatch, django_capture_on_commit_callbacks):
    # given a threshold below the register's size
    w = rec
    monkeypatch.setattr(exports, "BACKGROUND_ROWS", 1)
    # when the Excel export is asked for
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(w.users["manager"]).get("/exports/deployments.xlsx")
    # then a job prepares it
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert job.status == ExportStatus.DONE
    assert job.filename == "deployments.xlsx"


def test_a_token_client_gets_202_with_where_to_poll(rec, django_capture_on_commit_callbacks):
    # given an auditor's script with a token
    w = rec
    key = token_for(w.users["auditor"])
    # when it asks for an audit pack in the background
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().get("/exports/audit-pack.zip?background=1", HTTP_AUTHORIZATION=f"Token {key}")
    # then it gets 202 and can poll and download with the same token
    assert response.status_code == 202
    body = response.json()
    status = Client().get(body["status_url"], HTTP_AUTHORIZATION=f"Token {key}").json()
    assert status["status"] == "done"
    download = Client().get(status["download_url"], HTTP_AUTHORIZATION=f"Token {key}")
    archive = zipfile.ZipFile(io.BytesIO(_file(download)))
    assert "MANIFEST.sha256" in archive.namelist()


def test_background_exports_check_permission_and_filters_first(rec):
    w = rec
    assert client_for(w.users["practitioner"]).get("/exports/deployments.csv?background=1").status_code == 403
    assert client_for(w.users["auditor"]).get("/exports/deployments.csv?background=1&status=zzz").status_code == 400
    assert not ExportJob.objects.exists()


def test_running_a_job_twice_does_nothing_the_second_time(rec, django_capture_on_commit_callbacks):
    w = rec
    with django_capture_on_commit_callbacks(execute=True):
        client_for(w.users["auditor"]).get("/exports/audit-trail.csv?background=1")
    job = ExportJob.objects.get()
    export_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    assert job.done == job.total > 0


def test_a_failing_job_is_marked_failed(rec, monkeypatch):
    w = rec
    job = ExportJob.objects.create(user=w.users["auditor"], kind="deployments_csv", params={})

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "write_csv", boom)
    export_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportStatus.FAILED, "disk full")
    assert client_for(w.users["auditor"]).get(f"/exports/jobs/{job.pk}/download/").status_code == 404


@pytest.mark.parametrize(("role", "status"), [("auditor", 200), ("service_owner", 200), ("practitioner", 403)])
def test_exports_page(rec, role, status):
    assert client_for(rec.users[role]).get("/exports/?environment=1").status_code == status
