"""Backup and restore of the Deploydesk database: pg_dump/pg_restore on PostgreSQL, SQLite's online backup API."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone


def _pg_env(db: dict) -> tuple[list[str], dict]:
    args = ["--host", db.get("HOST") or "127.0.0.1", "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = {"PGPASSWORD": db.get("PASSWORD") or ""}
    return args, env


def backup(directory: Path, *, alias: str = "default") -> Path:
    """Write a consistent copy of the database into `directory`; returns the file."""
    import os

    db = settings.DATABASES[alias]
    directory.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if db["ENGINE"].endswith("postgresql"):
        target = directory / f"deploydesk-{stamp}.dump"
        args, env = _pg_env(db)
        subprocess.run(  # noqa: S603
            [
                shutil.which("pg_dump") or "pg_dump",
                *args,
                "--format=custom",
                "--no-owner",
                "--file",
                str(target),
                db["NAME"],
            ],
            check=True,
            env={**os.environ, **env},
        )
        return target
    target = directory / f"deploydesk-{stamp}.sqlite3"
    source = sqlite3.connect(str(db["NAME"]))
    try:
        dest = sqlite3.connect(str(target))
        with dest:
            source.backup(dest)  # consistent even while the application writes
        dest.close()
    finally:
        source.close()
    return target


def restore(path: Path, *, alias: str = "default") -> None:
    """Replace the database's contents with the backup at `path`."""
    import os

    db = settings.DATABASES[alias]
    connections[alias].close()
    if db["ENGINE"].endswith("postgresql"):
        args, env = _pg_env(db)
        subprocess.run(  # noqa: S603
            [
                shutil.which("pg_restore") or "pg_restore",
                *args,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                db["NAME"],
                str(path),
            ],
            check=True,
            env={**os.environ, **env},
        )
        return
    source = sqlite3.connect(str(path))
    try:
        dest = sqlite3.connect(str(db["NAME"]))
        with dest:
            source.backup(dest)
        dest.close()
    finally:
        source.close()
