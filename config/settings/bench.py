"""Benchmark settings: production settings served over plain HTTP on 127.0.0.1 (no TLS redirect, no secure cookies)."""

import os
import warnings

os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-key-not-for-production-use-0123456789abcdef")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

from .prod import *  # noqa: E402, F403
from .prod import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "apps.bench"]  # the benchmark and its generator: development tooling only

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
AXES_ENABLED = False
# the benchmark's concurrent clients share a few tokens and one address: limits far above the load it sends
REST_FRAMEWORK = {  # noqa: F405
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"user": "1000000/minute", "anon": "1000000/minute", "hooks": "1000000/minute"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# gunicorn serves static files through WhiteNoise from the app directories; no collected STATIC_ROOT is needed here
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# the benchmark's floor: bare endpoints (apps/bench/floor_urls.py) routed only here, beside Deploydesk's own URLs
ROOT_URLCONF = "config.urls_bench"
