"""Django settings for Lianxin, read from the environment.

Modes (``LIANXIN_MODE``):
- ``production`` (the default): ``SECRET_KEY`` is required, ``DEBUG`` is off unless asked for.
- ``demo``: set explicitly by ``lianxin demo``; a fixed demo key, SQLite by default.
- ``test``: set by ``lianxin.settings_test`` for the test suite.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from lianxin.envconf import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("LIANXIN_DATA_DIR", str(Path.cwd() / "var")))

MODE = env_str("LIANXIN_MODE", "production")
if MODE not in {"production", "demo", "test"}:
    raise ImproperlyConfigured(f"LIANXIN_MODE must be production, demo or test, got {MODE!r}")
DEMO_MODE = MODE == "demo"

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if MODE == "production":
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment, or run `lianxin demo` for the demo."
        )
    SECRET_KEY = f"lianxin-{MODE}-only-key-not-for-production"

DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if MODE != "production" else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "lianxin.core",
    "lianxin.network",
    "lianxin.workforce",
    "lianxin.patients",
    "lianxin.referrals",
    "lianxin.diagnostics",
    "lianxin.outreach",
    "lianxin.primarycare",
    "lianxin.emergency",
    "lianxin.sterile",
    "lianxin.indicators",
    "lianxin.interfaces",
    "lianxin.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "lianxin.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lianxin.urls"
WSGI_APPLICATION = "lianxin.wsgi.application"

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
                "django.template.context_processors.i18n",
                "lianxin.core.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite (WAL) by default, PostgreSQL through DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        # Ours keeps the audit log's append-only triggers across `flush`.
        DATABASES["default"]["ENGINE"] = "lianxin.core.dbbackends.sqlite3"
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["TEST"] = {"NAME": env_str("LIANXIN_TEST_DB_NAME", None)}
else:
    SQLITE_PATH = Path(env_str("LIANXIN_SQLITE_PATH", str(DATA_DIR / "lianxin.sqlite3")))
    if MODE != "test":
        SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "lianxin.core.dbbackends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # WAL lets readers run while the worker writes; IMMEDIATE makes write transactions
                # take the lock at BEGIN, so two writers queue instead of failing mid-transaction.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force lockout: five failures for one user name lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("LIANXIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Lock by user name, not by address: a township centre reaches the county over one NAT address,
# and one mistyped password there must not lock out every colleague behind it.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
# The DICOM service (`lianxin dicom`): where it listens and its AE title (docs/interfaces/dicom.md).
DICOM_HOST = env_str("LIANXIN_DICOM_HOST", "0.0.0.0")  # noqa: S104 - modalities are elsewhere
DICOM_PORT = env_int("LIANXIN_DICOM_PORT", 11112)
DICOM_AE_TITLE = env_str("LIANXIN_DICOM_AE_TITLE", "LIANXIN")
# The address clients reach DICOMweb at (``https://pacs.example/``), for the RetrieveURL and
# BulkDataURI it gives; empty: taken from each request's Host.
DICOMWEB_BASE_URL = env_str("LIANXIN_DICOMWEB_BASE_URL", "")
# Orthanc as the archive behind Lianxin (docs/interfaces/dicom.md): stored instances are
# forwarded to its REST API and read back over its DICOMweb when the local file is gone.
ORTHANC_URL = env_str("LIANXIN_ORTHANC_URL", "")
# Keep the local file of an instance once Orthanc holds it (default: the pixels live in Orthanc).
ORTHANC_KEEP_FILES = env_bool("LIANXIN_ORTHANC_KEEP_FILES", default=False)
WHITENOISE_USE_FINDERS = True
if MODE != "test":
    # WhiteNoise indexes STATIC_ROOT at start; without `collectstatic` it serves from the finders.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_SECURE = env_bool("LIANXIN_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "lianxin.core.rest.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["lianxin.core.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lianxin.core.rest.exception_handler",
}
SPECTACULAR_SETTINGS = {
    # Swagger UI from the installed sidecar package, not a CDN (the intranet has no internet).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Lianxin API",
    "DESCRIPTION": "连心 medical-community platform: registry, people, patients and workflows.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind" or "sex" field with different choices; name each set.
    "ENUM_NAME_OVERRIDES": {
        "CommunityKindEnum": "lianxin.network.models.CommunityKind",
        "DepartmentKindEnum": "lianxin.network.models.DepartmentKind",
        "AgreementKindEnum": "lianxin.network.models.AgreementKind",
        "CapabilityKindEnum": "lianxin.network.models.CapabilityKind",
        "PatientSexEnum": "lianxin.patients.models.Sex",
        "PractitionerSexEnum": "lianxin.workforce.models.PractitionerSex",
        "PostingKindEnum": "lianxin.outreach.rules.PostingKind",
        "FeedKindEnum": "lianxin.indicators.models.FeedKind",
        "EmergencyConditionEnum": "lianxin.emergency.models.CONDITION_CHOICES",
        "PackConditionEnum": "lianxin.sterile.rules.Condition",
        "FeedFormatEnum": "lianxin.indicators.models.FeedFormat",
        "ActivityKindEnum": "lianxin.outreach.rules.ActivityKind",
        "CoBuiltSpecialtyStatusEnum": "lianxin.outreach.rules.SpecialtyStatus",
        "FollowUpKindEnum": "lianxin.referrals.rules.FollowUpKind",
        "ConsultationKindEnum": "lianxin.referrals.rules.ConsultationKind",
        "WorkflowStatusEnum": "lianxin.core.workflow.states.Status",
        "EquipmentStatusEnum": "lianxin.network.models.EquipmentStatus",
    },
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if MODE in {"test", "demo"}:
    # The demo runs as one process with no worker beside it: background work runs at once.
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LIANXIN_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.request": {"level": "ERROR"}},
}

if MODE == "production" and not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

# Behind HTTPS: cookies only over HTTPS, browsers told to use HTTPS only (HSTS), plain HTTP
# redirected. Lianxin usually sits behind a TLS-terminating proxy, which must set
# X-Forwarded-Proto.
if SESSION_COOKIE_SECURE:
    SECURE_HSTS_SECONDS = env_int("LIANXIN_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LIANXIN_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = False
    # An intranet host name is never on the browsers' preload list.
    SILENCED_SYSTEM_CHECKS += ["security.W021"]
    SECURE_SSL_REDIRECT = env_bool("LIANXIN_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_NAME = "__Secure-sessionid"
    CSRF_COOKIE_NAME = "__Secure-csrftoken"
# HTTPS is not always there in a county intranet; without LIANXIN_SECURE_COOKIES the deploy check
# would warn about what the operator chose. Each silenced check is listed with that reason.
if not SESSION_COOKIE_SECURE:
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W008", "security.W012", "security.W016"]

# Content-Security-Policy (django-csp): scripts, styles and everything else from this site only;
# the pages use no inline script or style. The reading viewer (dwv) decodes images in script
# workers from this site, without WebAssembly or blob: workers; its page adds one narrow
# exception of its own (interfaces.dicom.viewer.VIEWER_CSP).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Outbound notification channels (SMS gateway …) for urgent messages; see lianxin.core.notify.
LIANXIN_NOTIFICATION_CHANNELS = env_list(
    "LIANXIN_NOTIFICATION_CHANNELS", ["lianxin.core.notify.ConsoleChannel"]
)

# How often the workers (and the demo server) escalate overdue workflow items, in minutes.
LIANXIN_ESCALATE_EVERY_MINUTES = env_int("LIANXIN_ESCALATE_EVERY_MINUTES", 2)

# Signed checkpoints of the audit chain's head, written outside the database (a file, and the
# log) every N rows and on every `lianxin audit verify`, so that cutting the newest rows and
# rewinding the head is still detected. Empty: no checkpoint file (the test suite's default).
LIANXIN_AUDIT_CHECKPOINT_FILE = env_str(
    "LIANXIN_AUDIT_CHECKPOINT_FILE",
    "" if MODE == "test" else str(DATA_DIR / "audit-checkpoints.jsonl"),
)
LIANXIN_AUDIT_CHECKPOINT_EVERY = env_int("LIANXIN_AUDIT_CHECKPOINT_EVERY", 100)

# The CJK TrueType font embedded in printed forms (paths separated by ":"); empty: the usual
# Debian locations (see lianxin.core.pdf).
LIANXIN_PDF_FONT = env_str("LIANXIN_PDF_FONT", "")
