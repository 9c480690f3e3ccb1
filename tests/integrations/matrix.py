"""Permission-matrix rows for the webhook pages and the webhooks API: managers write, auditors read."""

from tests.matrix import api, page

NOT_MANAGERS = {"norole": 403, "practitioner": 403, "service_owner": 403, "product_owner": 403, "auditor": 403}
READERS_ONLY = {"norole": 403, "practitioner": 403, "service_owner": 403, "product_owner": 403}
HIDDEN = {"norole": 404, "practitioner": 404, "service_owner": 404, "product_owner": 404}


def _form(w):
    return {
        "name": "Matrix hook",
        "url": "https://hooks.example.test/matrix",
        "secret": "matrix-secret",
        "format": "json",
        "events": ["deployment.submit", "approval.needed"],
        "active": "on",
    }


def _api_body(w):
    return {"name": "Matrix hook", "url": "https://hooks.example.test/matrix", "secret": "s", "events": ["review.due"]}


ROWS = [
    # pages
    page("/webhooks/", **READERS_ONLY, name="webhook list"),
    page("/webhooks/new/", **NOT_MANAGERS, name="webhook create form"),
    page("/webhooks/new/", method="post", data=_form, default=302, **NOT_MANAGERS, name="webhook create"),
    page(lambda w: f"/webhooks/{w.webhook.pk}/edit/", **NOT_MANAGERS, name="webhook update form"),
    page(lambda w: f"/webhooks/{w.webhook.pk}/deliveries/", **READERS_ONLY, name="webhook deliveries"),
    page(
        lambda w: f"/webhooks/{w.webhook.pk}/deliveries/{w.webhook_delivery.pk}/redeliver/",
        method="post",
        default=302,
        **NOT_MANAGERS,
        name="webhook redeliver",
    ),
    # API
    api("/api/v1/webhooks/", name="API webhook list"),
    api("/api/v1/webhooks/", method="post", data=_api_body, default=201, **NOT_MANAGERS, name="API webhook create"),
    api(lambda w: f"/api/v1/webhooks/{w.webhook.pk}/", **HIDDEN, name="API webhook detail"),
    api(
        lambda w: f"/api/v1/webhooks/{w.webhook.pk}/",
        method="patch",
        data={"active": False},
        **NOT_MANAGERS,
        name="API webhook change",
    ),
    api(
        lambda w: f"/api/v1/webhooks/{w.webhook.pk}/",
        method="delete",
        default=204,
        **NOT_MANAGERS,
        name="API webhook delete",
    ),
    api(lambda w: f"/api/v1/webhooks/{w.webhook.pk}/deliveries/", **HIDDEN, name="API webhook deliveries"),
    api(
        lambda w: f"/api/v1/webhooks/{w.webhook.pk}/deliveries/{w.webhook_delivery.pk}/",
        **HIDDEN,
        name="API webhook delivery detail",
    ),
    api(
        lambda w: f"/api/v1/webhooks/{w.webhook.pk}/deliveries/{w.webhook_delivery.pk}/redeliver/",
        method="post",
        default=202,
        **NOT_MANAGERS,
        name="API webhook redeliver",
    ),
]
