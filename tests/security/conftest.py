"""Fixtures of the security sweeps: a world built once per module, clients per user."""

from contextlib import contextmanager

from django.db import transaction
from django.test import Client


@contextmanager
def rolled_back_world(django_db_blocker, build):
    """`build()` run once inside a transaction that is rolled back at the end (as tests/test_permission_matrix.py's
    `matrix_world`); each test's own `db` transaction nests inside it as a savepoint."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client
