"""Deployment pages: the register, planning and editing, the deployment page and its POST endpoints."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.deployments.models import Action, Check, Deployment, DeploymentEvent, DeploymentProblem, Feedback
from apps.deployments.readiness import CONFLICT_GATES
from apps.deployments.services import Context, deployment_transition, deployment_update
from apps.deployments.workflow import Status
from tests.deployments.matrix import FMT, plan_data
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory, sha256_of
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.deployments import DeploymentFactory, advance, plan, soon

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def detail(d) -> str:
    return reverse("deployments:deployment_detail", args=[d.pk])


def transition_url(d, action: str) -> str:
    return reverse("deployments:deployment_transition", args=[d.pk, action])


def pending_in_freeze(w):
    """A pending deployment of w.service to production inside the world's freeze window."""
    d = plan(
        requester=w.users["product_owner"],
        service=w.service,
        environment=w.env_prod,
        versions=[w.version_2],
        start=w.freeze.start + dt.timedelta(hours=3),
        title="Shop 1.1.0 to production",
    )
    deployment_transition(ctx=Context(actor=w.users["product_owner"]), deployment=d, transition="submit")
    d.refresh_from_db()
    return d


# --- the register -----------------------------------------------------------------------------------------------


def test_register_shows_a_service_owner_only_their_services_deployments(client, world):
    # given the owner of w.service
    client_for(client, world.users["service_owner"])
    # when they open the register
    response = client.get(reverse("deployments:deployment_list"))
    # then they see w.service's deployments and not the other service's
    assert response.status_code == 200
    refs = {d.reference for d in response.context["deployments"]}
    assert refs == {world.draft.reference, world.deployment.reference}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=draft", {"draft", "other_deployment"}),
        ("status=approved", {"deployment"}),
        ("status=draft&status=approved", {"draft", "deployment", "other_deployment"}),
        ("q=Payroll", {"other_deployment"}),
        ("service={service}", {"draft", "deployment"}),
        ("environment={staging}", {"draft"}),
        ("practitioner={practitioner}", {"deployment"}),
        ("requester={manager}", {"other_deployment"}),
    ],
)
def test_register_filters(client, world, query, expected):
    # given the manager, who sees everything
    client_for(client, world.users["manager"])
    query = query.format(
        service=world.service.pk,
        staging=world.env_staging.pk,
        practitioner=world.users["practitioner"].pk,
        manager=world.users["manager"].pk,
    )
    # when they filter the register
    response = client.get(reverse("deployments:deployment_list") + "?" + query)
    # then exactly the matching deployments are listed
    assert response.status_code == 200
    assert {d.reference for d in response.context["deployments"]} == {getattr(world, n).reference for n in expected}


def test_register_filters_by_planned_window(client, world):
    client_for(client, world.users["manager"])
    start = world.deployment.planned_start
    before, after = start - dt.timedelta(hours=1), start + dt.timedelta(hours=1)
    query = f"planned_from={before.strftime(FMT)}&planned_to={after.strftime(FMT)}"
    response = client.get(reverse("deployments:deployment_list") + "?" + query)
    assert [d.reference for d in response.context["deployments"]] == [world.deployment.reference]


@pytest.mark.parametrize(("ordering", "first"), [("reference", "draft"), ("-reference", "other_deployment")])
def test_register_sorts_by_column(client, world, ordering, first):
    client_for(client, world.users["manager"])
    response = client.get(reverse("deployments:deployment_list") + f"?ordering={ordering}")
    assert response.context["deployments"][0].reference == getattr(world, first).reference
    # the column header links to the opposite order
    column = next(c for c in response.context["columns"] if c["label"] == "Reference")
    assert ("ordering=-reference" in column["url"]) == (ordering == "reference")


def test_register_shows_removals_with_a_badge(client, world):
    DeploymentFactory(service=world.service, environment=world.env_test, action=Action.REMOVE, title="Retire shop-web")
    client_for(client, world.users["manager"])
    response = client.get(reverse("deployments:deployment_list") + "?action=remove")
    assert response.content.decode().count('data-testid="removal-badge"') == 1


def test_register_survives_malformed_filters(client, world):
    client_for(client, world.users["manager"])
    response = client.get(
        reverse("deployments:deployment_list")
        + "?status=bogus&environment=abc&planned_from=yesterday&ordering=password&page=zz&service=-1"
    )
    assert response.status_code == 200


def test_register_rows_show_each_deployment_escaped(client, world):
    # given a removal whose title holds markup, without a model, and a deployment that is not planned
    removal = DeploymentFactory(
        service=world.service, environment=world.env_test, action=Action.REMOVE, title="Retire <b>shop</b> & co"
    )
    unplanned = DeploymentFactory(
        service=world.service, environment=world.env_test, planned_start=None, planned_end=None
    )
    modelled = DeploymentFactory(
        service=world.service, environment=world.env_test, model=DeploymentModelFactory(version=3)
    )
    client_for(client, world.users["manager"])
    # when the register is shown
    html = client.get(reverse("deployments:deployment_list")).content.decode()
    # then the row carries its link, escaped title, badges, environment, service, "—" for no model, the window and
    # "—" for a risk never scored (a factory row)
    start, end = removal.planned_start, removal.planned_end
    assert (
        f'    <tr data-testid="deployment-row" data-reference="{removal.reference}">\n'
        f'      <td class="text-nowrap"><a href="{detail(removal)}">{removal.reference}</a></td>\n'
        "      <td>Retire &lt;b&gt;shop&lt;/b&gt; &amp; co</td>\n"
        '      <td class="text-nowrap"><span class="badge status-badge text-bg-secondary" data-testid="status-badge"'
        ' data-status="draft">Draft</span> <span class="badge text-bg-danger-subtle border border-danger-subtle'
        ' text-danger-emphasis" data-testid="removal-badge">Removal</span>\n</td>\n'
        f"      <td>{world.env_test.name}</td>\n"
        f"      <td>{world.service.name}</td>\n"
        '      <td><span class="text-muted">—</span></td>\n'
        f'      <td class="text-nowrap small">{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}</td>\n'
        '      <td class="text-end"><span class="text-muted" title="Not scored yet">—</span></td>\n'
        "    </tr>\n"
    ) in html
    assert f'data-reference="{unplanned.reference}"' in html
    assert '<td class="text-nowrap small"><span class="text-muted">not planned</span></td>' in html
    # and a deployment under a model names it with its version
    assert f"<td>{modelled.model.name} v3</td>" in html


def test_register_with_no_match_says_so(client, world):
    client_for(client, world.users["manager"])
    html = client.get(reverse("deployments:deployment_list") + "?q=no-such-title").content.decode()
    assert '<td colspan="8" class="text-muted" data-testid="empty">No deployments match.</td>' in html


def test_register_filter_options_follow_the_reference_data(client, world):
    from tests.factories.catalog import ServiceFactory

    client_for(client, world.users["manager"])
    client.get(reverse("deployments:deployment_list"))
    # given a service added and one renamed after the filter form was first drawn
    added = ServiceFactory(name="Zeta ledger")
    world.service.name = "Shop renamed"
    world.service.save()
    # when the register is shown again, filtered by the renamed service
    html = client.get(reverse("deployments:deployment_list") + f"?service={world.service.pk}").content.decode()
    # then both show in the service filter, the chosen one selected
    assert f'<option value="{added.pk}">Zeta ledger</option>' in html
    assert f'<option value="{world.service.pk}" selected>Shop renamed</option>' in html


@pytest.mark.django_db(transaction=True)
def test_register_filter_lists_are_read_again_only_after_a_change(client, world, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.core import generations
    from tests.factories.catalog import ServiceFactory

    # given generations every process shares (Redis; here the one test process is every process)
    monkeypatch.setattr(generations, "generations_shared", lambda: True)
    client_for(client, world.users["manager"])
    url = reverse("deployments:deployment_list")

    def lists_read(query: str = "") -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url + query).content.decode()
        return sum('"c_kind"' in q["sql"] for q in queries.captured_queries), html

    assert lists_read()[0] == 1
    # when the register is shown again with nothing changed, the lists are not read again
    assert lists_read("?status=draft")[0] == 0
    # when a service is added and another renamed (each committed, as on another node)
    added = ServiceFactory(name="Zeta ledger")
    world.service.name = "Shop renamed"
    world.service.save()
    # then the next page reads them again and shows both, then keeps them
    read, html = lists_read(f"?service={world.service.pk}")
    assert read == 1
    assert f'<option value="{added.pk}">Zeta ledger</option>' in html
    assert f'<option value="{world.service.pk}" selected>Shop renamed</option>' in html
    assert lists_read()[0] == 0


def test_register_filter_fields_are_drawn_once_per_value(client, world, monkeypatch):
    from collections import OrderedDict

    from apps.core import widgets
    from apps.deployments.views import register

    drawn = []
    real = register.as_crispy_field
    monkeypatch.setattr(register, "as_crispy_field", lambda field: drawn.append(field.name) or real(field))
    monkeypatch.setattr(widgets, "_field_html", OrderedDict())  # nothing remembered from other tests
    client_for(client, world.users["manager"])

    def filters(query: str) -> str:
        html = client.get(reverse("deployments:deployment_list") + query).content.decode()
        return html[html.index('data-testid="filters"') : html.index('data-testid="filter-submit"')]

    first = filters("?status=draft")
    # the same filters again draw no field, and the same markup; another status draws only that field
    again = filters("?status=draft")
    assert len(drawn) == 16 and again == first
    assert '<option value="approved" selected>' in filters("?status=approved")
    assert drawn[16:] == ["status"]


def test_register_filter_errors_are_shown_each_time(client, world):
    client_for(client, world.users["manager"])
    for _ in range(2):
        html = client.get(reverse("deployments:deployment_list") + "?planned_from=yesterday").content.decode()
        assert 'id="id_planned_from"' in html and "is-invalid" in html
    html = client.get(reverse("deployments:deployment_list")).content.decode()
    assert "is-invalid" not in html


def test_register_remembers_only_that_a_filter_is_over_the_cap(client, world, monkeypatch, django_assert_num_queries):
    from apps.deployments.views import register as pages

    # given a count cap of 3, pages of 2 and four draft deployments
    monkeypatch.setattr(pages, "COUNT_CAP", 3)
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    for _ in range(2):
        DeploymentFactory(service=world.service, environment=world.env_test)
    client_for(client, world.users["manager"])
    url = reverse("deployments:deployment_list") + "?status=draft"
    # when the register is shown twice, the second view reads no count
    first = client.get(url)
    assert first.context["pager"]["label"] == "more than 3 deployments"
    with django_assert_num_queries(len(_queries_of(client, url)) - 1):
        again = client.get(url)
    assert again.context["pager"]["label"] == "more than 3 deployments"
    # while an exact count under the cap is read every time
    assert client.get(reverse("deployments:deployment_list") + "?status=approved").context["pager"]["count"] == 1
    DeploymentFactory(service=world.service, environment=world.env_test, status=Status.APPROVED)
    assert client.get(reverse("deployments:deployment_list") + "?status=approved").context["pager"]["count"] == 2


def test_register_first_page_holding_every_row_is_its_own_count(client, world):
    client_for(client, world.users["manager"])
    # a filter whose rows fit on one page is not counted again; a second page is
    queries = _queries_of(client, reverse("deployments:deployment_list") + "?status=draft")
    assert not any("COUNT(" in q["sql"] for q in queries)
    response = client.get(reverse("deployments:deployment_list") + "?status=draft")
    assert (response.context["pager"]["count"], response.context["pager"]["exact"]) == (2, True)
    for _ in range(50):
        DeploymentFactory(service=world.service, environment=world.env_test)
    queries = _queries_of(client, reverse("deployments:deployment_list") + "?status=draft")
    assert sum("COUNT(" in q["sql"] for q in queries) == 1


def _queries_of(client, url) -> list:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return ctx.captured_queries


@pytest.mark.parametrize("rows", [5, 60])
def test_register_queries_do_not_grow_with_rows(client, world, django_assert_max_num_queries, rows):
    # given many deployments with models, managers and practitioners
    practitioner = world.users["practitioner"]
    for _ in range(rows):
        DeploymentFactory(service=world.service, environment=world.env_test, practitioners=[practitioner])
    client_for(client, world.users["manager"])
    # when the register is shown (page 1 and, for 60 rows, page 2), the queries stay bounded
    # (session, user, permissions, the filter's choice lists in one query, the rows and at most a count)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("deployments:deployment_list") + "?ordering=-planned_start")
    assert len(response.context["deployments"]) == min(50, rows + 3)
    with django_assert_max_num_queries(6):
        client.get(reverse("deployments:deployment_list") + "?page=2")
    # a filter by a model choice validates it (one more query); a column order other than the planned window pages
    # by offset and counts once
    with django_assert_max_num_queries(7):
        client.get(reverse("deployments:deployment_list") + f"?service={world.service.pk}&ordering=title&page=2")


@pytest.mark.parametrize("rows", [5, 60])
def test_queues_queries_do_not_grow_with_rows(client, world, django_assert_max_num_queries, rows):
    practitioner = world.users["practitioner"]
    for _ in range(rows):
        DeploymentFactory(
            service=world.service, environment=world.env_test, status=Status.APPROVED, practitioners=[practitioner]
        )
    client_for(client, practitioner)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("deployments:my_work"))
    assert len(response.context["deployments"]) == min(50, rows + 1)


def test_approvals_page_lists_pending_for_the_manager(client, world):
    d = pending_in_freeze(world)
    client_for(client, world.users["manager"])
    response = client.get(reverse("deployments:approvals"))
    assert [x.pk for x in response.context["deployments"]] == [d.pk]


# --- planning ---------------------------------------------------------------------------------------------------


def test_plan_form_offers_a_product_owner_only_their_services(client, world):
    client_for(client, world.users["product_owner"])
    response = client.get(reverse("deployments:deployment_create"))
    form = response.context["form"]
    assert list(form.fields["service"].queryset) == [world.service]
    assert "practitioners" not in form.fields
    assert set(form.fields["component_versions"].queryset) == {world.version_1, world.version_2}


def test_plan_form_gives_managers_the_assignment_fields(client, world):
    client_for(client, world.users["manager"])
    form = client.get(reverse("deployments:deployment_create")).context["form"]
    assert {"manager", "practitioners"} <= set(form.fields)


def test_planning_a_deployment_saves_a_draft(client, world):
    # given a product owner
    client_for(client, world.users["product_owner"])
    # when they save the plan form
    response = client.post(reverse("deployments:deployment_create"), plan_data(world, title="Shop 1.1.0 to test"))
    # then a draft exists with them as requester and a creation event, and they see its page
    d = Deployment.objects.get(title="Shop 1.1.0 to test")
    assert response.status_code == 302
    assert response.url == detail(d)
    assert (d.status, d.requester, list(d.component_versions.all())) == (
        Status.DRAFT,
        world.users["product_owner"],
        [world.version_2],
    )
    assert d.events.get().channel == "web"


def test_checking_a_plan_shows_conflicts_and_the_next_free_window_without_saving(client, world):
    # given a product owner planning into production during the freeze
    client_for(client, world.users["product_owner"])
    start = world.freeze.start + dt.timedelta(hours=2)
    data = plan_data(
        world,
        title="In the freeze",
        environment=world.env_prod.pk,
        planned_start=start.strftime(FMT),
        planned_end=(start + dt.timedelta(hours=2)).strftime(FMT),
        check="1",
    )
    count = Deployment.objects.count()
    # when they check the plan
    response = client.post(reverse("deployments:deployment_create"), data)
    # then the freeze is shown, with a free window after it, and nothing is saved
    assert response.status_code == 200
    assert [c.code for c in response.context["plan_conflicts"]] == ["freeze"]
    slot_start, _ = response.context["free_slot"]
    assert slot_start >= world.freeze.end
    assert "Quarter close" in response.content.decode()
    assert Deployment.objects.count() == count


def test_checking_a_clear_plan_says_so(client, world):
    client_for(client, world.users["product_owner"])
    response = client.post(reverse("deployments:deployment_create"), plan_data(world, check="1"))
    assert response.context["plan_conflicts"] == []
    assert 'data-testid="no-conflicts"' in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service": "other"}, "service"),
        ({"planned_end": "start"}, "planned_end"),
        ({"component_versions": "other"}, "component_versions"),
        ({"planned_start": "not a date"}, "planned_start"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_plans_are_form_errors_and_nothing_is_saved(client, world, changes, field):
    client_for(client, world.users["product_owner"])
    data = plan_data(world)
    for key, value in changes.items():
        data[key] = {
            "other": world.other_service.pk if key == "service" else [world.other_version.pk],
            "start": data["planned_start"],
        }.get(value, value)
    count = Deployment.objects.count()
    response = client.post(reverse("deployments:deployment_create"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert Deployment.objects.count() == count


def test_a_model_without_a_stage_in_the_environment_is_a_form_error(client, world):
    from tests.factories.deployment_models import DeploymentModelFactory, ModelStageFactory

    model = DeploymentModelFactory(active=True)
    ModelStageFactory(model=model, environment=world.env_staging, order=1)
    client_for(client, world.users["manager"])
    response = client.post(reverse("deployments:deployment_create"), plan_data(world, model=model.pk))
    assert response.status_code == 400
    assert "environment" in response.context["form"].errors


# --- editing ----------------------------------------------------------------------------------------------------


def test_editing_saves_and_bumps_the_version(client, world):
    client_for(client, world.users["product_owner"])
    response = client.post(
        reverse("deployments:deployment_update", args=[world.draft.pk]), plan_data(world, world.draft, title="Renamed")
    )
    world.draft.refresh_from_db()
    assert response.status_code == 302
    assert (world.draft.title, world.draft.version) == ("Renamed", 2)


def test_a_stale_version_is_refused_and_the_first_save_kept(client, world):
    # given the requester opened the edit form at version 1
    data = plan_data(world, world.draft, title="Second save")
    # and the manager saved a change meanwhile
    deployment_update(
        ctx=Context(actor=world.users["manager"]),
        deployment=world.draft,
        data={"title": "First save"},
        expected_version=1,
    )
    client_for(client, world.users["product_owner"])
    # when the requester saves with the old version
    response = client.post(reverse("deployments:deployment_update", args=[world.draft.pk]), data)
    # then it is refused with a clear message, and the first save stands
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    world.draft.refresh_from_db()
    assert (world.draft.title, world.draft.version) == ("First save", 2)


def test_changing_the_window_of_an_approved_deployment_sends_it_back_for_approval(client, world):
    client_for(client, world.users["manager"])
    start = soon(30)
    data = plan_data(
        world,
        world.deployment,
        planned_start=start.strftime(FMT),
        planned_end=(start + dt.timedelta(hours=1)).strftime(FMT),
        practitioners=[world.users["practitioner"].pk],
    )
    response = client.post(reverse("deployments:deployment_update", args=[world.deployment.pk]), data)
    world.deployment.refresh_from_db()
    assert response.status_code == 302
    assert world.deployment.status == Status.PENDING_APPROVAL


def test_a_requester_cannot_edit_after_submitting(client, world):
    deployment_transition(ctx=Context(actor=world.users["product_owner"]), deployment=world.draft, transition="submit")
    client_for(client, world.users["product_owner"])
    response = client.get(reverse("deployments:deployment_update", args=[world.draft.pk]))
    assert response.status_code == 403


# --- the deployment page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "name", "expected"),
    [
        ("manager", "draft", ["submit", "cancel"]),
        ("product_owner", "draft", ["submit", "cancel"]),
        ("service_owner", "draft", []),
        ("auditor", "draft", []),
        ("practitioner", "deployment", ["start"]),
        ("manager", "deployment", ["start", "cancel"]),
        ("product_owner", "deployment", ["cancel"]),
    ],
)
def test_the_page_offers_only_the_available_transitions(client, world, role, name, expected):
    client_for(client, world.users[role])
    response = client.get(detail(getattr(world, name)))
    html = response.content.decode()
    assert [t.name for t in response.context["transitions"]] == expected
    for action in ["submit", "approve", "reject", "start", "cancel", "complete"]:
        assert (f'data-testid="transition-{action}"' in html) == (action in expected)


def test_the_requester_does_not_see_approve_on_their_own_deployment(client, world):
    d = plan(
        requester=world.users["manager"], service=world.service, environment=world.env_test, versions=[world.version_1]
    )
    deployment_transition(ctx=Context(actor=world.users["manager"]), deployment=d, transition="submit")
    client_for(client, world.users["manager"])
    response = client.get(detail(d))
    assert [t.name for t in response.context["transitions"]] == ["cancel"]


def test_the_page_shows_plan_checks_timeline_and_conflicts(client, world):
    d = pending_in_freeze(world)
    client_for(client, world.users["manager"])
    html = client.get(detail(d)).content.decode()
    assert 'data-testid="status-badge" data-status="pending_approval"' in html
    assert 'data-testid="timeline"' in html
    assert html.count('data-testid="event"') == 2
    assert 'data-testid="readiness"' in html and "Quarter close" in html
    assert 'data-code="freeze" data-ok="false"' in html
    assert html.count('name="override_reason"') == 1  # managers may justify an override, in one box
    assert html.count('name="comment"') == 2  # the actions' one comment box and the timeline's


@pytest.mark.parametrize("rows", [1, 4])
@pytest.mark.parametrize(
    ("status", "queries", "gates"),
    [
        # pending: the readiness of approve reads the standing approvals, the previous stage and its promotions, and
        # the conflicts (overlaps of environment, components and practitioners, freezes, the versions in place)
        # and the acceptance gate (named by the deployment's criteria: no query)
        (
            Status.PENDING_APPROVAL,
            16,
            ["approvals", "promotion", "acceptance", *[code for code, _, _ in CONFLICT_GATES]],
        ),
        # approved: the readiness of start reads freezes and maintenance now, the promotion gate and which
        # practitioners are cleared for the (controlled) environment, in one query whatever their number; not the
        # entry checks of a deployment without any check
        (Status.APPROVED, 13, ["freeze", "outside_maintenance", "promotion", "clearance"]),
    ],
)
def test_the_page_queries_do_not_grow_with_rows(client, world, django_assert_num_queries, rows, status, queries, gates):
    # given a deployment with n versions (each older than one completed in test), n practitioners and n comments
    newer = [ComponentVersionFactory(component__service=world.service, version="5.0") for _ in range(rows)]
    DeploymentFactory(service=world.service, environment=world.env_test, status=Status.COMPLETED, versions=newer)
    d = DeploymentFactory(
        service=world.service,
        environment=world.env_test,
        model=world.model,
        stage=world.stage_test,
        status=status,
        manager=world.users["manager"],
        versions=[ComponentVersionFactory(component=v.component, version="1.0") for v in newer],
        practitioners=[UserFactory(roles=["practitioner"]) for _ in range(rows)],
    )
    client_for(client, world.users["manager"])
    for n in range(rows):
        client.post(reverse("deployments:comment_add", args=[d.pk]), {"comment": f"Note {n}"})
        client.post(reverse("deployments:incident_add", args=[d.pk]), {"incident_ref": f"INC-{n}", "title": "Slow"})
        client.post(reverse("deployments:problem_add", args=[d.pk]), {"description": f"Disk {n}", "severity": "high"})
    # when the manager opens it, the queries are the same in number whatever the rows (session, user, permissions,
    # the deployment, its manager, versions and practitioners, timeline, incidents, problems and the readiness of its
    # next step; the lists without rows, here checks, approvals and ratings, are not read)
    with django_assert_num_queries(queries):
        response = client.get(detail(d))
    html = response.content.decode()
    assert [i.code for g in response.context["readiness"] for i in g["items"]] == gates
    assert html.count("is older than") == (rows if status == Status.PENDING_APPROVAL else 0)
    assert html.count('data-testid="event"') == 3 * rows
    assert len(response.context["incidents"]) == rows and len(response.context["problems"]) == rows
    assert "No decisions yet." in html and "No ratings yet." in html


def test_practitioners_get_no_override_field(client, world):
    client_for(client, world.users["practitioner"])
    html = client.get(detail(world.deployment)).content.decode()
    assert 'data-testid="transition-start"' in html
    assert 'name="override_reason"' not in html


def test_a_service_owner_of_another_service_gets_404_everywhere(client, world):
    outsider = UserFactory(roles=["service_owner"])
    client_for(client, outsider)
    d = world.deployment
    check = d.checks.first()
    for method, url in [
        ("get", detail(d)),
        ("get", reverse("deployments:deployment_update", args=[d.pk])),
        ("post", transition_url(d, "start")),
        ("post", reverse("deployments:check_record", args=[d.pk, check.pk])),
        ("post", reverse("deployments:comment_add", args=[d.pk])),
        ("post", reverse("deployments:incident_add", args=[d.pk])),
        ("post", reverse("deployments:problem_add", args=[d.pk])),
        ("post", reverse("deployments:feedback_submit", args=[d.pk])),
    ]:
        assert getattr(client, method)(url).status_code == 404, url


# --- transitions ------------------------------------------------------------------------------------------------


def test_the_requester_approving_their_own_deployment_is_refused(client, world):
    # given a deployment the manager requested and submitted
    manager = world.users["manager"]
    d = plan(requester=manager, service=world.service, environment=world.env_test, versions=[world.version_1])
    deployment_transition(ctx=Context(actor=manager), deployment=d, transition="submit")
    events = DeploymentEvent.objects.filter(deployment=d).count()
    client_for(client, manager)
    # when the manager posts approve
    response = client.post(transition_url(d, "approve"), {"comment": "fine by me"})
    # then segregation of duties refuses it and nothing changed
    assert response.status_code == 403
    d.refresh_from_db()
    assert d.status == Status.PENDING_APPROVAL
    assert d.approvals.count() == 0
    assert DeploymentEvent.objects.filter(deployment=d).count() == events


def test_an_unassigned_practitioner_is_refused_not_hidden(client, world):
    other = UserFactory(roles=["practitioner"])
    client_for(client, other)
    response = client.post(transition_url(world.deployment, "start"))
    world.deployment.refresh_from_db()
    assert response.status_code == 403
    assert world.deployment.status == Status.APPROVED


def test_a_conflict_is_shown_and_a_manager_may_override_with_a_justification(client, world):
    # given a pending deployment inside a freeze window
    d = pending_in_freeze(world)
    client_for(client, world.users["manager"])
    # when the manager approves it
    response = client.post(transition_url(d, "approve"), {"comment": "ok", "version": d.version})
    # then the conflict is shown with an override form, and it stays pending
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="error-conflicts"' in html and "Quarter close" in html
    assert 'data-testid="override-form"' in html
    d.refresh_from_db()
    assert d.status == Status.PENDING_APPROVAL
    # when they retry with a justification
    response = client.post(transition_url(d, "approve"), {"comment": "ok", "override_reason": "Security fix"})
    # then it is approved, and the override counted and recorded
    d.refresh_from_db()
    assert response.status_code == 302
    assert (d.status, d.override_count) == (Status.APPROVED, 1)
    assert d.events.filter(kind="override", comment="Security fix").exists()


def test_a_transition_needing_a_comment_without_one_is_a_400(client, world):
    d = pending_in_freeze(world)
    client_for(client, world.users["manager"])
    response = client.post(transition_url(d, "reject"), {"comment": ""})
    d.refresh_from_db()
    assert response.status_code == 400
    assert d.status == Status.PENDING_APPROVAL
    assert "comment" in response.context["transition_form"].errors


def test_a_stale_version_on_a_transition_is_refused(client, world):
    client_for(client, world.users["practitioner"])
    response = client.post(transition_url(world.deployment, "start"), {"version": world.deployment.version - 1})
    assert response.status_code == 409
    world.deployment.refresh_from_db()
    assert world.deployment.status == Status.APPROVED


def test_a_transition_not_open_now_is_a_409(client, world):
    client_for(client, world.users["manager"])
    response = client.post(transition_url(world.draft, "complete"))
    assert response.status_code in (403, 409)
    world.draft.refresh_from_db()
    assert world.draft.status == Status.DRAFT


def test_an_unknown_action_is_a_404(client, world):
    client_for(client, world.users["manager"])
    assert client.post(transition_url(world.draft, "explode")).status_code == 404


def test_a_get_on_a_post_endpoint_is_refused(client, world):
    client_for(client, world.users["manager"])
    assert client.get(transition_url(world.draft, "submit")).status_code == 405


def test_the_assigned_practitioner_carries_a_deployment_through_the_pages(client, world):
    # given the approved w.deployment and its practitioner
    d = world.deployment
    client_for(client, world.users["practitioner"])
    # when they start it, record every check and take each step
    assert client.post(transition_url(d, "start"), {"comment": "go"}).status_code == 302
    for step, kind in [
        ("confirm-components", "component"),
        ("confirm-environment", "environment"),
        ("finish-execution", None),
        ("complete", "acceptance"),
    ]:
        for check in Check.objects.filter(deployment=d, kind=kind) if kind else []:
            observed = check.component_version.checksum if check.component_version_id else ""
            r = client.post(
                reverse("deployments:check_record", args=[d.pk, check.pk]),
                {"result": "pass", "evidence": "verified", "observed_checksum": observed},
            )
            assert r.status_code == 302, r.content.decode()[:500]
        response = client.post(transition_url(d, step), {"comment": f"{step} done"})
        assert response.status_code == 302, step
    # then it is completed, every step in the timeline from the web channel
    d.refresh_from_db()
    assert d.status == Status.COMPLETED
    assert set(d.events.filter(kind="transition").values_list("channel", flat=True)) == {"web"}


def test_confirming_components_with_checks_not_passed_shows_them(client, world):
    d = world.deployment
    deployment_transition(ctx=Context(actor=world.users["practitioner"]), deployment=d, transition="start")
    client_for(client, world.users["practitioner"])
    response = client.post(transition_url(d, "confirm-components"))
    assert response.status_code == 409
    assert response.context["error_code"] == "checks_not_passed"
    assert 'data-testid="override-form"' not in response.content.decode()


# --- checks, comments, incidents, problems, feedback ----------------------------------------------------------------


def test_a_wrong_checksum_fails_the_check(client, world):
    d = world.deployment
    check = d.checks.get(kind="component")
    client_for(client, world.users["practitioner"])
    response = client.post(
        reverse("deployments:check_record", args=[d.pk, check.pk]),
        {"result": "pass", "evidence": "copied", "observed_checksum": sha256_of("tampered")},
    )
    check.refresh_from_db()
    assert response.status_code == 302
    assert check.result == "fail"
    assert "Checksum mismatch" in check.evidence


@pytest.mark.parametrize(
    "data",
    [
        {"result": "pass", "observed_checksum": "xyz"},  # not a SHA-256
        {"result": "pass", "observed_checksum": ""},  # the version has a checksum: it must be given
        {"result": "maybe"},
    ],
)
def test_bad_check_input_is_a_400_and_nothing_changes(client, world, data):
    d = world.deployment
    check = d.checks.get(kind="component")
    client_for(client, world.users["practitioner"])
    response = client.post(reverse("deployments:check_record", args=[d.pk, check.pk]), data)
    check.refresh_from_db()
    assert response.status_code == 400
    assert check.result == "pending"


def test_a_check_of_another_deployment_is_a_404(client, world):
    check = world.deployment.checks.first()
    client_for(client, world.users["manager"])
    url = reverse("deployments:check_record", args=[world.draft.pk, check.pk])
    assert client.post(url, {"result": "pass"}).status_code == 404


def test_checks_cannot_be_recorded_out_of_their_state(client, world):
    # given an acceptance check of an approved (not yet executed) deployment
    d = world.deployment
    check = Check.objects.create(deployment=d, kind="acceptance", description="Smoke test passed")
    client_for(client, world.users["practitioner"])
    # when the practitioner records it, it is refused and stays pending
    response = client.post(reverse("deployments:check_record", args=[d.pk, check.pk]), {"result": "pass"})
    check.refresh_from_db()
    assert response.status_code == 409
    assert check.result == "pending"


def test_comment_is_added_to_the_timeline(client, world):
    client_for(client, world.users["service_owner"])
    response = client.post(reverse("deployments:comment_add", args=[world.draft.pk]), {"comment": "Mind the cache"})
    assert response.status_code == 302
    assert world.draft.events.filter(kind="comment", comment="Mind the cache").exists()


def test_an_empty_comment_is_a_400(client, world):
    client_for(client, world.users["service_owner"])
    response = client.post(reverse("deployments:comment_add", args=[world.draft.pk]), {"comment": ""})
    assert response.status_code == 400
    assert not world.draft.events.filter(kind="comment").exists()


def test_incidents_link_once(client, world):
    client_for(client, world.users["practitioner"])
    url = reverse("deployments:incident_add", args=[world.deployment.pk])
    first = client.post(url, {"incident_ref": "INC-7", "title": "Slow checkout", "severity": "high"})
    second = client.post(url, {"incident_ref": "INC-7"})
    assert (first.status_code, second.status_code) == (302, 400)
    assert world.deployment.incidents.count() == 1


def test_problems_are_recorded_and_resolved(client, world):
    client_for(client, world.users["practitioner"])
    client.post(
        reverse("deployments:problem_add", args=[world.deployment.pk]), {"description": "Disk full", "severity": "high"}
    )
    problem = DeploymentProblem.objects.get(deployment=world.deployment)
    response = client.post(reverse("deployments:problem_resolve", args=[world.deployment.pk, problem.pk]))
    problem.refresh_from_db()
    assert response.status_code == 302
    assert problem.resolved


def test_a_problem_of_another_deployment_is_a_404(client, world):
    from apps.deployments.services import problem_add

    problem = problem_add(
        ctx=Context(actor=world.users["manager"]), deployment=world.deployment, description="x", severity="low"
    )
    client_for(client, world.users["manager"])
    assert client.post(reverse("deployments:problem_resolve", args=[world.draft.pk, problem.pk])).status_code == 404


def test_the_requester_rates_a_completed_deployment_once(client, world):
    # given a completed deployment the product owner requested
    d = advance(
        world.deployment, to=Status.COMPLETED, manager=world.users["manager"], practitioner=world.users["practitioner"]
    )
    client_for(client, world.users["product_owner"])
    assert 'id="feedback"' in client.get(detail(d)).content.decode()
    url = reverse("deployments:feedback_submit", args=[d.pk])
    # when they rate it twice
    first = client.post(url, {"rating_lead_time": 4, "rating_quality": 5, "comment": "Quick"})
    second = client.post(url, {"rating_lead_time": 1, "rating_quality": 1})
    # then the first rating counts, the second is refused
    assert (first.status_code, second.status_code) == (302, 409)
    assert list(Feedback.objects.filter(deployment=d).values_list("rating_lead_time", "rating_quality")) == [(4, 5)]
    assert 'id="feedback"' not in client.get(detail(d)).content.decode()


@pytest.mark.parametrize("data", [{"rating_lead_time": 6, "rating_quality": 3}, {"rating_lead_time": "x"}, {}])
def test_bad_ratings_are_a_400(client, world, data):
    d = DeploymentFactory(status=Status.COMPLETED, service=world.service, requester=world.users["product_owner"])
    client_for(client, world.users["product_owner"])
    assert client.post(reverse("deployments:feedback_submit", args=[d.pk]), data).status_code == 400
    assert not Feedback.objects.exists()


def test_rating_an_open_deployment_is_refused(client, world):
    client_for(client, world.users["product_owner"])
    response = client.post(
        reverse("deployments:feedback_submit", args=[world.deployment.pk]), {"rating_lead_time": 3, "rating_quality": 3}
    )
    assert response.status_code == 409
    assert not Feedback.objects.exists()


def test_register_filter_lists_come_in_one_query_each_in_its_own_order(world, django_assert_num_queries):
    from apps.deployments.selectors.register import register_filter_choices
    from apps.environments.models import Environment
    from tests.factories.catalog import SupplierFactory
    from tests.factories.environments import EnvironmentFactory

    # given environments out of alphabetical order, two versions of a model, a user with no name, an inactive user
    late = EnvironmentFactory(name="Aardvark", slug="aardvark", order=999)
    DeploymentModelFactory(name="Zeta", version=1)
    DeploymentModelFactory(name="Zeta", version=2)
    UserFactory(username="nameless", first_name="", last_name="")
    UserFactory(username="gone", first_name="Gone", is_active=False)
    SupplierFactory(name="Beta Supplies")
    SupplierFactory(name="Alpha Supplies")
    # when the lists are read, it takes one query
    with django_assert_num_queries(1):
        lists = register_filter_choices()
    # then environments follow their order, then their name; models by name, newest version first
    assert [pk for pk, _ in lists["environment"]] == list(
        Environment.objects.order_by("order", "name").values_list("pk", flat=True)
    )
    assert lists["environment"][-1] == (late.pk, "Aardvark")
    assert [label for _, label in lists["model"] if label.startswith("Zeta")] == ["Zeta v2", "Zeta v1"]
    suppliers = [label for _, label in lists["supplier"]]
    assert suppliers == sorted(suppliers) and suppliers.index("Alpha Supplies") < suppliers.index("Beta Supplies")
    # and people are named by their full name or else their user name; the inactive are left out
    people = dict(lists["requester"])
    assert "nameless" in people.values() and "Gone Tester" not in people.values()
    assert lists["practitioner"] == lists["requester"]
