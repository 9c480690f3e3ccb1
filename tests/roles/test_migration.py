"""Roles got an app of their own: a database migrated before the move migrates forward with its rows in place."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from apps.roles.definitions import PROFILES

ROOT = Path(settings.BASE_DIR)
# main before the roles app existed (RoleProfile in accounts, its groups made by accounts' 0002)
BEFORE = "d6b519e"
READ = (
    "import json; from django.db import connection; c = connection.cursor(); "
    "c.execute('SELECT p.id, g.name, p.competency_profile FROM accounts_roleprofile p "
    "JOIN auth_group g ON g.id = p.group_id ORDER BY p.id'); rows = c.fetchall(); "
    "c.execute(\"SELECT app_label FROM django_content_type WHERE model = 'roleprofile' ORDER BY app_label\"); "
    "print(json.dumps({'rows': rows, 'content_types': [r[0] for r in c.fetchall()]}))"
)
READ_NEW = (
    "import json; from apps.roles.models import RoleProfile; "
    "print(json.dumps(list(RoleProfile.objects.order_by('id').values_list('id', 'group__name', 'competency_profile'))))"
)


def _run(cwd: Path, env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def test_a_database_migrated_before_the_move_migrates_forward_keeping_its_role_profiles(tmp_path):
    if (
        shutil.which("git") is None
        or subprocess.run(["git", "cat-file", "-e", f"{BEFORE}^{{commit}}"], cwd=ROOT, capture_output=True).returncode
    ):
        pytest.skip(f"the commit before the move ({BEFORE}) is not in this checkout")
    old = tmp_path / "before"
    old.mkdir()
    archive = subprocess.run(["git", "archive", BEFORE], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploydesk.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": "",
    }
    # given a database migrated by the code before the move, with its role profiles
    _run(old, env, "migrate", "--noinput", "-v0")
    before = json.loads(_run(old, env, "shell", "-v", "0", "-c", READ))
    assert len(before["rows"]) == 5 and before["content_types"] == ["accounts"]
    # when today's code migrates it forward
    _run(ROOT, env, "migrate", "--noinput", "-v0")
    # then the same rows, in the same table, are the roles app's, and their content type moved with them; their
    # single competency profile became the guide's multi-letter one (roles.0003); roles added since, such as the
    # Supplier contact, come after them
    after = json.loads(_run(ROOT, env, "shell", "-v", "0", "-c", READ))
    rows = [[pk, name, PROFILES[name][0]] for pk, name, _ in before["rows"]]
    assert after["content_types"] == ["roles"] and after["rows"][: len(rows)] == rows
    assert json.loads(_run(ROOT, env, "shell", "-v", "0", "-c", READ_NEW))[: len(rows)] == rows
    # and nothing is left to migrate
    assert "No changes detected" in _run(ROOT, env, "makemigrations", "--check", "--dry-run")
