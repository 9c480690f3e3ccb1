"""Permission-matrix rows for the review pages and API: every role reads reviews, managers run them, participants
add notes, an initiative's owner updates it, auditors only read."""

import datetime as dt

from django.utils import timezone

from tests.matrix import api, page

READ = {"norole": 403}
RUN = {"default": 403, "manager": 200, "admin": 200}
POST = {"default": 403, "manager": 302, "admin": 302}
API_WRITE = {"default": 403, "manager": 200, "admin": 200}
API_CREATE = {"default": 403, "manager": 201, "admin": 201}


def _new_review(w):
    today = timezone.localdate()
    return {
        "model": w.model.pk,
        "kind": "ad_hoc",
        "period_start": str(today - dt.timedelta(days=60)),
        "period_end": str(today),
        "due_date": str(today + dt.timedelta(days=7)),
    }


ROWS = [
    page("/reviews/", **READ, name="review list"),
    page("/reviews/?state=overdue&kind=scheduled&due_after=nonsense", **READ, name="review list filtered"),
    page("/reviews/new/", **RUN, name="review create form"),
    page(lambda w: f"/reviews/{w.review.pk}/", **READ, name="review workspace"),
    page("/reviews/999999/", default=404, norole=403, name="review workspace (missing)"),
    page(lambda w: f"/reviews/{w.review.pk}/edit/", **RUN, name="review edit form"),
    page(lambda w: f"/reviews/{w.review.pk}/start/", method="post", **POST, name="review start"),
    page(lambda w: f"/reviews/{w.review_in_progress.pk}/complete/", **RUN, name="review complete form"),
    page(
        lambda w: f"/reviews/{w.review_in_progress.pk}/notes/",
        method="post",
        data={"text": "The rollback took 40 minutes."},
        default=403,
        manager=302,
        admin=302,
        service_owner=302,
        practitioner=302,
        name="review note (participants)",
    ),
    page(lambda w: f"/reviews/{w.review_in_progress.pk}/initiatives/new/", **RUN, name="initiative create form"),
    page("/initiatives/", **READ, name="initiative list"),
    page(lambda w: f"/initiatives/{w.initiative.pk}/edit/", **RUN, practitioner=200, name="initiative edit (owner)"),
    # API
    api("/api/v1/reviews/", norole=403, name="api reviews"),
    api("/api/v1/reviews/?state=open&kind=scheduled&ordering=-due_date", norole=403, name="api reviews filtered"),
    api("/api/v1/reviews/?due_after=nonsense", default=400, norole=403, name="api reviews bad filter"),
    api(lambda w: f"/api/v1/reviews/{w.review.pk}/", norole=403, name="api review"),
    api("/api/v1/reviews/999999/", default=404, norole=403, name="api review (missing)"),
    api("/api/v1/reviews/", method="post", data=_new_review, **API_CREATE, name="api review create"),
    api(
        lambda w: f"/api/v1/reviews/{w.review_in_progress.pk}/",
        method="patch",
        data={"findings": "Rollbacks are slow."},
        **API_WRITE,
        name="api review update",
    ),
    api(lambda w: f"/api/v1/reviews/{w.review.pk}/start/", method="post", **API_WRITE, name="api review start"),
    api(
        lambda w: f"/api/v1/reviews/{w.review_in_progress.pk}/complete/",
        method="post",
        data={"decision": "keep", "findings": "Works as agreed."},
        **API_WRITE,
        name="api review complete",
    ),
    api("/api/v1/improvements/?open=true", norole=403, name="api improvements"),
    api(lambda w: f"/api/v1/improvements/{w.initiative.pk}/", norole=403, name="api improvement"),
    api(
        "/api/v1/improvements/",
        method="post",
        data=lambda w: {"review": w.review_in_progress.pk, "title": "Automate the smoke test"},
        **API_CREATE,
        name="api improvement create",
    ),
    api(
        lambda w: f"/api/v1/improvements/{w.initiative.pk}/",
        method="patch",
        data={"status": "in_progress"},
        **API_WRITE,
        practitioner=200,
        name="api improvement update (owner)",
    ),
]
