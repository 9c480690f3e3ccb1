"""Test settings: fast hashing, tasks run in-process, mail kept in memory."""

from .base import *  # noqa: F403
from .base import Q_CLUSTER, env

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": env.bool("Q_SYNC", default=True)}
ALLOWED_HOSTS = ["*"]
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
DEPLOYDESK_KPI_CACHE_SECONDS = 0  # tests compute figures right after changing the data
