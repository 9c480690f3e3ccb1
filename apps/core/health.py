"""Health of the parts Deploydesk needs: the database and the task broker."""

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


def health_report() -> tuple[bool, dict]:
    db_error = check_database()
    broker_error = check_broker()
    parts = {
        "database": {"status": "down", "error": db_error} if db_error else {"status": "ok"},
        "broker": {"status": "down", "error": broker_error} if broker_error else {"status": "ok"},
    }
    healthy = not db_error and not broker_error
    return healthy, {"status": "ok" if healthy else "degraded", "parts": parts}
