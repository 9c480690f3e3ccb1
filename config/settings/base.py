"""Settings shared by every Deploydesk environment, read from environment variables."""

import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_q",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "csp",
    "django_htmx",
    "apps.core",
    "apps.audit",
    "apps.accounts",
    "apps.roles",
    "apps.environments",
    "apps.catalog",
    "apps.deployment_models",
    "apps.people",
    "apps.deployments",
    "apps.reviews",
    "apps.integrations",
    "apps.reports",
    "apps.sso",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "apps.audit.middleware.AuditContextMiddleware",
    "apps.core.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # JIT compiles each analytical query for seconds and then saves milliseconds: off for this workload
    # random_page_cost: PostgreSQL's default (4.0) prices a random read as on a spinning disk, and then walks the
    # newest rows by primary key instead of the (status, environment, id) index a filtered list matches; 1.1 is the
    # usual figure for SSD storage. Set DATABASE_RANDOM_PAGE_COST empty to keep the server's own setting.
    _page_cost = env.str("DATABASE_RANDOM_PAGE_COST", default="1.1")
    DATABASES["default"]["OPTIONS"].setdefault(
        "options", "-c jit=off" + (f" -c random_page_cost={float(_page_cost)}" if _page_cost else "")
    )
    # parameters bound by the server; the queries run through `apps.core.db.prepared_cursor` (the id look-ups and the
    # permissions read) are then prepared once a connection (Django turns psycopg's own preparing off); turn off
    # behind a connection pooler in transaction mode
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"

# The audit trail (apps.audit) sits below the apps that know who owns a service; this names the function that answers
# which services' entries a reader without `audit.view_audit` may read.
AUDIT_SERVICE_SCOPE = "apps.reports.permissions.audit_services_for"

# Signed checkpoints of the audit chain (apps.audit.signing, apps.audit.shipping): the Ed25519 private key from a PEM
# file or the environment (PEM text or base64 of the raw 32 bytes); production has no default and refuses to sign
# without one. Where copies of each checkpoint go: syslog (udp://host:514 or tcp://host:514), an HTTPS endpoint, and/or
# an e-mail to the auditors.
AUDIT_SIGNING_KEY_FILE = env.str("DEPLOYDESK_AUDIT_SIGNING_KEY_FILE", default="")
AUDIT_SIGNING_KEY = env.str("DEPLOYDESK_AUDIT_SIGNING_KEY", default="")
AUDIT_SIGNING_KEY_GENERATE = ""  # development and the demo: a key generated once into this file
AUDIT_SYSLOG = env.str("DEPLOYDESK_AUDIT_SYSLOG", default="")
AUDIT_CHECKPOINT_URL = env.str("DEPLOYDESK_AUDIT_CHECKPOINT_URL", default="")
AUDIT_CHECKPOINT_EMAIL = env.bool("DEPLOYDESK_AUDIT_CHECKPOINT_EMAIL", default=False)
# Every audit entry streamed, in order, to a collector by the worker (apps.audit.streaming): syslog+udp://host:514,
# syslog+tcp://host:514 (RFC 5424) or an https:// URL (POST, one JSON line per entry); off when empty.
AUDIT_STREAM = env.str("DEPLOYDESK_AUDIT_STREAM", default="")
AUDIT_ARCHIVE_DIR = env.str("DEPLOYDESK_AUDIT_ARCHIVE_DIR", default="")  # audit_archive files; default media/

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

from apps.sso.mapping import parse_role_map  # noqa: E402  (plain Python, no Django import)

# Local passwords can be switched off once single sign-on or LDAP works; the break-glass account keeps its own.
DEPLOYDESK_LOCAL_LOGIN = env.bool("DEPLOYDESK_LOCAL_LOGIN", default=True)
DEPLOYDESK_BREAK_GLASS_USERNAME = env.str("DEPLOYDESK_BREAK_GLASS_USERNAME", default="")

# Single sign-on with OpenID Connect (mozilla-django-oidc; README "Integrations"): on when a client id is set.
OIDC_RP_CLIENT_ID = env.str("DEPLOYDESK_OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("DEPLOYDESK_OIDC_CLIENT_SECRET", default="")
DEPLOYDESK_OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
DEPLOYDESK_OIDC_ISSUER = env.str("DEPLOYDESK_OIDC_ISSUER", default="")
DEPLOYDESK_OIDC_PROVIDER_NAME = env.str("DEPLOYDESK_OIDC_PROVIDER_NAME", default="single sign-on")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("DEPLOYDESK_OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("DEPLOYDESK_OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("DEPLOYDESK_OIDC_USERINFO_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("DEPLOYDESK_OIDC_JWKS_ENDPOINT", default="")
OIDC_RP_SCOPES = env.str("DEPLOYDESK_OIDC_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env.str("DEPLOYDESK_OIDC_SIGN_ALGO", default="RS256")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env.int("DEPLOYDESK_OIDC_TIMEOUT", default=10)
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:oidc_callback"
DEPLOYDESK_OIDC_USERNAME_CLAIM = env.str("DEPLOYDESK_OIDC_USERNAME_CLAIM", default="preferred_username")
DEPLOYDESK_OIDC_ROLE_CLAIM = env.str("DEPLOYDESK_OIDC_ROLE_CLAIM", default="groups")
DEPLOYDESK_OIDC_ROLE_MAP = parse_role_map(env.str("DEPLOYDESK_OIDC_ROLE_MAP", default=""))
DEPLOYDESK_OIDC_STATE_MAX_AGE = env.int("DEPLOYDESK_OIDC_STATE_MAX_AGE", default=600)

# LDAP / Active Directory (django-auth-ldap; README "Integrations"): on when a server URI is set.
AUTH_LDAP_SERVER_URI = env.str("DEPLOYDESK_LDAP_SERVER_URI", default="")
AUTH_LDAP_BIND_DN = env.str("DEPLOYDESK_LDAP_BIND_DN", default="")
AUTH_LDAP_BIND_PASSWORD = env.str("DEPLOYDESK_LDAP_BIND_PASSWORD", default="")
AUTH_LDAP_START_TLS = env.bool("DEPLOYDESK_LDAP_START_TLS", default=False)
DEPLOYDESK_LDAP_USER_SEARCH_BASE = env.str("DEPLOYDESK_LDAP_USER_SEARCH_BASE", default="")
DEPLOYDESK_LDAP_USER_FILTER = env.str("DEPLOYDESK_LDAP_USER_FILTER", default="(uid=%(user)s)")
DEPLOYDESK_LDAP_GROUP_SEARCH_BASE = env.str("DEPLOYDESK_LDAP_GROUP_SEARCH_BASE", default="")
DEPLOYDESK_LDAP_GROUP_TYPE = env.str("DEPLOYDESK_LDAP_GROUP_TYPE", default="groupOfNames")
DEPLOYDESK_LDAP_ROLE_MAP = parse_role_map(env.str("DEPLOYDESK_LDAP_ROLE_MAP", default=""), separator=";")
AUTH_LDAP_CACHE_TIMEOUT = 0  # group changes count at the next sign-in
if AUTH_LDAP_SERVER_URI:
    from apps.sso.ldap_settings import ldap_search_settings  # noqa: E402

    vars().update(
        ldap_search_settings(
            user_base=DEPLOYDESK_LDAP_USER_SEARCH_BASE,
            user_filter=DEPLOYDESK_LDAP_USER_FILTER,
            group_base=DEPLOYDESK_LDAP_GROUP_SEARCH_BASE,
            group_type=DEPLOYDESK_LDAP_GROUP_TYPE,
        )
    )

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.RoleModelBackend",
    *(["apps.sso.ldap.LdapBackend"] if AUTH_LDAP_SERVER_URI else []),
    *(["apps.sso.oidc.OidcBackend"] if DEPLOYDESK_OIDC_ENABLED else []),
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("DEPLOYDESK_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Cache and task broker: Redis when REDIS_URL is set, otherwise in-process cache and the ORM broker.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "apps.core.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

Q_CLUSTER = {
    "name": "deploydesk",
    "workers": env.int("DEPLOYDESK_WORKERS", default=2),
    "timeout": env.int("DEPLOYDESK_TASK_TIMEOUT", default=300),
    "retry": env.int("DEPLOYDESK_TASK_RETRY", default=360),  # an unacknowledged task is delivered again after this
    "max_attempts": 5,
    "queue_limit": 50,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 500,
    "label": "Background tasks",
}
# Background calls recorded in the outbox (apps.core.outbox) are handed out again when still there after this long
# (the worker that had them died, or the broker dropped them); more than the longest a healthy call takes.
OUTBOX_RESEND_SECONDS = env.int("DEPLOYDESK_OUTBOX_RESEND_SECONDS", default=120)
# E-mails leave through the mail outbox (apps.core.mail_outbox); sent and given-up messages are kept this long
MAIL_OUTBOX_KEEP_DAYS = env.int("DEPLOYDESK_MAIL_OUTBOX_KEEP_DAYS", default=30)
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_BACKEND = env.str("DEPLOYDESK_EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Deploydesk <deploydesk@localhost>")
SITE_URL = env.str("DEPLOYDESK_SITE_URL", default="http://127.0.0.1:8000")

# Signed outbound webhooks (apps.integrations): attempts before a delivery is failed, the back-off between them
# (base × 2^(attempt-1), capped), the receiver's time limit, failed deliveries in a row that switch a subscription
# off, and how long before a freeze starts it is announced.
WEBHOOK_MAX_ATTEMPTS = env.int("DEPLOYDESK_WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_RETRY_BASE_SECONDS = env.int("DEPLOYDESK_WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.int("DEPLOYDESK_WEBHOOK_RETRY_MAX_SECONDS", default=3600)
WEBHOOK_TIMEOUT_SECONDS = env.int("DEPLOYDESK_WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("DEPLOYDESK_WEBHOOK_DISABLE_AFTER_FAILURES", default=5)
WEBHOOK_FREEZE_NOTICE_HOURS = env.int("DEPLOYDESK_WEBHOOK_FREEZE_NOTICE_HOURS", default=24)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    # rate limits, counted in the cache above (shared through Redis when REDIS_URL is set)
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.api.throttling.UserOrTokenRateThrottle",
        "apps.core.api.throttling.AnonAddressRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("DEPLOYDESK_THROTTLE_USER", default="600/minute"),
        "anon": env.str("DEPLOYDESK_THROTTLE_ANON", default="60/minute"),
        "hooks": env.str("DEPLOYDESK_THROTTLE_HOOKS", default="600/minute"),
    },
    # proxies in front of Deploydesk that append to X-Forwarded-For; 0: the client address is REMOTE_ADDR
    "NUM_PROXIES": env.int("DEPLOYDESK_NUM_PROXIES", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Deploydesk API",
    "DESCRIPTION": "Deployment management for the ITIL 4 practice. Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ComponentTypeEnum": "apps.catalog.models.ComponentType",
        "ComponentSourceEnum": "apps.catalog.models.ComponentSource",
        "TriggerEnum": "apps.deployment_models.models.Trigger",  # a deployment's trigger and a model's triggers
        "CriticalityEnum": "apps.catalog.models.Criticality",  # a service's criticality and a finding's severity
        "AuditFindingStatusEnum": "apps.reports.models.FindingStatus",
        "StepStatusEnum": "apps.deployments.models.StepStatus",  # a deployment step's status
        "SuccessFactorEnum": "apps.reports.selectors.kpi_goals.SUCCESS_FACTOR_CHOICES",  # a KPI's and the list's
        "PilotOutcomeEnum": "apps.deployment_models.models.PilotOutcome",  # a pilot's evaluation
        "PilotDecisionEnum": "apps.deployment_models.models.PilotDecision",
        "ReviewDecisionEnum": "apps.reviews.models.ReviewDecision",  # a model review's decision
        "ApprovalDecisionEnum": "apps.deployments.models.Decision",  # an approval's decision
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.add_error_responses",
    ],
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
API_AUTH_FAILURE_LIMIT = env.int("API_AUTH_FAILURE_LIMIT", default=20)
DEPLOYDESK_KPI_CACHE_SECONDS = env.int("DEPLOYDESK_KPI_CACHE_SECONDS", default=300)
DEPLOYDESK_FAILURE_REVIEW_THRESHOLD = env.float("DEPLOYDESK_FAILURE_REVIEW_THRESHOLD", default=0.2)
# The format of an authorised change reference (a regular expression the whole reference must match); a stage that
# asks for one refuses approval without it. A pattern that does not compile stops the start, not the first request.
DEPLOYDESK_CHANGE_REF_PATTERN = env.str("DEPLOYDESK_CHANGE_REF_PATTERN", default=r"CHG\d{7}")
try:
    re.compile(DEPLOYDESK_CHANGE_REF_PATTERN)
except re.error as exc:
    raise ImproperlyConfigured(f"DEPLOYDESK_CHANGE_REF_PATTERN is not a regular expression: {exc}") from exc

# A pre-approved stage's deployment whose risk score (0–100) is above this is sent for approval instead; empty: never.
_preapproval_max_risk = env.str("DEPLOYDESK_PREAPPROVAL_MAX_RISK", default="60").strip()
if _preapproval_max_risk and not (_preapproval_max_risk.isdigit() and int(_preapproval_max_risk) <= 100):
    raise ImproperlyConfigured("DEPLOYDESK_PREAPPROVAL_MAX_RISK is a whole number from 0 to 100, or empty.")
DEPLOYDESK_PREAPPROVAL_MAX_RISK = int(_preapproval_max_risk) if _preapproval_max_risk else None

# inbound deployment events (POST /api/v1/hooks/github/, /gitlab/): the shared secrets, and the service account whose
# roles decide which transitions the events may take; unset secret or user = the endpoint is switched off (404)
DEPLOYDESK_GITHUB_WEBHOOK_SECRET = env.str("DEPLOYDESK_GITHUB_WEBHOOK_SECRET", default="")
DEPLOYDESK_GITLAB_WEBHOOK_TOKEN = env.str("DEPLOYDESK_GITLAB_WEBHOOK_TOKEN", default="")
DEPLOYDESK_HOOKS_USER = env.str("DEPLOYDESK_HOOKS_USER", default="")

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django-q": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# fixtures/: the reference data a new organisation starts from (`manage.py loaddata environments deployment_models`)
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
