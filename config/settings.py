"""Zoufang settings: one file, read from the environment (see campaign/env.py).

Embedded default (no variables set): SQLite in ./var/, Celery tasks run eagerly in-process.
Production: DATABASE_URL (PostgreSQL), REDIS_URL (broker + cache), SECRET_KEY, DEBUG=0, ALLOWED_HOSTS.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_choice, env_int, env_list, env_size, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ZOUFANG_VAR_DIR", str(BASE_DIR / "var")))
(VAR_DIR / "staticfiles").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and env_bool("ZOUFANG_REQUIRE_SECRET", default=False):
        raise ImproperlyConfigured("SECRET_KEY must be set in production")
    # Embedded/demo default only; production sets SECRET_KEY (manage.py check --deploy flags it).
    SECRET_KEY = "zoufang-insecure-embedded-key-change-me-in-production-0123456789"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # SimpleAdminConfig: no autodiscovery, so django-leaflet's admin module (which imports GeoDjango and
    # so GDAL) is never imported. Our admin modules are imported explicitly in config/urls.py.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "campaign",
    "visits",
    "issues",
    "dashboard",
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "campaign.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "campaign.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "campaign.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaign.context_processors.site",
                "issues.context_processors.notifications",
            ],
        },
    }
]

# --- Database: SQLite when DATABASE_URL is unset (embedded default), else PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The statistics group ~1 row per household of a district in memory (dashboard.periods.span_figures): with
        # PostgreSQL's default 4 MB that hash spills to disk and costs twice the time (bench/README.md).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c work_mem={env_size('DB_WORK_MEM', '32MB')}"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "zoufang.sqlite3"),
            # WAL + a busy timeout let the in-process scheduler write while the server reads.
            "OPTIONS": {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache. Without it, Celery runs tasks eagerly in-process and the cache is local memory.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
# A request must never hang on a dead broker: bounded connect/publish timeouts, no endless retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# visibility_timeout: a task whose worker died is redelivered after this many seconds (acks_late).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY = False
# Every periodic job, in one place (config/scheduler.py runs the same table in-process in the embedded default).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # every 15 minutes: supervise overdue and stalled tickets (yellow / red cards, issues/escalation.py)
    "supervise-tickets": {"task": "dashboard.tasks.supervise_tickets", "schedule": crontab(minute="*/15")},
    # every minute: recompute the statistics of days marked dirty (catches up whatever a dead broker missed)
    "rollup-dirty-sweep": {"task": "dashboard.tasks.rollup_dirty", "schedule": 60.0},
    # every night at 01:00 Asia/Shanghai: recompute yesterday in full and snapshot its overdue tickets
    "rollup-nightly": {"task": "dashboard.tasks.rollup_nightly", "schedule": crontab(hour=1, minute=0)},
}

# --- Internationalisation: Chinese first, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: everything local (closed government network); vendor libraries in static/vendor/.
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
WHITENOISE_USE_FINDERS = True
WHITENOISE_MIMETYPES = {".webmanifest": "application/manifest+json"}

# --- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bounded in size and depth (campaign/parsers.py): a hostile body answers 400, never 500.
    "DEFAULT_PARSER_CLASSES": [
        "campaign.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "campaign.pagination.CursorPage",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "campaign.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "30/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zoufang 走访 API",
    "DESCRIPTION": "Visits, tickets (六办工作法) and statistics of a visit-and-resolve campaign.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from drf-spectacular-sidecar's local files: no CDN on a closed network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketKindEnum": "issues.models.Kind",
        "NotificationKindEnum": "issues.models.NotificationKind",
        "UnitKindEnum": "campaign.models.UnitKind",
    },
}

# --- Maps (SPEC §8): tiles from an internal mirror; none in the demo (plain background).
MAP_TILES_URL = env_str("MAP_TILES_URL")
MAP_TILES_CRS = env_choice("MAP_TILES_CRS", "wgs84", ("wgs84", "gcj02"))
LEAFLET_CONFIG = {
    "TILES": [],
    "DEFAULT_CENTER": (34.19, 108.88),
    "DEFAULT_ZOOM": 12,
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}

# --- Security: production behind a TLS-terminating reverse proxy.
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=False)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0

# Form fields and bodies read through request.body (files apart, which the photo view bounds at 10 MB); the API's
# JSON has its own bound (campaign.parsers.MAX_JSON_BYTES).
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
