"""The one settings module. Every value comes from the environment and fails loudly."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import urlsplit

from coresponder.config import (
    ConfigError,
    address_problem,
    derive_key,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
PRESETS_DIR = Path(env_str("CORESPONDER_PRESETS_DIR") or BASE_DIR / "presets")
VAR_DIR = Path(env_str("CORESPONDER_VAR_DIR") or BASE_DIR / "var")

# CORESPONDER_ENV=production turns on everything a deployment needs: HTTPS only,
# HSTS, secure cookies, a real SECRET_KEY, no debug pages (`check --deploy` is clean).
ENVIRONMENT = env_str("CORESPONDER_ENV") or "development"
if ENVIRONMENT not in {"development", "production"}:
    raise ConfigError(f"CORESPONDER_ENV={ENVIRONMENT!r} is not development or production")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ConfigError("DEBUG must be off when CORESPONDER_ENV=production")
_DEV_SECRET = "coresponder-development-only-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if PRODUCTION or not (DEBUG or env_bool("CORESPONDER_ALLOW_DEV_SECRET", default=True)):
        raise ConfigError("SECRET_KEY (or SECRET_KEY_FILE) must be set in production")
    SECRET_KEY = _DEV_SECRET
elif PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    # Django's own deploy check asks for 50 characters, at least 5 of them different.
    raise ConfigError("SECRET_KEY must be at least 50 varied characters in production")

# The audit chain's MAC key (ADR 0006) lives outside the database, so someone who
# can write the tables still cannot recompute the chain. Development derives one
# from SECRET_KEY under its own label; production must be given its own.
AUDIT_KEY = env_str("AUDIT_KEY") or ""
if not AUDIT_KEY:
    if PRODUCTION:
        raise ConfigError("AUDIT_KEY (or AUDIT_KEY_FILE) must be set in production")
    AUDIT_KEY = derive_key(SECRET_KEY, "coresponder audit chain")
elif len(AUDIT_KEY) < 32 or len(set(AUDIT_KEY)) < 5:
    raise ConfigError("AUDIT_KEY must be at least 32 varied characters")
elif AUDIT_KEY == SECRET_KEY:
    raise ConfigError("AUDIT_KEY must differ from SECRET_KEY")
# Signed checkpoints of the chain head, appended by audit_checkpoint and run_worker;
# keep them off the database host (or ship them there) and append-only.
AUDIT_CHECKPOINT_FILE = BASE_DIR / (
    env_str("AUDIT_CHECKPOINT_FILE") or VAR_DIR / "audit-checkpoints.log"
)

# Independent audit chains (ADR 0011): each transaction appends to one, chosen at
# random, so concurrent writers rarely wait on the same chain head.
AUDIT_CHAINS = env_int("AUDIT_CHAINS", 8)
if not 1 <= AUDIT_CHAINS <= 64:
    raise ConfigError(f"AUDIT_CHAINS={AUDIT_CHAINS} must be from 1 to 64")

# Where users of this deployment get its source code: the footer of every page links
# here, as the GNU AGPL (section 13) asks of software people use over a network. Point it
# at the code this site runs, changes included (docs/operators.md). Unset, the footer
# still names the licence, and says to ask the site's operator for the code.
SOURCE_URL = (env_str("SOURCE_URL") or "").strip()
if SOURCE_URL and not SOURCE_URL.startswith(("https://", "http://", "/")):
    raise ConfigError(f"SOURCE_URL={SOURCE_URL!r} must be an http(s) address or a path from /")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # First, so that its changepassword and createsuperuser, which go through the audited
    # account actions, answer for those names rather than django.contrib.auth's.
    "coresponder.programs",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "coresponder.core",
    "coresponder.people",
    "coresponder.identity",
    "coresponder.intake",
    "coresponder.outreach",
    "coresponder.encounters",
    "coresponder.care",
    "coresponder.services",
    "coresponder.privacy",
    "coresponder.reports",
    "coresponder.operations",
    "coresponder.feeds",
    "coresponder.surveillance",
    "coresponder.planning",
    "coresponder.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files need no CSP; every page and API answer gets it.
    "coresponder.privacy.headers.SecurityHeadersMiddleware",
    "coresponder.core.http.ApiErrorsAsJson",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "coresponder.core.middleware.DropTrailingSlash",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Outside the sign-in checks: a part of a page asked for after the sign-in ended gets
    # 401, not the sign-in page to put inside the page.
    "coresponder.core.middleware.SignInEndedForFragments",
    "coresponder.programs.middleware.IdleSignOutMiddleware",
    "coresponder.programs.middleware.SignInAgeMiddleware",
    "coresponder.programs.middleware.PasswordChangeRequiredMiddleware",
    "coresponder.programs.middleware.CurrentProgramMiddleware",
    # Outside the gate: a page not found under a program's former slug goes to the new one.
    "coresponder.programs.middleware.FormerSlugMiddleware",
    # A record the read gate keeps from a page's reader answers as the 404 page.
    "coresponder.core.middleware.GateAnswers",
    # After the gate's answers, so asked first: a merged person's old page leads to the
    # person kept, for a reader the gate lets see them.
    "coresponder.identity.middleware.MergedPersonPages",
]

ROOT_URLCONF = "coresponder.urls"
# A stale or missing form token gets a page in the site's layout saying nothing was saved.
CSRF_FAILURE_VIEW = "coresponder.programs.error_views.csrf_failure"
WSGI_APPLICATION = "coresponder.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "coresponder" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coresponder.programs.context_processors.programs",
            ],
        },
    },
]

DATABASES = {
    "default": parse_database_url(
        # The embedded default lives in the var directory, wherever the code is installed.
        env_str("DATABASE_URL") or f"sqlite:///{(VAR_DIR / 'coresponder.sqlite3').resolve()}",
        BASE_DIR,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "programs.User"

# The cache holds what several server processes must agree on, such as the public help
# page's hourly limit per address. With REDIS_URL set it is Redis, shared by every web
# and worker process; unset, each process keeps its own in memory (fine for one process).
REDIS_URL = (env_str("REDIS_URL") or "").strip()
if REDIS_URL:
    try:
        redis_address = urlsplit(REDIS_URL)
        redis_scheme, _ = redis_address.scheme, redis_address.port
    except ValueError as exc:
        # Neither the address nor Python's message is echoed: either may hold a password.
        raise ConfigError(f"REDIS_URL is not a valid address: {address_problem(exc)}") from None
    if redis_scheme not in {"redis", "rediss", "unix"}:
        # Not echoed: the address may hold a password.
        raise ConfigError(
            "REDIS_URL must start with redis://, rediss:// or unix:// "
            "(as in redis://127.0.0.1:6379/0)"
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Several deployments may share one Redis: each keeps to its own keys.
            "KEY_PREFIX": env_str("CORESPONDER_CACHE_PREFIX") or "coresponder",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How long an API token's check is remembered (seconds). Only a cache every process shares
# can be told at once that a token or user changed, so it is off without Redis.
AUTH_CACHE_SECONDS = env_int("AUTH_CACHE_SECONDS", 60 if REDIS_URL else 0)
if not 0 <= AUTH_CACHE_SECONDS <= 3600:
    # A token or user changed outside an action (a QuerySet.update()) is seen only once
    # the remembered check expires: an hour is the longest that may take.
    raise ConfigError("AUTH_CACHE_SECONDS must be from 0 to 3600 (an hour)")

# The daily facts the metrics are summed from (ADR 0012): a program whose records changed is
# rebuilt once its last build is this many seconds old. The worker rebuilds them at the end of
# each pass unless METRIC_DAYS_BY_WORKER is false; then run `coresponder build_metric_days --due`
# on a schedule of its own, so a long build never delays reminders.
METRIC_DAYS_REFRESH_SECONDS = env_int("METRIC_DAYS_REFRESH_SECONDS", 300)
if METRIC_DAYS_REFRESH_SECONDS < 0:
    raise ConfigError("METRIC_DAYS_REFRESH_SECONDS must be 0 or more")
METRIC_DAYS_BY_WORKER = env_bool("METRIC_DAYS_BY_WORKER", True)

# Where `coresponder train_linkage` runs Splink: DuckDB in this process, or Spark for a
# registry too large for one machine (the `spark` extra and a Java runtime, 17 or later).
# SPARK_MASTER is the cluster's address, or local[N] for N threads on this machine.
LINKAGE_BACKEND = (env_str("LINKAGE_BACKEND") or "duckdb").strip().lower()
if LINKAGE_BACKEND not in {"duckdb", "spark"}:
    raise ConfigError(f"LINKAGE_BACKEND={LINKAGE_BACKEND!r} is not duckdb or spark")
SPARK_MASTER = (env_str("SPARK_MASTER") or "local[2]").strip()
if not SPARK_MASTER.startswith(("local", "spark://", "yarn", "k8s://")):
    raise ConfigError(
        f"SPARK_MASTER={SPARK_MASTER!r} is not local[N], spark://host:port, yarn or k8s://..."
    )
# Names this deployment's sources write for someone not yet identified, beyond the
# built-in conventions ("John Doe", "Unknown", "Trauma Alpha": coresponder/domain/
# placeholders.py), comma-separated. Linkage gives them no weight and no blocking key.
LINKAGE_PLACEHOLDER_NAMES = env_list("LINKAGE_PLACEHOLDER_NAMES", [])

# Backups (`coresponder backup` / `restore`): encrypted with this Fernet key when it is set
# (32 random bytes, URL-safe base64: docs/operators.md says how to make one). Keep it in the
# secrets store, never beside the backups; without it an encrypted backup cannot be read.
BACKUP_KEY = (env_str("BACKUP_KEY") or "").strip()
if BACKUP_KEY:
    try:
        _backup_key_bytes = base64.urlsafe_b64decode(BACKUP_KEY.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        _backup_key_bytes = b""
    if len(_backup_key_bytes) != 32:
        # Not echoed: it is a secret.
        raise ConfigError("BACKUP_KEY must be a Fernet key: 32 bytes in URL-safe base64")
# Where pg_dump, pg_restore and psql are, for PostgreSQL backups; unset, they are looked for
# on PATH, then in the newest /usr/lib/postgresql/<version>/bin.
PG_BIN_DIR = (env_str("PG_BIN_DIR") or "").strip()
# /readyz answers 503 once the worker's last pass began longer ago than this (seconds): more
# than the worker's --interval plus its longest pass.
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 120)
if WORKER_HEARTBEAT_MAX_AGE < 1:
    raise ConfigError("WORKER_HEARTBEAT_MAX_AGE must be 1 second or more")

# Every password a user is given passes these (coresponder adduser and changepassword;
# createsuperuser is refused); the demo loader alone sets its published one.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "coresponder.programs.passwords.PredictablePasswordValidator"},
]
# The password, then a TOTP code (coresponder.programs.signin_views); the backend
# refuses inactive and locked accounts, at sign-in and on every request.
AUTHENTICATION_BACKENDS = ["coresponder.programs.backends.AccountBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# CJIS: re-authenticate after 30 minutes idle. The session's expiry moves on with
# every request, so it lapses 30 minutes after the last one. The 12-hour limit on
# any sign-in is coresponder.programs.middleware.SignInAgeMiddleware.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
if not 60 <= SESSION_COOKIE_AGE <= 12 * 3600:
    # Under a minute nobody stays signed in; no sign-in outlasts 12 hours anyway.
    raise ConfigError("SESSION_IDLE_SECONDS must be from 60 to 43200 (12 hours)")
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # ASVS 3.4.4: the __Host- prefix pins the cookie to this host, path / and HTTPS.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# CJIS: encrypt in transit. Production answers HTTPS only and asks browsers, for a
# year and on every subdomain, never to try plain HTTP (HSTS).
SECURE_SSL_REDIRECT = PRODUCTION
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", default=PRODUCTION)
if env_bool("BEHIND_TLS_PROXY", default=False):
    # The proxy in front terminates TLS and says so; only set this behind one.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front each add the address they heard from to X-Forwarded-For;
# then the client's address (audited, and counted by sign-in's and the public help
# page's limits) is the one the outermost of them saw. 0: the address the request came
# from, as with a proxy that passes it on by the PROXY protocol (deploy/Caddyfile).
FORWARDED_FOR_PROXIES = env_int("FORWARDED_FOR_PROXIES", 0)
if FORWARDED_FOR_PROXIES < 0:
    raise ConfigError("FORWARDED_FOR_PROXIES must be 0 or more")
# Failed sign-ins one client address may make in 15 minutes, whichever accounts they
# name, before it is refused for a while (password spraying; each account locks apart).
SIGN_IN_FAILURES_PER_ADDRESS = env_int("SIGN_IN_FAILURES_PER_ADDRESS", 20)
if SIGN_IN_FAILURES_PER_ADDRESS < 1:
    raise ConfigError("SIGN_IN_FAILURES_PER_ADDRESS must be at least 1")
# How long the set-up code an administrator gives at an authenticator reset (or with a
# new account) works: a day by default, time to hand it over by phone or in person.
MFA_SETUP_CODE_HOURS = env_int("MFA_SETUP_CODE_HOURS", 24)
if not 1 <= MFA_SETUP_CODE_HOURS <= 720:
    raise ConfigError("MFA_SETUP_CODE_HOURS must be from 1 to 720 (30 days)")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Collected assets land here in production; in development WhiteNoise reads the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "coresponder" / "static"]
# Development reads assets in place; `make setup` collects them for everything else.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Every import (overdose files on the web and from the command line, the service
# directory, FHIR bundles) refuses a larger file, and a longer cell (a CSV or XLSX
# cell, a JSON string): 10,000 characters is the longest free text the API takes.
IMPORT_MAX_FILE_MB = env_int("CORESPONDER_IMPORT_MAX_FILE_MB", 20)
IMPORT_MAX_CELL_CHARS = env_int("CORESPONDER_IMPORT_MAX_CELL_CHARS", 10_000)
if IMPORT_MAX_FILE_MB < 1 or IMPORT_MAX_CELL_CHARS < 1:
    raise ConfigError("CORESPONDER_IMPORT_MAX_FILE_MB and _MAX_CELL_CHARS must be positive")

# Reminder notices (coresponder run_worker) also go by email when this is on;
# Django's SMTP backend sends them through EMAIL_HOST.
CORESPONDER_EMAIL_REMINDERS = env_bool("CORESPONDER_EMAIL_REMINDERS", default=False)
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"

# An OSRM-compatible table service for a team's route (road times and distances), e.g.
# http://osrm:5000/table/v1/driving; empty (the default) estimates them from coordinates.
ROUTING_TABLE_URL = env_str("ROUTING_TABLE_URL") or ""
if ROUTING_TABLE_URL and urlsplit(ROUTING_TABLE_URL).scheme not in {"http", "https"}:
    raise ConfigError(f"ROUTING_TABLE_URL={ROUTING_TABLE_URL!r} must be an http(s) address")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_LEVEL = (env_str("LOG_LEVEL") or "WARNING").strip().upper()
if LOG_LEVEL not in LOG_LEVELS:
    raise ConfigError(f"LOG_LEVEL={env_str('LOG_LEVEL')!r} must be one of {', '.join(LOG_LEVELS)}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
