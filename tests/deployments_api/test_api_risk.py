"""Tests of the risk score in the API (DESIGN.md §5: risk_score, risk_factors, ordering=risk_score) and on the pages
(the deployment page's panel, the register's sortable column)."""

import pytest

from apps.deployments.models import Deployment
from apps.deployments.risk.services import deployment_risk_refresh
from tests.deployments_api.conftest import token_client
from tests.factories.accounts import UserFactory
from tests.factories.deployments import DeploymentFactory

pytestmark = pytest.mark.django_db

SCORES = [40, 75, 10, 75, 0, 40, 90]


@pytest.fixture
def scored():
    """Seven deployments with known stored scores (two pairs of ties), oldest first."""
    deployments = [DeploymentFactory() for _ in SCORES]
    for deployment, score in zip(deployments, SCORES, strict=True):
        Deployment.objects.filter(pk=deployment.pk).update(risk_score=score)
    return deployments


def _expected(scored, descending: bool) -> list[int]:
    pairs = sorted(((s, d.pk) for d, s in zip(scored, SCORES, strict=True)), reverse=descending)
    return [pk for _, pk in pairs]


def test_a_deployment_carries_its_score_and_factors_read_only():
    # given a scored deployment and a manager's token
    deployment = DeploymentFactory()
    deployment_risk_refresh(deployment=deployment)
    client = token_client(UserFactory(roles=["manager"]))
    # when it is read
    body = client.get(f"/api/v1/deployments/{deployment.pk}/").json()
    # then the score and each factor with its value and contribution are there
    assert body["risk_score"] == 22
    assert len(body["risk_factors"]) == 8
    first = body["risk_factors"][0]
    assert {"factor", "value", "contribution"} <= set(first)
    assert first["factor"] == "model_failure_rate"
    assert sum(f["contribution"] for f in body["risk_factors"]) == pytest.approx(22.5)
    # and a client cannot write it
    response = client.patch(
        f"/api/v1/deployments/{deployment.pk}/", {"risk_score": 0, "version": body["version"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["risk_score"] == 22


def test_a_deployment_never_scored_has_no_factors():
    deployment = DeploymentFactory()
    body = token_client(UserFactory(roles=["auditor"])).get(f"/api/v1/deployments/{deployment.pk}/").json()
    assert (body["risk_score"], body["risk_factors"]) == (0, [])


@pytest.mark.parametrize("ordering", ["-risk_score", "risk_score"])
def test_the_list_orders_by_risk_score_in_keyset_pages_that_never_repeat(scored, ordering):
    # given a client that reads pages of two
    client = token_client(UserFactory(roles=["auditor"]))
    url, seen, pages = f"/api/v1/deployments/?ordering={ordering}&page_size=2", [], []
    # when it follows `next` to the end
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    # then every deployment comes once, in score order with ties by id
    assert seen == _expected(scored, descending=ordering.startswith("-"))
    assert len(pages) == 4
    # and `previous` from the last page gives the page before it
    previous = client.get(pages[-1]["previous"]).json()
    assert [row["id"] for row in previous["results"]] == [row["id"] for row in pages[-2]["results"]]


@pytest.mark.parametrize(
    ("query", "field"), [("ordering=title", "ordering"), ("ordering=-risk_score&cursor=x!", "cursor")]
)
def test_an_unknown_ordering_or_a_mangled_cursor_is_bad_input(scored, query, field):
    response = token_client(UserFactory(roles=["auditor"])).get(f"/api/v1/deployments/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_list_by_risk_reads_a_constant_number_of_queries(scored, django_assert_max_num_queries):
    client = token_client(UserFactory(roles=["manager"]))
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/deployments/?ordering=-risk_score")
    assert [row["risk_score"] for row in response.json()["results"]] == sorted(SCORES, reverse=True)


def test_the_schema_documents_the_fields_and_the_ordering():
    schema = token_client(UserFactory(roles=["manager"])).get("/api/schema/?format=json").json()
    deployment = schema["components"]["schemas"]["Deployment"]["properties"]
    assert deployment["risk_score"]["readOnly"] is True
    assert "risk_factors" in deployment
    parameters = schema["paths"]["/api/v1/deployments/"]["get"]["parameters"]
    ordering = next(p for p in parameters if p["name"] == "ordering")
    assert ordering["schema"]["enum"] == ["-risk_score", "risk_score"]


# --- pages -------------------------------------------------------------------------------------------------------


def test_the_deployment_page_shows_each_factor_with_its_value_and_contribution(client):
    deployment = DeploymentFactory()
    deployment_risk_refresh(deployment=deployment)
    client.force_login(UserFactory(roles=["manager"]))
    html = client.get(f"/deployments/{deployment.pk}/").content.decode()
    assert 'data-testid="risk-total">22 / 100' in html
    assert html.count('data-testid="risk-factor"') == 8
    assert "First deployment to this kind of environment" in html
    assert "15.0 <span" in html  # its contribution, of its weight


def test_the_register_sorts_by_risk_highest_first(client, scored):
    client.force_login(UserFactory(roles=["manager"]))
    html = client.get("/deployments/?ordering=-risk_score").content.decode()
    references = [Deployment.reference_for(pk) for pk in _expected(scored, descending=True)]
    positions = [html.index(f'data-reference="{ref}"') for ref in references]
    assert positions == sorted(positions)
    assert 'data-testid="sort-risk"' in html
