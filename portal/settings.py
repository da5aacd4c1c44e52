"""Settings for the zone portal, read from the environment.

Unset variables give the embedded set-up (SQLite, eager Celery, local-memory cache); naming
``DATABASE_URL`` and ``REDIS_URL`` switches to PostgreSQL and Redis. See README.md.
"""

import datetime as dt
import sys
import warnings
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
TESTING = env.bool("PORTAL_TESTING", default="pytest" in sys.modules)

_DEV_SECRET = "dev-only-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
_DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZA=="  # dev value; base64 of 32 bytes


def _secret(name: str, dev_value: str) -> str:
    value = env.str(name, default="")
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is off.")
    if not TESTING:
        warnings.warn(f"{name} is not set; using a development value.", stacklevel=2)
    return dev_value


SECRET_KEY = _secret("DJANGO_SECRET_KEY", _DEV_SECRET)
FIELD_ENCRYPTION_KEY = _secret("FIELD_ENCRYPTION_KEY", _DEV_FIELD_KEY)
# The key of the lookup hashes stored beside encrypted ID and mobile numbers. It must outlive key rotation:
# unset, it is derived from the oldest FIELD_ENCRYPTION_KEY; set it before that key is dropped.
FIELD_LOOKUP_KEY = env.str("FIELD_LOOKUP_KEY", default="")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "auditlog",
    "django_celery_beat",
    "django_htmx",
    "csp",
    "portal.accounts",
    "portal.workdays",
    "portal.enterprises",
    "portal.content",
    "portal.servicedesk",
    "policies",
    "subsidies",
    "projects",
    "portal.residents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the guards below: their refusals carry the CSP and frame headers too.
    "portal.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.HostileInputMiddleware",
    "portal.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Inside the CSRF middleware: the page's forms get a token whose cookie goes out with it.
    "portal.middleware.MethodNotAllowedPageMiddleware",
    "portal.throttling.FormRateLimitMiddleware",
    "portal.dbrouter.ReplicaReadsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.accounts.middleware.SessionSecurityMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.accounts.middleware.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.site",
            ],
        },
    },
]

# Database: SQLite beside the project unless DATABASE_URL names another (PostgreSQL through psycopg 3).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming replica of the primary, when named: anonymous public pages and public API lists read from it
# (portal/dbrouter.py says exactly when). Tests read the replica's copy of the primary's test database.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": env.int("DATABASE_CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["portal.dbrouter.ReplicaRouter"]
# Off turns the replica's reads off without removing the alias (tests turn it on where they read it).
DATABASE_REPLICA_READS = env.bool("DATABASE_REPLICA_READS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "portal.accounts.security.AddressLimitBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Passwords (等保 level 3): at least 8 characters from 3 of 4 classes, not the username or USCC, not a
# common password; staff passwords expire. Composition and rotation depart from ASVS on purpose (README).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "portal.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "portal.accounts.passwords.IdentifierValidator"},
    {"NAME": "portal.accounts.passwords.ChangeRecorder"},
]
STAFF_PASSWORD_MAX_AGE = dt.timedelta(days=env.int("STAFF_PASSWORD_MAX_AGE_DAYS", default=90))
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "home"

# Sessions: 30 minutes idle, 12 hours at most (portal.accounts.middleware); the cookie dies with the latter.
SESSION_IDLE_AGE = dt.timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=30))
SESSION_ABSOLUTE_AGE = dt.timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_AGE.total_seconds())

# The client's address is REMOTE_ADDR, or, behind N reverse proxies that each append to X-Forwarded-For,
# the N-th entry from the right. Set it to the number of proxies in front of gunicorn, never more.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Lockout (django-axes): an account is locked for 30 minutes after 5 failures, whatever the address;
# an address is refused for 30 minutes after 20 failures over any accounts (password spraying).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_MINUTES = 30
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = True
AXES_CLIENT_IP_CALLABLE = "portal.accounts.security.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.accounts.security.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The per-address limit is ours (portal.accounts.security), not an axes lockout parameter: axes would apply
# the per-account limit of 5 to a whole office behind one NAT address.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
LOGIN_ADDRESS_WINDOW = dt.timedelta(minutes=30)

# Staff sign in with a one-time password (django-otp TOTP) on every path, pages, API and admin, when on.
ADMIN_REQUIRE_OTP = env.bool("ADMIN_REQUIRE_OTP", default=not DEBUG)

# The audit trail (auditlog entries and security events) is kept this long, then purge_audit removes it.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=184)
AUDITLOG_DISABLE_REMOTE_ADDR = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "portal.staticfiles.ManifestStaticFilesStorage"
    },
}
# Outside production, WhiteNoise serves straight from the app folders, with no collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)

# Redis when named: Celery broker, result backend and cache. Otherwise tasks run eagerly in-process.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Anonymous public pages and the stats figures are cached until a public record changes (portal.public_cache);
# this bounds every entry anyway, in seconds. 0 turns the page cache off.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=300)
# A task a worker took and never acknowledged (the worker died) goes back to the queue after this many
# seconds; every task must finish well within it, or it would be delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@portal.invalid")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Session only: the session carries the staff second factor; HTTP Basic would bypass it.
        "portal.authentication.PortalSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only in production: DRF's browsable pages are an English developer's view with the code's
    # notes, not a page for the public the performance page's 数据接口 link sends there.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.throttling.AnonThrottle",
        "portal.throttling.UserThrottle",
        "portal.throttling.ScopedThrottle",
    ],
    "NUM_PROXIES": None,  # portal.throttling.client_ident decides, from TRUSTED_PROXY_COUNT
}
# Abuse limits, per user when logged in, else per client address ("N/s", "N/min", "N/hour", "N/day").
# anon / user hold every API call; the others are the API's throttle scopes and the HTML forms' limits
# (portal.throttling.LIMITED_PAGES). Generous for a person typing: the FAQ box asks on every keystroke.
THROTTLE_RATES = {
    "anon": env.str("THROTTLE_ANON", default="240/min"),
    "user": env.str("THROTTLE_USER", default="600/min"),
    "calculator": env.str("THROTTLE_CALCULATOR", default="30/min"),
    "search": env.str("THROTTLE_SEARCH", default="60/min"),
    "faq_answers": env.str("THROTTLE_FAQ_ANSWERS", default="120/min"),
    "faq_vote": env.str("THROTTLE_FAQ_VOTE", default="30/min"),
    "login": env.str("THROTTLE_LOGIN", default="30/min"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "高新区企业服务门户 API",
    "DESCRIPTION": "政策目录、免申即享、项目审批跟踪与公开数据的接口。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# What the header and the footer say; every government site carries its identification lines.
ZONE_NAME = env.str("ZONE_NAME", default="郑州高新技术产业开发区")
PORTAL_NAME = env.str("PORTAL_NAME", default="企业服务门户")
# The defaults are demo values in the format the registries issue; a real site sets its own.
SITE_IDENTIFIER = env.str("SITE_IDENTIFIER", default="4101000099")
ICP_RECORD = env.str("ICP_RECORD", default="豫ICP备00000000号-1")
PUBLIC_SECURITY_RECORD = env.str("PUBLIC_SECURITY_RECORD", default="豫公网安备41019702000000号")
SERVICE_HOTLINE = env.str("SERVICE_HOTLINE", default="0371-12345")
CONTACT_ADDRESS = env.str("CONTACT_ADDRESS", default="郑州高新区政务服务中心（科学大道与长椿路交叉口）")
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="service@example.gov.cn")
# 我为政府网站找错: the national platform where visitors report errors on any government site.
GOV_ERROR_REPORT_URL = env.str("GOV_ERROR_REPORT_URL", default="https://zfwzzc.www.gov.cn/")
# The elderly-friendly mode (适老化) is remembered in this cookie for a year.
ELDER_MODE_COOKIE = "elder_mode"

# Residents' personal data (PIPL): paid households' records are deleted this many years after payment.
RESIDENT_DATA_RETENTION_YEARS = env.int("RESIDENT_DATA_RETENTION_YEARS", default=3)
# SMS one-time codes: the console gateway prints them; production names the HTTP gateway and its endpoint.
SMS_GATEWAY = env.str("SMS_GATEWAY", default="portal.residents.sms.ConsoleGateway")
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
SMS_GATEWAY_TIMEOUT = env.float("SMS_GATEWAY_TIMEOUT", default=5.0)

# The province's identity (统一身份认证, OpenID Connect) for enterprises (法人) and residents (自然人),
# through mozilla-django-oidc: authorization code flow with PKCE, RS256 ID tokens checked against the
# provider's keys.
# The login page offers it only when every one of these is set (portal.accounts.security.oidc_configured).
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid profile province")
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc:callback"
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
# The provider's and the portal's clocks may differ by this much when checking a token's times.
OIDC_CLOCK_LEEWAY_SECONDS = env.int("OIDC_CLOCK_LEEWAY_SECONDS", default=60)

# Production hardening: `manage.py check --deploy` is clean when DJANGO_DEBUG is off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from the portal's own static files, never inline and
# never from elsewhere (the portal runs on intranets, nothing comes from a CDN); no framing. Styles allow
# inline attributes, which Django admin and the API docs use; scripts do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Pages and API routes with an enterprise's own data: never kept by a browser or proxy cache.
NO_STORE_PATHS = ("/me/", "/resident/", "/api/v1/awards/", "/api/v1/problems/", "/servicedesk/attachments/")
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
