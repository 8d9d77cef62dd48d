"""Deep Dive Arena settings: every knob is an environment variable (see .env.example)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from arena_site.env import (
    demo_secret_key,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_path,
    env_str,
)

PLATFORM_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = PLATFORM_DIR.parent

ARENA_HOME = env_path("ARENA_HOME", REPO_ROOT / "var")
ARENA_ASSIGNMENTS = env_path("ARENA_ASSIGNMENTS", REPO_ROOT / "assignments")
ARENA_DEMO = env_bool("ARENA_DEMO", False)
DEBUG = env_bool("ARENA_DEBUG", False)

_secret = env_str("SECRET_KEY", "")
if not _secret:
    if not (DEBUG or ARENA_DEMO):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (production), "
            "or set ARENA_DEMO=1 / ARENA_DEBUG=1 to use a generated key kept under ARENA_HOME."
        )
    _secret = demo_secret_key(ARENA_HOME / "secret_key")
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Apps another engineer may not have created yet are installed only once they exist.
_OPTIONAL_APPS = [app for app in ("portal", "dashboard") if importlib.util.find_spec(app)]

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
    "courses",
    "submissions",
    "leaderboards",
    "api",
    "accounts",
    *_OPTIONAL_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body: size and NUL checks, then login limits.
    "arena_site.request_guard.RequestGuardMiddleware",
    "arena_site.login_limits.LoginRateLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "arena_site.urls"
WSGI_APPLICATION = "arena_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

_SQLITE_URL = f"sqlite:///{ARENA_HOME / 'arena.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", "") or _SQLITE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    ARENA_HOME.mkdir(parents=True, exist_ok=True)
    # The web server and the worker write the same file: WAL and immediate transactions
    # turn "database is locked" failures into short waits.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("ARENA_DB_CONN_MAX_AGE", 60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared store of login limits: Redis when the broker is Redis, else the database (make
# run); "database" is also the fallback while Redis is down. Its table is made by a migration.
_DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "arena_cache",
}
_REDIS_CACHE_URL = env_str("ARENA_CACHE_URL", "") or env_str("ARENA_BROKER_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _REDIS_CACHE_URL,
            "KEY_PREFIX": "arena",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
        if _REDIS_CACHE_URL.startswith(("redis://", "rediss://"))
        else _DATABASE_CACHE
    ),
    "database": _DATABASE_CACHE,
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Refuses nothing: its hook revokes API tokens whenever a password changes.
    {"NAME": "accounts.api_tokens.RevokeTokensOnPasswordChange"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env_path("ARENA_STATIC_ROOT", PLATFORM_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploads are never served by the web server: they are read only through permission-checked views.
ARENA_UPLOADS_DIR = ARENA_HOME / "uploads"
MEDIA_ROOT = ARENA_UPLOADS_DIR

if not DEBUG and not ARENA_DEMO:
    SESSION_COOKIE_SECURE = env_bool("ARENA_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# --- Accounts and e-mail -----------------------------------------------------------------------
# API tokens die this many days after they were issued (`arena login` gets a new one).
ARENA_TOKEN_TTL_DAYS = env_int("ARENA_TOKEN_TTL_DAYS", 30, minimum=1)
ARENA_INVITATION_TTL_DAYS = env_int("ARENA_INVITATION_TTL_DAYS", 14, minimum=1)
PASSWORD_RESET_TIMEOUT = env_int("ARENA_PASSWORD_RESET_HOURS", 24, minimum=1) * 3600
# console (prints mails to the web server's output: the demo's default), smtp (production's
# default: ARENA_EMAIL_HOST...), file (one file per mail under ARENA_HOME/mail) or locmem.
_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_DEFAULT_EMAIL_BACKEND = "console" if (DEBUG or ARENA_DEMO) else "smtp"
EMAIL_BACKEND = _EMAIL_BACKENDS[
    env_choice("ARENA_EMAIL_BACKEND", _DEFAULT_EMAIL_BACKEND, tuple(_EMAIL_BACKENDS))
]
EMAIL_FILE_PATH = ARENA_HOME / "mail"
EMAIL_HOST = env_str("ARENA_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("ARENA_EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("ARENA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("ARENA_EMAIL_PASSWORD", "")
EMAIL_USE_SSL = env_bool("ARENA_EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("ARENA_EMAIL_USE_TLS", not EMAIL_USE_SSL)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "ARENA_EMAIL_USE_TLS and ARENA_EMAIL_USE_SSL are exclusive: STARTTLS (port 587) or "
        "implicit TLS (port 465), not both."
    )
EMAIL_TIMEOUT = env_int("ARENA_EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("ARENA_EMAIL_FROM", "Deep Dive Arena <arena@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Requests and logins -----------------------------------------------------------------------
# Proxies whose X-Forwarded-For is believed (comma-separated addresses); none by default.
ARENA_TRUSTED_PROXIES = env_list("ARENA_TRUSTED_PROXIES", [])
ARENA_LOGIN_WINDOW_S = env_int("ARENA_LOGIN_WINDOW_S", 900, minimum=1)
ARENA_LOGIN_MAX_PER_IP = env_int("ARENA_LOGIN_MAX_PER_IP", 100, minimum=1)
ARENA_LOGIN_MAX_FAILURES_PER_USER = env_int("ARENA_LOGIN_MAX_FAILURES_PER_USER", 20, minimum=1)
# Bodies of requests other than uploads (which get their assignment's limit).
ARENA_MAX_REQUEST_KB = env_int("ARENA_MAX_REQUEST_KB", 2048, minimum=1)

# --- Grading -----------------------------------------------------------------------------------
ARENA_SANDBOX = env_choice("ARENA_SANDBOX", "auto", ("auto", "docker", "bwrap", "none"))
ARENA_RUNNER_IMAGE = env_str("ARENA_RUNNER_IMAGE", "arena-runner:offline")
ARENA_GPUS = env_str("ARENA_GPUS", "all")
# The longest a single grading run may take (the grader enforces per-stage limits inside it).
ARENA_GRADING_TIMEOUT = env_int("ARENA_GRADING_TIMEOUT", 1800, minimum=10)
# A running attempt whose heartbeat is older than this is presumed dead and may be re-claimed.
ARENA_GRADING_LEASE = env_int("ARENA_GRADING_LEASE", 60, minimum=2)
# The next grading's grader process starts as soon as one ends, imports done and spare
# sandboxes waiting (submissions/warm_grader.py).
ARENA_WARM_GRADER = env_bool("ARENA_WARM_GRADER", True)
ARENA_GRADING_MAX_ATTEMPTS = env_int("ARENA_GRADING_MAX_ATTEMPTS", 3, minimum=1)
ARENA_RETRY_BACKOFF = env_int("ARENA_RETRY_BACKOFF", 30, minimum=0)
# A queued row older than this is sent again (its message may have been lost with a broker).
ARENA_BROKER_RESEND_AFTER = env_int("ARENA_BROKER_RESEND_AFTER", 900, minimum=5)
# How often the outbox dispatcher (manage.py run_dispatcher) sends what the broker has not
# accepted and re-queues the runs of lost workers.
ARENA_DISPATCH_INTERVAL = env_int("ARENA_DISPATCH_INTERVAL", 2, minimum=1)
ARENA_MAX_UPLOAD_MB = env_int("ARENA_MAX_UPLOAD_MB", 50, minimum=1)
# Assignments whose bundle budget (limits.wall_seconds) is at most this go to the short CPU
# queue `cpu`, the others to `cpu-long` (submissions.queue): week 1 never waits behind week 4.
ARENA_SHORT_WALL_SECONDS = env_int("ARENA_SHORT_WALL_SECONDS", 180, minimum=1)

# --- Workers on other machines (docs/deployment.md) --------------------------------------------
# The secret workers show the internal API (/internal/v1/); unset on the web: the API is off.
ARENA_WORKER_TOKEN = env_str("ARENA_WORKER_TOKEN", "").strip()
if ARENA_WORKER_TOKEN and len(ARENA_WORKER_TOKEN) < 32:
    raise ImproperlyConfigured(
        "ARENA_WORKER_TOKEN is shorter than 32 characters; make one with "
        'python -c "import secrets; print(secrets.token_urlsafe(48))"'
    )
# Set on a worker: uploads, bundles, hidden data and pretrained weights come from the web
# service at this URL by SHA-256 (cached under ARENA_HOME/cache) instead of its own ARENA_HOME.
ARENA_INTERNAL_URL = env_str("ARENA_INTERNAL_URL", "").strip().rstrip("/")
if ARENA_INTERNAL_URL and not ARENA_WORKER_TOKEN:
    raise ImproperlyConfigured("ARENA_INTERNAL_URL is set but ARENA_WORKER_TOKEN is not.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Celery --------------------------------------------------------------------------------------
_BROKER_DIR = ARENA_HOME / "broker"
CELERY_BROKER_URL = env_str("ARENA_BROKER_URL", "") or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    # Longer than the longest run, so Redis never redelivers a task that is still being graded.
    "visibility_timeout": env_int(
        "ARENA_BROKER_VISIBILITY_TIMEOUT", ARENA_GRADING_TIMEOUT * 2 + 600, minimum=1
    ),
    # Redis: a worker polls its queues in the order `-Q` lists them (short first), instead of
    # rotating, so a waiting week 1 run is taken before a waiting week 4 one.
    "queue_order_strategy": "priority",
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(_BROKER_DIR / "queue"),
        data_folder_out=str(_BROKER_DIR / "queue"),
        processed_folder=str(_BROKER_DIR / "processed"),
        control_folder=str(_BROKER_DIR / "control"),
        store_processed=False,
    )
ARENA_BEAT_SCHEDULE_FILE = ARENA_HOME / "run" / "celerybeat-schedule"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = ARENA_GRADING_TIMEOUT + 60
CELERY_TASK_TIME_LIMIT = ARENA_GRADING_TIMEOUT + 120
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_CREATE_MISSING_QUEUES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Recovery is not a beat task: it would wait in the queues behind gradings. The dispatcher
# process (submissions.dispatcher) does it on its own schedule.
CELERY_BEAT_SCHEDULE: dict[str, object] = {}
# A broker outage is waited out, however long; a request never waits long on it (see queue.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("ARENA_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
