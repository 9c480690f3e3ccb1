"""Exports read back: CSV (csv module), Excel (openpyxl), audit trail, audit pack (zip + manifest); scope and auth."""

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import zipfile

import pytest
from django.db import connection
from django.http import QueryDict
from openpyxl import load_workbook

from apps.audit.models import AuditEntry
from apps.catalog.models import ServiceComponent
from apps.deployments.models import Deployment
from apps.reports import exports
from apps.reports.exports import AUDIT_HEADER, DEPLOYMENT_HEADER, register_csv
from tests.factories.accounts import token_for
from tests.reports.helpers import client_for, many_deployments


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(_body(response).decode())))


def test_register_csv_holds_every_visible_deployment_with_its_fields(rec):
    # given a manager, who sees every deployment
    w = rec
    # when they export the register as CSV
    response = client_for(w.users["manager"]).get("/exports/deployments.csv")
    # then it streams one row per deployment, with the record's fields
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert list(rows[0].keys()) == DEPLOYMENT_HEADER
    assert sorted(r["reference"] for r in rows) == sorted(Deployment.objects.values_list("reference", flat=True))
    done = next(r for r in rows if r["reference"] == w.completed.reference)
    w.completed.refresh_from_db()
    assert done["title"] == w.completed.title
    assert done["status"] == "completed"
    assert done["service"] == "Online shop"
    assert done["environment"] == "Test"
    assert done["component_versions"] == "shop-web 1.0.0"
    assert done["requester"] == "product_owner"
    assert dt.datetime.fromisoformat(done["planned_start"]) == w.completed.planned_start
    assert dt.datetime.fromisoformat(done["actual_end"]) == w.completed.actual_end
    assert done["actual_start"].endswith("+00:00")
    assert done["override_count"] == "0"


def test_register_csv_uses_the_register_filters(rec):
    # given deployments in test and staging
    w = rec
    # when the export is filtered to staging
    rows = _csv(client_for(w.users["auditor"]).get(f"/exports/deployments.csv?environment={w.env_staging.pk}"))
    # then only staging rows come back
    assert [r["reference"] for r in rows] == [w.draft.reference]


def test_register_csv_with_several_versions_joins_them(rec):
    # given a deployment of two component versions
    w = rec
    d = many_deployments(w, 1)[0]
    d.component_versions.add(w.version_1)
    # when exported
    rows = _csv(client_for(w.users["manager"]).get("/exports/deployments.csv?q=" + d.reference))
    # then both versions are in one cell
    assert sorted(rows[0]["component_versions"].split("; ")) == ["shop-web 1.0.0", "shop-web 1.1.0"]


def test_csv_cells_cannot_carry_spreadsheet_formulas(rec):
    # given a deployment whose title starts like a formula
    w = rec
    Deployment.objects.filter(pk=w.draft.pk).update(title='=HYPERLINK("http://evil")')
    # when exported
    rows = _csv(client_for(w.users["manager"]).get(f"/exports/deployments.csv?q={w.draft.reference}"))
    # then the cell is text, not a formula
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil")'


# cells that need quoting, a formula guard, or both; line breaks; text that is not ASCII; COPY's end-of-data marker
AWKWARD = [
    'Comma, "quotes" and\na line break',
    "=1+2",
    "-minus",
    "+plus",
    "@at",
    "\tstarts with a tab",
    "\rstarts with a carriage return",
    "ends with a carriage return\r",
    "D\u00e9ploiement \u2713 \U0001f680",
    "\\.",
    " padded ",
]


def _python_csv(user, query: str) -> bytes:
    """The register CSV as the csv module writes it, row by row: what the download must match byte for byte."""
    qs = exports.export_deployments(user=user, params=QueryDict(query))
    rows = exports.deployment_rows(qs)
    return "".join(exports.csv_chunks(DEPLOYMENT_HEADER, rows, text_columns=exports.DEPLOYMENT_TEXT)).encode()


@pytest.mark.parametrize(
    ("role", "query"),
    [
        ("manager", ""),
        ("manager", "ordering=-reference"),
        ("auditor", "q=DEP"),
        ("service_owner", "ordering=reference"),
    ],
)
def test_register_csv_is_byte_for_byte_what_the_csv_module_writes(rec, monkeypatch, role, query):
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's (elsewhere the download is the csv module's): runs in .ci/run")
    # given deployments with awkward titles and references, an empty change record, no manager, two versions of a
    # component whose name starts like a formula, and chunks of three rows (some with a line break inside a cell)
    w = rec
    monkeypatch.setattr(register_csv, "COPY_BATCH", 3)
    for d, text in zip(many_deployments(w, len(AWKWARD)), AWKWARD, strict=True):
        Deployment.objects.filter(pk=d.pk).update(title=text, release_ref=text[::-1], outcome=text, change_ref="")
    Deployment.objects.filter(pk=w.completed.pk).update(manager=None)
    w.completed.component_versions.add(w.version_2)
    ServiceComponent.objects.filter(pk=w.component.pk).update(name='=shop-web, "main"')
    # when the register is downloaded
    response = client_for(w.users[role]).get(f"/exports/deployments.csv?{query}")
    # then it is exactly what the csv module writes from the same rows
    assert response.status_code == 200
    body = _body(response)
    assert body == _python_csv(w.users[role], query)
    if w.completed.reference.encode() in body:  # one formula guard for the cell of both versions
        assert b'"\'=shop-web, ""main"" 1.0.0; =shop-web, ""main"" 1.1.0"' in body


def test_register_csv_of_nothing_is_its_header(rec):
    chunks = list(register_csv.deployment_csv(Deployment.objects.none()))
    assert b"".join(chunks) == (",".join(DEPLOYMENT_HEADER) + "\r\n").encode()


def test_a_register_download_cut_short_leaves_the_connection_usable(rec, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's (elsewhere the download is the csv module's): runs in .ci/run")
    # given a download in chunks of two rows
    w = rec
    many_deployments(w, 6)
    monkeypatch.setattr(register_csv, "COPY_BATCH", 2)
    chunks = register_csv.deployment_csv(exports.export_deployments(user=w.users["manager"], params={}))
    # when the client goes away after the header and two rows (on PostgreSQL: in the middle of the COPY)
    list(itertools.islice(chunks, 2))
    chunks.close()
    # then the database connection answers the next query
    assert Deployment.objects.count() == len(_csv(client_for(w.users["manager"]).get("/exports/deployments.csv")))


def test_register_xlsx_reads_back_like_the_csv(rec):
    # given the auditor
    w = rec
    # when they export Excel
    response = client_for(w.users["auditor"]).get("/exports/deployments.xlsx")
    # then the workbook has the header and every deployment
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == DEPLOYMENT_HEADER
    refs = sorted(row[0] for row in values[1:])
    assert refs == sorted(Deployment.objects.values_list("reference", flat=True))
    done = next(row for row in values[1:] if row[0] == w.completed.reference)
    assert done[DEPLOYMENT_HEADER.index("component_versions")] == "shop-web 1.0.0"
    assert done[DEPLOYMENT_HEADER.index("status")] == "completed"


def test_audit_trail_csv_holds_every_entry_with_its_hashes(rec):
    # given an auditor
    w = rec
    # when they export the audit trail
    rows = _csv(client_for(w.users["auditor"]).get("/exports/audit-trail.csv"))
    # then every entry is there in id order, with its chain and changes as JSON
    entries = list(AuditEntry.objects.order_by("id"))
    assert list(rows[0].keys()) == AUDIT_HEADER
    assert [int(r["id"]) for r in rows] == [e.pk for e in entries]
    for row, entry in zip(rows, entries, strict=True):
        assert row["hash"] == entry.hash
        assert row["prev_hash"] == entry.prev_hash
        assert json.loads(row["changes"]) == entry.changes


def test_audit_trail_csv_filters_by_period(rec):
    w = rec
    rows = _csv(client_for(w.users["auditor"]).get("/exports/audit-trail.csv?from=2000-01-01&to=2000-12-31"))
    assert rows == []


def test_audit_pack_zip_has_every_file_and_a_manifest_that_matches(rec):
    # given an auditor and a period that covers the world
    w = rec
    # when they download the audit pack
    response = client_for(w.users["auditor"]).get("/exports/audit-pack.zip?from=2000-01-01&to=2100-12-31")
    # then the ZIP holds the four CSVs, the chain's trust files and a signed SHA-256 manifest that matches each of them
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    names = set(archive.namelist())
    assert names == {
        "deployments.csv",
        "audit-trail.csv",
        "approvals.csv",
        "overrides.csv",
        "audit-findings.csv",
        "audit-finding-history.csv",
        "audit-chain.jsonl",
        "checkpoints.json",
        "audit-signing-key.pub.pem",
        "verify_pack.py",
        "MANIFEST.sha256",
        "MANIFEST.sha256.sig",
    }
    manifest = {}
    for line in archive.read("MANIFEST.sha256").decode().splitlines():
        digest, name = line.split("  ")
        manifest[name] = digest
    assert set(manifest) == names - {"MANIFEST.sha256", "MANIFEST.sha256.sig"}
    for name, digest in manifest.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    approvals = list(csv.DictReader(io.StringIO(archive.read("approvals.csv").decode())))
    assert [(a["deployment"], a["user"], a["decision"]) for a in approvals] == [
        (w.completed.reference, "manager", "approved")
    ]
    register = list(csv.DictReader(io.StringIO(archive.read("deployments.csv").decode())))
    assert {r["reference"] for r in register} == set(Deployment.objects.values_list("reference", flat=True))


def test_audit_pack_holds_the_findings_of_its_period_with_their_history(rec):
    # given the world's findings, one of them accepted by its owner, and one raised before the period
    from apps.audit.context import AuditContext
    from apps.reports.findings.services import finding_change_status
    from apps.reports.models import AuditFinding

    w = rec
    finding_change_status(
        ctx=AuditContext(actor=w.users["practitioner"]), finding=w.finding, status="accepted", reason="Taken on."
    )
    AuditFinding.objects.filter(pk=w.other_finding.pk).update(raised_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    # when the auditor exports the pack of a period from 2021 on
    response = client_for(w.users["auditor"]).get("/exports/audit-pack.zip?from=2021-01-01&to=2100-12-31")
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    findings = list(csv.DictReader(io.StringIO(archive.read("audit-findings.csv").decode())))
    history = list(csv.DictReader(io.StringIO(archive.read("audit-finding-history.csv").decode())))
    manifest = archive.read("MANIFEST.sha256").decode()
    # then the findings CSV holds the finding of the period with its fields, its history the two changes,
    # and the manifest lists both files with their digests
    assert [
        (f["reference"], f["subject_type"], f["subject_id"], f["severity"], f["status"], f["owner"], f["raised_by"])
        for f in findings
    ] == [
        (
            w.finding.reference,
            "deployment",
            str(w.completed.pk),
            "medium",
            "accepted",
            "practitioner",
            "auditor",
        )
    ]
    assert findings[0]["subject"] == str(w.completed)
    assert [(h["finding_id"], h["from_status"], h["to_status"], h["actor"], h["reason"]) for h in history] == [
        (str(w.finding.pk), "", "open", "auditor", "Raised."),
        (str(w.finding.pk), "open", "accepted", "practitioner", "Taken on."),
    ]
    for name in ("audit-findings.csv", "audit-finding-history.csv"):
        assert f"{hashlib.sha256(archive.read(name)).hexdigest()}  {name}" in manifest


def test_audit_pack_findings_of_an_exporting_owner_are_only_their_own(rec):
    # given a service owner, who owns w.other_finding only
    w = rec
    archive = zipfile.ZipFile(io.BytesIO(_body(client_for(w.users["service_owner"]).get("/exports/audit-pack.zip"))))
    findings = list(csv.DictReader(io.StringIO(archive.read("audit-findings.csv").decode())))
    # then the pack holds that one finding only
    assert [f["id"] for f in findings] == [str(w.other_finding.pk)]


def test_audit_pack_lists_overrides(rec):
    # given an approval that a manager overrode (a freeze on production)
    from apps.deployments.services import Context, deployment_transition
    from tests.factories.deployments import plan

    w = rec
    frozen = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=w.env_prod,
        versions=[w.version_1],
        start=w.freeze.start,
        title="Hotfix in the freeze",
    )
    deployment_transition(ctx=Context(actor=w.users["product_owner"]), deployment=frozen, transition="submit")
    frozen.refresh_from_db()
    deployment_transition(
        ctx=Context(actor=w.users["manager"]),
        deployment=frozen,
        transition="approve",
        override_reason="Security fix cannot wait",
    )
    # when the pack is exported
    response = client_for(w.users["auditor"]).get("/exports/audit-pack.zip")
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    overrides = list(csv.DictReader(io.StringIO(archive.read("overrides.csv").decode())))
    # then the override is there with its justification
    assert [(o["deployment"], o["actor"], o["justification"]) for o in overrides] == [
        (frozen.reference, "manager", "Security fix cannot wait")
    ]


@pytest.mark.parametrize("role", ["service_owner", "product_owner"])
def test_owner_exports_hold_nothing_of_other_services(rec, role):
    # given a service or product owner of w.service only
    w = rec
    client = client_for(w.users[role])
    # when they export the register (CSV and Excel), the audit trail and the pack
    csv_body = _body(client.get("/exports/deployments.csv")).decode()
    xlsx = load_workbook(io.BytesIO(_body(client.get("/exports/deployments.xlsx"))), read_only=True).active
    audit = _csv(client.get("/exports/audit-trail.csv"))
    pack = zipfile.ZipFile(io.BytesIO(_body(client.get("/exports/audit-pack.zip"))))
    # then nothing of the other service is in any of them
    assert w.other_deployment.reference not in csv_body
    assert w.completed.reference in csv_body
    assert w.other_deployment.reference not in {row[0] for row in xlsx.iter_rows(values_only=True)}
    assert audit, "their own services' entries are there"
    assert {r["service_id"] for r in audit} == {str(w.service.pk)}
    for name in pack.namelist():
        assert w.other_deployment.reference.encode() not in pack.read(name)


@pytest.mark.parametrize(
    "url",
    ["/exports/deployments.csv", "/exports/deployments.xlsx", "/exports/audit-trail.csv", "/exports/audit-pack.zip"],
)
@pytest.mark.parametrize(("role", "status"), [("practitioner", 403), ("norole", 403), ("auditor", 200)])
def test_exports_are_refused_to_practitioners_and_users_without_a_role(rec, url, role, status):
    assert client_for(rec.users[role]).get(url).status_code == status


def test_exports_send_anonymous_browsers_to_the_login_form(rec):
    from django.test import Client

    response = Client().get("/exports/deployments.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_exports_accept_an_api_token_and_refuse_a_bad_one(rec):
    # given an auditor's API token
    from django.test import Client

    w = rec
    key = token_for(w.users["auditor"])
    # when a script downloads with it, or with a wrong key
    ok = Client().get("/exports/deployments.csv", HTTP_AUTHORIZATION=f"Token {key}")
    bad = Client().get("/exports/deployments.csv", HTTP_AUTHORIZATION="Token not-a-key")
    # then the good token gets the CSV and the bad one a JSON 401
    assert ok.status_code == 200
    assert w.other_deployment.reference in _body(ok).decode()
    assert bad.status_code == 401
    assert bad.json()["code"] == "not_authenticated"


def test_a_practitioner_token_is_refused(rec):
    from django.test import Client

    key = token_for(rec.users["practitioner"])
    assert Client().get("/exports/deployments.csv", HTTP_AUTHORIZATION=f"Token {key}").status_code == 403


@pytest.mark.parametrize("query", ["environment=abc", "status=nonsense", "planned_from=yesterday", "service=999999"])
def test_bad_filters_give_a_json_400(rec, query):
    response = client_for(rec.users["manager"]).get(f"/exports/deployments.csv?{query}")
    assert response.status_code == 400
    assert "errors" in response.json()


@pytest.mark.parametrize("query", ["from=2024-13-01", "to=nope", "from=2025-02-01&to=2025-01-01"])
def test_bad_periods_give_a_json_400(rec, query):
    for url in ("/exports/audit-trail.csv", "/exports/audit-pack.zip"):
        assert client_for(rec.users["auditor"]).get(f"{url}?{query}").status_code == 400


def _queries_for_export(client) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        rows = _csv(client.get("/exports/deployments.csv"))
    return len(ctx.captured_queries), len(rows)


def test_csv_export_queries_do_not_grow_with_rows(rec):
    # given the export of few deployments, then of ten times more
    w = rec
    client = client_for(w.users["manager"])
    many_deployments(w, 2)
    few_queries, few_rows = _queries_for_export(client)
    many_deployments(w, 45)
    many_queries, many_rows = _queries_for_export(client)
    # then the number of queries is the same
    assert (few_rows, many_rows) == (5, 50)
    assert few_queries == many_queries
