"""Permission-matrix rows for the catalog pages and API resources (every role, every URL)."""

from apps.catalog.models import Supplier
from tests.factories.catalog import sha256_of
from tests.matrix import api, page

FORBIDDEN = 403
# roles that may not write anything in the catalog
READERS = {"practitioner": FORBIDDEN, "service_owner": FORBIDDEN, "product_owner": FORBIDDEN, "auditor": FORBIDDEN}
READERS_NOROLE = {**READERS, "norole": FORBIDDEN}
# the world's service owner also manages w.service's components and versions
OWNER_OK = {**READERS_NOROLE, "service_owner": 200}


def _spare_supplier(w):
    """A supplier no deployment records (w.supplier takes part in w.deployment, so it cannot be removed), made afresh
    for each role's request."""
    return Supplier.objects.create(name=f"Spare supplier {Supplier.objects.count() + 1}", kind="vendor")


def _svc(w):
    return f"/services/{w.service.slug}/"


ROWS = [
    # pages: everyone signed in reads
    page("/services/", name="service list"),
    page("/services/?criticality=high&ordering=-criticality&q=shop", name="service list filtered"),
    page(_svc, name="service detail"),
    page(lambda w: f"/components/{w.component.pk}/", name="component detail"),
    page("/suppliers/", name="supplier list"),
    page(lambda w: f"/suppliers/{w.supplier.pk}/", name="supplier detail"),
    # forms: managers (and administrators) write services and suppliers
    page("/services/new/", name="service create form", **READERS_NOROLE),
    page(
        "/services/new/",
        method="post",
        data={"name": "Matrix service", "criticality": "low"},
        default=302,
        name="service create post",
        **READERS_NOROLE,
    ),
    page(lambda w: f"{_svc(w)}edit/", name="service edit form", **READERS_NOROLE),
    # stakeholders: managers and the service's owners
    page(lambda w: f"{_svc(w)}stakeholders/", name="service stakeholders form (own)", **OWNER_OK),
    page(
        lambda w: f"{_svc(w)}stakeholders/",
        method="post",
        data={"service_desk_email": "desk@example.com", "consumer_contacts": "a@example.com\nb@example.com"},
        default=302,
        name="service stakeholders post (own)",
        **OWNER_OK | {"service_owner": 302},
    ),
    page(
        lambda w: f"/services/{w.other_service.slug}/stakeholders/",
        name="service stakeholders form (other service)",
        **READERS_NOROLE,
    ),
    page("/suppliers/new/", name="supplier create form", **READERS_NOROLE),
    page(lambda w: f"/suppliers/{w.supplier.pk}/edit/", name="supplier edit form", **READERS_NOROLE),
    # components and versions: managers and the owners of the service
    page(lambda w: f"{_svc(w)}components/new/", name="component create form (own service)", **OWNER_OK),
    page(
        lambda w: f"/services/{w.other_service.slug}/components/new/",
        name="component create form (other service)",
        **READERS_NOROLE,
    ),
    page(lambda w: f"/components/{w.component.pk}/edit/", name="component edit form (own)", **OWNER_OK),
    page(lambda w: f"/components/{w.other_component.pk}/edit/", name="component edit form (other)", **READERS_NOROLE),
    page(
        lambda w: f"/components/{w.other_component.pk}/edit/",
        method="post",
        data={"name": "changed", "type": "software", "source": "vendor"},
        default=302,
        name="component edit post (other)",
        **READERS_NOROLE,
    ),
    page(lambda w: f"/components/{w.component.pk}/versions/new/", name="version create form (own)", **OWNER_OK),
    page(
        lambda w: f"/components/{w.component.pk}/versions/new/",
        method="post",
        data={"version": "9.0.0", "repository_ref": "dml://software/shop-web/9.0.0", "checksum": sha256_of("9")},
        default=302,
        name="version create post (own)",
        **{**READERS_NOROLE, "service_owner": 302},
    ),
    page(lambda w: f"/versions/{w.version_1.pk}/edit/", name="version edit form (own)", **OWNER_OK),
    page(lambda w: f"/versions/{w.other_version.pk}/edit/", name="version edit form (other)", **READERS_NOROLE),
    page("/services/no-such-service/", default=404, name="service detail missing"),
    # API: everyone signed in reads; writes per role and ownership
    api("/api/v1/services/", name="api services"),
    api(lambda w: f"/api/v1/services/{w.service.pk}/", name="api service"),
    api(
        "/api/v1/services/",
        method="post",
        data={"name": "API service", "criticality": "low"},
        default=201,
        name="api service create",
        **READERS_NOROLE,
    ),
    api(
        lambda w: f"/api/v1/services/{w.service.pk}/",
        method="patch",
        data={"criticality": "critical"},
        name="api service update",
        **READERS_NOROLE,
    ),
    api("/api/v1/components/", name="api components"),
    api(lambda w: f"/api/v1/components/{w.component.pk}/", name="api component"),
    api(
        "/api/v1/components/",
        method="post",
        data=lambda w: {"service": w.service.pk, "name": "api-comp", "type": "data", "source": "in_house"},
        default=201,
        name="api component create (own service)",
        **{**READERS_NOROLE, "service_owner": 201},
    ),
    api(
        lambda w: f"/api/v1/components/{w.other_component.pk}/",
        method="patch",
        data={"description": "x"},
        name="api component update (other service)",
        **READERS_NOROLE,
    ),
    api("/api/v1/component-versions/", name="api versions"),
    api(lambda w: f"/api/v1/component-versions/{w.version_1.pk}/", name="api version"),
    api(
        "/api/v1/component-versions/",
        method="post",
        data=lambda w: {"component": w.component.pk, "version": "7.0.0", "repository_ref": "dml://s/7"},
        default=201,
        name="api version create (own)",
        **{**READERS_NOROLE, "service_owner": 201},
    ),
    api(
        lambda w: f"/api/v1/component-versions/{w.other_version.pk}/",
        method="patch",
        data={"notes": "x"},
        name="api version update (other)",
        **READERS_NOROLE,
    ),
    api(
        "/api/v1/component-versions/register/",
        method="post",
        data=lambda w: {
            "component": w.component.pk,
            "version": "1.0.0",
            "repository_ref": "dml://software/shop-web/1.0.0",
            "checksum": sha256_of("shop-web-1.0.0"),
        },
        name="api version register (existing, own)",
        **OWNER_OK,
    ),
    api("/api/v1/suppliers/", name="api suppliers"),
    api(lambda w: f"/api/v1/suppliers/{w.supplier.pk}/", name="api supplier"),
    api(
        "/api/v1/suppliers/",
        method="post",
        data={"name": "API supplier", "kind": "partner"},
        default=201,
        name="api supplier create",
        **READERS_NOROLE,
    ),
    api(
        lambda w: f"/api/v1/suppliers/{_spare_supplier(w).pk}/",
        method="delete",
        default=204,
        name="api supplier delete",
        **READERS_NOROLE,
    ),
]
