"""`manage.py api_token_for`: a token for scripts such as scripts/schemathesis.sh."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_it_prints_a_working_key(world):
    out = StringIO()
    call_command("api_token_for", "manager", "--name", "fuzzing", stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    assert client.get("/api/v1/me/").json()["token_name"] == "fuzzing"


def test_an_unknown_user_is_an_error(world):
    with pytest.raises(CommandError, match="No user"):
        call_command("api_token_for", "nobody")
