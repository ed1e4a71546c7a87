"""One settings module, driven by environment variables (see docs/operations.md).

DIBIAO_ENVIRONMENT=production switches on the HTTPS-only settings that `check --deploy`
expects and forbids demo data; everything else has a safe default for a laptop.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Lets runtime code write the generic types that django-stubs checks (ModelForm[Model]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DIBIAO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENVIRONMENT = os.environ.get("DIBIAO_ENVIRONMENT", "development")
PRODUCTION = ENVIRONMENT == "production"


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into var/ (never committed)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        # Several hosts behind a load balancer must share one key; a per-host file would
        # silently sign each host's sessions differently.
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


def _pii_key() -> str:
    """The personal-data key (dibiao/core/pii.py): from DIBIAO_PII_KEY, else generated once into
    var/. It must survive restores: without it, sealed ID and phone numbers cannot be read."""
    if key := os.environ.get("DIBIAO_PII_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("DIBIAO_PII_KEY must be set in production.")
    key_file = VAR_DIR / "pii_key"
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()


DIBIAO_PII_KEY = _pii_key()


def _label_keys() -> tuple[dict[int, bytes], int]:
    """The label-code MAC keys (dibiao/trace/codes.py) by key id, and the id new codes use.

    DIBIAO_LABEL_KEYS="1:<base64>,2:<base64>" with DIBIAO_LABEL_KEY_ID=2 in production: an old
    key stays listed after a rotation so that the codes printed with it keep verifying. In
    development one key is generated once into var/label_keys."""
    raw = os.environ.get("DIBIAO_LABEL_KEYS", "")
    if not raw:
        if PRODUCTION:
            raise ImproperlyConfigured("DIBIAO_LABEL_KEYS must be set in production.")
        key_file = VAR_DIR / "label_keys"
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write("1:" + base64.b64encode(secrets.token_bytes(32)).decode())
        raw = key_file.read_text().strip()
    keys: dict[int, bytes] = {}
    for item in raw.split(","):
        key_id, _, value = item.strip().partition(":")
        if not key_id.isdigit() or not 0 <= int(key_id) < 32:
            raise ImproperlyConfigured("DIBIAO_LABEL_KEYS: key ids are 0-31, as '1:<base64>'.")
        key = base64.b64decode(value)
        if len(key) < 32:
            raise ImproperlyConfigured("DIBIAO_LABEL_KEYS: each key needs at least 32 bytes.")
        keys[int(key_id)] = key
    current = int(os.environ.get("DIBIAO_LABEL_KEY_ID", str(max(keys))))
    if current not in keys:
        raise ImproperlyConfigured("DIBIAO_LABEL_KEY_ID names a key not in DIBIAO_LABEL_KEYS.")
    return keys, current


DIBIAO_LABEL_KEYS, DIBIAO_LABEL_KEY_ID = _label_keys()


def _ledger_key() -> str:
    """The ledger's Ed25519 signing key (dibiao/ledger/keys.py), base64 of its 32-byte seed:
    from DIBIAO_LEDGER_KEY, else generated once into var/ledger_key at set-up. Whoever holds it
    can sign checkpoints; keep it out of backups of the database and never commit it."""
    if key := os.environ.get("DIBIAO_LEDGER_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("DIBIAO_LEDGER_KEY must be set in production.")
    key_file = VAR_DIR / "ledger_key"
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)).decode())
    return key_file.read_text().strip()


DIBIAO_LEDGER_KEY = _ledger_key()
# The ledger's hash, fixed when the log is created (its first leaf): sha256 or sm3.
DIBIAO_LEDGER_ALGORITHM = os.environ.get("DIBIAO_LEDGER_ALGORITHM", "sha256")
# The checkpoint origin line and key name; by default the public host + "/ledger".
DIBIAO_LEDGER_ORIGIN = os.environ.get("DIBIAO_LEDGER_ORIGIN", "")
# Seconds between checkpoints (`manage.py ledger_checkpoint --every`).
DIBIAO_LEDGER_CHECKPOINT_INTERVAL = int(os.environ.get("DIBIAO_LEDGER_CHECKPOINT_INTERVAL", "300"))
# Sequence queued leaves right after the transaction that wrote them commits.
DIBIAO_LEDGER_INTEGRATE_ON_COMMIT = env_bool("DIBIAO_LEDGER_INTEGRATE_ON_COMMIT", True)

# The public origin printed in QR codes (https://dibiao.example.cn); empty: the request's host.
DIBIAO_PUBLIC_URL = os.environ.get("DIBIAO_PUBLIC_URL", "").rstrip("/")
# Labels a kilogram of a batch can carry, for the over-labelling check (dibiao/trace/reconciliation.py).
DIBIAO_LABELS_PER_KG = int(os.environ.get("DIBIAO_LABELS_PER_KG", "4"))
# The national traceability platform client (dibiao/trace/national.py); the default writes the
# document under MEDIA_ROOT/trace/national/ for upload, a deployment may plug in a real client.
DIBIAO_NATIONAL_PLATFORM_CLIENT = os.environ.get(
    "DIBIAO_NATIONAL_PLATFORM_CLIENT", "dibiao.trace.national.FileExportClient"
)

# The map's optional background tiles, an XYZ template such as
# https://tiles.example.cn/{z}/{x}/{y}.png; empty: the map draws boundaries only (works offline).
DIBIAO_MAP_TILE_URL = os.environ.get("DIBIAO_MAP_TILE_URL", "")

# Background work: django-tasks with its database backend, so the default install needs no
# broker; `manage.py db_worker` runs the queue.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DEBUG = env_bool("DEBUG") and not PRODUCTION
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Reverse proxies whose X-Forwarded-For is believed (exact addresses); the audit log's client IP
# comes from them. Empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = frozenset(env_list("DIBIAO_TRUSTED_PROXIES"))

INSTALLED_APPS = [
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
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "dibiao.core",
    "dibiao.accounts",
    "dibiao.registry",
    "dibiao.projects",
    "dibiao.applications",
    "dibiao.archive",
    "dibiao.disclosure",
    "dibiao.dispatch",
    "dibiao.producers",
    "dibiao.production",
    "dibiao.trace",
    "dibiao.brand",
    "dibiao.evaluation",
    "dibiao.gimap",
    "dibiao.ledger",
    "dibiao.reports",
    "dibiao.demo",
    "dibiao.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dibiao.core.middleware.RequestContextMiddleware",
    "dibiao.core.middleware.RejectNulMiddleware",
    "dibiao.core.middleware.DomainErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dibiao.accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a lockout flagged during authentication into
    # the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "dibiao.portal.navigation.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        # An empty DATABASE_URL (a blank line in an env file) means the default, not an error.
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'dibiao.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# The append-only witness file of published checkpoints, outside the database (production: on
# other storage). The default is one file per database, so that a developer's second database
# is not taken for a rewrite of the first; a database reset without its witness file is one.
DIBIAO_LEDGER_WITNESS = os.environ.get(
    "DIBIAO_LEDGER_WITNESS",
    str(VAR_DIR / f"ledger-witness-{Path(str(DATABASES['default']['NAME'])).name}.jsonl"),
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN
        # so two writers queue instead of failing with "database is locked" mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and login security ------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "dibiao.accounts.passwords.PolicyMinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# The lockout threshold and duration are the security administrator's policy (SecurityPolicy);
# django-axes asks these callables on every attempt.
AXES_FAILURE_LIMIT = "dibiao.accounts.policy.axes_failure_limit"
AXES_COOLOFF_TIME = "dibiao.accounts.policy.axes_cooloff_time"
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dibiao.accounts.views.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# Lockout is per account only. Adding ip_address would let five typos from one county bureau's
# shared NAT address lock every colleague out; address-level throttling is a proxy's job.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# The idle timeout (security policy) and the absolute limit below are IdleTimeoutMiddleware's;
# the cookie itself ends with the browser, and the server forgets a session unused this long.
SESSION_COOKIE_AGE = 12 * 3600
SESSION_MAX_SECONDS = int(os.environ.get("DIBIAO_SESSION_MAX_HOURS", "12")) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"  # filled by collectstatic in production
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (make run, tests) whitenoise serves straight from the app folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Expert scores an application needs before the province may close its review.
DIBIAO_REVIEW_MIN_SCORES = int(os.environ.get("DIBIAO_REVIEW_MIN_SCORES", "3"))
# The largest file the upload validator (dibiao/core/uploads.py) accepts.
DIBIAO_UPLOAD_MAX_BYTES = int(os.environ.get("DIBIAO_UPLOAD_MAX_MB", "20")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024  # request bodies other than files

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "dibiao.core.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dibiao.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dibiao 地标 API",
    "DESCRIPTION": "地理标志农产品保护平台 REST API v1. Errors are {code, message}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set: fields called "status" or "kind" exist in several apps.
    "ENUM_NAME_OVERRIDES": {
        "DivisionLevelEnum": "dibiao.core.choices.DivisionLevel",
        "OrganizationKindEnum": "dibiao.accounts.choices.OrganizationKind",
        "ProductCategoryEnum": "dibiao.registry.choices.ProductCategory",
        "ProductStatusEnum": "dibiao.registry.choices.ProductStatus",
        "DocumentKindEnum": "dibiao.registry.choices.DocumentKind",
        "ProgramStatusEnum": "dibiao.projects.choices.ProgramStatus",
        "ImplementationAreaEnum": "dibiao.projects.choices.ImplementationArea",
        "ContractStatusEnum": "dibiao.projects.choices.ContractStatus",
        "FundEntryKindEnum": "dibiao.projects.choices.EntryKind",
        "FundEntryStatusEnum": "dibiao.projects.choices.EntryStatus",
        "ApplicationStatusEnum": "dibiao.applications.choices.ApplicationStatus",
        "AssignmentStatusEnum": "dibiao.applications.choices.AssignmentStatus",
        "ReportKindEnum": "dibiao.dispatch.choices.ReportKind",
        "ReportStatusEnum": "dibiao.dispatch.choices.ReportStatus",
        "CriticismNoticeStatusEnum": "dibiao.dispatch.choices.NoticeStatus",
        "ProducerKindEnum": "dibiao.producers.choices.ProducerKind",
        "ProducerStatusEnum": "dibiao.producers.choices.ProducerStatus",
        "BaseKindEnum": "dibiao.producers.choices.BaseKind",
        "BaseStatusEnum": "dibiao.producers.choices.BaseStatus",
        "AuthorizationStatusEnum": "dibiao.producers.choices.AuthorizationStatus",
        "RegulationStatusEnum": "dibiao.registry.choices.RegulationStatus",
        "LogKindEnum": "dibiao.production.choices.LogKind",
        "LogStatusEnum": "dibiao.production.choices.LogStatus",
        "InputCategoryEnum": "dibiao.production.choices.InputCategory",
        "RestrictionKindEnum": "dibiao.production.choices.RestrictionKind",
        "TestKindEnum": "dibiao.production.choices.TestKind",
        "TestResultEnum": "dibiao.production.choices.TestResult",
        "TestItemCategoryEnum": "dibiao.production.choices.TestItemCategory",
        "BatchStatusEnum": "dibiao.trace.choices.BatchStatus",
        "TraceStageEnum": "dibiao.trace.choices.TraceStage",
        "SegmentStateEnum": "dibiao.trace.choices.SegmentState",
        "SubmissionStateEnum": "dibiao.dispatch.choices.SubmissionState",
        "CodeStatusEnum": "dibiao.trace.choices.CodeStatus",
        "LabelFormatEnum": "dibiao.trace.choices.LabelFormat",
        "JobStatusEnum": "dibiao.core.choices.JobStatus",
        "CertificateBasisEnum": "dibiao.trace.choices.CertificateBasis",
        "CertificateStatusEnum": "dibiao.trace.choices.CertificateStatus",
        "AlertKindEnum": "dibiao.trace.choices.AlertKind",
        "AlertStatusEnum": "dibiao.trace.choices.AlertStatus",
        "MediaLevelEnum": "dibiao.brand.choices.MediaLevel",
        "EventLevelEnum": "dibiao.brand.choices.EventLevel",
        "EventKindEnum": "dibiao.brand.choices.EventKind",
        "StoryStatusEnum": "dibiao.brand.choices.StoryStatus",
        # The program targets' period, named apart from the indicators' (both fields "period").
        "TargetPeriodEnum": "dibiao.projects.choices.TargetPeriod",
        "IndicatorPeriodEnum": "dibiao.evaluation.choices.IndicatorPeriod",
        "IndicatorComparisonEnum": "dibiao.evaluation.choices.Comparison",
        "IndicatorStatusEnum": "dibiao.evaluation.choices.IndicatorStatus",
        "EvaluationItemMethodEnum": "dibiao.evaluation.choices.ItemMethod",
        "EvaluationScoringRuleEnum": "dibiao.evaluation.choices.ScoringRule",
        "EvaluationRoundLevelEnum": "dibiao.evaluation.choices.RoundLevel",
        "EvaluationRoundStatusEnum": "dibiao.evaluation.choices.RoundStatus",
        "AppealStatusEnum": "dibiao.evaluation.choices.AppealStatus",
        "ReportJobKindEnum": "dibiao.reports.choices.ReportJobKind",
        "ReportFormatEnum": "dibiao.reports.choices.ReportFormat",
    },
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # fpdf2 subsets fonts with fontTools, which logs every table it touches at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

# --- Production hardening (what `check --deploy` asks for) ----------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

DEMO_PASSWORD_FILE = VAR_DIR / "demo_password"
