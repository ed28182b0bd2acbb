"""Zoufang settings: one file, read from the environment (see config/env.py).

Embedded default (no DATABASE_URL): SQLite in ./var/, Celery tasks run eagerly in-process, the repository's demo keys.
A deployment is any run with DATABASE_URL set (the test suite's `make pytest` exports throwaway keys and PLAIN_HTTP=1):
it needs SECRET_KEY and PII_KEYS, and serves HTTPS only unless PLAIN_HTTP=1 (docs/operations.md, "Deployment").
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import FERNET_HOWTO, env_bool, env_choice, env_fernet_keys, env_int, env_list, env_str, var_dir
from config.sso_settings import sso_providers

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = var_dir()
(VAR_DIR / "staticfiles").mkdir(parents=True, exist_ok=True)

# --- Deployment: refuse to start on keys that are public in the repository (issue 12 item 7).
DEBUG = env_bool("DEBUG", default=False)
DATABASE_URL = env_str("DATABASE_URL")
DEPLOYMENT = bool(DATABASE_URL)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEPLOYMENT:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. A deployment (DATABASE_URL is set) needs its own secret key: generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))' and set SECRET_KEY in the environment "
            "of every web, worker and beat process (docs/operations.md)."
        )
    # Embedded demo only (no DATABASE_URL): this key is public in the repository.
    SECRET_KEY = "zoufang-insecure-embedded-key-change-me-in-production-0123456789"
# Keys of personal data at rest (comma-separated Fernet keys: the first encrypts, all decrypt), independent of
# SECRET_KEY (campaign/crypto.py; rotate with `manage.py rotate_pii`).
PII_KEYS = env_fernet_keys("PII_KEYS")
if not PII_KEYS:
    if DEPLOYMENT:
        raise ImproperlyConfigured(
            "PII_KEYS is not set. A deployment (DATABASE_URL is set) needs at least one key for personal data at rest, "
            f"kept apart from SECRET_KEY and from backups. {FERNET_HOWTO} and set PII_KEYS=<key> (docs/operations.md)."
        )
    # Embedded demo only: public in the repository.
    PII_KEYS = ["ZW1iZWRkZWQtZGVtby1waWkta2V5LW5vdC1zZWNyZXQ="]
# Key of the lookup hashes of encrypted values (campaign/crypto.py); unset, it is derived from the last PII key.
PII_HASH_KEY = env_str("PII_HASH_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# A form sent with a missing or stale token gets a page that says why and how to go on (config/error_pages.py).
CSRF_FAILURE_VIEW = "config.error_pages.csrf_failure"

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
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "csp",  # only for its checks (settings of django-csp 3 left over); the middleware is campaign.middleware's
    "campaign",
    "visits",
    "issues",
    "dashboard",
    "interop",
    "sso",
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
    # A reporter (户长/楼长) opens the phone page and its few endpoints only (campaign/fence.py).
    "campaign.fence.ReporterFenceMiddleware",
    # After a user's write, their reads wait for the read replica to replay it (config/replica.py; off without one).
    "config.replica.ReadYourWritesMiddleware",
    # The request being served, for the client address of audit events recorded below a view (campaign/audit.py).
    "campaign.audit.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by the lockout into the lockout answer (campaign/auth.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "campaign.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# --- Accounts (issue 12 item 3, docs/security.md "Accounts (item 3)").
# The client address: the connection's, or the N-th address from the right of X-Forwarded-For when N reverse proxies
# are trusted (campaign/clients.py). Read by the lockout, DRF's throttles and the public lookup alike.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# The lockout backend comes first: it refuses a locked-out client before a password is checked.
# Last, the backend a single sign-on session names (it checks no password; sso/views.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTHENTICATION_BACKENDS += ["sso.backends.SsoSessionBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Two separate counters: one per account name (existing or not) and one per client address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "campaign.clients.client_address"
AXES_LOCKOUT_CALLABLE = "campaign.auth.lockout_response"
# A success does not wipe the failures: guessing 4 passwords between 2 good logins of one's own would go on forever.
AXES_RESET_ON_SUCCESS = False
# An attempt while locked is refused without being counted: the lock ends 15 minutes after the 5th failure.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False  # no banner on every manage.py command
PASSWORD_MIN_LENGTH = 12
PASSWORD_HISTORY = 3
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "phone", "first_name", "last_name", "email")},
    },
    {"NAME": "campaign.passwords.NotUsernameValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "campaign.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "campaign.passwords.HistoryValidator", "OPTIONS": {"depth": PASSWORD_HISTORY}},
]
# A page session ends after 30 minutes without a request (every request pushes the end back).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
# API tokens (django-rest-knox, hashed at rest): dead after 8 hours unused, and 30 days after login whatever the use.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=8),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=30),
    "AUTH_HEADER_PREFIX": "Token",
}

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
                "issues.context_processors.notifications",
            ],
        },
    }
]

# --- Databases: SQLite when DATABASE_URL is unset (embedded default), else PostgreSQL, and the optional read replica
# with its router (config/databases.py).
from config.databases import *  # noqa: E402, F403

# --- Redis: broker and cache. Without it, Celery runs tasks eagerly in-process and the cache is local memory.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Bounded waits: a dead Redis costs a request at most ~2 s, then the rate limits fail open (campaign/throttles.py).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: the broker, the queues and every periodic job (config/jobs.py).
from config.jobs import *  # noqa: E402, F403

# How long the audit trail is kept, in days; a month's partition is dropped once the whole month is older. The law
# (网络安全法 §21, 等保 2.0) asks for at least six months: less than 180 refuses to start.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)
if AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured(f"AUDIT_RETENTION_DAYS={AUDIT_RETENTION_DAYS} is below the minimum of 180 days")

# Hot spots (dashboard.hotspots): the tickets of one category in one ~500 m cell it takes to make one, unless the
# caller asks otherwise (`min_count`, 2..1000, as this).
HOTSPOT_MIN_TICKETS = env_int("HOTSPOT_MIN_TICKETS", 5)
if not 2 <= HOTSPOT_MIN_TICKETS <= 1000:
    raise ImproperlyConfigured(f"HOTSPOT_MIN_TICKETS={HOTSPOT_MIN_TICKETS} is not between 2 and 1000")

# Cadre activity (dashboard.cadres): a cadre with no visit on any of this many days is flagged inactive, unless the
# caller asks otherwise (`inactive_days`, 1..366, as this).
CADRE_INACTIVE_DAYS = env_int("CADRE_INACTIVE_DAYS", 7)
if not 1 <= CADRE_INACTIVE_DAYS <= 366:
    raise ImproperlyConfigured(f"CADRE_INACTIVE_DAYS={CADRE_INACTIVE_DAYS} is not between 1 and 366")

# --- SMS and WeChat notification channels (issues/channels, docs/integration.md "短信与微信通知"). A channel whose
# key is unset is off. SMS speaks Alibaba Cloud SMS `SendSms` (RPC, HMAC-SHA1); template codes per notice kind as
# `kind:CODE` pairs, `*:CODE` for the rest. WeChat speaks the Official Account template message API.
SMS_API_URL = env_str("SMS_API_URL", "https://dysmsapi.aliyuncs.com/")
SMS_ACCESS_KEY_ID = env_str("SMS_ACCESS_KEY_ID")
SMS_ACCESS_KEY_SECRET = env_str("SMS_ACCESS_KEY_SECRET")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME")
SMS_TEMPLATE_CODES = env_list("SMS_TEMPLATE_CODES", [])
WECHAT_API_URL = env_str("WECHAT_API_URL", "https://api.weixin.qq.com")
WECHAT_APP_ID = env_str("WECHAT_APP_ID")
WECHAT_APP_SECRET = env_str("WECHAT_APP_SECRET")
WECHAT_TEMPLATE_IDS = env_list("WECHAT_TEMPLATE_IDS", [])
# At most this many messages of a channel to one recipient per rolling hour; the rest are recorded, not sent.
SMS_PER_HOUR = env_int("SMS_PER_HOUR", 5)
WECHAT_PER_HOUR = env_int("WECHAT_PER_HOUR", 20)

# --- Single sign-on (sso/, docs/integration.md "单点登录 (OIDC)"): SSO_PROVIDERS=key1,key2 and SSO_<KEY>_* per
# provider (config/sso_settings.py); none: the password form alone. A first sign-in creates no account: an admin links.
SSO_PROVIDERS = sso_providers()

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
        # knox first: DRF answers a request without credentials with the FIRST class's WWW-Authenticate header,
        # and the session class has none, which turned every 401 into a 403 (issue 12 item 10).
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # IsAuthenticated, and a reporter (户长/楼长) only on its few endpoints (campaign/fence.py).
    "DEFAULT_PERMISSION_CLASSES": ["campaign.fence.NotFenced"],
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
    # Throttles count by the connection's address, or X-Forwarded-For's only behind this many trusted proxies:
    # DRF's default (None) believes any X-Forwarded-For a client makes up.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
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
    # The error answers (400/401/403/404/429) documented on every operation they apply to (config/openapi.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.openapi.document_errors"],
    "ENUM_NAME_OVERRIDES": {
        "TicketKindEnum": "issues.models.Kind",
        "NotificationKindEnum": "issues.models.NotificationKind",
        "UnitKindEnum": "campaign.models.UnitKind",
        "TicketSourceEnum": "issues.models.Source",
        "SuggestedUnitSourceEnum": ["directory", "model"],
        "StatusEnum": "issues.models.Status",  # the tickets' (named as before topics brought a second `status`)
        "TopicStatusEnum": "issues.models.TopicStatus",
        "MessageKindEnum": "issues.models.MessageKind",  # messages and tasks to cadres
        "VisitTargetTypeEnum": "visits.models.TargetType",  # a visit's: household, enterprise, project, meeting
        "ParticipantTargetTypeEnum": ["household", "enterprise"],  # a meeting's participants
    },
}

# --- Maps (SPEC §8): tiles from an internal mirror; none in the demo (plain background). Every map page loads Leaflet
# through django-leaflet ({% leaflet_css %}, {% leaflet_js %}, {% leaflet_map %}: templates/leaflet/ overrides them for
# the CSP) and static/js/map.js starts the map from the options {% leaflet_map %} hands over (docs/decisions.md,
# "Issue 13 — maps"). The tiles' coordinate system rides on the tile layer's options as "datum": on GCJ-02 tiles
# (AMap, Tencent) map.js shifts the stored WGS-84 points for display.
MAP_TILES_URL = env_str("MAP_TILES_URL")
MAP_TILES_CRS = env_choice("MAP_TILES_CRS", "wgs84", ("wgs84", "gcj02"))
LEAFLET_CONFIG = {
    "TILES": [("底图", MAP_TILES_URL, {"attribution": "", "datum": MAP_TILES_CRS})] if MAP_TILES_URL else [],
    "DEFAULT_CENTER": (34.19, 108.88),  # WGS-84; a page centres on its unit, ticket or the cadre when it knows them
    "DEFAULT_ZOOM": 12,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 19,
    "SCALE": None,
    "RESET_VIEW": False,
    "PLUGINS": {
        # Vendored in static/vendor/ (static/vendor/update.sh): django-leaflet ships Leaflet itself, not these.
        "heat": {"js": "vendor/leaflet.heat/leaflet-heat.js"},
        "markercluster": {
            "js": "vendor/leaflet.markercluster/leaflet.markercluster.js",
            "css": [
                "vendor/leaflet.markercluster/MarkerCluster.css",
                "vendor/leaflet.markercluster/MarkerCluster.Default.css",
            ],
        },
    },
}

# --- Content-Security-Policy (django-csp 4, header set by campaign.middleware.ContentSecurityPolicyMiddleware): only
# our own files run, no inline script or style, no CDN; map tiles may come from MAP_TILES_URL's host. NONCE lets a page
# that needs an inline element use `request.csp_nonce`; the header names a nonce only on pages that used one.
_TILES = urlsplit(MAP_TILES_URL)
_TILE_SOURCE = [f"{_TILES.scheme}://{_TILES.netloc}"] if _TILES.scheme and _TILES.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:", *_TILE_SOURCE],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Security. A deployment serves HTTPS only: secure cookies, HSTS for a year (subdomains too) and the redirect.
# PLAIN_HTTP=1 is the one switch off, for a plain-HTTP intranet or a TLS-terminating proxy that redirects by itself;
# then the four deploy checks that ask for those settings are silenced on purpose (docs/operations.md).
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
PLAIN_HTTP = env_bool("PLAIN_HTTP", default=False)
HTTPS_ONLY = DEPLOYMENT and not PLAIN_HTTP
if not DEBUG:
    # The reverse proxy sets X-Forwarded-Proto (docs/operations.md); direct clients never reach the app.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS_ONLY
# Load balancers probe over plain HTTP inside the network: /healthz answers them instead of redirecting.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = HTTPS_ONLY
SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"] if PLAIN_HTTP else []

# Outbound webhooks (interop/ssrf.py): loopback and private-network targets are refused unless this is on (a partner on
# the same intranet; the tests' receiver on 127.0.0.1). Link-local and reserved addresses are refused always.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)

# Form fields and bodies read through request.body (files apart, which the photo view bounds at 10 MB); the API's
# JSON has its own bound (campaign.parsers.MAX_JSON_BYTES).
DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024

# Every handler redacts personal values (campaign/logfilters.py): search parameters in request lines, the row
# contents of database errors, SQL literals. Django's own loggers hand their records to these handlers (the
# default mail_admins handler, which mails the request's parameters, is not used).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "campaign.logfilters.RedactPersonalData"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["personal_data"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}
