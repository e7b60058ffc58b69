"""Settings from the environment. The embedded default is SQLite under TOPUP_DATA_DIR.

Production (`TOPUP_ENV=production`) refuses to start with DEBUG or any demo secret.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("TOPUP_DATA_DIR", "./var")).resolve()

TOPUP_ENV = os.environ.get("TOPUP_ENV", "development")
PRODUCTION = TOPUP_ENV == "production"

DEMO_SECRET_KEY = "demo-insecure-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
DEMO_FIELD_KEY = "ZGVtby1maWVsZC1lbmNyeXB0aW9uLWtleS0zMmJ5dGU="  # base64 of a 32-byte demo key
DEMO_WEBHOOK_SECRET = "whsec_demo_simulator"  # noqa: S105 - the demo value, refused in production
DEMO_IDP_CLIENT_SECRET = "idp_demo_client_secret"  # noqa: S105 - refused in production

SECRET_KEY = os.environ.get("TOPUP_SECRET_KEY", DEMO_SECRET_KEY)
DEBUG = os.environ.get("TOPUP_DEBUG", "0" if PRODUCTION else "1") == "1"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("TOPUP_ALLOWED_HOSTS", "*").split(",") if h.strip()
]
# Field encryption keys (Fernet, urlsafe base64 of 32 bytes); the first encrypts, all decrypt.
TOPUP_FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in os.environ.get("TOPUP_FIELD_ENCRYPTION_KEYS", DEMO_FIELD_KEY).split(",")
    if k.strip()
]
# The key of the keyed lookup hashes (document numbers, contact numbers, booking references):
# its own, so that rotating SECRET_KEY (sessions, signed links) leaves every lookup valid. Unset,
# it is derived from SECRET_KEY as before this setting existed; production must set it.
TOPUP_LOOKUP_HASH_KEY_SET = bool(os.environ.get("TOPUP_LOOKUP_HASH_KEY", ""))
TOPUP_LOOKUP_HASH_KEY = os.environ.get("TOPUP_LOOKUP_HASH_KEY", "") or SECRET_KEY
TOPUP_SIMULATOR_WEBHOOK_SECRET = os.environ.get(
    "TOPUP_SIMULATOR_WEBHOOK_SECRET", DEMO_WEBHOOK_SECRET
)
# The OpenID-Connect client this platform is at the identity provider (eID / itsme; the
# simulator in the demo). The demo secret signs the simulator's id_tokens; production refuses it.
TOPUP_IDP_CLIENT_ID = os.environ.get("TOPUP_IDP_CLIENT_ID", "topup-selfcare")
TOPUP_IDP_CLIENT_SECRET = os.environ.get("TOPUP_IDP_CLIENT_SECRET", DEMO_IDP_CLIENT_SECRET)
TOPUP_PUBLIC_URL = os.environ.get("TOPUP_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
TOPUP_SMS_GATEWAY = os.environ.get("TOPUP_SMS_GATEWAY", "outbox")
TOPUP_ORDER_TTL_S = int(os.environ.get("TOPUP_ORDER_TTL_S", "1800"))
TOPUP_ACCESS_TOKEN_TTL_S = int(os.environ.get("TOPUP_ACCESS_TOKEN_TTL_S", "3600"))
# Shop staff confirm their login with a TOTP code (django-otp); the demo lets its users skip it.
TOPUP_STAFF_TWO_FACTOR_REQUIRED = (
    os.environ.get("TOPUP_STAFF_TWO_FACTOR", "1" if PRODUCTION else "0") == "1"
)
# Staff may enrol their own first TOTP device (demo, development); in production an
# administrator enrols devices in the admin, so a password alone never suffices.
TOPUP_STAFF_SELF_ENROLMENT = (
    os.environ.get("TOPUP_STAFF_SELF_ENROLMENT", "0" if PRODUCTION else "1") == "1"
)
# Receipt printer per shop code (tcp://host:9100, file:///dev/usb/lp0 or dummy:), as JSON.
TOPUP_SHOP_PRINTERS: dict[str, str] = json.loads(os.environ.get("TOPUP_SHOP_PRINTERS", "{}"))
# Receipt printer per kiosk code, as JSON (same URL forms as the shops').
TOPUP_KIOSK_PRINTERS: dict[str, str] = json.loads(os.environ.get("TOPUP_KIOSK_PRINTERS", "{}"))
# A kiosk screen left untouched this long is wiped back to the attract screen.
TOPUP_KIOSK_IDLE_S = int(os.environ.get("TOPUP_KIOSK_IDLE_S", "60"))
TOPUP_MAX_SIMS_PER_IDENTITY = int(os.environ.get("TOPUP_MAX_SIMS_PER_IDENTITY", "5"))
TOPUP_VISITS_SLOT_CAPACITY = int(os.environ.get("TOPUP_VISITS_SLOT_CAPACITY", "2"))
TOPUP_VISITS_SMS_SENDER_NAME = os.environ.get("TOPUP_VISITS_SMS_SENDER_NAME", "TopupShops")
TOPUP_METRICS_TOKEN = os.environ.get("TOPUP_METRICS_TOKEN", "")
# Back office (issue 6). Refunds and goodwill credits above this amount need a second person.
TOPUP_FOUR_EYES_THRESHOLD_CENTS = int(os.environ.get("TOPUP_FOUR_EYES_THRESHOLD_CENTS", "2000"))
# Identification data is kept this long after a line ends or a record is superseded, then erased.
TOPUP_IDENTIFICATION_RETENTION_DAYS = int(
    os.environ.get("TOPUP_IDENTIFICATION_RETENTION_DAYS", "365")
)
# Re-identifications of one line within 90 days above which compliance looks at it.
TOPUP_REIDENTIFICATION_REVIEW_LIMIT = int(
    os.environ.get("TOPUP_REIDENTIFICATION_REVIEW_LIMIT", "2")
)
# Dashboards: an order waiting for its payment longer than this is shown as stuck.
TOPUP_DASHBOARD_PENDING_MINUTES = int(os.environ.get("TOPUP_DASHBOARD_PENDING_MINUTES", "15"))

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("TOPUP_ENV=production refuses DEBUG; unset TOPUP_DEBUG.")
    demo_values = {
        "TOPUP_SECRET_KEY": SECRET_KEY == DEMO_SECRET_KEY,
        "TOPUP_FIELD_ENCRYPTION_KEYS": DEMO_FIELD_KEY in TOPUP_FIELD_ENCRYPTION_KEYS,
        "TOPUP_SIMULATOR_WEBHOOK_SECRET": TOPUP_SIMULATOR_WEBHOOK_SECRET == DEMO_WEBHOOK_SECRET,
        "TOPUP_IDP_CLIENT_SECRET": TOPUP_IDP_CLIENT_SECRET == DEMO_IDP_CLIENT_SECRET,
        "TOPUP_LOOKUP_HASH_KEY": not TOPUP_LOOKUP_HASH_KEY_SET,
    }
    refused = sorted(name for name, is_demo in demo_values.items() if is_demo)
    if refused:
        raise ImproperlyConfigured(
            f"TOPUP_ENV=production refuses demo secrets; set: {', '.join(refused)}"
        )
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("TOPUP_ENV=production needs explicit TOPUP_ALLOWED_HOSTS.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "topup.core",
    "topup.audit",
    "topup.ledger",
    "topup.catalog",
    "topup.subscribers",
    "topup.payments",
    "topup.messaging",
    "topup.identity",
    "topup.topups",
    "topup.shops",
    "topup.visits",
    "topup.kiosks",
    "topup.staff",
    "topup.disputes",
    "topup.compliance",
    "topup.finance",
    "topup.dashboards",
    "topup.channels.api",
    "topup.channels.web",
    "topup.channels.shop",
    "topup.channels.kiosk",
    "topup.channels.backoffice",
    "topup.cli",
]

MIDDLEWARE = [
    "topup.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "topup.channels.web.middleware.AccountLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "topup.config.urls"
WSGI_APPLICATION = "topup.config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "topup.channels.web.context.web_context",
            ],
        },
    },
]


def _database_config() -> dict[str, object]:
    default_url = f"sqlite:///{DATA_DIR / 'topup.sqlite3'}"
    config: dict[str, object] = dict(
        dj_database_url.parse(os.environ.get("DATABASE_URL", default_url), conn_max_age=60)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE transactions take the write lock up front, so the web server and the
        # worker never deadlock on a read-then-write; WAL lets readers run beside a writer.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["CONN_MAX_AGE"] = 0
    else:
        config["CONN_HEALTH_CHECKS"] = True
        # Behind a transaction-pooling PgBouncer a cursor cannot outlive its transaction:
        # `.iterator()` then reads in chunks without a server-side (WITH HOLD) cursor.
        if os.environ.get("TOPUP_DATABASE_POOL_MODE", "session") == "transaction":
            config["DISABLE_SERVER_SIDE_CURSORS"] = True
    config["TEST"] = {"NAME": os.environ.get("TOPUP_TEST_DATABASE_NAME") or None}
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "webhooks", "sms"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("nl", _("Dutch")),
    ("fr", _("French")),
    ("de", _("German")),
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

# Django's database sessions, with only a digest of each session key (the cookie) in the table.
SESSION_ENGINE = "topup.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
# Behind a load balancer that terminates TLS the request arrives as plain HTTP, while browsers
# send `Origin: https://<public host>`: the public URL's origin is trusted for forms.
CSRF_TRUSTED_ORIGINS = ["{0.scheme}://{0.netloc}".format(urlsplit(TOPUP_PUBLIC_URL))]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # Inline <style>/<script> only with the per-response nonce (request.csp_nonce).
        "style-src": ["'self'", NONCE],
        "script-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        # Not covered by default-src: without it an injected <base> re-points every relative link.
        "base-uri": ["'none'"],
    }
}

from topup.core.observability import logging_config  # noqa: E402

LOGGING = logging_config(level=os.environ.get("TOPUP_LOG_LEVEL", "INFO"))
