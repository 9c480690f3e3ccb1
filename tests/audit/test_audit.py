"""The audit page (filters, keyset paging, Verify chain), the verify_audit_trail command, and the audit API."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.chain import audit_append
from apps.audit.models import AuditEntry
from tests.factories.accounts import UserFactory
from tests.reports.helpers import client_for


def test_command_says_ok_with_the_count_when_the_chain_holds(world, capsys):
    # given the world's audit chain, untouched
    count = AuditEntry.objects.count()
    # when the command runs
    call_command("verify_audit_trail")
    # then it prints OK with the number of entries (exit 0)
    assert capsys.readouterr().out.strip() == f"OK: {count} entries verified"


def test_command_fails_naming_the_row_that_was_changed_in_the_database(world):
    # given an entry whose changes were edited behind the application's back
    victim = AuditEntry.objects.order_by("id")[5]
    AuditEntry.objects.filter(pk=victim.pk).update(changes={"forged": True})
    # when the command runs
    with pytest.raises(CommandError) as info:
        call_command("verify_audit_trail")
    # then it exits 1 naming that entry, its time and object
    assert info.value.returncode == 1
    message = str(info.value)
    assert f"entry #{victim.pk}" in message
    assert victim.at.isoformat() in message
    assert victim.object_type in message
    assert "does not match its hash" in message


def test_command_fails_when_an_entry_is_deleted(world):
    victim = AuditEntry.objects.order_by("id")[3]
    following = AuditEntry.objects.filter(id__gt=victim.pk).order_by("id").first()
    AuditEntry.objects.filter(pk=victim.pk).delete()
    with pytest.raises(CommandError) as info:
        call_command("verify_audit_trail")
    assert f"entry #{following.pk}" in str(info.value)
    assert "link to the previous entry" in str(info.value)


def test_verify_button_reports_ok_then_the_broken_entry(world):
    # given the auditor on the audit page
    client = client_for(world.users["auditor"])
    # when they verify an intact chain
    page = client.post("/audit/", follow=True)
    # then it says OK with the count
    assert f"OK: {AuditEntry.objects.count()} entries verified" in page.content.decode()
    # when an entry is forged and they verify again
    victim = AuditEntry.objects.order_by("id")[2]
    AuditEntry.objects.filter(pk=victim.pk).update(object_repr="forged")
    page = client.post("/audit/", follow=True)
    # then it names the first broken entry
    assert f"broken at entry #{victim.pk}" in page.content.decode()


def test_audit_page_filters_by_object(world):
    w = world
    url = f"/audit/?object_type=deployments.deployment&object_id={w.deployment.pk}"
    response = client_for(w.users["manager"]).get(url)
    entries = response.context["entries"]
    assert entries
    assert {(e.object_type, e.object_id) for e in entries} == {("deployments.deployment", str(w.deployment.pk))}
    assert [e.pk for e in entries] == sorted((e.pk for e in entries), reverse=True)


def test_audit_page_filters_by_actor_channel_and_dates(world):
    w = world
    client = client_for(w.users["manager"])
    by_actor = client.get("/audit/?actor=product_owner").context["entries"]
    assert by_actor and {e.actor_name for e in by_actor} == {"product_owner"}
    assert client.get("/audit/?channel=api").context["entries"] == []
    assert client.get("/audit/?from=2000-01-01&to=2000-01-02").context["entries"] == []
    assert client.get("/audit/?from=garbage").status_code == 400
    assert client.get("/audit/?channel=carrier-pigeon").status_code == 400


def test_audit_page_pages_by_id(world):
    # given more than a page of entries
    for i in range(60):
        audit_append(
            actor=None, channel="system", action="note", object_type="test.thing", object_id=i, object_repr="x"
        )
    client = client_for(world.users["auditor"])
    # when the first page and the next are read
    first = client.get("/audit/")
    older = first.context["older"]
    second = client.get(f"/audit/?before={older}")
    # then they are consecutive, newest first, without overlap
    ids_1 = [e.pk for e in first.context["entries"]]
    ids_2 = [e.pk for e in second.context["entries"]]
    assert len(ids_1) == 50
    assert ids_1[-1] == older
    assert ids_2[0] < older
    assert ids_1[0] == AuditEntry.objects.order_by("-id").first().pk


def test_audit_page_queries_are_bounded(world):
    client = client_for(world.users["auditor"])
    client.get("/audit/")
    with CaptureQueriesContext(connection) as few:
        client.get("/audit/")
    for i in range(60):
        audit_append(
            actor=None, channel="system", action="note", object_type="test.thing", object_id=i, object_repr="x"
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/audit/")
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(("role", "status"), [("practitioner", 403), ("service_owner", 403), ("norole", 403)])
def test_audit_page_is_for_managers_and_auditors(world, role, status):
    assert client_for(world.users[role]).get("/audit/").status_code == status
    assert client_for(world.users[role]).post("/audit/").status_code == status


def test_audit_api_scopes_service_owners_to_their_services(world, api_client):
    w = world
    api_client.force_authenticate(w.users["service_owner"])
    results = api_client.get("/api/v1/audit-entries/?page_size=500").json()["results"]
    assert results
    assert {r["service_id"] for r in results} == {w.service.pk}
    api_client.force_authenticate(w.users["auditor"])
    body = api_client.get(f"/api/v1/audit-entries/?object_type=deployments.deployment&object_id={w.deployment.pk}")
    assert body.status_code == 200
    assert {r["object_id"] for r in body.json()["results"]} == {str(w.deployment.pk)}
    assert api_client.get("/api/v1/audit-entries/?from=bad").status_code == 400


def test_audit_entries_are_read_only_in_the_admin(world):
    client = client_for(world.users["admin"])
    entry = AuditEntry.objects.first()
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_audit_page_shows_each_change_as_a_readable_line_with_the_json_one_click_away(world):
    # given an entry changing a title and a status, and one recording a created record
    changed = audit_append(
        actor=None,
        channel="system",
        action="changed",
        object_type="test.thing",
        object_id=1,
        object_repr="a thing",
        changes={"title": ["Old title", "New title"], "planned_end": [None, "2026-01-02 10:00"]},
    )
    created = audit_append(
        actor=None,
        channel="system",
        action="created",
        object_type="test.thing",
        object_id=2,
        object_repr="another",
        changes={"name": "Shop", "notes": ""},
    )
    # when the manager reads the audit page for these objects
    response = client_for(world.users["manager"]).get("/audit/?object_type=test.thing")
    html = response.content.decode()
    # then each change is a `field: old → new` line, a created value `field: value`, empty values left out
    lines = {e.pk: e.change_lines for e in response.context["entries"]}
    assert lines[changed.pk] == ["title: Old title → New title", "planned_end: — → 2026-01-02 10:00"]
    assert lines[created.pk] == ["name: Shop"]
    assert "<li>title: Old title → New title</li>" in html
    # and the JSON is behind a details element
    assert "<details" in html and "<summary>JSON</summary>" in html
    assert "{&quot;planned_end&quot;: [null, &quot;2026-01-02 10:00&quot;], &quot;title&quot;" in html


def test_the_audit_page_shows_statuses_by_their_labels(world):
    # given a deployment's transition in the chain, recorded with the status codes
    entry = audit_append(
        actor=None,
        channel="api",
        action="transition",
        object_type="deployments.deployment",
        object_id=world.deployment.pk,
        object_repr=world.deployment.reference,
        changes={"kind": "transition", "status": ["approved", "verifying_components"]},
    )
    # when the manager reads the audit page
    response = client_for(world.users["manager"]).get("/audit/?object_type=deployments.deployment")
    # then the status change reads by its labels, never its codes; other values as they are
    lines = {e.pk: e.change_lines for e in response.context["entries"]}
    assert lines[entry.pk] == ["kind: transition", "status: Approved → Verifying components"]


def test_deleting_a_user_in_the_admin_keeps_their_entries_and_the_chain(world, api_client):
    # given a user whose work the trail records
    leaver = UserFactory(username="leaver")
    entry = audit_append(
        actor=leaver, channel="web", action="note", object_type="test.thing", object_id=1, object_repr="their work"
    )
    # when an administrator deletes the user in the admin
    admin = client_for(world.users["admin"])
    response = admin.post(f"/admin/accounts/user/{leaver.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not type(leaver).objects.filter(pk=leaver.pk).exists()
    # then their entry still names them by the id and name it was hashed with, and the chain verifies
    kept = AuditEntry.objects.get(pk=entry.pk)
    assert (kept.actor_id, kept.actor_name) == (leaver.pk, "leaver")
    call_command("verify_audit_trail")
    # and the trail still shows it, on the page, in the API and in the admin
    assert "their work" in client_for(world.users["auditor"]).get("/audit/?object_type=test.thing").content.decode()
    api_client.force_authenticate(world.users["auditor"])
    listed = api_client.get("/api/v1/audit-entries/?object_type=test.thing").json()["results"]
    assert [(r["id"], r["actor"], r["actor_name"]) for r in listed] == [(entry.pk, leaver.pk, "leaver")]
    assert admin.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200
