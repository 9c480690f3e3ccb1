"""Local development and the `make run` demo: SQLite, ORM broker, e-mail to the console."""

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS, env

# the benchmark, its generator and the demo data: `make run`'s seed_demo reuses the generator (never in prod)
INSTALLED_APPS = [*INSTALLED_APPS, "apps.bench"]

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-for-the-local-demo")
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# the demo's audit signing key, generated on first use (var/ is not in git)
AUDIT_SIGNING_KEY_GENERATE = env.str(
    "DEPLOYDESK_AUDIT_SIGNING_KEY_GENERATE", default=str(BASE_DIR / "var" / "audit-signing-key.pem")
)
