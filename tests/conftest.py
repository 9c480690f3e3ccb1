"""Shared fixtures: role users, API clients, and headless Chromium for browser tests."""

import os
import shutil

import pytest
from django.db import transaction
from django.db.models import Model
from rest_framework.test import APIClient

from tests.factories.accounts import UserFactory
from tests.world import build_world

# Playwright's sync API runs an event loop in the test thread (STACK.md).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(
        (marker and marker.kwargs.get("transaction")) or "live_server" in fixtures or "transactional_db" in fixtures
    )


def _shares_world(session, module: str) -> bool:
    """A module shares one world when every one of its tests uses it (others may count rows from zero) and none
    needs a live server or a real transaction."""
    cached = getattr(session, "_deploydesk_sharing", None)
    if cached is None:
        by_module: dict[str, list] = {}
        for item in session.items:
            by_module.setdefault(item.module.__name__, []).append(item)
        cached = {
            name
            for name, items in by_module.items()
            if all("world" in getattr(i, "fixturenames", ()) for i in items) and not any(map(_is_transactional, items))
        }
        session._deploydesk_sharing = cached
    return module in cached


@pytest.fixture(scope="module", autouse=True)
def _module_world(request):
    """The world built once per test module inside a transaction rolled back after the module; each test's own
    transaction nests in it as a savepoint, so tests still start from the same world. Module-scoped and autouse
    so it opens before any test's transaction; built only for modules that share it (see _shares_world)."""
    if not _shares_world(request.session, request.module.__name__):
        yield None
        return
    request.getfixturevalue("django_db_setup")
    django_db_blocker = request.getfixturevalue("django_db_blocker")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# Modules whose tests run for tens of seconds each (servers and workers started and waited for, whole migrations,
# the demo seeded): run first, so a parallel run (`-n`) never ends on one worker finishing them while the others idle.
LONG_MODULES = frozenset(
    {
        "tests.core.test_two_nodes",
        "tests.core.test_worker_crash",
        "tests.core.test_backup",
        "tests.core.test_database_outage",
        "tests.reviews.test_qcluster",
        "tests.reviews.test_schedules",
        "tests.audit.test_migrations",
        "tests.roles.test_migration",
        "tests.deployments.test_concurrency",
        "tests.deployments.test_demo",
        "tests.deployments.test_matrix_snapshot",
        "tests.deployments.test_kpi_rollup_rebuild",
        "tests.bench.test_demo_history",
    }
)


def _run_order(item) -> int:
    if item.module.__name__ in LONG_MODULES:
        return 0
    return 1 if item.get_closest_marker("browser") else 2


def pytest_collection_modifyitems(items):
    """A test that uses the world uses the database: mark it, so pytest-django sets the test database up even when no
    other collected test asks for one (a module that shares the world, run on its own). Then the long modules and
    the browser tests first, each module's tests kept together and in their order (the sort is stable)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "world" in fixtures and item.get_closest_marker("django_db") is None and not _is_transactional(item):
            item.add_marker(pytest.mark.django_db)
    items.sort(key=_run_order)


def _refresh(world) -> None:
    """Re-read every object of the world, so a test sees it as the database has it after the last rollback."""
    for value in vars(world).values():
        objects = value.values() if isinstance(value, dict) else [value]
        for obj in objects:
            if isinstance(obj, Model) and obj.pk is not None:
                obj.refresh_from_db()
                for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_role_cache"):
                    obj.__dict__.pop(cache, None)


@pytest.fixture
def world(request):
    """One user per role and the objects each later capability adds (tests/world.py).

    Shared by the tests of a module (rolled back after each test) where every test uses it; otherwise fresh."""
    if not _shares_world(request.session, request.module.__name__):
        request.getfixturevalue("transactional_db" if _is_transactional(request.node) else "db")
        return build_world()
    shared = request.getfixturevalue("_module_world")
    request.getfixturevalue("db")
    _refresh(shared)
    return shared


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture(autouse=True)
def _isolated(settings):
    """Mail in memory, and no lockout counters carried from one test to the next."""
    from django.core.cache import cache

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
