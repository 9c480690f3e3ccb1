"""Change authorisation: the change reference's format (a setting), a stage that requires one before approval on
every channel, the readiness gate, and the reference in the register's search, the exports and the audit pack."""

import csv
import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from openpyxl import load_workbook

from apps.core.exceptions import ConflictError
from apps.deployment_models.models import ModelStage
from apps.deployments.models import Approval, Deployment, DeploymentEvent
from apps.deployments.readiness import deployment_readiness
from apps.deployments.services import Context, deployment_create, deployment_transition, deployment_update
from apps.deployments.workflow import Status
from tests.factories.deployments import DeploymentFactory, plan

pytestmark = pytest.mark.django_db

VALID, OTHER_VALID = "CHG0012345", "CHG7654321"


def _to_production(w, *, change_ref="", start=None):
    """A pending deployment of 1.1.0 to production (whose stage requires an authorised change), promoted from
    staging, clear of the world's freeze."""
    ModelStage.objects.filter(pk=w.stage_prod.pk).update(requires_change_ref=True)
    DeploymentFactory(service=w.service, environment=w.env_staging, status=Status.COMPLETED, versions=[w.version_2])
    d = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=w.env_prod,
        versions=[w.version_2],
        model=w.model,
        start=start or w.freeze.start - dt.timedelta(days=4),
        change_ref=change_ref,
    )
    deployment_transition(ctx=Context(actor=w.users["product_owner"]), deployment=d, transition="submit")
    d.refresh_from_db()
    return d


def _state(d) -> tuple:
    d.refresh_from_db()
    return d.status, d.version, d.change_ref, d.approvals.count(), d.events.count()


def _data(w, **extra) -> dict:
    start = w.freeze.start - dt.timedelta(days=6)
    return {
        "title": "Shop 1.1.0",
        "service": w.service,
        "environment": w.env_staging,
        "component_versions": [w.version_2],
        "planned_start": start,
        "planned_end": start + dt.timedelta(hours=2),
        **extra,
    }


# --- the format ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["CHG-12345", "chg0012345", "CHG00123456", "INC0012345", "CHG0012345 and more"])
def test_a_change_reference_in_the_wrong_format_is_refused_at_planning(world, bad):
    before = (Deployment.objects.count(), DeploymentEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        deployment_create(ctx=Context(actor=world.users["manager"]), data=_data(world, change_ref=bad))
    assert exc.value.message_dict["change_ref"] == [f"“{bad}” is not a change reference: it must match CHG\\d{{7}}."]
    assert (Deployment.objects.count(), DeploymentEvent.objects.count()) == before


def test_a_valid_reference_is_stored_stripped_and_an_empty_one_is_allowed(world):
    ctx = Context(actor=world.users["manager"])
    d = deployment_create(ctx=ctx, data=_data(world, change_ref=f"  {VALID} "))
    assert Deployment.objects.get(pk=d.pk).change_ref == VALID
    assert deployment_create(ctx=ctx, data=_data(world, change_ref="", title="No change")).change_ref == ""


def test_the_pattern_is_a_setting(world, settings):
    settings.DEPLOYDESK_CHANGE_REF_PATTERN = r"RFC-\d+"
    ctx = Context(actor=world.users["manager"])
    assert deployment_create(ctx=ctx, data=_data(world, change_ref="RFC-42")).change_ref == "RFC-42"
    with pytest.raises(ValidationError):
        deployment_create(ctx=ctx, data=_data(world, change_ref=VALID, title="Other"))


def test_an_edit_to_a_bad_reference_is_refused_and_nothing_changes(world):
    d = world.draft
    before = _state(d)
    with pytest.raises(ValidationError) as exc:
        deployment_update(
            ctx=Context(actor=world.users["product_owner"]),
            deployment=d,
            data={"change_ref": "CHANGE 1"},
            expected_version=d.version,
        )
    assert "must match CHG\\d{7}" in exc.value.message_dict["change_ref"][0]
    assert _state(d) == before


def test_a_reference_recorded_before_the_format_was_set_does_not_block_other_edits(world):
    # given a draft whose reference predates the format
    Deployment.objects.filter(pk=world.draft.pk).update(change_ref="CHG-42")
    world.draft.refresh_from_db()
    # when its title is edited and the form sends the old reference back unchanged
    d = deployment_update(
        ctx=Context(actor=world.users["product_owner"]),
        deployment=world.draft,
        data={"title": "Shop 1.1.0 to staging, again", "change_ref": "CHG-42"},
        expected_version=world.draft.version,
    )
    # then the edit is saved and the reference kept (approval still checks it where the stage asks)
    assert (d.title, Deployment.objects.get(pk=d.pk).change_ref) == ("Shop 1.1.0 to staging, again", "CHG-42")


# --- approval --------------------------------------------------------------------------------------------------


def test_approval_without_a_change_reference_is_refused_naming_the_stage(world):
    # given a pending production deployment with no change reference, its stage requiring one
    d = _to_production(world)
    before = _state(d)
    # when the service owner signs off
    with pytest.raises(ConflictError) as exc:
        deployment_transition(ctx=Context(actor=world.users["service_owner"]), deployment=d, transition="approve")
    # then it is refused with a message naming the stage, and nothing changed
    assert exc.value.code == "change_ref_required"
    assert exc.value.message == (
        f"{d.reference}: Stage 3 ({world.env_prod}) of {world.model} requires an authorised change: record its "
        "change reference (CHG\\d{7}) before approval."
    )
    assert _state(d) == before


def test_a_reference_that_no_longer_matches_the_pattern_is_refused_at_approval(world, settings):
    d = _to_production(world, change_ref=VALID)
    settings.DEPLOYDESK_CHANGE_REF_PATTERN = r"RFC-\d+"
    before = _state(d)
    with pytest.raises(ConflictError) as exc:
        deployment_transition(ctx=Context(actor=world.users["manager"]), deployment=d, transition="approve")
    assert f"“{VALID}” is not a change reference: it must match RFC-\\d+." in exc.value.message
    assert _state(d) == before


def test_with_an_authorised_change_the_approvals_go_through_and_the_event_records_it(world):
    d = _to_production(world, change_ref=VALID)
    for role in ("service_owner", "manager"):
        deployment_transition(ctx=Context(actor=world.users[role]), deployment=d, transition="approve")
    d.refresh_from_db()
    assert d.status == Status.APPROVED
    assert Approval.objects.filter(deployment=d).count() == 2
    assert d.events.filter(to_status=Status.APPROVED).get().data["change_ref"] == VALID


def test_a_pre_approved_stage_that_requires_a_change_refuses_the_submit_without_one(world):
    # given the world's pre-approved test stage, now requiring an authorised change
    ModelStage.objects.filter(pk=world.stage_test.pk).update(requires_change_ref=True)
    d = plan(
        requester=world.users["product_owner"],
        service=world.service,
        environment=world.env_test,
        versions=[world.version_2],
        model=world.model,
    )
    before = _state(d)
    # when it is submitted (which would approve it at once)
    with pytest.raises(ConflictError) as exc:
        deployment_transition(ctx=Context(actor=world.users["product_owner"]), deployment=d, transition="submit")
    # then it is refused and stays a draft
    assert "Stage 1" in exc.value.message and "requires an authorised change" in exc.value.message
    assert _state(d) == before
    # and with a reference it is approved on submit
    deployment_update(
        ctx=Context(actor=world.users["product_owner"]), deployment=d, data={"change_ref": VALID}, expected_version=None
    )
    deployment_transition(ctx=Context(actor=world.users["product_owner"]), deployment=d, transition="submit")
    d.refresh_from_db()
    assert d.status == Status.APPROVED


def test_the_readiness_panel_shows_the_change_gate(world):
    d = _to_production(world)
    manager = world.users["manager"]

    def gate():
        found = {i.code: i for i in deployment_readiness(deployment=d, user=manager)}
        return found["change_ref"].ok, found["change_ref"].gate, found["change_ref"].detail

    assert gate() == (
        False,
        "Change authorisation",
        f"Stage 3 ({world.env_prod}) of {world.model} requires an authorised change: record its change reference "
        "(CHG\\d{7}) before approval.",
    )
    Deployment.objects.filter(pk=d.pk).update(change_ref=VALID)
    d.refresh_from_db()
    assert gate() == (True, "Change authorisation", f"Authorised by change {VALID}, as stage 3 requires.")


def test_the_readiness_panel_leaves_the_gate_out_where_nothing_asks_for_it(world):
    codes = {i.code for i in deployment_readiness(deployment=world.draft, user=world.users["manager"])}
    assert "change_ref" not in codes


# --- the API ---------------------------------------------------------------------------------------------------


def test_the_api_refuses_a_bad_reference_with_400_and_an_unauthorised_approval_with_409(api_client, world):
    api_client.force_authenticate(world.users["manager"])
    start = world.freeze.start - dt.timedelta(days=6)
    count = Deployment.objects.count()
    response = api_client.post(
        "/api/v1/deployments/",
        {
            "title": "Shop",
            "service": world.service.pk,
            "environment": world.env_staging.pk,
            "component_versions": [world.version_2.pk],
            "planned_start": start.isoformat(),
            "planned_end": (start + dt.timedelta(hours=2)).isoformat(),
            "change_ref": "CHG-1",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["change_ref"] == ["“CHG-1” is not a change reference: it must match CHG\\d{7}."]
    assert Deployment.objects.count() == count
    # a pending production deployment with no reference
    d = _to_production(world)
    before = _state(d)
    response = api_client.post(f"/api/v1/deployments/{d.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "change_ref_required"
    assert "requires an authorised change" in response.json()["detail"]
    assert _state(d) == before


# --- the register, the exports and the audit pack ------------------------------------------------------------


def test_the_register_finds_deployments_by_their_change_reference(world):
    d = deployment_create(ctx=Context(actor=world.users["manager"]), data=_data(world, change_ref=OTHER_VALID))
    client = Client()
    client.force_login(world.users["auditor"])
    for query in (f"q={OTHER_VALID}", f"change_ref={OTHER_VALID}"):
        page = client.get(f"/deployments/?{query}")
        assert [x.pk for x in page.context["deployments"]] == [d.pk], query
        api = client.get(f"/api/v1/deployments/?{query}").json()
        assert [x["id"] for x in api["results"]] == [d.pk], query
        assert api["results"][0]["change_ref"] == OTHER_VALID


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_exports_and_the_audit_pack_carry_the_change_reference(world):
    d = deployment_create(ctx=Context(actor=world.users["manager"]), data=_data(world, change_ref=OTHER_VALID))
    client = Client()
    client.force_login(world.users["auditor"])
    rows = list(csv.DictReader(io.StringIO(_body(client.get("/exports/deployments.csv")).decode())))
    assert {r["reference"]: r["change_ref"] for r in rows}[d.reference] == OTHER_VALID
    sheet = load_workbook(io.BytesIO(_body(client.get("/exports/deployments.xlsx"))), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    column = list(values[0]).index("change_ref")
    assert {row[0]: row[column] for row in values[1:]}[d.reference] == OTHER_VALID
    pack = zipfile.ZipFile(io.BytesIO(_body(client.get("/exports/audit-pack.zip?from=2000-01-01&to=2100-12-31"))))
    register = list(csv.DictReader(io.StringIO(pack.read("deployments.csv").decode())))
    assert {r["reference"]: r["change_ref"] for r in register}[d.reference] == OTHER_VALID


def test_the_deployment_page_shows_the_reference_or_that_the_stage_needs_one(world):
    d = _to_production(world)
    client = Client()
    client.force_login(world.users["manager"])
    assert "none yet — the stage requires an authorised change" in client.get(f"/deployments/{d.pk}/").content.decode()
    Deployment.objects.filter(pk=d.pk).update(change_ref=VALID)
    assert f'<span data-testid="change-ref">{VALID}</span>' in client.get(f"/deployments/{d.pk}/").content.decode()
