"""Helpers of the records tests: a signed-in client per user, bulk deployments."""

import datetime as dt

from django.test import Client

from tests.factories.deployments import plan, soon


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def many_deployments(w, n: int, *, service=None, environment=None, start=None):
    """`n` drafts of w.service (or `service`), one hour apart, through the planning service."""
    start = start or soon(20)
    return [
        plan(
            requester=w.users["manager"],
            service=service or w.service,
            environment=environment or w.env_test,
            versions=[w.version_2] if (service or w.service) == w.service else [w.other_version],
            start=start + dt.timedelta(hours=3 * i),
            title=f"Bulk {i}",
        )
        for i in range(n)
    ]
