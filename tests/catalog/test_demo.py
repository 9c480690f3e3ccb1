"""The demo catalog: every type, source and supplier kind present, and seeding twice changes nothing."""

import pytest

from apps.catalog import demo
from apps.catalog.models import ComponentSource, ComponentType, ComponentVersion, Service, Supplier, SupplierKind
from apps.catalog.selectors import services_for_requester, services_owned_by
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_is_complete_and_idempotent():
    # given the demo users
    users = {
        "manager": UserFactory(username="manager", roles=["manager"]),
        "serviceowner": UserFactory(username="serviceowner", roles=["service_owner"]),
        "productowner": UserFactory(username="productowner", roles=["product_owner"]),
    }
    # when the demo data is seeded twice
    demo.seed(users)
    counts = (Service.objects.count(), ComponentVersion.objects.count())
    demo.seed(users)
    # then nothing was added the second time and everything the demo promises is there
    assert (Service.objects.count(), ComponentVersion.objects.count()) == counts
    assert counts[0] == 5
    types = set(ComponentVersion.objects.values_list("component__type", flat=True))
    assert types == set(ComponentType.values) - {"other"}
    assert set(ComponentVersion.objects.values_list("component__source", flat=True)) == set(ComponentSource.values)
    assert set(Supplier.objects.filter(components__isnull=False).values_list("kind", flat=True)) == set(
        SupplierKind.values
    )
    assert [s.name for s in services_owned_by(user=users["serviceowner"])] == ["Online shop", "Payments"]
    assert [s.name for s in services_for_requester(user=users["productowner"])] == ["Online shop"]
    assert not ComponentVersion.objects.filter(component__type="software", checksum="").exists()
