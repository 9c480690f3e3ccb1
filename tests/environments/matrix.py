"""Permission-matrix rows for the environment pages and the environments, freeze and maintenance window API."""

import datetime as dt

from tests.factories.accounts import UserFactory
from tests.matrix import api, page

FORBIDDEN = {"norole": 403, "practitioner": 403, "service_owner": 403, "product_owner": 403, "auditor": 403}
NEXT_YEAR = dt.datetime.now(dt.UTC).year + 1


def _freeze_form(w):
    return {
        "name": "Matrix freeze",
        "environment": w.env_test.pk,
        "reason": "Matrix",
        "recurrence": "one_off",
        "time_zone": "UTC",
        "start": f"{NEXT_YEAR}-02-01T10:00",
        "end": f"{NEXT_YEAR}-02-01T12:00",
    }


def _maintenance_form(w):
    return {
        "name": "Matrix window",
        "environment": w.env_test.pk,
        "recurrence": "weekly",
        "time_zone": "Europe/London",
        "start": f"{NEXT_YEAR}-01-01T00:00",
        "weekly_start_day": "5",
        "start_time": "22:00",
        "weekly_end_day": "6",
        "end_time": "04:00",
    }


def _environment_form(w):
    return {"name": "Matrix env", "slug": "matrix-env", "kind": "test", "order": 5, "controlled": "on"}


def _freeze_api(w):
    return {
        "name": "Matrix freeze",
        "environment": None,
        "reason": "Matrix",
        "recurrence": "one_off",
        "start": f"{NEXT_YEAR}-02-01T10:00:00Z",
        "end": f"{NEXT_YEAR}-02-01T12:00:00Z",
    }


def _next_year() -> str:
    return f"{NEXT_YEAR}-06-30T17:00:00Z"


def _clearance_url(w) -> str:
    """A clearance of the role-less user for production, made afresh for each role's request (rolled back)."""
    from apps.environments.services import environment_clear_practitioner

    clearance = environment_clear_practitioner(
        environment=w.env_prod, user=w.users["norole"], actor=w.users["manager"], reason="Matrix"
    )
    return f"/api/v1/environments/{w.env_prod.pk}/clearances/{clearance.pk}/"


def _standing_check_url(w) -> str:
    from tests.factories.environments import EnvironmentCheckFactory

    check = EnvironmentCheckFactory(environment=w.env_prod)
    return f"/api/v1/environments/{w.env_prod.pk}/standing-checks/{check.pk}/"


ROWS = [
    # pages
    page("/environments/", name="environment list"),
    page("/environments/new/", **FORBIDDEN, name="environment create form"),
    page(
        "/environments/new/", method="post", data=_environment_form, default=302, **FORBIDDEN, name="environment create"
    ),
    page(lambda w: f"/environments/{w.env_prod.slug}/", name="environment detail"),
    page(lambda w: f"/environments/{w.env_prod.slug}/edit/", **FORBIDDEN, name="environment update form"),
    page(
        lambda w: f"/environments/{w.env_prod.slug}/checks/",
        method="post",
        data={"action": "add", "description": "Matrix check"},
        default=302,
        **FORBIDDEN,
        name="environment checks add",
    ),
    page(
        lambda w: f"/environments/{w.env_prod.slug}/clearances/",
        method="post",
        data=lambda w: {"action": "clear", "user": UserFactory(roles=["practitioner"]).pk},
        default=302,
        **FORBIDDEN,
        name="environment clearance",
    ),
    page("/freeze-windows/", name="freeze window list"),
    page("/freeze-windows/new/", **FORBIDDEN, name="freeze window create form"),
    page("/freeze-windows/new/", method="post", data=_freeze_form, default=302, **FORBIDDEN, name="freeze create"),
    page(lambda w: f"/freeze-windows/{w.freeze.pk}/edit/", **FORBIDDEN, name="freeze window update form"),
    page(
        lambda w: f"/freeze-windows/{w.freeze.pk}/delete/",
        method="post",
        default=302,
        **FORBIDDEN,
        name="freeze window delete",
    ),
    page(lambda w: f"/freeze-windows/{w.freeze.pk}/preview/", name="freeze window preview"),
    page("/maintenance-windows/", name="maintenance window list"),
    page("/maintenance-windows/new/", **FORBIDDEN, name="maintenance window create form"),
    page(
        "/maintenance-windows/new/",
        method="post",
        data=_maintenance_form,
        default=302,
        **FORBIDDEN,
        name="maintenance window create",
    ),
    page(lambda w: f"/maintenance-windows/{w.maintenance.pk}/edit/", **FORBIDDEN, name="maintenance window update"),
    page(
        lambda w: f"/maintenance-windows/{w.maintenance.pk}/delete/",
        method="post",
        default=302,
        **FORBIDDEN,
        name="maintenance window delete",
    ),
    page(lambda w: f"/maintenance-windows/{w.maintenance.pk}/preview/", name="maintenance window preview"),
    # API
    api("/api/v1/environments/", name="api environment list"),
    api(lambda w: f"/api/v1/environments/{w.env_prod.pk}/", name="api environment detail"),
    api(
        "/api/v1/environments/",
        method="post",
        data={"name": "API env", "slug": "api-env", "kind": "test"},
        default=201,
        **FORBIDDEN,
        name="api environment create",
    ),
    api(
        lambda w: f"/api/v1/environments/{w.env_test.pk}/",
        method="patch",
        data={"purpose": "Matrix"},
        **FORBIDDEN,
        name="api environment update",
    ),
    api("/api/v1/freeze-windows/", name="api freeze window list"),
    api(lambda w: f"/api/v1/freeze-windows/{w.freeze.pk}/", name="api freeze window detail"),
    api("/api/v1/freeze-windows/", method="post", data=_freeze_api, default=201, **FORBIDDEN, name="api freeze create"),
    api(
        lambda w: f"/api/v1/freeze-windows/{w.freeze.pk}/",
        method="delete",
        default=204,
        **FORBIDDEN,
        name="api freeze window delete",
    ),
    api("/api/v1/maintenance-windows/", name="api maintenance window list"),
    api(lambda w: f"/api/v1/maintenance-windows/{w.maintenance.pk}/", name="api maintenance window detail"),
    api(
        lambda w: f"/api/v1/maintenance-windows/{w.maintenance.pk}/",
        method="patch",
        data={"name": "Renamed"},
        **FORBIDDEN,
        name="api maintenance window update",
    ),
    # clearances and standing checks of one environment (managers write, every signed-in user reads)
    api(lambda w: f"/api/v1/environments/{w.env_prod.pk}/clearances/", name="api clearance list"),
    api(
        lambda w: f"/api/v1/environments/{w.env_prod.pk}/clearances/",
        method="post",
        data=lambda w: {"user": w.users["practitioner"].pk, "reason": "Runbook training", "expires_at": _next_year()},
        default=201,
        **FORBIDDEN,
        name="api clearance add",
    ),
    api(_clearance_url, name="api clearance detail"),
    api(_clearance_url, method="delete", default=204, **FORBIDDEN, name="api clearance remove"),
    api(lambda w: f"/api/v1/environments/{w.env_prod.pk}/standing-checks/", name="api standing check list"),
    api(
        lambda w: f"/api/v1/environments/{w.env_prod.pk}/standing-checks/",
        method="post",
        data={"description": "Matrix check"},
        default=201,
        **FORBIDDEN,
        name="api standing check add",
    ),
    api(_standing_check_url, name="api standing check detail"),
    api(
        _standing_check_url,
        method="patch",
        data={"is_active": False},
        **FORBIDDEN,
        name="api standing check change",
    ),
    api(_standing_check_url, method="delete", default=204, **FORBIDDEN, name="api standing check remove"),
]
