"""Backup and restore end to end: back up a database with demo data, wipe it, restore, find every record."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = (
    "('audit', 'accounts', 'roles', 'environments', 'catalog', 'deployment_models', 'deployments', 'reviews', "
    "'reports')"
)
COUNT = (
    "import json; from django.apps import apps; "
    "print(json.dumps({m._meta.label: m.objects.count() for m in apps.get_models() "
    f"if m._meta.managed and m._meta.app_label in {APPS}}}))"
)


def counts(env) -> dict:
    return json.loads(manage(env, "shell", "-v", "0", "-c", COUNT).stdout.strip().splitlines()[-1])


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    # a failing command shows what it printed (pg_restore's error, a traceback), not only its exit status
    said = f"manage.py {' '.join(args)}: exit {done.returncode}\n{done.stdout}{done.stderr}"
    assert not check or done.returncode == 0, said
    return done


def _scratch_postgres(name: str) -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_backup_wipe_restore_keeps_every_record_and_the_audit_chain(tmp_path, engine):
    if engine == "sqlite":
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.skip("SQLite backups are tested in the SQLite run of the suite (`make test`)")
        url = f"sqlite:///{tmp_path / 'deploydesk.sqlite3'}"
    else:
        url = _scratch_postgres("deploydesk_backup_test")
        if url is None:
            pytest.skip("PostgreSQL backups are tested when DATABASE_URL points at PostgreSQL (as in .ci/run)")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "REDIS_URL": ""}
    # given a database with the demo data
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo")
    before = counts(env)
    assert before["deployments.Deployment"] > 0 and before["audit.AuditEntry"] > 0
    # when it is backed up, wiped and restored
    out = manage(env, "backup", "--dir", str(tmp_path / "backups")).stdout
    backup_file = Path(out.strip().rsplit(" ", 1)[-1])
    assert backup_file.is_file() and backup_file.stat().st_size > 0
    if engine == "sqlite":
        (tmp_path / "deploydesk.sqlite3").unlink()
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    wiped = manage(env, "shell", "-v", "0", "-c", COUNT, check=False)
    assert wiped.returncode != 0  # nothing left to count
    manage(env, "restore", str(backup_file), "--yes")
    # then every record is back and the audit chain verifies
    assert counts(env) == before
    verify = manage(env, "verify_audit_trail", check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
