"""What is where: the version in each environment, the last deployment, what is on its way; scope; query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.services import component_version_create
from apps.deployments.workflow import Status
from apps.reports.selectors import matrix
from apps.reports.selectors.matrix import matrix_build
from tests.factories.accounts import UserFactory
from tests.factories.deployments import advance, plan, soon, supersede_and_remove
from tests.reports.helpers import client_for


def _cell(data, label: str, env):
    row = next(r for r in data.rows if r.label == label)
    return row.cells[[e.pk for e in data.environments].index(env.pk)]


def test_matrix_shows_the_current_version_the_last_deployment_and_what_is_coming(rec):
    # given shop-web 1.0.0 completed in test, and 1.1.0 approved for test next
    w = rec
    coming = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=w.env_test,
        versions=[w.version_2],
        start=soon(30),
        title="Shop 1.1.0 to test",
    )
    advance(coming, to=Status.APPROVED, manager=w.users["manager"])
    # when the manager opens the matrix
    response = client_for(w.users["manager"]).get("/matrix/")
    data = response.context["matrix"]
    # then the shop's test cell says 1.0.0 (by w.completed), last deployment w.completed, and 1.1.0 on its way
    assert response.status_code == 200
    assert [e.name for e in data.environments] == ["Test", "Staging", "Production"]
    cell = _cell(data, "Online shop", w.env_test)
    assert [(v["component"], v["version"], v["reference"]) for v in cell.versions] == [
        ("shop-web", "1.0.0", w.completed.reference)
    ]
    assert cell.last["reference"] == w.completed.reference
    assert cell.last["status"] == "completed"
    assert [u["reference"] for u in cell.upcoming] == [coming.reference]
    assert _cell(data, "Online shop", w.env_prod).empty


def test_a_later_version_replaces_the_earlier_and_a_removal_clears_it(rec):
    # given 1.1.0 completed in test after 1.0.0, and payroll deployed then removed from test
    w = rec
    manager, boss = w.users["manager"], UserFactory(roles=["manager"])  # the requester cannot approve
    _newer, removal = supersede_and_remove(w, manager=manager, boss=boss)
    # when the matrix is built by component
    data = matrix_build(user=manager, by="component")
    # then shop-web is at 1.1.0 in test and payroll-batch is nowhere
    assert [v["version"] for v in _cell(data, "shop-web", w.env_test).versions] == ["1.1.0"]
    assert _cell(data, "payroll-batch", w.env_test).versions == []
    assert _cell(data, "payroll-batch", w.env_test).last["reference"] == removal.reference


def test_the_matrix_by_component_page(rec):
    response = client_for(rec.users["auditor"]).get("/matrix/?by=component")
    assert response.status_code == 200
    assert response.context["matrix"].by == "component"
    assert "shop-web" in response.content.decode()


def test_a_service_owner_sees_only_their_services(rec):
    # given the payroll deployment completed in test
    w = rec
    advance(w.other_deployment, to=Status.COMPLETED, manager=UserFactory(roles=["manager"]))
    # when the shop's service owner opens the matrix (both ways)
    for by in ("service", "component"):
        response = client_for(w.users["service_owner"]).get(f"/matrix/?by={by}")
        html = response.content.decode()
        # then payroll is not there
        assert "Payroll" not in [r.service for r in response.context["matrix"].rows]
        assert w.other_deployment.reference not in html
        assert "3.2.0" not in html
    assert "Payroll" in [r.label for r in matrix_build(user=w.users["auditor"]).rows]


def test_matrix_queries_do_not_grow_with_services_and_deployments(rec):
    w = rec
    client = client_for(w.users["manager"])
    client.get("/matrix/")
    with CaptureQueriesContext(connection) as few:
        client.get("/matrix/")
    manager, boss = w.users["manager"], UserFactory(roles=["manager"])
    for i in range(4):
        version = component_version_create(
            component=w.other_component, version=f"4.{i}.0", repository_ref=f"dml://x/{i}", actor=manager
        )
        d = plan(
            requester=manager,
            service=w.other_service,
            environment=w.env_staging,
            versions=[version],
            start=soon(40 + i),
        )
        advance(d, to=Status.COMPLETED, manager=boss)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/matrix/")
    assert [v["version"] for v in _cell(response.context["matrix"], "Payroll", w.env_staging).versions] == ["4.3.0"]
    assert len(many.captured_queries) == len(few.captured_queries)


def test_matrix_ignores_unknown_filters_and_survives_bad_ones(rec):
    client = client_for(rec.users["manager"])
    assert client.get("/matrix/?service=abc&by=nonsense&status=zzz").status_code == 200


def test_the_matrix_pages_its_rows(rec, monkeypatch):
    # given one row per page
    monkeypatch.setitem(matrix.PAGE_SIZE, "service", 1)
    advance(rec.other_deployment, to=Status.COMPLETED, manager=UserFactory(roles=["manager"]))
    # when the manager reads page 1 and page 2
    first = matrix_build(user=rec.users["manager"], by="service", page=1)
    second = matrix_build(user=rec.users["manager"], by="service", page=2)
    # then each holds one service, in name order, and the pager counts both
    assert [r.label for r in first.rows] + [r.label for r in second.rows] == ["Online shop", "Payroll"]
    assert (first.total, first.pages, second.page) == (2, 2, 2)


def test_the_matrix_shows_statuses_by_their_labels(rec):
    # given a completed deployment in test and an approved one on its way
    w = rec
    coming = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=w.env_test,
        versions=[w.version_2],
        start=soon(30),
        title="Shop 1.1.0 to test",
    )
    advance(coming, to=Status.APPROVED, manager=w.users["manager"])
    # when the manager opens the matrix
    html = client_for(w.users["manager"]).get("/matrix/").content.decode()
    # then the statuses read as their labels, never as their codes
    assert '<span class="badge text-bg-warning">Approved</span>' in html
    assert f"{w.completed.reference}</a> Completed" in html
    assert ">approved<" not in html and "</a> completed" not in html


def test_the_versions_of_a_page_of_services_are_read_from_its_services_components_only(rec):
    # given shop-web completed in test (the rec world) and payroll completed in staging
    w = rec
    advance(w.other_deployment, to=Status.COMPLETED, manager=UserFactory(roles=["manager"]))
    # when the manager reads the matrix by service
    with CaptureQueriesContext(connection) as ctx:
        data = matrix_build(user=w.users["manager"])
    # then the versions' query joins only the components of the page's services (not every component and version),
    # and the versions are there
    versions = [q["sql"] for q in ctx.captured_queries if '"catalog_componentversion"' in q["sql"]]
    assert len(versions) == 1
    assert '"catalog_servicecomponent"."service_id" IN' in versions[0]
    assert [v["version"] for v in _cell(data, "Online shop", w.env_test).versions] == ["1.0.0"]
    assert [v["version"] for v in _cell(data, "Payroll", w.other_deployment.environment).versions] == ["3.2.0"]


@pytest.mark.parametrize("by", ["service", "component"])
def test_past_a_number_of_rows_their_labels_are_read_without_naming_them(rec, monkeypatch, by):
    # given payroll completed in staging: two services, two components with something to show
    w = rec
    advance(w.other_deployment, to=Status.COMPLETED, manager=UserFactory(roles=["manager"]))
    by_id = matrix_build(user=w.users["manager"], by=by)
    # when the labels are read whole past one row
    monkeypatch.setattr(matrix, "LABELS_BY_ID", 1)
    with CaptureQueriesContext(connection) as ctx:
        read_all = matrix_build(user=w.users["manager"], by=by)
    # then the rows and their labels are the same, from a query that names no rows
    assert [(r.key, r.label, r.service) for r in read_all.rows] == [(r.key, r.label, r.service) for r in by_id.rows]
    assert len(read_all.rows) == 2
    table = '"catalog_servicecomponent"' if by == "component" else '"catalog_service"'
    labels = [q["sql"] for q in ctx.captured_queries if f" FROM {table}" in q["sql"]]
    assert labels and all(" IN (" not in sql for sql in labels)


@pytest.mark.parametrize("by", ["service", "component"])
def test_the_snapshot_parts_read_no_deployment(rec, by):
    # given shop-web completed in test and payroll completed in staging: versions and last deployments to show
    w = rec
    advance(w.other_deployment, to=Status.COMPLETED, manager=UserFactory(roles=["manager"]))
    # when the manager, who sees every deployment, reads the matrix
    with CaptureQueriesContext(connection) as ctx:
        data = matrix_build(user=w.users["manager"], by=by)
    # then its rows, versions and last deployments come from the snapshot's entries and their copies alone
    snapshot = [q["sql"] for q in ctx.captured_queries if 'FROM "reports_matrixentry"' in q["sql"]]
    assert len(snapshot) == 3  # the rows, the versions of the page, its last deployments
    assert [sql for sql in snapshot if '"deployments_deployment"' in sql] == []
    label = "shop-web" if by == "component" else "Online shop"
    cell = _cell(data, label, w.env_test)
    assert [(v["version"], v["reference"], v["at"]) for v in cell.versions] == [
        ("1.0.0", w.completed.reference, w.completed.actual_end)
    ]
    assert (cell.last["reference"], cell.last["status"], cell.last["at"]) == (
        w.completed.reference,
        Status.COMPLETED,
        w.completed.actual_end,
    )
