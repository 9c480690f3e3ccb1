"""Runs every permission-matrix row for every role, and checks that every URL of Deploydesk has a row."""

import importlib
import json
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from tests.matrix import ROLES, Row
from tests.world import build_world

TESTS_DIR = Path(__file__).parent


def _collect_rows() -> list[Row]:
    rows: list[Row] = []
    for path in sorted(TESTS_DIR.glob("*/matrix.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.matrix")
        rows.extend(module.ROWS)
    return rows


ROWS = _collect_rows()


def _request(client, row: Row, url: str, data):
    method = getattr(client, row.method)
    if row.json:
        if row.method == "get":
            return method(url, data or {}, HTTP_ACCEPT="application/json")
        return method(url, json.dumps(data or {}), content_type="application/json", HTTP_ACCEPT="application/json")
    return method(url, data or {})


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker):
    """The shared world, built once for the whole matrix inside a transaction that is rolled back at the end;
    each test's own transaction (the `db` fixture) nests inside it as a savepoint."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.parametrize("row", ROWS, ids=[str(r) for r in ROWS])
def test_permission_matrix(matrix_world, db, row: Row):
    """Each role's request runs in a savepoint that is rolled back, so every role meets the same world and a
    write by one role cannot change what the next one sees."""
    world = matrix_world
    mismatches = []
    for role in ROLES:
        with transaction.atomic():
            # given a client signed in as `role` (or anonymous)
            client = APIClient()
            if role != "anonymous":
                client.force_login(world.users[role])
            # when it requests the row's URL
            response = _request(client, row, row.resolve_url(world), row.resolve_data(world))
            # then it gets exactly the status the matrix says
            if response.status_code != row.expected[role]:
                mismatches.append(f"{role}: expected {row.expected[role]}, got {response.status_code}")
            transaction.set_rollback(True)
    assert not mismatches, f"{row}: " + "; ".join(mismatches)


def _named_patterns(resolver: URLResolver, prefix: str = "") -> set[str]:
    names = set()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            if p.namespace == "admin":
                continue  # the admin is covered by its index row and tests/<app>/test_admin.py
            names |= _named_patterns(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(prefix + p.name)
    return names


IGNORED = {"api-root", "djdt"}


def _is_format_suffix(name: str) -> bool:
    return False


def test_every_url_has_a_matrix_row(matrix_world, db):
    world = matrix_world
    # given every named URL of the project
    all_names = {n for n in _named_patterns(get_resolver()) if n not in IGNORED}
    # when the matrix rows are resolved
    covered = set()
    for row in ROWS:
        match = resolve(row.resolve_url(world).split("?")[0])
        covered.add(f"{':'.join(match.namespaces)}:{match.url_name}" if match.namespaces else match.url_name)
        covered.update(row.covers)
    # then none is missing
    missing = sorted(all_names - covered)
    assert not missing, f"URLs without a permission-matrix row: {missing}"


def test_every_row_names_every_role():
    for row in ROWS:
        assert set(row.expected) == set(ROLES), f"{row} does not give a status for every role"
