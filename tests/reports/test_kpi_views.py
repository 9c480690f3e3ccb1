"""KPI pages: tiles with definitions and drill-down links, charts, filter errors, drill-downs, permissions."""

import pytest
from django.test import Client

from tests.factories.accounts import UserFactory
from tests.reports.kpi_data import build_kpi_data

pytestmark = pytest.mark.django_db

URL = "/reports/kpis/"
PERIOD = {"from": "2025-03-03", "to": "2025-03-30"}


@pytest.fixture
def k():
    return build_kpi_data()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def tile(html: str, metric: str) -> str:
    start = html.index(f'data-metric="{metric}"')
    return html[start : html.index("</div>\n  </div>\n</div>", start)]


def test_the_report_shows_every_tile_with_value_fraction_and_drilldown(k):
    # when the manager opens the KPI page for the known period
    response = client_for(k.manager).get(URL, PERIOD)
    # then there are 17 tiles; the success rate reads 62.5% with its numerator and denominator
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="kpi-tile"') == 19
    success = tile(html, "success_rate")
    assert "62.5%" in success
    assert "5 completed / 8 finished" in success
    assert 'href="/reports/kpis/success_rate/?from=2025-03-03&amp;to=2025-03-30"' in success
    assert "no data" not in success
    assert "24 h" in tile(html, "lead_time_median_hours")
    assert "3.67 / 5" in tile(html, "satisfaction_lead_time")
    assert "1.25 per week" in tile(html, "throughput_per_week")
    # and the page says what time to restore counts
    assert "restored when the roll-back completes, or at the incident's resolution time" in html


def test_the_report_draws_three_svg_charts(k):
    response = client_for(k.manager).get(URL, {**PERIOD, "bucket": "month"})
    html = response.content.decode()
    for testid in ("chart-success-rate", "chart-throughput", "chart-lead-time"):
        assert f'data-testid="{testid}"' in html
    assert "Trends per month" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0]


@pytest.mark.parametrize(
    ("testid", "title", "x_axis", "y_axis"),
    [
        ("chart-success-rate", "Successful deployments per month", "Month", "Successful deployments (%)"),
        ("chart-throughput", "Deployments completed per month", "Month", "Completed (deployments)"),
        ("chart-lead-time", "Median lead time per month", "Month", "Median lead time (hours)"),
    ],
)
def test_every_chart_shows_its_title_and_axes_with_units(k, testid, title, x_axis, y_axis):
    # given the KPI page by month
    html = client_for(k.manager).get(URL, {**PERIOD, "bucket": "month"}).content.decode()
    # when one chart is read
    start = html.index(f'data-testid="{testid}"')
    svg = html[start : html.index("</svg>", start)]
    # then it shows its title on the chart, and names both axes, the y axis with its unit
    assert '<text class="kpi-title"' in svg and f">{title}</text>" in svg
    assert 'data-axis="x"' in svg and f">{x_axis}</text>" in svg
    assert 'data-axis="y"' in svg and f">{y_axis}</text>" in svg


def test_an_empty_period_reads_no_data(k):
    response = client_for(k.manager).get(URL, {"from": "2020-01-01", "to": "2020-01-31"})
    assert response.status_code == 200
    assert "no data" in tile(response.content.decode(), "success_rate")


def test_default_period_is_the_last_90_days(k):
    response = client_for(k.manager).get(URL)
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.period.last - report.period.first).days == 90


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2025-13-01"}, "Enter a valid date."),
        ({"from": "2025-03-30", "to": "2025-03-01"}, "The end of the period must not be before its start."),
        ({"from": "0001-01-01", "to": "2025-03-01"}, "Give a date between 1970-01-01 and 2999-12-31."),
        ({"environment": "abc"}, "Select a valid choice."),
        ({"bucket": "day"}, "Select a valid choice."),
    ],
)
def test_bad_filters_give_a_clear_form_error(k, params, message):
    response = client_for(k.manager).get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "report" not in response.context


def test_a_service_owner_cannot_filter_on_another_service(k):
    response = client_for(k.owner).get(URL, {**PERIOD, "service": k.svc_b.pk})
    assert response.status_code == 400


def test_a_service_owner_sees_their_numbers(k):
    response = client_for(k.owner).get(URL, PERIOD)
    assert "3 completed / 4 finished" in tile(response.content.decode(), "success_rate")


def test_filters_apply(k):
    response = client_for(k.manager).get(URL, {**PERIOD, "environment": k.prod.pk, "bucket": "week"})
    assert "3 completed / 5 finished" in tile(response.content.decode(), "success_rate")
    assert f"environment={k.prod.pk}" in tile(response.content.decode(), "success_rate")


def test_drilldown_lists_the_deployments_with_links(k):
    # when the manager follows the failures tile
    response = client_for(k.manager).get("/reports/kpis/failures/", PERIOD)
    # then the three failed deployments are listed, newest first, linking to their pages
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="kpi-drilldown-row"') == 3
    for d in (k.d15, k.d5, k.d3):
        assert f'href="/deployments/{d.pk}/"' in html
    assert html.index(k.d15.reference) < html.index(k.d3.reference)


def test_drilldown_shows_hours_for_lead_time(k):
    response = client_for(k.manager).get("/reports/kpis/lead_time_p90_hours/", PERIOD)
    assert "120.00" in response.content.decode()


def test_drilldown_is_scoped(k):
    response = client_for(k.owner).get("/reports/kpis/failures/", PERIOD)
    assert response.content.decode().count('data-testid="kpi-drilldown-row"') == 1


def test_drilldown_paginates(k, settings):
    from apps.reports.views import kpis as kpi_views

    kpi_views.PAGE_SIZE, old = 2, kpi_views.PAGE_SIZE
    try:
        response = client_for(k.manager).get("/reports/kpis/failures/", {**PERIOD, "page": "2"})
        garbage = client_for(k.manager).get("/reports/kpis/failures/", {**PERIOD, "page": "x"})
    finally:
        kpi_views.PAGE_SIZE = old
    assert response.content.decode().count('data-testid="kpi-drilldown-row"') == 1
    assert garbage.status_code == 200


def test_unknown_metric_is_404(k):
    assert client_for(k.manager).get("/reports/kpis/nope/").status_code == 404


def test_drilldown_with_bad_dates_is_400(k):
    response = client_for(k.manager).get("/reports/kpis/failures/", {"from": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize(("roles", "status"), [(["practitioner"], 403), ([], 403), (["auditor"], 200)])
def test_permissions(k, roles, status):
    client = client_for(UserFactory(roles=roles))
    assert client.get(URL).status_code == status
    assert client.get("/reports/kpis/failures/").status_code == status


def test_anonymous_goes_to_login(k):
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_kpi_page_query_count_is_constant(k, django_assert_max_num_queries):
    client = client_for(k.manager)
    # the report (the rollup's aggregate and sketches, the indexed counts), its trend, the targets, the risk
    # back-test, and the report again for manual and for automated deployments (the split): constant in the rows
    with django_assert_max_num_queries(40):
        client.get(URL, PERIOD)


def test_drilldown_query_count_is_constant(k, django_assert_max_num_queries):
    client = client_for(k.manager)
    with django_assert_max_num_queries(8):
        client.get("/reports/kpis/success_rate/", PERIOD)
