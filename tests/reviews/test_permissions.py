"""The rule for changing an improvement initiative: one function, used by initiative_update and the Edit links."""

import pytest
from django.core.exceptions import PermissionDenied

from apps.reviews import services
from apps.reviews.permissions import initiative_may_change, initiative_may_reassign
from tests.factories.accounts import UserFactory
from tests.factories.reviews import ImprovementInitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    owner = UserFactory(roles=["practitioner"])
    return {
        "manager": UserFactory(roles=["manager"]),
        "owner": owner,
        "other practitioner": UserFactory(roles=["practitioner"]),
        "auditor": UserFactory(roles=["auditor"]),
    }


@pytest.mark.parametrize(
    ("who", "may_change"),
    [
        ("manager", True),
        ("owner", True),
        ("other practitioner", False),
        ("owner without a role", False),
        ("auditor", False),
    ],
)
def test_the_pages_offer_edit_exactly_when_the_service_accepts(client, people, who, may_change):
    # given an initiative owned by a practitioner
    owner = UserFactory() if who == "owner without a role" else people["owner"]
    initiative = ImprovementInitiativeFactory(owner=owner)
    user = owner if who == "owner without a role" else people[who]
    # when we ask the rule, then it answers as expected
    assert initiative_may_change(initiative=initiative, user=user) is may_change
    # and the service agrees
    if may_change:
        services.initiative_update(initiative=initiative, actor=user, title="Faster rollback")
        initiative.refresh_from_db()
        assert initiative.title == "Faster rollback"
    else:
        with pytest.raises(PermissionDenied, match="^Only deployment managers and the initiative's owner may change"):
            services.initiative_update(initiative=initiative, actor=user, title="Faster rollback")
        initiative.refresh_from_db()
        assert initiative.title != "Faster rollback"


@pytest.mark.parametrize("page", ["list", "review"])
@pytest.mark.parametrize(("who", "shown"), [("manager", True), ("owner", True), ("other practitioner", False)])
def test_the_edit_link_follows_the_rule(client, people, page, who, shown):
    # given an initiative owned by a practitioner
    initiative = ImprovementInitiativeFactory(owner=people["owner"])
    client.force_login(people[who])
    # when the user opens the initiatives list or the review
    url = "/initiatives/" if page == "list" else f"/reviews/{initiative.review_id}/"
    response = client.get(url)
    # then the Edit link shows exactly when they may change it
    assert response.status_code == 200
    assert (f'href="/initiatives/{initiative.pk}/edit/"' in response.content.decode()) is shown


def test_only_managers_reassign(people):
    assert initiative_may_reassign(user=people["manager"]) is True
    assert initiative_may_reassign(user=people["owner"]) is False
