"""Test settings: fast hashing, tasks run in-process, mail kept in memory."""

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS, Q_CLUSTER, REST_FRAMEWORK, env

INSTALLED_APPS = [*INSTALLED_APPS, "apps.bench"]  # the benchmark and demo commands are tested too

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": env.bool("Q_SYNC", default=True)}
ALLOWED_HOSTS = ["*"]
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
DEPLOYDESK_KPI_CACHE_SECONDS = 0  # tests compute figures right after changing the data
# rate limits far above what any test sends (tests/core/test_throttling.py lowers them to see 429)
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"user": "100000/minute", "anon": "100000/minute", "hooks": "100000/minute"},
}

# Parallel test workers must not clear each other's cache: with Redis, each xdist worker gets its own database
# (12, 13, …), apart from the broker's (REDIS_URL's own number).
_REDIS_URL = env.str("REDIS_URL", default="")
if _REDIS_URL:
    import os
    from urllib.parse import urlsplit

    _worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    _db = 12 + int(_worker[2:] or 0) if _worker.startswith("gw") else 12
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.RedisCache",
            "LOCATION": urlsplit(_REDIS_URL)._replace(path=f"/{_db}").geturl(),
        }
    }

# the demo's audit signing key, generated on first use (var/ is not in git)
AUDIT_SIGNING_KEY_GENERATE = env.str(
    "DEPLOYDESK_AUDIT_SIGNING_KEY_GENERATE", default=str(BASE_DIR / "var" / "audit-signing-key.pem")
)
