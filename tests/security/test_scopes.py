"""No leaks across scopes: what a service or product owner may not see (another service's deployments and their
records) shows nothing through any channel — pages, register search, API, nested API, exports, calendar and feeds,
matrix, dashboard, KPIs, reviews, printables, the admin — while the roles that see everything do see it there (the
control that proves each probe looks in the right place). One table of channels, parametrized by role."""

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
import pytest
from django.test import Client

from tests.security.conftest import client_for, rolled_back_world
from tests.security.scope_world import SCOPED, SEES_ALL, build_scope_world, in_scope_ids

ROLES = (*SCOPED, *SEES_ALL)
EXPORTERS = ("service_owner", "product_owner", "manager", "auditor")
KPI_READERS = EXPORTERS
AUDITORS = ("manager", "auditor")
BOTH = ("other_deployment", "other_failed")
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(scope="module")
def sw(django_db_setup, django_db_blocker):
    with rolled_back_world(django_db_blocker, build_scope_world) as w:
        yield w


# ---- probes: each answers "does this channel show the target deployment to this client?" -------------------------


def _mentions(text: str, dep) -> bool:
    return dep.reference in text or dep.title in text


def _status_probe(url: Callable, json: bool = False):
    """A page or resource of the deployment itself: 200 when shown, 404 when not (nothing else is acceptable)."""

    def probe(client, w, role, dep):
        response = client.get(url(w, dep), **(JSON if json else {}))
        assert response.status_code in (200, 404), f"{url(w, dep)}: {response.status_code}"
        return response.status_code == 200

    return probe


def _text_probe(url: Callable, *, anonymous: bool = False, extra: Callable | None = None):
    """A page or download that lists deployments: does its body mention the target?"""

    def probe(client, w, role, dep):
        response = (Client() if anonymous else client).get(url(w, dep, role))
        assert response.status_code == 200, f"{url(w, dep, role)}: {response.status_code}"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode()
        return _mentions(text, dep) or bool(extra and extra(w, dep) in text)

    return probe


def _register_probe(query: Callable):
    """The register's rows (the search box echoes the query, so the rows are read from the page's context)."""

    def probe(client, w, role, dep):
        response = client.get(f"/deployments/?{query(w, dep)}")
        assert response.status_code == 200
        return dep.pk in {row.pk for row in response.context["page"].object_list}

    return probe


def _api_ids_probe(url: Callable):
    def probe(client, w, role, dep):
        response = client.get(url(w, dep), **JSON)
        assert response.status_code == 200, response.content
        return dep.pk in {row["id"] for row in response.json()["results"]}

    return probe


def _csv_probe(url: str):
    def probe(client, w, role, dep):
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        return any(dep.reference in cell or dep.title in cell for row in rows for cell in row)

    return probe


def _xlsx_probe(client, w, role, dep):
    response = client.get("/exports/deployments.xlsx")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row if c]
    return any(dep.reference in c or dep.title in c for c in cells)


def _zip_probe(client, w, role, dep):
    response = client.get("/exports/audit-pack.zip")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(body)) as pack:
        text = "".join(pack.read(name).decode("utf-8", "replace") for name in pack.namelist())
    return _mentions(text, dep)


def _day(dep) -> str:
    return dep.planned_start.date().isoformat()


@dataclass(frozen=True)
class Channel:
    name: str
    probe: Callable
    targets: tuple[str, ...] = BOTH
    roles: tuple[str, ...] = ROLES

    def __str__(self) -> str:
        return self.name


CHANNELS = [
    Channel("detail page", _status_probe(lambda w, d: f"/deployments/{d.pk}/")),
    Channel("printable report", _status_probe(lambda w, d: f"/deployments/{d.pk}/report/")),
    Channel("register", _text_probe(lambda w, d, r: "/deployments/")),
    Channel("register search by reference", _register_probe(lambda w, d: f"q={d.reference}")),
    Channel("register search by title", _register_probe(lambda w, d: f"q={d.title[:20]}")),
    Channel("register filtered by service", _register_probe(lambda w, d: f"service={d.service_id}")),
    Channel("API detail", _status_probe(lambda w, d: f"/api/v1/deployments/{d.pk}/", json=True)),
    Channel("API list", _api_ids_probe(lambda w, d: "/api/v1/deployments/?page_size=200")),
    Channel("API list search", _api_ids_probe(lambda w, d: f"/api/v1/deployments/?q={d.reference}")),
    *[
        Channel(f"API {child}", _status_probe((lambda c: lambda w, d: f"/api/v1/deployments/{d.pk}/{c}/")(child), True))
        for child in ("events", "checks", "feedback", "incidents", "problems")
    ],
    Channel(
        "API check detail",
        _status_probe(lambda w, d: f"/api/v1/deployments/{d.pk}/checks/{d.checks.first().pk}/", json=True),
        targets=("other_deployment",),
    ),
    Channel("export deployments.csv", _csv_probe("/exports/deployments.csv"), roles=EXPORTERS),
    Channel("export deployments.xlsx", _xlsx_probe, roles=EXPORTERS),
    Channel("export audit-trail.csv", _csv_probe("/exports/audit-trail.csv"), ("other_deployment",), EXPORTERS),
    Channel("export audit pack", _zip_probe, roles=EXPORTERS),
    Channel(
        "audit-entries API",
        _text_probe(lambda w, d, r: "/api/v1/audit-entries/?page_size=200"),
        ("other_deployment",),
        roles=EXPORTERS,
    ),
    Channel("audit page", _text_probe(lambda w, d, r: "/audit/"), ("other_deployment",), roles=AUDITORS),
    Channel("calendar month", _text_probe(lambda w, d, r: f"/calendar/?date={_day(d)}")),
    Channel("calendar week", _text_probe(lambda w, d, r: f"/calendar/?view=week&date={_day(d)}")),
    Channel("calendar.ics", _text_probe(lambda w, d, r: "/calendar.ics")),
    Channel(
        "secret calendar feed", _text_probe(lambda w, d, r: f"/calendar/feed/{w.feed_keys[r]}.ics", anonymous=True)
    ),
    Channel(
        "matrix by service", _text_probe(lambda w, d, r: "/matrix/", extra=lambda w, d: "3.2.0"), ("other_deployment",)
    ),
    Channel(
        "matrix by component",
        _text_probe(lambda w, d, r: "/matrix/?by=component", extra=lambda w, d: "payroll-batch"),
        ("other_deployment",),
    ),
    Channel(
        "matrix by environment",
        _text_probe(lambda w, d, r: "/matrix/?by=environment", extra=lambda w, d: "3.2.0"),
        ("other_deployment",),
    ),
    *[
        Channel(
            f"KPI drill-down {metric}",
            _text_probe((lambda m: lambda w, d, r: f"/reports/kpis/{m}/")(metric)),
            targets,
            KPI_READERS,
        )
        for metric, targets in (
            ("success_rate", ("other_deployment",)),
            ("throughput_per_week", ("other_deployment",)),
            ("failures", ("other_failed",)),
            ("incident_rate", BOTH),
            ("satisfaction_quality", ("other_deployment",)),
            ("change_failure_rate", ("other_failed",)),
        )
    ],
    Channel("review page", _text_probe(lambda w, d, r: f"/reviews/{w.review.pk}/"), ("other_failed",)),
    Channel("review report", _text_probe(lambda w, d, r: f"/reviews/{w.review.pk}/report/"), ("other_failed",)),
    Channel("review API", _text_probe(lambda w, d, r: f"/api/v1/reviews/{w.review.pk}/"), ("other_failed",)),
]

CASES = [(channel, role) for channel in CHANNELS for role in channel.roles]


@pytest.mark.parametrize(("channel", "role"), CASES, ids=[f"{c}-{r}" for c, r in CASES])
def test_out_of_scope_deployments_show_nothing(sw, db, channel: Channel, role: str):
    # given a user of `role`, and deployments of a service they do not own (nor requested, nor work on)
    client = client_for(sw.users[role])
    for target in channel.targets:
        dep = getattr(sw, target)
        # when they look through this channel
        shown = channel.probe(client, sw, role, dep)
        # then owners see nothing of it; the roles that see every deployment do (the probe's control)
        expected = role in SEES_ALL
        assert shown is expected, f"{channel} as {role}: {dep.reference} {'hidden' if expected else 'shown'}"


@pytest.mark.parametrize("role", SCOPED)
def test_counts_cover_only_the_scope(sw, db, role):
    # given an owner and the deployments in their scope
    client = client_for(sw.users[role])
    expected = in_scope_ids(sw, role)
    assert expected and not expected & {d.pk for d in sw.out_of_scope}
    # when they list deployments in the register and through the API
    register = client.get("/deployments/")
    api = client.get("/api/v1/deployments/?page_size=200", **JSON).json()
    # then the register's total and the API's rows are exactly the scope
    assert register.context["total"] == len(expected) and register.context["total_exact"]
    assert {row["id"] for row in api["results"]} == expected
    assert api["next"] is None


def _kpis(client, query: str = "") -> dict:
    response = client.get(f"/api/v1/kpis/{query}", **JSON)
    assert response.status_code == 200, response.content
    data = response.json()
    return {key: data[key] for key in ("details", *[k for k in data if k not in ("filters", "from", "to", "details")])}


@pytest.mark.parametrize("role", SCOPED)
def test_kpis_are_computed_over_the_scope_only(sw, db, role):
    # given an owner, and a manager who sees everything
    owner, manager = client_for(sw.users[role]), client_for(sw.users["manager"])
    # when the owner asks for the KPIs, and the manager asks for them over the owner's service only and over all
    mine = _kpis(owner)
    theirs_for_the_service = _kpis(manager, f"?service={sw.service.pk}")
    everything = _kpis(manager)
    # then the owner's numbers (values, numerators and denominators) are those of their service alone
    assert mine == theirs_for_the_service
    assert mine != everything  # the out-of-scope deployments do move the numbers for whoever may see them
    # and the KPI page's tiles agree with the API
    page = owner.get("/reports/kpis/")
    assert page.status_code == 200
    # and asking for the other service's KPIs is refused, not answered from its data
    refused = owner.get(f"/api/v1/kpis/?service={sw.other_service.pk}", **JSON)
    assert refused.status_code == 400, refused.content


@pytest.mark.parametrize("role", ROLES)
def test_admin_is_closed_to_non_staff(sw, db, role):
    # given a signed-in user of a role, not staff
    client = client_for(sw.users[role])
    # when they open the admin, or a deployment in it
    for url in ("/admin/", f"/admin/deployments/deployment/{sw.other_deployment.pk}/change/"):
        response = client.get(url)
        # then they are sent to the admin's login, shown nothing
        assert response.status_code == 302, f"{url}: {response.status_code}"
        assert response["Location"].startswith("/admin/login/"), response["Location"]


@pytest.mark.parametrize("role", SCOPED)
def test_dashboard_and_home_show_nothing_out_of_scope(sw, db, role):
    # given an owner
    client = client_for(sw.users[role])
    # when they open the home page (dashboard) and the KPI page
    for url in ("/", "/reports/kpis/", "/deployments/mine/", "/deployments/approvals/"):
        text = client.get(url).content.decode()
        # then no out-of-scope deployment is named there
        for dep in sw.out_of_scope:
            assert not _mentions(text, dep), f"{url} as {role} names {dep.reference}"
