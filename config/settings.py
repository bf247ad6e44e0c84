"""Triage settings: one module, read from the environment with safe local defaults.

Every variable is described in docs/operators.md. With DEBUG off (the default)
a missing secret key or host list stops start-up with a clear message.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_keys, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG off (production) a secret key "
            "is required: export DJANGO_SECRET_KEY to a long random string, or set "
            "DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS is not set. With DJANGO_DEBUG off (production) list the "
        "host names this server answers to, comma-separated, e.g. "
        "DJANGO_ALLOWED_HOSTS=triage.example.com."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "tickets",
    "notifications",
    "automation",
    "intake",
    "dashboard",
    "qa",
    "insight",
]

MIDDLEWARE = [
    "config.middleware.RequestLogMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
TEST_RUNNER = "config.test_runner.PytestTestRunner"
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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several server processes share one SQLite file. WAL lets readers run
    # beside the single writer; IMMEDIATE takes the write lock when a
    # transaction starts, so two writers queue on the busy timeout instead of
    # one of them failing with "database is locked" when it upgrades its lock.
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if DATABASES["default"]["NAME"] == ":memory:" else 60
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=30000;"
            "PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "triage",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username and address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed logins lock that username from that address for 15 minutes (429, also
# for the right password), on the login page and the admin; the failures are kept in
# the database, so every worker sees them.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A try during the lockout starts the 15 minutes again: a script that keeps trying stays out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Behind a proxy, axes reads the client address the way Django does (REMOTE_ADDR);
# set AXES_IPWARE_META_PRECEDENCE_ORDER in the environment's own settings if needed.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- HTTP hardening ---------------------------------------------------------
SECURE_SSL = env_bool("DJANGO_SECURE_SSL", not DEBUG)
SECURE_SSL_REDIRECT = SECURE_SSL
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_HSTS_SECONDS = 31_536_000 if SECURE_SSL else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL
SECURE_HSTS_PRELOAD = SECURE_SSL
if SECURE_SSL:
    # Behind a TLS-terminating load balancer that sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Largest request body any endpoint accepts; larger ones get 413.
TRIAGE_MAX_BODY_BYTES = env_int("TRIAGE_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = TRIAGE_MAX_BODY_BYTES

# --- Domain -----------------------------------------------------------------
# Assignees that do not count as a proper assignment for the business rule
# (compared trimmed and case-insensitively).
TRIAGE_BOT_NAMES = env_list("TRIAGE_BOT_NAMES", ["SupportBot"])
# The regression suite's status_integrity window.
TRIAGE_STATUS_WINDOW_DAYS = env_int("TRIAGE_STATUS_WINDOW_DAYS", 30, minimum=1)
# How many of the newest audit events the audit_chain check verifies the links of (0: the whole trail).
TRIAGE_AUDIT_CHAIN_WINDOW = env_int("TRIAGE_AUDIT_CHAIN_WINDOW", 200_000, minimum=0)
# Keys of the audit trail's HMAC chain, `id:base64key,...`, the first signing new events; older
# keys stay listed to verify the events they signed. Kept outside the database on purpose.
TRIAGE_AUDIT_KEYS = env_keys("TRIAGE_AUDIT_KEYS")
if not TRIAGE_AUDIT_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "TRIAGE_AUDIT_KEYS is not set. With DJANGO_DEBUG off (production) the audit trail needs "
            "a key kept outside the database: export TRIAGE_AUDIT_KEYS=k1:$(openssl rand -base64 32), "
            "or set DJANGO_DEBUG=1 for local development."
        )
    TRIAGE_AUDIT_KEYS = [("dev", b"triage-development-audit-key, not a secret")]
# Seconds a worker may keep its copy of the automation rules before it reads
# them again; a rule change is also announced through the cache at once.
TRIAGE_RULES_CACHE_SECONDS = env_int("TRIAGE_RULES_CACHE_SECONDS", 5)
# How often the dashboard polls /dashboard/data, in seconds.
TRIAGE_DASHBOARD_REFRESH_SECONDS = env_int("TRIAGE_DASHBOARD_REFRESH_SECONDS", 15, minimum=1)
TRIAGE_LOG_DIR = Path(env_str("TRIAGE_LOG_DIR", str(BASE_DIR / "test_logs")))

# --- Background work and notifications --------------------------------------
# The task queue: the database itself (django-tasks' database backend). Its enqueue writes the
# queue row in the caller's transaction, so a task commits with the ticket write that caused it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Threads of `run_worker` that deliver notifications (each takes one queued task at a time).
TRIAGE_WORKER_THREADS = env_int("TRIAGE_WORKER_THREADS", 4, minimum=1)
# How often the retry sweep runs, and how long delivery and finished queue rows are kept.
TRIAGE_SWEEP_SECONDS = env_int("TRIAGE_SWEEP_SECONDS", 30, minimum=1)
TRIAGE_RETENTION_DAYS = env_int("TRIAGE_RETENTION_DAYS", 30, minimum=1)
# Delivery retries: the first wait (doubled each time, with jitter) and the attempts in all.
TRIAGE_NOTIFY_RETRY_SECONDS = env_int("TRIAGE_NOTIFY_RETRY_SECONDS", 30, minimum=0)
TRIAGE_NOTIFY_MAX_ATTEMPTS = env_int("TRIAGE_NOTIFY_MAX_ATTEMPTS", 8, minimum=1)
# `1` lets channels post over plain http and to private, loopback and link-local addresses.
TRIAGE_OUTBOUND_ALLOW_PRIVATE = env_bool("TRIAGE_OUTBOUND_ALLOW_PRIVATE", False)
# Where messages link to tickets, e.g. https://triage.example.com (no link when empty).
TRIAGE_BASE_URL = env_str("TRIAGE_BASE_URL").rstrip("/")
# Outgoing mail: SMTP when EMAIL_HOST is set, else printed on the console.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "triage@localhost")

# --- REST framework -----------------------------------------------------------
TRIAGE_API_RATE = env_rate("TRIAGE_API_RATE", "600/min")
TRIAGE_WEBHOOK_RATE = env_rate("TRIAGE_WEBHOOK_RATE", "600/min")
# Refused webhook deliveries each client address may leave in the delivery log (beyond: 429, unlogged).
TRIAGE_WEBHOOK_REFUSAL_RATE = env_rate("TRIAGE_WEBHOOK_REFUSAL_RATE", "60/min")
REST_FRAMEWORK = {
    # Token first: a request with a bad token is refused with 401 even when a
    # session cookie rides along, and anonymous requests get 401 (not 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "api": TRIAGE_API_RATE,
        "webhook": TRIAGE_WEBHOOK_RATE,
        "webhook_refusals": TRIAGE_WEBHOOK_REFUSAL_RATE,
    },
    # Throttles key anonymous clients by REMOTE_ADDR: X-Forwarded-For is whatever the client says.
    # Behind N trusted proxies that append it, set this to N.
    "NUM_PROXIES": 0,
    "DATETIME_FORMAT": "iso-8601",
    # Turns a model's ValidationError into a field-keyed 400 and an oversized body into 413.
    "EXCEPTION_HANDLER": "tickets.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Triage API",
    "DESCRIPTION": "Tickets, their audit trail and the signed webhook intake.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["tickets.api.docs.paths_without_trailing_slash"],
}

# --- Logging ------------------------------------------------------------------
# One JSON line per request on stdout (TRIAGE_REQUEST_LOG, on unless DEBUG);
# everything else as plain lines on stderr.
TRIAGE_REQUEST_LOG = env_bool("TRIAGE_REQUEST_LOG", not DEBUG)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "message": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "requests": {"class": "logging.StreamHandler", "formatter": "message", "stream": "ext://sys.stdout"},
    },
    "root": {"handlers": ["console"], "level": env_str("TRIAGE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # One INFO line per notification sent is noise; the delivery log has every attempt.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Django logs every 4xx/5xx itself; our request line already says it.
        "django.request": {"level": "ERROR"},
        "triage.requests": {
            "handlers": ["requests"],
            "level": "INFO" if TRIAGE_REQUEST_LOG else "WARNING",
            "propagate": False,
        },
    },
}
