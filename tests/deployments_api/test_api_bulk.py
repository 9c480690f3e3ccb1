"""Planning several deployments in one call: `POST /api/v1/deployments/bulk/` (all or none)."""

import pytest

from apps.audit.chain import audit_verify
from apps.audit.models import AuditEntry
from apps.deployment_models.models import ModelStatus
from apps.deployments.models import Deployment, DeploymentEvent, IdempotencyKey
from tests.deployments_api.conftest import window
from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/deployments/bulk/"


def _item(w, n: int, **extra) -> dict:
    return {
        "title": f"Shop bulk {n}",
        "service": w.service.pk,
        "environment": w.env_test.pk,
        "component_versions": [w.version_2.pk],
        **window(24 * 30 + n),
        **extra,
    }


def _bulk_titles() -> set[str]:
    return set(Deployment.objects.filter(title__startswith="Shop bulk").values_list("title", flat=True))


def test_bulk_plans_every_item_as_a_draft_in_order_with_history_events_and_audit(world, client_for):
    # given a pipeline's token
    client = client_for("product_owner", "release train")
    audit_before = AuditEntry.objects.count()
    # when it plans three deployments in one call
    response = client.post(URL, {"deployments": [_item(world, n) for n in range(3)]}, format="json")
    # then all three are drafts, answered in the order sent, each with its reference and relations
    assert response.status_code == 201, response.content
    body = response.json()["deployments"]
    assert [d["title"] for d in body] == ["Shop bulk 0", "Shop bulk 1", "Shop bulk 2"]
    for d in body:
        assert (d["status"], d["requester"], d["version"]) == ("draft", world.users["product_owner"].pk, 1)
        assert d["reference"] == f"DEP-{d['id']:06d}"
        assert d["component_versions"] == [world.version_2.pk]
    stored = Deployment.objects.in_bulk([d["id"] for d in body])
    assert {d.reference for d in stored.values()} == {d["reference"] for d in body}
    assert all(list(d.component_versions.values_list("pk", flat=True)) == [world.version_2.pk] for d in stored.values())
    # and each has its history record naming the reference, a "created" event on the API channel, audit entries
    for d in stored.values():
        (record,) = d.history.all()
        assert (record.history_type, record.reference, record.history_user) == (
            "+",
            d.reference,
            world.users["product_owner"],
        )
        event = DeploymentEvent.objects.get(deployment=d)
        assert (event.kind, event.channel, event.token_name) == ("created", "api", "release train")
    assert AuditEntry.objects.count() == audit_before + 6  # one history entry and one event entry each
    created = AuditEntry.objects.filter(object_type="deployments.deployment", action="created").order_by("-id")[:6]
    history_entries = [e for e in created if "reference" in e.changes]  # the others are the events' entries
    assert {e.changes["reference"] for e in history_entries} == {d["reference"] for d in body}
    assert audit_verify().ok


def test_a_refused_item_rolls_the_whole_call_back_and_its_errors_are_at_its_position(world, client_for):
    # given three items of which the second names a version of another service
    items = [_item(world, 0), _item(world, 1, component_versions=[world.other_version.pk]), _item(world, 2)]
    audit_before = AuditEntry.objects.count()
    # when they are sent
    response = client_for("manager").post(URL, {"deployments": items}, format="json")
    # then the call is a 400 naming item 1's field, and nothing at all was written
    assert response.status_code == 400, response.content
    body = response.json()
    assert "component_versions" in body["errors"]["deployments"]["1"]
    assert body["detail"].startswith("deployments: 1: component_versions:")
    assert _bulk_titles() == set()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"deployments": []}, "deployments"),
        ({"deployments": "all of them"}, "deployments"),
        ({}, "deployments"),
        ([], "non_field_errors"),
        ({"deployments": [{"title": "no service"}]}, "deployments"),
        ({"deployments": [None]}, "deployments"),
    ],
)
def test_malformed_bulk_bodies_are_400(world, client_for, body, where):
    response = client_for("manager").post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert where in response.json()["errors"]
    assert not Deployment.objects.filter(requester=world.users["manager"], title="no service").exists()


def test_more_than_a_hundred_items_are_400_and_nothing_is_planned(world, client_for):
    items = [_item(world, n) for n in range(101)]
    response = client_for("manager").post(URL, {"deployments": items}, format="json")
    assert response.status_code == 400
    assert "deployments" in response.json()["errors"]
    assert _bulk_titles() == set()


def test_a_hundred_items_are_planned_in_a_constant_number_of_queries(world, client_for, django_assert_max_num_queries):
    client = client_for("manager")
    client.post(URL, {"deployments": [_item(world, 0)]}, format="json")
    with django_assert_max_num_queries(30):
        response = client.post(URL, {"deployments": [_item(world, n) for n in range(1, 101)]}, format="json")
    assert response.status_code == 201
    assert len(response.json()["deployments"]) == 100


def test_an_auditor_may_not_plan_in_bulk(world, client_for):
    audit_before = AuditEntry.objects.count()
    response = client_for("auditor").post(URL, {"deployments": [_item(world, 0)]}, format="json")
    assert response.status_code == 403
    assert _bulk_titles() == set()
    assert AuditEntry.objects.count() == audit_before


def test_a_service_the_requester_may_not_request_for_is_403_for_the_whole_call(world, client_for):
    items = [_item(world, 0), _item(world, 1, service=world.other_service.pk, component_versions=[])]
    audit_before = AuditEntry.objects.count()
    response = client_for("product_owner").post(URL, {"deployments": items}, format="json")
    assert response.status_code == 403, response.content
    assert _bulk_titles() == set()
    assert AuditEntry.objects.count() == audit_before


def test_a_retried_bulk_call_with_the_same_idempotency_key_returns_the_same_deployments(world, client_for):
    client = client_for("practitioner")
    items = {"deployments": [_item(world, n) for n in range(2)]}
    first = client.post(URL, items, format="json", HTTP_IDEMPOTENCY_KEY="train-42")
    second = client.post(URL, items, format="json", HTTP_IDEMPOTENCY_KEY="train-42")
    assert (first.status_code, second.status_code) == (201, 200)
    assert [d["id"] for d in first.json()["deployments"]] == [d["id"] for d in second.json()["deployments"]]
    assert len(_bulk_titles()) == 2 and Deployment.objects.filter(title__startswith="Shop bulk").count() == 2
    assert IdempotencyKey.objects.filter(key__startswith="train-42#").count() == 2
    assert client.post(URL, items, format="json", HTTP_IDEMPOTENCY_KEY="k" * 197).status_code == 400
    assert Deployment.objects.filter(title__startswith="Shop bulk").count() == 2


def test_bulk_by_component_and_version_registers_each_build(world, client_for):
    item = _item(world, 0, component=world.component.pk, version="7.0.0", repository_ref="oci://shop-web:7.0.0")
    del item["component_versions"]
    response = client_for("manager").post(URL, {"deployments": [item, _item(world, 1)]}, format="json")
    assert response.status_code == 201, response.content
    version = world.component.versions.get(version="7.0.0")
    assert response.json()["deployments"][0]["component_versions"] == [version.pk]


def test_deployments_planned_in_bulk_are_risk_scored_by_the_worker_after_commit(
    world, client_for, django_capture_on_commit_callbacks
):
    # when a pipeline plans several deployments in one call
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("manager").post(URL, {"deployments": [_item(world, n) for n in range(3)]}, format="json")
    assert response.status_code == 201
    # then each has its score and factors, computed from the records as a single plan's would be
    ids = [d["id"] for d in response.json()["deployments"]]
    scored = Deployment.objects.filter(pk__in=ids, risk_scored_at__isnull=False)
    assert scored.count() == 3
    assert all(d.risk_factors and 0 <= d.risk_score <= 100 for d in scored)


def test_an_item_under_a_model_that_does_not_apply_is_400_naming_the_rule_and_nothing_is_planned(world, client_for):
    # given an active model that serves releases only, with a stage in the test environment
    model = DeploymentModelFactory(
        name="Release train", status=ModelStatus.ACTIVE, component_types=[], component_sources=[], triggers=["release"]
    )
    ModelStageFactory(model=model, environment=world.env_test)
    items = [
        _item(world, 0, model=model.pk, trigger="release"),
        _item(world, 1, model=model.pk, trigger="third_party"),
    ]
    # when a pipeline plans both in one call
    response = client_for("manager").post(URL, {"deployments": items}, format="json")
    # then the second item's refusal names the rule, and neither is planned
    assert response.status_code == 400, response.content
    rule = "Release train v1 does not apply to trigger third_party (it covers release)."
    assert response.json()["errors"]["deployments"]["1"]["model"] == [rule]
    assert _bulk_titles() == set()
