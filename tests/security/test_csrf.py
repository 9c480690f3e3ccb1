"""CSRF: a sample of every app's forms works with the token its page hands out and is refused (403, nothing
changed) without it; the API refuses a session POST without the token too (a token-authenticated client needs none)."""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import ApiToken
from apps.environments.models import Environment
from apps.reviews.models import ModelReview
from tests.security.conftest import rolled_back_world
from tests.world import build_world

TOKEN_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def cw(django_db_setup, django_db_blocker):
    with rolled_back_world(django_db_blocker, build_world) as w:
        yield w


@dataclass(frozen=True)
class Form:
    name: str
    user: str | None  # who is signed in (None: nobody, e.g. the login form)
    page: Any  # the page that shows the form: lambda w: url
    action: Any  # where it posts: lambda w: url
    data: Any  # lambda w: dict
    done: Any  # lambda w, response: whether the POST took effect

    def __str__(self) -> str:
        return self.name


FORMS = [
    Form(
        "login",
        None,
        lambda w: "/accounts/login/",
        lambda w: "/accounts/login/",
        lambda w: {"username": "manager", "password": "pw-secret-123"},
        lambda w, r: r.status_code == 302 and "_auth_user_id" in r.client.session,
    ),
    Form(
        "token create",
        "manager",
        lambda w: "/accounts/profile/",
        lambda w: "/accounts/tokens/",
        lambda w: {"name": "csrf-check"},
        lambda w, r: ApiToken.objects.filter(name="csrf-check").exists(),
    ),
    Form(
        "deployment transition",
        "product_owner",
        lambda w: f"/deployments/{w.draft.pk}/",
        lambda w: f"/deployments/{w.draft.pk}/transition/submit/",
        lambda w: {"comment": "ready"},
        lambda w, r: type(w.draft).objects.get(pk=w.draft.pk).status != "draft",
    ),
    Form(
        "environment create",
        "manager",
        lambda w: "/environments/new/",
        lambda w: "/environments/new/",
        lambda w: {"name": "CSRF lab", "slug": "csrf-lab", "kind": "test", "order": 7, "purpose": "x"},
        lambda w, r: Environment.objects.filter(slug="csrf-lab").exists(),
    ),
    Form(
        "review start",
        "manager",
        lambda w: f"/reviews/{w.review.pk}/",
        lambda w: f"/reviews/{w.review.pk}/start/",
        lambda w: {},
        lambda w, r: ModelReview.objects.get(pk=w.review.pk).status == "in_progress",
    ),
]


def _client(w, form: Form) -> Client:
    client = Client(enforce_csrf_checks=True)
    if form.user:
        client.force_login(w.users[form.user])
    return client


@pytest.mark.parametrize("form", FORMS, ids=str)
def test_form_works_with_its_csrf_token(cw, db, form: Form):
    # given the page that shows the form, with the token it hands out
    client = _client(cw, form)
    page = client.get(form.page(cw))
    assert page.status_code == 200
    match = TOKEN_INPUT.search(page.content.decode())
    assert match, f"{form.page(cw)} has no CSRF token"
    # when the form is posted with it
    response = client.post(form.action(cw), {**form.data(cw), "csrfmiddlewaretoken": match.group(1)})
    # then it is accepted and takes effect
    assert response.status_code in (200, 302), response.status_code
    assert form.done(cw, response), f"{form}: no effect ({response.status_code})"


@pytest.mark.parametrize("form", FORMS, ids=str)
def test_form_without_csrf_token_is_refused(cw, db, form: Form):
    # given a client that enforces CSRF checks, having opened the page (so it holds the CSRF cookie)
    client = _client(cw, form)
    client.get(form.page(cw))
    # when the form is posted without the token
    response = client.post(form.action(cw), form.data(cw))
    # then it is refused and nothing changed
    assert response.status_code == 403
    assert not form.done(cw, response), f"{form} took effect without a CSRF token"


def test_api_session_post_needs_the_csrf_token_but_a_token_client_does_not(cw, db):
    from rest_framework.test import APIClient

    from tests.factories.accounts import token_for

    # given the requester signed in with a session (CSRF enforced) and the same person with an API token
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(cw.users["product_owner"])
    url = f"/api/v1/deployments/{cw.draft.pk}/submit/"
    # when the session posts without the CSRF token
    refused = session.post(url, {}, format="json")
    # then it is refused and the draft is still a draft
    assert refused.status_code == 403
    cw.draft.refresh_from_db()
    assert cw.draft.status == "draft"
    # when it posts with the token from the CSRF cookie
    session.get("/deployments/")
    csrf = session.cookies["csrftoken"].value
    accepted = session.post(url, {}, format="json", HTTP_X_CSRFTOKEN=csrf)
    # then it is accepted
    assert accepted.status_code == 200, accepted.content
    # and a token client needs no CSRF token at all (no cookie is involved)
    token = APIClient(enforce_csrf_checks=True)
    token.credentials(HTTP_AUTHORIZATION=f"Token {token_for(cw.users['manager'])}")
    rejected = token.post(f"/api/v1/deployments/{cw.draft.pk}/reject/", {"comment": "not now"}, format="json")
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["status"] == "rejected"
