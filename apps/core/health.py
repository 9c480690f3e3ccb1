"""Health of the parts Deploydesk needs: the database, the task broker, and what the apps register (schedules)."""

from collections.abc import Callable

from django.conf import settings
from django.db import connection


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the message says why
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None


def check_broker() -> str | None:
    try:
        if settings.Q_CLUSTER.get("redis"):
            import redis

            redis.Redis.from_url(settings.Q_CLUSTER["redis"], socket_connect_timeout=2).ping()
        else:
            from django_q.models import OrmQ

            OrmQ.objects.using(settings.Q_CLUSTER.get("orm", "default")).exists()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None


class HealthChecks:
    """Checks that apps above `core` register at start (`AppConfig.ready`), so /health/ names their problems without
    `core` importing them. A check returns the names of what is missing; an empty list means ok."""

    def __init__(self):
        self._checks: dict[str, Callable[[], list[str]]] = {}

    def register(self, name: str, check: Callable[[], list[str]]) -> None:
        self._checks[name] = check

    def run(self) -> dict[str, dict]:
        parts = {}
        for name, check in self._checks.items():
            try:
                missing = check()
            except Exception as exc:  # e.g. the database is down: reported there; say why here too
                parts[name] = {"status": "unknown", "error": f"{type(exc).__name__}: {exc}".strip()[:200]}
                continue
            parts[name] = {"status": "missing", "missing": missing} if missing else {"status": "ok"}
        return parts


health_checks = HealthChecks()


def health_report() -> tuple[bool, dict]:
    db_error = check_database()
    broker_error = check_broker()
    parts = {
        "database": {"status": "down", "error": db_error} if db_error else {"status": "ok"},
        "broker": {"status": "down", "error": broker_error} if broker_error else {"status": "ok"},
    }
    if not db_error:
        parts.update(health_checks.run())
    healthy = all(part["status"] == "ok" for part in parts.values())
    return healthy, {"status": "ok" if healthy else "degraded", "parts": parts}
