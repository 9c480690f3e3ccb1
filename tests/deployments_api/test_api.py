"""The deployments resource: list, read, create, edit and the transition actions (DESIGN.md §5)."""

import datetime as dt

import pytest
from django.db import connection

from apps.deployments import workflow
from apps.deployments.models import Deployment, DeploymentEvent
from tests.deployments_api.conftest import window
from tests.factories.catalog import ComponentVersionFactory, sha256_of
from tests.factories.deployments import DeploymentFactory, plan, soon

pytestmark = pytest.mark.django_db

BASE = "/api/v1/deployments/"
CONTRACT_FIELDS = {
    "id",
    "reference",
    "title",
    "action",
    "trigger",
    "model",
    "service",
    "component_versions",
    "environment",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "status",
    "requester",
    "practitioners",
    "version",
}


def _new(w, **extra) -> dict:
    return {
        "title": "Shop 1.1.0 to test",
        "service": w.service.pk,
        "environment": w.env_test.pk,
        "component_versions": [w.version_2.pk],
        **window(24 * 30),
        **extra,
    }


# --- list --------------------------------------------------------------------------------------------------------


def test_list_has_the_contract_fields_and_only_what_the_user_may_see(world, client_for):
    # given the world's deployments (one of them of a service the product owner does not hold)
    # when the product owner and the manager list them
    mine = client_for("product_owner").get(BASE)
    everything = client_for("manager").get(BASE)
    # then each sees exactly their scope, newest first, with the contract's fields
    assert mine.status_code == 200
    assert [d["id"] for d in mine.json()["results"]] == [world.deployment.pk, world.draft.pk]
    assert [d["id"] for d in everything.json()["results"]] == [
        world.other_deployment.pk,
        world.deployment.pk,
        world.draft.pk,
    ]
    row = everything.json()["results"][1]
    assert set(row) >= CONTRACT_FIELDS
    assert row["component_versions"] == [world.version_1.pk]
    assert row["practitioners"] == [world.users["practitioner"].pk]
    assert row["requester"] == world.users["product_owner"].pk
    assert row["status"] == "approved"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=approved", ["deployment"]),
        ("status=draft&status=approved", ["deployment", "draft", "other_deployment"]),
        ("environment={env_staging}", ["draft"]),
        ("service={other_service}", ["other_deployment"]),
        ("q=payroll", ["other_deployment"]),
        ("practitioner={practitioner}", ["deployment"]),
    ],
)
def test_list_filters_like_the_register(world, client_for, query, expected):
    # given the world
    query = query.format(
        env_staging=world.env_staging.pk,
        other_service=world.other_service.pk,
        practitioner=world.users["practitioner"].pk,
    )
    # when the manager filters the list
    response = client_for("manager").get(f"{BASE}?{query}")
    # then only the matching deployments come back
    assert response.status_code == 200
    assert sorted(d["id"] for d in response.json()["results"]) == sorted(getattr(world, n).pk for n in expected)


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense",
        "environment=abc",
        "planned_from=yesterday",
        "service=99999999999999999999999",
        "q=a%00b",
        "external_id=%00",
        "cursor=not-a-cursor",
    ],
)
def test_bad_filters_are_400(world, client_for, query):
    response = client_for("manager").get(f"{BASE}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_cursor_pages_walk_every_row_once_in_a_constant_number_of_queries(
    world, client_for, django_assert_max_num_queries
):
    # given 25 more deployments
    for _ in range(25):
        DeploymentFactory(
            service=world.service, environment=world.env_test, practitioners=[world.users["practitioner"]]
        )
    client = client_for("auditor")
    seen, url = [], f"{BASE}?page_size=10"
    # when the auditor follows `next` to the end
    while url:
        with django_assert_max_num_queries(8):
            response = client.get(url)
        assert response.status_code == 200
        seen += [d["id"] for d in response.json()["results"]]
        url = response.json()["next"]
    # then every deployment came once, newest first
    assert seen == sorted(Deployment.objects.values_list("pk", flat=True), reverse=True)


def test_list_query_count_does_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    client = client_for("service_owner")
    with django_assert_max_num_queries(7):
        assert client.get(BASE).status_code == 200
    for _ in range(30):
        DeploymentFactory(
            service=world.service, environment=world.env_test, practitioners=[world.users["practitioner"]]
        )
    with django_assert_max_num_queries(7):
        response = client.get(BASE)
    assert len(response.json()["results"]) == 32


# --- read --------------------------------------------------------------------------------------------------------


def test_a_deployment_outside_the_users_scope_is_404(world, client_for):
    response = client_for("product_owner").get(f"{BASE}{world.other_deployment.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("pk", ["abc", "0", "-1", "99999999999999999999999999"])
def test_odd_ids_are_404(world, client_for, pk):
    client = client_for("manager")
    assert client.get(f"{BASE}{pk}/").status_code == 404
    assert client.get(f"{BASE}{pk}/events/").status_code == 404
    assert client.patch(f"{BASE}{world.deployment.pk}/checks/{pk}/", {"result": "pass"}).status_code == 404


def test_anonymous_gets_401_json(world):
    from rest_framework.test import APIClient

    response = APIClient().get(BASE)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


# --- create ------------------------------------------------------------------------------------------------------


def test_create_plans_a_draft_recorded_on_the_api_channel_with_the_token_name(world, client_for):
    # given the product owner's token named "release script"
    client = client_for("product_owner", "release script")
    # when they POST a deployment
    response = client.post(BASE, _new(world, external_id="run-7"), format="json")
    # then it is a draft they requested, and the timeline says API + token name
    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == f"{BASE}{body['id']}/"
    assert (body["status"], body["requester"], body["version"]) == ("draft", world.users["product_owner"].pk, 1)
    assert body["reference"] == f"DEP-{body['id']:06d}"
    assert body["external_id"] == "run-7"
    event = DeploymentEvent.objects.get(deployment_id=body["id"])
    assert (event.kind, event.channel, event.token_name) == ("created", "api", "release script")


def test_one_post_plans_a_deployment_in_a_fixed_number_of_queries(world, client_for, django_assert_num_queries):
    # given a deployment manager's token, as a pipeline's (the benchmark's writes)
    client = client_for("manager")
    client.post(BASE, _new(world, title="warm-up"), format="json")
    # then on SQLite a POST is 13 statements: the token with its user's permissions; the service, versions and
    # environment in one; a savepoint (the test's transaction holds the service's); the risk's counts (one query; no
    # freeze window is near); the row, its reference written after, its history, versions link and event; the
    # calendar's day counts; the audit chain's head and entry; the savepoint's release. On PostgreSQL, 6 round trips
    # (each one execute, as Django counts): the token with the permissions; the ids; the savepoint; the risk's counts
    # with the id taken from the sequence; the row, its history, versions link, event and day counts with the audit
    # chain's lock and entries (hashed by the database from the head it reads under the lock); the release
    with django_assert_num_queries(6 if connection.vendor == "postgresql" else 13):
        response = client.post(BASE, _new(world), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": 999999}, "service"),
        ({"environment": "staging"}, "environment"),
        ({"component_versions": [999999]}, "component_versions"),
        ({"component_versions": "1"}, "component_versions"),
        ({"practitioners": [10**30]}, "practitioners"),
        ({"model": True}, "model"),
        ({"action": "explode"}, "action"),
        ({"trigger": ""}, "trigger"),
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"planned_start": "next tuesday"}, "planned_start"),
        ({"planned_start": "2031-01-01T10:00:00Z", "planned_end": "2031-01-01T09:00:00Z"}, "planned_end"),
        ({"requirements": "y" * 20_001}, "requirements"),
        ({"is_rollback": "perhaps"}, "is_rollback"),
        ({"title": "nul\x00byte"}, "title"),
        ({"repository_ref": "dml://x"}, "repository_ref"),
    ],
)
def test_bad_input_on_create_is_a_400_naming_the_field(world, client_for, change, field):
    response = client_for("manager").post(BASE, _new(world, **change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Deployment.objects.filter(title="Shop 1.1.0 to test").exists()


def test_a_version_of_another_service_is_refused_by_the_service_with_400(world, client_for):
    response = client_for("manager").post(BASE, _new(world, component_versions=[world.other_version.pk]), format="json")
    assert response.status_code == 400
    assert "component_versions" in response.json()["errors"]


def test_an_auditor_may_not_create(world, client_for):
    response = client_for("auditor").post(BASE, _new(world), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_retried_post_with_the_same_idempotency_key_returns_the_same_deployment(world, client_for):
    # given a client that sends an Idempotency-Key
    client = client_for("practitioner")
    # when it POSTs twice with the same key (the second time e.g. after a timeout)
    first = client.post(BASE, _new(world), format="json", HTTP_IDEMPOTENCY_KEY="run-1234")
    second = client.post(BASE, _new(world), format="json", HTTP_IDEMPOTENCY_KEY="run-1234")
    third = client.post(BASE, _new(world), format="json", HTTP_IDEMPOTENCY_KEY="run-1235")
    # then the first creates (201), the retry answers 200 with the same deployment, a new key creates again
    assert (first.status_code, second.status_code, third.status_code) == (201, 200, 201)
    assert first.json()["id"] == second.json()["id"] != third.json()["id"]
    assert Deployment.objects.filter(title="Shop 1.1.0 to test").count() == 2


def test_an_overlong_idempotency_key_is_400(world, client_for):
    response = client_for("manager").post(BASE, _new(world), format="json", HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 400


def test_create_by_component_and_version_registers_the_build(world, client_for):
    # given a manager's pipeline and a build the catalog does not know yet
    checksum = sha256_of("shop-web-2.0.0")
    payload = _new(world, component=world.component.pk, version="2.0.0", repository_ref="oci://shop-web:2.0.0")
    payload.update(checksum=checksum.upper())
    del payload["component_versions"]
    # when it POSTs the deployment naming the build
    response = client_for("manager").post(BASE, payload, format="json")
    # then the version is registered and is the deployment's one version
    assert response.status_code == 201, response.content
    version = world.component.versions.get(version="2.0.0")
    assert (version.checksum, version.repository_ref) == (checksum, "oci://shop-web:2.0.0")
    assert response.json()["component_versions"] == [version.pk]
    assert response.json()["version"] == 1  # the locking version, not the component's


def test_a_practitioner_pipeline_may_name_a_registered_build_but_not_register_one(world, client_for):
    client = client_for("practitioner")
    known = _new(world, component=world.component.pk, version="1.1.0", checksum=sha256_of("shop-web-1.1.0"))
    unknown = _new(world, component=world.component.pk, version="9.9.9", repository_ref="oci://x", checksum="")
    wrong_checksum = _new(world, component=world.component.pk, version="1.1.0", checksum=sha256_of("other"))
    other_service = _new(world, component=world.other_component.pk, version="3.2.0")
    assert client.post(BASE, known, format="json").json()["component_versions"] == [world.version_2.pk]
    assert client.post(BASE, unknown, format="json").status_code == 403
    assert client.post(BASE, wrong_checksum, format="json").status_code in (400, 403)
    response = client.post(BASE, other_service, format="json")
    assert response.status_code == 400
    assert "component" in response.json()["errors"]


def test_a_wrong_checksum_for_a_registered_version_is_400_for_a_manager(world, client_for):
    payload = _new(world, component=world.component.pk, version="1.1.0", checksum=sha256_of("tampered"))
    response = client_for("manager").post(BASE, payload, format="json")
    assert response.status_code == 400
    assert "checksum" in response.json()["errors"]
    assert not Deployment.objects.filter(title="Shop 1.1.0 to test").exists()


# --- edit ----------------------------------------------------------------------------------------------------------


def test_patch_needs_the_version_and_refuses_a_stale_one(world, client_for):
    client = client_for("product_owner")
    url = f"{BASE}{world.draft.pk}/"
    # when the requester edits without a version, with the right one, then with the old one again
    missing = client.patch(url, {"title": "Renamed"}, format="json")
    ok = client.patch(url, {"title": "Renamed", "version": 1}, format="json")
    stale = client.patch(url, {"title": "Renamed again", "version": 1}, format="json")
    # then 400, 200 (version 2), 409, and the first edit is kept
    assert missing.status_code == 400
    assert "version" in missing.json()["errors"]
    assert (ok.status_code, ok.json()["version"], ok.json()["title"]) == (200, 2, "Renamed")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    world.draft.refresh_from_db()
    assert world.draft.title == "Renamed"


def test_changing_the_window_of_an_approved_deployment_sends_it_back_for_approval(world, client_for):
    client = client_for("manager")
    start = soon(15)
    payload = {
        "planned_start": start.isoformat(),
        "planned_end": (start + dt.timedelta(hours=1)).isoformat(),
        "version": world.deployment.version,
    }
    response = client.patch(f"{BASE}{world.deployment.pk}/", payload, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "pending_approval"


def test_only_a_manager_assigns_practitioners_on_edit(world, client_for):
    payload = {"practitioners": [world.users["practitioner"].pk], "version": 1}
    response = client_for("product_owner").patch(f"{BASE}{world.draft.pk}/", payload, format="json")
    assert response.status_code == 403


def test_put_replaces_and_needs_the_required_fields(world, client_for):
    client = client_for("manager")
    url = f"{BASE}{world.draft.pk}/"
    assert client.put(url, {"title": "Only a title", "version": 1}, format="json").status_code == 400
    response = client.put(url, {**_new(world), "environment": world.env_staging.pk, "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "Shop 1.1.0 to test"


def test_delete_is_not_allowed(world, client_for):
    response = client_for("manager").delete(f"{BASE}{world.draft.pk}/")
    assert response.status_code == 405
    assert Deployment.objects.filter(pk=world.draft.pk).exists()


# --- transitions ----------------------------------------------------------------------------------------------------


def test_every_transition_has_its_action_url(world, client_for):
    client = client_for("auditor")
    for spec in workflow.people_transitions():
        response = client.post(f"{BASE}{world.deployment.pk}/{spec.name}/", {}, format="json")
        assert response.status_code == 403, spec.name  # routed (not 404/405), refused to an auditor


def test_the_system_transition_has_no_action_url(world, client_for):
    # given a deployment manager and an approved deployment
    client = client_for("manager")
    # when they post the system's replan transition
    response = client.post(f"{BASE}{world.deployment.pk}/replan/", {}, format="json")
    # then there is no such action, and the deployment stays approved
    assert response.status_code == 404
    world.deployment.refresh_from_db()
    assert world.deployment.status == workflow.Status.APPROVED


def test_submit_and_approve_through_the_api(world, client_for):
    # given the product owner's draft
    url = f"{BASE}{world.draft.pk}/"
    # when they submit it, and the manager approves it
    submitted = client_for("product_owner").post(f"{url}submit/", {"comment": "Ready"}, format="json")
    approved = client_for("manager").post(f"{url}approve/", {"version": submitted.json()["version"]}, format="json")
    # then it is approved, and each step is on the timeline on the API channel
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "pending_approval"
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    events = list(world.draft.events.filter(kind="transition").values_list("to_status", "channel"))
    assert events == [("pending_approval", "api"), ("approved", "api")]


def test_segregation_of_duties_is_403(world, client_for):
    # given a draft the manager requested and submitted
    client = client_for("manager")
    url = f"{BASE}{world.other_deployment.pk}/"
    assert client.post(f"{url}submit/", {}, format="json").status_code == 200
    # when the same manager approves it
    response = client.post(f"{url}approve/", {}, format="json")
    # then it is refused and stays pending
    assert response.status_code == 403
    assert "Segregation of duties" in response.json()["detail"]
    world.other_deployment.refresh_from_db()
    assert world.other_deployment.status == "pending_approval"


@pytest.mark.parametrize(
    ("name", "body", "code"),
    [
        ("complete", {}, "invalid_transition"),
        ("start", {"version": 1}, "stale_version"),
        ("confirm-components", {}, "invalid_transition"),
    ],
)
def test_refused_transitions_are_409_with_a_code(world, client_for, name, body, code):
    response = client_for("manager").post(f"{BASE}{world.deployment.pk}/{name}/", body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == code


def test_a_gate_with_unpassed_checks_is_409_listing_them(world, client_for):
    client = client_for("practitioner")
    url = f"{BASE}{world.deployment.pk}/"
    assert client.post(f"{url}start/", {}, format="json").status_code == 200
    response = client.post(f"{url}confirm-components/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "checks_not_passed"
    assert response.json()["conflicts"]


def test_a_freeze_is_409_unless_a_manager_overrides(world, client_for):
    # given an approved production deployment whose start falls in the world's freeze, started now
    from django.utils import timezone

    from tests.factories.environments import FreezeWindowFactory

    FreezeWindowFactory(environment=world.env_test, start=timezone.now() - dt.timedelta(hours=1))
    client = client_for("manager")
    url = f"{BASE}{world.deployment.pk}/start/"
    # when the manager starts it without, then with, a justification
    refused = client.post(url, {}, format="json")
    overridden = client.post(url, {"override_reason": "Security fix, CAB approved."}, format="json")
    # then 409 (freeze), then 200 with the override counted
    assert refused.status_code == 409
    assert refused.json()["code"] == "freeze"
    assert overridden.status_code == 200
    assert overridden.json()["override_count"] == 1


def test_a_practitioner_may_not_override(world, client_for):
    from django.utils import timezone

    from tests.factories.environments import FreezeWindowFactory

    FreezeWindowFactory(environment=world.env_test, start=timezone.now() - dt.timedelta(hours=1))
    response = client_for("practitioner").post(
        f"{BASE}{world.deployment.pk}/start/", {"override_reason": "Because."}, format="json"
    )
    assert response.status_code == 403


def test_a_comment_is_needed_to_fail(world, client_for):
    client = client_for("practitioner")
    url = f"{BASE}{world.deployment.pk}/"
    client.post(f"{url}start/", {}, format="json")
    response = client.post(f"{url}fail/", {}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()["errors"]


# --- records -------------------------------------------------------------------------------------------------------


def test_events_are_the_timeline_with_channel_and_token_name(world, client_for):
    client = client_for("practitioner", "deploy bot")
    client.post(f"{BASE}{world.deployment.pk}/start/", {"comment": "Go"}, format="json")
    response = client_for("auditor").get(f"{BASE}{world.deployment.pk}/events/")
    assert response.status_code == 200
    events = response.json()["results"]
    assert [e["kind"] for e in events] == ["created", "edited", "transition", "transition", "transition"]
    last = events[-1]
    assert {k: last[k] for k in ("channel", "token_name", "from_status", "to_status", "comment")} == {
        "channel": "api",
        "token_name": "deploy bot",
        "from_status": "approved",
        "to_status": "verifying_components",
        "comment": "Go",
    }
    assert last["actor"] == world.users["practitioner"].pk


def test_checks_list_and_record_with_checksum(world, client_for):
    client = client_for("practitioner")
    url = f"{BASE}{world.deployment.pk}/checks/"
    checks = client.get(url).json()["results"]
    component = next(c for c in checks if c["kind"] == "component")
    assert component["component_version"] == world.version_1.pk
    assert component["result"] == "pending"
    # when the practitioner passes it with a checksum that differs from the catalog's
    response = client.patch(
        f"{url}{component['id']}/", {"result": "pass", "observed_checksum": sha256_of("tampered")}, format="json"
    )
    # then it is recorded as failed, with the mismatch in the evidence
    assert response.status_code == 200
    assert response.json()["result"] == "fail"
    assert "Checksum mismatch" in response.json()["evidence"]
    assert response.json()["recorded_by"] == world.users["practitioner"].pk


@pytest.mark.parametrize(
    "body",
    [
        {"result": "pending"},
        {"result": "maybe"},
        {},
        {"result": "pass", "observed_checksum": "xyz"},
        {"result": "pass"},  # the version has a checksum: give the observed one
        {"result": "pass", "evidence": ["a"]},
    ],
)
def test_bad_check_records_are_400(world, client_for, body):
    check = world.deployment.checks.get(kind="component")
    response = client_for("practitioner").patch(f"{BASE}{world.deployment.pk}/checks/{check.pk}/", body, format="json")
    assert response.status_code == 400
    check.refresh_from_db()
    assert check.result == "pending"


def test_a_check_of_another_deployment_is_404(world, client_for):
    check = world.deployment.checks.first()
    response = client_for("manager").patch(
        f"{BASE}{world.draft.pk}/checks/{check.pk}/", {"result": "n_a"}, format="json"
    )
    assert response.status_code == 404


def test_feedback_on_a_completed_deployment(world, client_for):
    # given a completed deployment requested by the product owner
    from tests.factories.deployments import advance

    advance(world.deployment, to="completed", manager=world.users["manager"])
    url = f"{BASE}{world.deployment.pk}/feedback/"
    client = client_for("product_owner")
    # when they rate it twice, and with a bad rating
    first = client.post(url, {"rating_lead_time": 4, "rating_quality": 5, "comment": "Smooth"}, format="json")
    again = client.post(url, {"rating_lead_time": 1, "rating_quality": 1}, format="json")
    bad = client_for("service_owner").post(url, {"rating_lead_time": 6, "rating_quality": 0}, format="json")
    # then the first is kept (201), the second is a 409, the bad one a 400; the list shows it
    assert first.status_code == 201
    assert again.status_code == 409
    assert bad.status_code == 400
    listed = client.get(url).json()["results"]
    assert [(f["rating_lead_time"], f["rating_quality"], f["comment"]) for f in listed] == [(4, 5, "Smooth")]


def test_incidents_and_problems(world, client_for):
    client = client_for("practitioner")
    url = f"{BASE}{world.deployment.pk}/"
    incident = client.post(f"{url}incidents/", {"incident_ref": "INC-1", "severity": "P2"}, format="json")
    duplicate = client.post(f"{url}incidents/", {"incident_ref": "INC-1"}, format="json")
    problem = client.post(f"{url}problems/", {"description": "Slow cache", "severity": "high"}, format="json")
    bad = client.post(f"{url}problems/", {"description": "x", "severity": "apocalyptic"}, format="json")
    assert (incident.status_code, duplicate.status_code, problem.status_code, bad.status_code) == (201, 400, 201, 400)
    assert [i["incident_ref"] for i in client.get(f"{url}incidents/").json()["results"]] == ["INC-1"]
    assert [p["severity"] for p in client.get(f"{url}problems/").json()["results"]] == ["high"]


def test_checks_and_events_lists_keep_a_constant_number_of_queries(world, client_for, django_assert_max_num_queries):
    client = client_for("manager")
    for _ in range(5):
        plan(
            requester=world.users["manager"],
            service=world.service,
            environment=world.env_test,
            versions=[ComponentVersionFactory(component=world.component)],
        )
    url = f"{BASE}{world.deployment.pk}/"
    for _ in range(10):
        client.post(f"{url}incidents/", {"incident_ref": f"INC-{_}"}, format="json")
    for suffix in ("events/", "checks/", "incidents/", "problems/", "feedback/"):
        with django_assert_max_num_queries(8):
            assert client.get(f"{url}{suffix}").status_code == 200
