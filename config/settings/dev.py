"""Local development and the `make run` demo: SQLite, ORM broker, e-mail to the console."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, env

# the benchmark, its generator and the demo data: `make run`'s seed_demo reuses the generator (never in prod)
INSTALLED_APPS = [*INSTALLED_APPS, "apps.bench"]

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-insecure-key-for-the-local-demo")
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
