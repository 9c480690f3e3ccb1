"""KPIs cut by supplier, and models activated without their pilot counted as compliance exceptions."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from apps.deployments.models import IncidentLink
from apps.deployments.services.kpi_rollup_rebuild import kpi_rollup_rebuild
from apps.reports.selectors.kpi_drilldown import kpi_drilldown
from apps.reports.selectors.kpis import kpi_report
from tests.factories.accounts import UserFactory
from tests.factories.catalog import SupplierFactory
from tests.factories.deployment_models import DeploymentModelFactory
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db
FIRST, LAST = dt.date(2025, 3, 3), dt.date(2025, 3, 30)


def _at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, tzinfo=dt.UTC)


def _finished(status: str, day: int, supplier=None):
    return DeploymentFactory(
        status=status,
        supplier=supplier,
        planned_start=_at(day),
        planned_end=_at(day, 12),
        actual_start=_at(day),
        actual_end=_at(day, 11),
        submitted_at=_at(day - 1),
    )


@pytest.fixture
def k():
    acme, globex = SupplierFactory(name="Acme"), SupplierFactory(name="Globex")
    for day in (4, 5, 6):
        _finished("completed", day, acme)
    _finished("failed", 7, acme)
    _finished("failed", 10, globex)
    _finished("completed", 11)
    # an incident after one of Acme's completed deployments (and none after Globex's)
    acme_done = _finished("completed", 12, acme)
    IncidentLink.objects.create(deployment=acme_done, incident_ref="INC-ACME", opened_at=_at(12, 13))
    kpi_rollup_rebuild()  # rows written by factories, not by the services that keep the rollup
    return {"manager": UserFactory(roles=["manager"]), "acme": acme, "globex": globex}


def test_success_and_lead_time_by_supplier(k):
    report = kpi_report(user=k["manager"], start=FIRST, end=LAST, supplier=k["acme"])
    assert (report["success_rate"].value, report["failures"].value) == (80.0, 1)
    assert report["lead_time_median_hours"].value == 25.0
    assert report.filters["supplier"] == k["acme"].pk
    other = kpi_report(user=k["manager"], start=FIRST, end=LAST, supplier=k["globex"])
    assert (other["success_rate"].value, other["failures"].value) == (0.0, 1)


def test_incidents_by_supplier(k):
    # Acme: one of its five finished deployments has an incident; Globex: none of its one
    acme = kpi_report(user=k["manager"], start=FIRST, end=LAST, supplier=k["acme"])["incident_rate"]
    assert (acme.value, acme.numerator, acme.denominator) == (20.0, 1, 5)
    globex = kpi_report(user=k["manager"], start=FIRST, end=LAST, supplier=k["globex"])["incident_rate"]
    assert (globex.value, globex.numerator) == (0.0, 0)
    rows = kpi_drilldown(user=k["manager"], metric="incident_rate", start=FIRST, end=LAST, supplier=k["acme"])
    assert [d.supplier_id for d in rows] == [k["acme"].pk]


def test_drilldown_by_supplier(k):
    rows = kpi_drilldown(user=k["manager"], metric="failures", start=FIRST, end=LAST, supplier=k["globex"])
    assert [d.supplier_id for d in rows] == [k["globex"].pk]


def test_api_and_page_take_the_supplier(k):
    client = Client()
    client.force_login(k["manager"])
    body = client.get(f"/api/v1/kpis/?from=2025-03-03&to=2025-03-30&supplier={k['acme'].pk}").json()
    assert (body["success_rate"], body["filters"]["supplier"]) == (80.0, k["acme"].pk)
    assert body["incident_rate"] == 20.0
    assert client.get("/api/v1/kpis/?supplier=999999").status_code == 400
    page = client.get(f"/reports/kpis/?from=2025-03-03&to=2025-03-30&supplier={k['globex'].pk}")
    assert page.status_code == 200 and 'name="supplier"' in page.content.decode()


def test_a_model_activated_without_its_pilot_is_a_compliance_exception(k):
    # given a model whose pilot was overridden in the period, and one before it
    skipped = DeploymentModelFactory(active=True, pilot_overridden_at=_at(12), pilot_override_reason="Urgent")
    DeploymentModelFactory(active=True, pilot_overridden_at=_at(1), pilot_override_reason="Earlier")
    manager = k["manager"]
    # then the practice-wide figure counts it, and so does a cut by that model
    assert kpi_report(user=manager, start=FIRST, end=LAST)["compliance_exceptions"].value == 1
    assert kpi_report(user=manager, start=FIRST, end=LAST, model=skipped)["compliance_exceptions"].value == 1
    # but not a cut by supplier, nor a service owner's figure over their own services
    assert kpi_report(user=manager, start=FIRST, end=LAST, supplier=k["acme"])["compliance_exceptions"].value == 0
    owner = UserFactory(roles=["service_owner"])
    assert kpi_report(user=owner, start=FIRST, end=LAST)["compliance_exceptions"].value == 0


def test_deployment_overrides_still_count(k):
    DeploymentFactory(status="approved", planned_start=_at(14), planned_end=_at(14, 12), override_count=2)
    kpi_rollup_rebuild()
    assert kpi_report(user=k["manager"], start=FIRST, end=LAST)["compliance_exceptions"].value == 2
    assert timezone.is_aware(_at(14))
