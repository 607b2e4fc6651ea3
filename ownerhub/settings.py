"""Ownerhub settings: one file, configured from the environment.

Embedded default: SQLite under var/ and an in-process worker. Set DATABASE_URL
to use PostgreSQL for data and the task queue.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OWNERHUB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    # Generated once per installation and kept out of the repository.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "ownerhub",
    "connections",
    "coverage",
    "search",
    "exports",
    "reminders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ownerhub.middleware.NoStoreMiddleware",  # after whitenoise: static files keep their caching
    "ownerhub.middleware.ApiProblemMiddleware",  # wraps everything below, so its errors are JSON
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ownerhub.owner_zone.OwnerZoneMiddleware",  # owner pages in the owner's zone
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ownerhub.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a paused log-in into the owner's page
]

ROOT_URLCONF = "ownerhub.urls"
WSGI_APPLICATION = "ownerhub.wsgi.application"

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
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ownerhub.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Failed log-ins (the log-in page and the admin's) are counted per account and per client
# address in the database, so the count holds across web processes with no shared cache.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one pauses, each on its own
AXES_FAILURE_LIMIT = env_int("OWNERHUB_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("OWNERHUB_LOGIN_PAUSE_MINUTES", 15))
# A pause ends a fixed time after the last counted failure; guessing on during it neither
# counts nor extends it, so whoever holds the password waits at most that long.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "ownerhub.logins.locked_out"
# The client address is REMOTE_ADDR: behind a proxy, the WSGI server sets it from the
# proxy's X-Forwarded-For (waitress --trusted-proxy; see the README), never from the client.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(Path(env_str("ARTIFACT_ROOT", str(VAR_DIR / "artifacts"))))},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Object storage: with OWNERHUB_S3_BUCKET set, artifacts and export zips go to S3 (or any
# S3-compatible store) through django-storages, so web and worker processes share no disk.
# Credentials left empty fall back to boto3's own chain (instance role, ~/.aws).
if env_str("OWNERHUB_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("OWNERHUB_S3_BUCKET"),
            "endpoint_url": env_str("OWNERHUB_S3_ENDPOINT_URL") or None,
            "region_name": env_str("OWNERHUB_S3_REGION") or None,
            "access_key": env_str("OWNERHUB_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("OWNERHUB_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("OWNERHUB_S3_PREFIX"),
            "default_acl": None,  # private objects: only the app reads them
            "querystring_auth": True,
            "file_overwrite": False,  # a name already taken gets a suffix, as on disk
        },
    }
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "coverage:dashboard"
LOGOUT_REDIRECT_URL = "login"

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Uploads: never held in memory beyond 2.5 MB; artifacts are capped.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The one upload limit, enforced while the body streams in (coverage.pipeline.uploads): past it
# nothing is written and the owner gets a rejected receipt. The web server's limit follows it.
OWNERHUB_MAX_UPLOAD_BYTES = env_int("OWNERHUB_MAX_UPLOAD_BYTES", 4 * 1024**3)
# Large uploads are spooled to files named after their process, so the worker can remove
# those a crash left behind (coverage.pipeline.uploads).
FILE_UPLOAD_HANDLERS = [
    "coverage.pipeline.uploads.UploadCapHandler",  # first: nothing past OWNERHUB_MAX_UPLOAD_BYTES is written
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "coverage.pipeline.uploads.TemporaryFileUploadHandler",
]
# A preview nobody commits is removed (staged records, stored file) after this many hours.
OWNERHUB_PREVIEW_TTL_HOURS = env_int("OWNERHUB_PREVIEW_TTL_HOURS", 24)
# The web server's own body limit (waitress's max_request_body_size; `up` sets it, the
# README's recipe spells it out): the upload cap plus room for the multipart envelope and
# the form's other fields, so an upload near the cap meets the app's answer, not waitress's.
OWNERHUB_MAX_REQUEST_BYTES = OWNERHUB_MAX_UPLOAD_BYTES + 1024**2
# A scheduled worker heartbeat older than twice this is "worker not running".
OWNERHUB_WORKER_HEARTBEAT_SECONDS = env_int("OWNERHUB_WORKER_HEARTBEAT_SECONDS", 30)
# Calendar feeds are fetched only from public addresses, except these internal hosts:
# names, ".domain" suffixes, addresses or networks (e.g. "calendar.lan,192.168.1.0/24").
OWNERHUB_FEED_ALLOWED_HOSTS = env_list("OWNERHUB_FEED_ALLOWED_HOSTS", [])
# Uploads this big or bigger are stored in the request and read by the worker, with a live
# count on their page (smaller ones are read at once). Default: the size Django spools to disk.
OWNERHUB_BACKGROUND_PREVIEW_BYTES = env_int("OWNERHUB_BACKGROUND_PREVIEW_BYTES", 2_621_440)
# Maps: the tile server's URL template and its attribution; an empty URL draws points on a
# blank background (offline installations). The tile host is allowed in the page policy.
OWNERHUB_MAP_TILES = env_str("OWNERHUB_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
OWNERHUB_MAP_ATTRIBUTION = env_str("OWNERHUB_MAP_ATTRIBUTION", "© OpenStreetMap contributors")
# A whole-account export's download link works this many hours.
OWNERHUB_EXPORT_HOURS = env_int("OWNERHUB_EXPORT_HOURS", 24)
# A watched folder holding <user name>/<source slug>/ (empty: none). The worker looks every
# INTERVAL seconds and takes a file once it has not changed for SETTLE seconds.
OWNERHUB_WATCH_DIR = env_str("OWNERHUB_WATCH_DIR", "")
OWNERHUB_WATCH_INTERVAL_SECONDS = env_int("OWNERHUB_WATCH_INTERVAL_SECONDS", 60)
OWNERHUB_WATCH_SETTLE_SECONDS = env_int("OWNERHUB_WATCH_SETTLE_SECONDS", 5)
# Reminder digests go out through Django's mail settings: printed to the console unless an
# SMTP server is named (EMAIL_HOST and the usual EMAIL_* variables).
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ownerhub <ownerhub@localhost>")
# This installation's address as owners reach it, for links in reminder digests.
OWNERHUB_BASE_URL = env_str("OWNERHUB_BASE_URL", "http://127.0.0.1:8000")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("OWNERHUB_HTTPS", False):
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
