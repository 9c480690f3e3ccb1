"""Statements PostgreSQL prepares on the connection (apps.core.db.prepared_cursor): the same rows as the usual cursor,
one query each in Django's log, prepared once and run by name, and nothing else on the connection prepared."""

import copy

import pytest
from django.db import connection, transaction

from apps.catalog.models import Service
from apps.core.api.serializers import _copy, _shallow_copy
from apps.core.compiled import CompiledQuery, CompiledUnion
from apps.core.db import prepared_cursor, prepares
from apps.deployments.api.serializers.deployments import (
    DeploymentCreateInputSerializer,
    DeploymentUpdateInputSerializer,
)
from apps.environments.models import Environment
from tests.prepared import plans_of

pytestmark = pytest.mark.django_db

PK = -9_000_001
SERVICE_NAME = "SELECT name FROM catalog_service WHERE id = %s"


def _prepared(text: str) -> list[tuple]:
    """The statements prepared on the connection whose text is `text`: (plans made)."""
    return plans_of(text)


def _postgresql_only():
    if not prepares(connection):
        pytest.skip("statements are prepared on PostgreSQL connections that bind on the server")


def test_a_prepared_statement_reads_what_the_usual_cursor_reads_in_one_query_each(world, django_assert_num_queries):
    # given a service
    service = world.service
    with connection.cursor() as cursor:
        cursor.execute(SERVICE_NAME, [service.pk])
        expected = cursor.fetchall()
    for _ in range(3):
        # when its name is read by a prepared statement, three times
        with django_assert_num_queries(1), prepared_cursor(connection) as cursor:
            cursor.execute(SERVICE_NAME, [service.pk])
            # then each reads the same row, in one query as Django counts them
            assert cursor.fetchall() == expected == [(service.name,)]


def test_a_statement_is_prepared_once_run_by_name_and_nothing_else_is_prepared(world):
    _postgresql_only()
    # given a statement run three times through a prepared cursor, and another through the usual one
    for _ in range(3):
        with prepared_cursor(connection) as cursor:
            cursor.execute(SERVICE_NAME, [world.service.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT slug FROM catalog_service WHERE id = %s", [world.service.pk])
    # then the first is prepared once, its three runs planned by it; the second is not prepared, and psycopg's
    # preparing is still off for the connection's other statements, as Django leaves it
    assert _prepared(SERVICE_NAME) == [(3,)]
    assert _prepared("SELECT slug FROM catalog_service WHERE id = %s") == []
    assert connection.connection.prepare_threshold is None


def test_a_prepared_statement_still_reads_after_a_rollback(world):
    _postgresql_only()
    # given a statement prepared inside a transaction that rolls back (psycopg forgets its statements then)
    with pytest.raises(RuntimeError), transaction.atomic():
        with prepared_cursor(connection) as cursor:
            cursor.execute(SERVICE_NAME, [world.service.pk])
        raise RuntimeError
    # when it is run again
    with prepared_cursor(connection) as cursor:
        cursor.execute(SERVICE_NAME, [world.service.pk])
        # then it reads the row, and one statement of that text is known to the connection's session
        assert cursor.fetchall() == [(world.service.name,)]
    assert len(_prepared(SERVICE_NAME)) >= 1


def test_prepared_compiled_queries_read_what_the_unprepared_read(world, django_assert_num_queries):
    # given a look-up by primary key and a union of two, each compiled with and without `prepare`
    env = world.env_test
    one = {p: CompiledQuery(Service.objects.filter(pk=PK), marks={"pk": PK}, prepare=p) for p in (False, True)}
    both = {
        p: CompiledUnion(
            [Service.objects.filter(pk=PK), Environment.objects.filter(pk=PK - 1)],
            marks={"service": PK, "environment": PK - 1},
            using="default",
            prepare=p,
        )
        for p in (False, True)
    }
    for _ in range(2):
        # when each is read
        with django_assert_num_queries(4):
            read = {
                p: (one[p].fetch(pk=world.service.pk), both[p].fetch(service=world.service.pk, environment=env.pk))
                for p in (False, True)
            }
        # then the prepared and the unprepared give the same instances
        assert read[True] == read[False] == ([world.service], [[world.service], [env]])
    if prepares(connection):  # the same text: prepared once, planned only for the two prepared runs
        assert _prepared(one[True].sql) == [(2,)]


@pytest.mark.parametrize("serializer", [DeploymentCreateInputSerializer, DeploymentUpdateInputSerializer])
def test_the_write_serializers_fields_are_copied_as_copy_copies_them(serializer):
    # given a write serializer's fields, made once per class
    serializer(data={}).fields  # noqa: B018 (builds the class's template)
    template = type.__getattribute__(serializer, "_fields_once")
    for field in template.values():
        # when a field is copied for a request
        copied, expected = _copy(field), copy.copy(field)
        # then it is a new field of the same class with the same attributes, as copy.copy makes it
        assert copied is not field and type(copied) is type(field)
        assert copied.__dict__ == expected.__dict__
        assert list(copied.__dict__) == list(expected.__dict__)
        # and a field with a child gets its own child, bound to the copy
        shallow = _shallow_copy(field)
        for name in ("child", "child_relation"):
            if name in field.__dict__:
                assert getattr(shallow, name) is not getattr(field, name)
                assert getattr(shallow, name).parent is shallow
                assert type(getattr(shallow, name)) is type(getattr(field, name))
