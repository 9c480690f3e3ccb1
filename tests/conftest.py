"""Shared fixtures: role users, API clients, and headless Chromium for browser tests."""

import os
import shutil

import pytest
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


@pytest.fixture
def world(db):
    """One user per role and the objects each later capability adds (tests/world.py)."""
    return build_world()


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
