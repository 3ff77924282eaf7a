"""Kefu settings: every value that differs between machines comes from the environment.

Local defaults are safe for a developer's laptop (SQLite under var/, DEBUG on, a throwaway
secret). Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and usually DATABASE_URL and
REDIS_URL; `manage.py check --deploy` is then clean. docs/operations.md lists every variable.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent  # src/kefu
REPO_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("KEFU_VAR_DIR", REPO_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite files and the Huey queue live here


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only-never-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
KEFU_VERSION = "0.1.0"

INSTALLED_APPS = [
    "kefu.core",
    "kefu.accounts",
    "kefu.customers",
    "kefu.notifications",
    "kefu.tickets",
    "kefu.promises",
    "kefu.complaints",
    "kefu.feedback",
    "kefu.insights",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "huey.contrib.djhuey",
    "kefu.accounts.apps.LockoutRecordsConfig",  # django-axes, under a name in the reader's language
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kefu.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is known (its refusals are translated), before anything reads the request.
    "kefu.core.middleware.NoStoreMiddleware",
    "kefu.core.middleware.RequestHygieneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # A domain error that a UI view let through becomes its 4xx page, never a 500 (core/web.py).
    "kefu.core.web.DomainErrorMiddleware",
    "kefu.core.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "kefu.urls"
WSGI_APPLICATION = "kefu.wsgi.application"

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
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
# SQLite by default: WAL so readers never wait for the writer, a busy timeout so a second
# writer waits instead of failing, and IMMEDIATE transactions so a write transaction takes
# the write lock at BEGIN (no "database is locked" upgrade deadlocks between two writers).
SQLITE_PATH = VAR_DIR / "kefu.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    default_db = dj_database_url.parse(DATABASE_URL, conn_health_checks=True)
else:
    default_db = {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_PATH}

if default_db["ENGINE"] == "django.db.backends.sqlite3":
    default_db["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;PRAGMA cache_size=-65536;PRAGMA mmap_size=268435456;"
        ),
    }
elif default_db["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, failing fast while the database is down (kefu.core.db.postgresql).
    default_db["ENGINE"] = "kefu.core.db.postgresql"
    # psycopg 3's pool keeps connections open across requests; Django manages it when
    # CONN_MAX_AGE is 0 (a pool and persistent connections are mutually exclusive).
    default_db["CONN_MAX_AGE"] = 0
    default_db["CONN_HEALTH_CHECKS"] = False
    # A database host that does not answer at all is given up after this many seconds.
    default_db.setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "3"))
    )
    # No JIT compilation: its 30–400 ms buy nothing for statements that read a page of rows, and
    # the planner's costs of the ticket search's steps (decision 0023), estimated for every match
    # of a common word, cross jit_above_cost at a million tickets.
    default_db["OPTIONS"].setdefault("options", "-c jit=off")
    default_db["OPTIONS"]["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DB_POOL_MAX", "10")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "5")),
    }
DATABASES = {"default": default_db}
# After a failed connection, requests fail at once (HTTP 503) for this long before one tries again.
KEFU_DB_RETRY_SECONDS = float(os.environ.get("DB_RETRY_SECONDS", "5"))
# PostgreSQL: readable numbers (a day's tickets) are counted on a connection of their own and
# committed at once, so openings never wait for each other's commits; a failed opening leaves its
# number unused (decision 0036). 0: counted in the opening's transaction, without gaps.
KEFU_NUMBERS_APART = os.environ.get("NUMBERS_APART", "1") != "0"
# PostgreSQL: the statements every request of a kind repeats are prepared on the server once per
# connection (PREPARE / EXECUTE, decision 0039), and the numbers' connection lets psycopg prepare
# its own. 0 behind a pooler in transaction mode (PgBouncer), which hands each transaction another
# server connection, where a statement prepared on the last one does not exist.
KEFU_PREPARE_ON_SERVER = env_bool("DB_PREPARE_ON_SERVER", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- The cache -----------------------------------------------------------------------------
# What is counted in the cache (the limits on customers' links, core.ratelimit) is shared by every
# process only when the cache is too: CACHE_URL names a Redis (another database number than the
# queue's, whose FLUSHDB must not empty the queue). Empty: Django's in-memory cache, per process.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "kefu"),
            "TIMEOUT": 300,
        }
    }

# --- Background work (Huey) ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("HUEY_NAME", "kefu"),
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "kefu",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
    }
HUEY["consumer"] = {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"}
# Huey's own "immediate" mode runs tasks in the calling process; tests switch it on.
if env_bool("HUEY_IMMEDIATE", False):
    HUEY["immediate"] = True

# --- Accounts and security -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kefu.accounts.backends.ModelPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The client's address (kefu.core.clientip): REMOTE_ADDR, or behind this many proxies the address
# that the outermost one saw, read from the right of X-Forwarded-For.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT < 0:
    raise RuntimeError("TRUSTED_PROXY_COUNT must be 0 or more.")
# Lockout (ADRs 0003 and 0010): five failures for one username from one address lock that pair,
# thirty for any usernames lock the address. A failure counts for 15 minutes after the last
# failure of its username, address and browser; attempts refused during a lock are not counted,
# so they never make it longer.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "kefu.core.clientip.client_ip"
AXES_HANDLER = "kefu.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "kefu.accounts.lockout.lockout_response"
AXES_VERBOSE = False
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
if LOGIN_ADDRESS_FAILURE_LIMIT < 1:
    raise RuntimeError("LOGIN_ADDRESS_FAILURE_LIMIT must be 1 or more.")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe /healthz over plain HTTP inside the network; a redirect is not an answer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list binds the whole domain: its owner decides, not Kefu.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Language and time ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Our catalogue first; then the hand-kept one for packages that ship no Chinese (django-axes).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Configured here, so run_huey adds no handler of its own and nothing prints twice.
        "huey": {"handlers": ["console"], "propagate": False},
    },
}

# --- Kefu ----------------------------------------------------------------------------------
# Region used to read phone numbers typed without a country code.
KEFU_PHONE_REGION = os.environ.get("KEFU_PHONE_REGION", "CN")
# The satisfaction figures (insights, decision 0034): the share of dissatisfied customers who
# complain (the iceberg divides the complaints by it), and the fewest answers for a value to count
# in the consistency spread.
KEFU_COMPLAINT_SHARE = float(os.environ.get("KEFU_COMPLAINT_SHARE", "0.04"))
KEFU_FIGURES_MIN_ANSWERS = int(os.environ.get("KEFU_FIGURES_MIN_ANSWERS", "30"))
# Lookups by a whole phone number for people who may not see numbers (customers.lookups): at
# these defaults, guessing the four hidden digits of a masked number takes weeks.
KEFU_PHONE_LOOKUPS_PER_HOUR = int(os.environ.get("PHONE_LOOKUPS_PER_HOUR", "20"))
KEFU_PHONE_LOOKUPS_PER_DAY = int(os.environ.get("PHONE_LOOKUPS_PER_DAY", "100"))
# Demo data may only be loaded into a DEBUG system unless forced.
KEFU_DEMO_PASSWORD = "kefu-demo"

# --- Notifications (docs/operations.md "Notifications") -------------------------------------
# The address every absolute link starts with (https://kefu.example.com): links in e-mails and
# text messages, and the customer's link to a ticket (core.links.absolute_url). Empty: a link made
# while answering a request starts with that request's address, one made by the worker with
# http://127.0.0.1:8000. KEFU_PUBLIC_URL is the old name of the same setting (deprecated).
KEFU_SITE_URL = os.environ.get("KEFU_SITE_URL") or os.environ.get("KEFU_PUBLIC_URL", "")
# Text messages: the gateway class (notifications/sms/). The local one sends nothing and keeps
# each message for the admin; a provider's class is named here.
SMS_GATEWAY = os.environ.get("SMS_GATEWAY", "kefu.notifications.sms.local.LocalSmsGateway")
# The outbox: tries per message before it is given up (dead), the wait after the first failed
# try (times four after each further one), how long a claimed message may stay unsent before the
# drain decides its worker stopped, and the age of the oldest waiting message that the admin
# banner warns about.
KEFU_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "6"))
KEFU_OUTBOX_RETRY_SECONDS = float(os.environ.get("OUTBOX_RETRY_SECONDS", "60"))
KEFU_OUTBOX_SENDING_TIMEOUT = float(os.environ.get("OUTBOX_SENDING_TIMEOUT", "600"))
KEFU_OUTBOX_BACKLOG_WARN_SECONDS = int(os.environ.get("OUTBOX_BACKLOG_WARN_SECONDS", "600"))
# Days a sent message is kept before the nightly purge deletes it (`manage.py purge_outbox`);
# waiting and given-up messages are kept until someone deals with them.
KEFU_OUTBOX_KEEP_DAYS = int(os.environ.get("OUTBOX_KEEP_DAYS", "30"))
# E-mail: SMTP when EMAIL_HOST is set; otherwise each e-mail is written as a file under var/mail
# (a local implementation that keeps what it would send).
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kefu <kefu@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
else:
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Tickets: attachments, the customer's link, the public request form --------------------
# The largest attachment accepted (images and PDF, checked by content: tickets.attachments).
# Files go to STORAGES["default"]: local files under MEDIA_ROOT, or S3-compatible storage by
# setting (docs/operations.md, "Attachments").
TICKET_ATTACHMENT_MAX_BYTES = int(os.environ.get("TICKET_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Files one reply may carry (the staff reply box and the customer's link; the services take 10).
TICKET_ATTACHMENTS_PER_REPLY = int(os.environ.get("TICKET_ATTACHMENTS_PER_REPLY", "10"))
# The largest API body that carries files (multipart): several attachments and their text.
KEFU_MULTIPART_MAX_BYTES = int(
    os.environ.get("KEFU_MULTIPART_MAX_BYTES", str(5 * TICKET_ATTACHMENT_MAX_BYTES + 1024 * 1024))
)
# How long the customer's link to a ticket opens it, in seconds (tickets.portal): 30 days.
TICKET_LINK_MAX_AGE = int(os.environ.get("TICKET_LINK_MAX_AGE", str(30 * 24 * 3600)))
# How long a satisfaction survey's link can be answered, in days (feedback.links): 14.
KEFU_SURVEY_LINK_DAYS = int(os.environ.get("KEFU_SURVEY_LINK_DAYS", "14"))
# The address the customer's links start with: KEFU_SITE_URL above.
# Public requests (the form at /t/request/ and POST /api/v1/public/requests) per client address.
PUBLIC_REQUESTS_PER_HOUR = int(os.environ.get("PUBLIC_REQUESTS_PER_HOUR", "20"))
PUBLIC_REQUESTS_PER_DAY = int(os.environ.get("PUBLIC_REQUESTS_PER_DAY", "50"))
# Requests on a customer's link (the ticket's pages and API: the page, replies, urges, files; the
# survey's page and API) per client address, in one budget counted in the cache (decision 0037).
PUBLIC_LINK_REQUESTS_PER_MINUTE = int(os.environ.get("PUBLIC_LINK_REQUESTS_PER_MINUTE", "60"))
PUBLIC_LINK_REQUESTS_PER_HOUR = int(os.environ.get("PUBLIC_LINK_REQUESTS_PER_HOUR", "600"))
# A second urge through the link within this many minutes is counted, and the page says that
# the first one was already passed on.
TICKET_URGE_NOTED_MINUTES = int(os.environ.get("TICKET_URGE_NOTED_MINUTES", "30"))
