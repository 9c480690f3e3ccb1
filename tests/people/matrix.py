"""Permission-matrix rows for skills, delegations of approval, the roles page and the expiring clearances."""

import datetime as dt

from tests.matrix import api, page

NOT_MANAGERS = dict.fromkeys(("norole", "practitioner", "service_owner", "product_owner", "auditor"), 403)
NEXT_YEAR = dt.datetime.now(dt.UTC).year + 1


def _delegation_form(w):
    return {
        "deputy": w.users["practitioner"].pk,
        "starts_at": f"{NEXT_YEAR}-03-01T08:00",
        "ends_at": f"{NEXT_YEAR}-03-08T18:00",
        "environments": [w.env_prod.pk],
        "reason": "Matrix",
    }


def _delegation_api(w):
    return {
        "deputy": w.users["practitioner"].pk,
        "starts_at": f"{NEXT_YEAR}-03-01T08:00:00Z",
        "ends_at": f"{NEXT_YEAR}-03-08T18:00:00Z",
        "environments": [w.env_prod.pk],
        "services": [],
    }


ROWS = [
    page("/roles/", name="roles and competencies"),
    page("/profile/skills/", name="skill list"),
    page(
        "/profile/skills/",
        method="post",
        data={"competency": "T", "environment_kind": "test", "component_type": "", "level": "3"},
        default=302,
        name="skill record",
    ),
    page(
        lambda w: f"/profile/skills/{w.skill.pk}/remove/",
        method="post",
        default=404,
        practitioner=302,
        name="skill remove (the practitioner's)",
    ),
    page("/delegations/", **NOT_MANAGERS, name="delegation list"),
    page("/delegations/", method="post", data=_delegation_form, default=302, **NOT_MANAGERS, name="delegation create"),
    page(
        lambda w: f"/delegations/{w.delegation.pk}/revoke/",
        method="post",
        default=302,
        **NOT_MANAGERS,
        name="delegation revoke",
    ),
    page("/clearances/expiring/", **NOT_MANAGERS, name="expiring clearances"),
    api("/api/v1/delegations/", name="api delegation list"),
    api(
        lambda w: f"/api/v1/delegations/{w.delegation.pk}/",
        default=404,
        manager=200,
        admin=200,
        practitioner=200,
        name="api delegation detail (the practitioner is its deputy)",
    ),
    api(
        "/api/v1/delegations/",
        method="post",
        data=_delegation_api,
        default=201,
        **NOT_MANAGERS,
        name="api delegation create",
    ),
    api(
        lambda w: f"/api/v1/delegations/{w.delegation.pk}/revoke/",
        method="post",
        default=200,
        **NOT_MANAGERS,
        name="api delegation revoke",
    ),
]
