"""Immutable versions: once an approved or finished deployment carries a version, its checksum and repository
reference are frozen on every channel (service, page, API, admin); a correction is a new version."""

import pytest
from django.core.exceptions import ValidationError

from apps.catalog.models import ComponentVersion
from apps.catalog.selectors import VERSION_FREEZING_STATUSES, component_version_frozen_by
from apps.catalog.services import component_version_update
from apps.deployments import workflow
from apps.deployments.workflow import Status
from tests.factories.catalog import ComponentVersionFactory, sha256_of
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db

FROZEN_MESSAGE = "is on {ref} ({status}): its checksum and repository reference are frozen"


def _stored(version) -> tuple[str, str, str]:
    row = ComponentVersion.objects.get(pk=version.pk)
    return row.checksum, row.repository_ref, row.notes


def test_the_catalog_freezes_on_the_same_statuses_as_the_workflow():
    assert set(VERSION_FREEZING_STATUSES) == set(workflow.VERSION_FREEZING)
    assert set(VERSION_FREEZING_STATUSES) == set(Status.values) - {
        Status.DRAFT,
        Status.PENDING_APPROVAL,
        Status.REJECTED,
        Status.CANCELLED,
    }


@pytest.mark.parametrize("status", VERSION_FREEZING_STATUSES)
@pytest.mark.parametrize(
    ("field", "value"), [("checksum", sha256_of("rebuilt")), ("repository_ref", "dml://software/other")]
)
def test_a_version_on_an_approved_or_finished_deployment_refuses_a_change(world, status, field, value):
    # given a version carried by a deployment in an approved or finished status
    version = ComponentVersionFactory(component=world.component, checksum=sha256_of("built"))
    deployment = DeploymentFactory(service=world.service, status=status, versions=[version])
    before = _stored(version)
    # when its owner changes the checksum or the reference
    with pytest.raises(ValidationError) as exc:
        component_version_update(component_version=version, actor=world.users["service_owner"], **{field: value})
    # then it is refused, naming the deployment, and nothing changed
    message = exc.value.message_dict[field][0]
    assert FROZEN_MESSAGE.format(ref=deployment.reference, status=status.replace("_", " ")) in message
    assert "Register the correction as a new version." in message
    assert _stored(version) == before


@pytest.mark.parametrize("status", [Status.DRAFT, Status.PENDING_APPROVAL, Status.REJECTED, Status.CANCELLED])
def test_a_version_only_on_unapproved_deployments_can_still_be_corrected(world, status):
    version = ComponentVersionFactory(component=world.component, checksum=sha256_of("built"))
    DeploymentFactory(service=world.service, status=status, versions=[version])
    component_version_update(
        component_version=version,
        checksum=sha256_of("fixed"),
        repository_ref="dml://fixed",
        actor=world.users["manager"],
    )
    assert _stored(version)[:2] == (sha256_of("fixed"), "dml://fixed")


def test_a_frozen_version_keeps_its_notes_and_unchanged_values_editable(world):
    # given the world's version 1.0.0, on an approved deployment
    assert component_version_frozen_by(component_version=world.version_1) == {
        "reference": world.deployment.reference,
        "status": "approved",
    }
    # when the same checksum (upper case) and reference are sent again with new notes
    component_version_update(
        component_version=world.version_1,
        checksum=world.version_1.checksum.upper(),
        repository_ref=world.version_1.repository_ref,
        notes="Built on the release runner",
        actor=world.users["manager"],
    )
    # then only the notes changed
    assert _stored(world.version_1) == (
        sha256_of("shop-web-1.0.0"),
        "dml://software/shop-web/1.0.0",
        "Built on the release runner",
    )


def test_the_approval_itself_freezes_the_version(world):
    # given the world's draft carrying version 1.1.0: not frozen
    assert component_version_frozen_by(component_version=world.version_2) is None
    from apps.deployments.services import Context, deployment_transition

    deployment_transition(ctx=Context(actor=world.users["product_owner"]), deployment=world.draft, transition="submit")
    deployment_transition(ctx=Context(actor=world.users["manager"]), deployment=world.draft, transition="approve")
    # then its checksum can no longer change
    with pytest.raises(ValidationError):
        component_version_update(
            component_version=world.version_2, checksum=sha256_of("x"), actor=world.users["manager"]
        )
    assert _stored(world.version_2)[0] == sha256_of("shop-web-1.1.0")


@pytest.mark.parametrize("method", ["patch", "put"])
def test_the_api_refuses_a_frozen_checksum_with_400_and_the_reason(api_client, world, method):
    # given a service owner of the world's service
    api_client.force_authenticate(world.users["service_owner"])
    before = _stored(world.version_1)
    body = {"component": world.component.pk, "version": "1.0.0", "repository_ref": "dml://moved"}
    # when they change the reference of the frozen version 1.0.0
    response = getattr(api_client, method)(f"/api/v1/component-versions/{world.version_1.pk}/", body, format="json")
    # then 400 JSON names the deployment and nothing changed
    assert response.status_code == 400
    body = response.json()
    message = body["errors"]["repository_ref"][0]
    assert body["detail"] == f"repository_ref: {message}"
    assert FROZEN_MESSAGE.format(ref=world.deployment.reference, status="approved") in message
    assert _stored(world.version_1) == before


def test_the_page_shows_frozen_fields_disabled_with_the_reason_and_keeps_them(client, world):
    # given the owner on the edit page of the frozen version 1.0.0
    client.force_login(world.users["service_owner"])
    url = f"/versions/{world.version_1.pk}/edit/"
    page = client.get(url).content.decode()
    # then the checksum and reference are shown disabled, saying which deployment froze them
    assert f"Frozen: {world.deployment.reference} (approved) carries this version." in page
    assert page.count("disabled") >= 2
    # when a crafted POST sends a new reference with new notes
    before = _stored(world.version_1)
    response = client.post(
        url,
        {"version": "1.0.0", "repository_ref": "dml://moved", "checksum": sha256_of("moved"), "notes": "Rebuilt"},
    )
    # then the notes are saved and the frozen values kept
    assert response.status_code == 302
    assert _stored(world.version_1) == (*before[:2], "Rebuilt")


def test_the_admin_shows_frozen_fields_read_only_and_ignores_posted_values(client, world):
    # given an administrator on the change page of the frozen version
    client.force_login(world.users["admin"])
    url = f"/admin/catalog/componentversion/{world.version_1.pk}/change/"
    page = client.get(url).content.decode()
    # then the checksum and reference are not inputs, and the page says which deployment froze them
    assert 'name="checksum"' not in page and 'name="repository_ref"' not in page
    assert f"{world.deployment.reference} (approved)" in page
    # when a crafted POST still sends new values
    before = _stored(world.version_1)
    response = client.post(
        url,
        {
            "component": world.component.pk,
            "version": "1.0.0",
            "repository_ref": "dml://moved",
            "checksum": sha256_of("moved"),
            "notes": "",
        },
    )
    # then the save keeps the frozen values
    assert response.status_code == 302
    assert _stored(world.version_1)[:2] == before[:2]


def test_the_admin_inline_refuses_a_frozen_checksum(client, world):
    # given the component's change page with its versions inline
    client.force_login(world.users["admin"])
    url = f"/admin/catalog/servicecomponent/{world.component.pk}/change/"
    versions = list(world.component.versions.order_by("-created_at", "-pk"))
    data = {
        "service": world.service.pk,
        "name": world.component.name,
        "type": world.component.type,
        "source": world.component.source,
        "description": world.component.description,
        "suppliers": [s.pk for s in world.component.suppliers.all()],
        "versions-TOTAL_FORMS": len(versions),
        "versions-INITIAL_FORMS": len(versions),
        "versions-MIN_NUM_FORMS": 0,
        "versions-MAX_NUM_FORMS": 1000,
    }
    for i, v in enumerate(versions):
        checksum = sha256_of("moved") if v.pk == world.version_1.pk else v.checksum
        data.update(
            {
                f"versions-{i}-id": v.pk,
                f"versions-{i}-component": world.component.pk,
                f"versions-{i}-version": v.version,
                f"versions-{i}-repository_ref": v.repository_ref,
                f"versions-{i}-checksum": checksum,
            }
        )
    before = _stored(world.version_1)
    # when the frozen version's checksum is changed inline
    response = client.post(url, data)
    # then the form comes back with the reason and nothing changed
    assert response.status_code == 200
    assert f"is on {world.deployment.reference} (approved)" in response.content.decode()
    assert _stored(world.version_1) == before
