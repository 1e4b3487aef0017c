"""Configuration in one order: code defaults → instance/config.py → environment → test mapping.

This is the only module that reads `os.environ`.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path

DEFAULTS = {
    "LMS_ENV": "development",
    "LMS_TIMEZONE": "Asia/Shanghai",
    "LMS_COURSES_PATH": "courses",
    "LMS_IDLE_TIMEOUT": timedelta(minutes=30),
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),  # the absolute session limit
    # The session cookie is sent when the session changes (sign-in, its last-seen time at
    # most twice a minute: `security.enforce_session_limits`), not re-signed and re-sent
    # unchanged with every page: its expiry is capped by the absolute limit anyway.
    "SESSION_REFRESH_EACH_REQUEST": False,
    "LMS_TOKEN_TTL": timedelta(hours=12),
    "LMS_ACTIVATION_TTL": timedelta(days=30),
    # The admin's roster import in the browser (docs/ADMIN-ROSTER.md): where an upload waits
    # for its confirmation and new accounts' codes for their one download (default
    # instance/roster; shared storage when several app servers run), and how long.
    "LMS_ROSTER_FOLDER": "",
    "LMS_ROSTER_FILES_TTL": timedelta(minutes=30),
    # Sign-in limits (lms/auth/throttle.py): refusal per (police number, address); past the
    # per-number or per-address budget, each attempt waits LMS_LOGIN_DELAY seconds instead.
    "LMS_LOGIN_LIMIT": "5 per 15 minutes",
    "LMS_LOGIN_NUMBER_BUDGET": "10 per 15 minutes",
    "LMS_LOGIN_ADDRESS_BUDGET": "100 per 15 minutes",
    "LMS_LOGIN_DELAY": 2.0,
    "LMS_ARGON2": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
    "LMS_POINTS": {
        "lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2,
        "courseware_read": 1, "courseware_quiz": 2, "session_attended": 3,
    },
    # Points requests for activities (docs/POINTS-AND-HOURS.md): the evidence image's limits
    # (below MAX_CONTENT_LENGTH, which caps the whole form), where images are kept (empty:
    # instance/evidence, outside the web root) and how old an activity may be.
    "LMS_EVIDENCE_MAX_BYTES": 1536 * 1024,
    "LMS_EVIDENCE_MAX_PIXELS": 40_000_000,
    "LMS_EVIDENCE_DIR": "",
    "LMS_CLAIM_WINDOW_DAYS": 90,
    # Study hours (学时) per completed item: a number of hours, or "estimated" (courseware:
    # its estimated minutes) or "length" (a class session: its duration); and the yearly
    # target per officer, pro-rated through the year for "on track".
    "LMS_HOURS": {"lesson": 0.25, "courseware": "estimated", "session": "length"},
    "LMS_HOURS_TARGET": 24,
    "LMS_NOTIFIER": "lms.notify:StoreOnlyNotifier",  # or "webhook" (docs/NOTIFICATIONS.md)
    "LMS_WEBHOOK_URL": "",  # the messaging platform's gateway
    "LMS_WEBHOOK_SECRET": "",  # shared with the gateway, signs every POST
    "LMS_WEBHOOK_TIMEOUT": 10,  # seconds to connect, and to wait for each read
    "LMS_PUBLIC_URL": "",  # e.g. https://lms.example/training: makes message links absolute
    "LMS_REMINDER_CHASE_WEEKS": 4,  # weeks after due that supervisors get digests
    # A newcomer owes no lesson due within this many days of joining (docs/WHO-OWES.md).
    "LMS_NEWCOMER_GRACE_DAYS": 7,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "lms_session",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,  # the session's own limits bound a token's life
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": False,
    "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    "LMS_LANGUAGES": ("zh_Hans_CN", "en"),
    # Pre-ping: a connection that died with a database restart is replaced at checkout
    # instead of failing a request after a restart under load. On the LMS's own PostgreSQL
    # engine the check is a zero-timeout poll of the socket, with a `SELECT 1` only when it
    # shows the backend going or the connection sat idle (extension._check_at_checkout). A
    # deployment may set pool_pre_ping=False: then only idle connections are pinged. The
    # poll cannot see a connection that died silently (a network partition, a failover
    # without a reset, a pooler dropping its server side): LMS_PING_EVERY_CHECKOUT=True
    # brings back SQLAlchemy's own `SELECT 1` at every checkout for such a network.
    # hide_parameters: a logged database error never carries the statement's values (police
    # numbers, token hashes, answers).
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 1800, "pool_pre_ping": True,
                                  "hide_parameters": True},
    "SQLALCHEMY_SESSION_OPTIONS": {"expire_on_commit": False},
    "LMS_PING_EVERY_CHECKOUT": False,
    # /metrics: who may scrape without a token (loopback by default), and an optional token.
    "LMS_METRICS_ALLOW": ("127.0.0.0/8", "::1/128"),
    "LMS_METRICS_TOKEN": "",
    "LMS_LOG_FORMAT": "",  # "json" or "text"; empty: json in production, text otherwise
    "LMS_LOG_LEVEL": "INFO",
    "LMS_TRUSTED_PROXIES": 0,  # reverse proxies in front of the app (nginx: 1)
    # memory:// limits count per process: with N workers every limit is N times looser.
    # Production refuses them unless the deployment is a single process and says so.
    "LMS_SINGLE_PROCESS": False,
}

# Environment variables and the config keys they set.
ENVIRONMENT = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "LMS_TIMEZONE": "LMS_TIMEZONE",
    "LMS_ENV": "LMS_ENV",
    "LMS_COURSES_PATH": "LMS_COURSES_PATH",
    "LMS_NOTIFIER": "LMS_NOTIFIER",
    "LMS_WEBHOOK_URL": "LMS_WEBHOOK_URL",
    "LMS_WEBHOOK_SECRET": "LMS_WEBHOOK_SECRET",
    "LMS_WEBHOOK_TIMEOUT": "LMS_WEBHOOK_TIMEOUT",
    "LMS_PUBLIC_URL": "LMS_PUBLIC_URL",
    "LMS_METRICS_TOKEN": "LMS_METRICS_TOKEN",
    "LMS_LOG_FORMAT": "LMS_LOG_FORMAT",
    "LMS_LOG_LEVEL": "LMS_LOG_LEVEL",
    "LMS_TRUSTED_PROXIES": "LMS_TRUSTED_PROXIES",
    "LMS_SINGLE_PROCESS": "LMS_SINGLE_PROCESS",
    "LMS_ROSTER_FOLDER": "LMS_ROSTER_FOLDER",
    "LMS_PING_EVERY_CHECKOUT": "LMS_PING_EVERY_CHECKOUT",
}

# Environment values that are yes/no.
FLAGS = {"LMS_SINGLE_PROCESS", "LMS_PING_EVERY_CHECKOUT"}

# Environment values that are whole numbers.
INTEGERS = {"LMS_TRUSTED_PROXIES"}

INSECURE_KEYS = {"", "dev", "changeme", "secret", "please-change-me"}


def environment_overrides(environ=os.environ) -> dict:
    """Config values taken from the process environment."""
    values = {key: environ[var] for var, key in ENVIRONMENT.items() if environ.get(var)}
    for key in INTEGERS & values.keys():
        try:
            values[key] = int(values[key])
        except ValueError:
            raise RuntimeError(f"{key} must be a whole number, not {values[key]!r}") from None
    for key in FLAGS & values.keys():
        values[key] = values[key].strip().lower() in ("1", "true", "yes", "on")
    url = values.get("SQLALCHEMY_DATABASE_URI", "")
    if url.startswith("postgres://"):  # Heroku-style URLs; SQLAlchemy wants the dialect name
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        values["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url[len("postgresql://"):]
    return values


def instance_secret_key(instance_path: str) -> str:
    """A secret key generated once into instance/ (never committed, never hard-coded)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def check_production(config) -> None:
    """Refuse to run in production with a weak secret key, debug on, or an unsigned webhook."""
    if config.get("LMS_ENV") != "production":
        return
    if str(config.get("SECRET_KEY") or "") in INSECURE_KEYS or len(str(config["SECRET_KEY"])) < 32:
        raise RuntimeError("LMS_ENV=production needs a SECRET_KEY of at least 32 characters")
    if config.get("DEBUG"):
        raise RuntimeError("LMS_ENV=production refuses to run with DEBUG on")
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if storage.startswith("memory://") and not config.get("LMS_SINGLE_PROCESS"):
        raise RuntimeError(
            "LMS_ENV=production needs a shared RATELIMIT_STORAGE_URI (redis://...): memory:// "
            "counts per worker process. Set LMS_SINGLE_PROCESS=1 for a one-process deployment.")
    if config.get("LMS_NOTIFIER") in WEBHOOK_NOTIFIERS:
        secret = webhook_settings(config)["secret"]
        if secret in INSECURE_KEYS or len(secret) < 32:
            raise RuntimeError("LMS_ENV=production needs an LMS_WEBHOOK_SECRET of at least "
                               "32 characters for LMS_NOTIFIER=webhook")


WEBHOOK_NOTIFIERS = {"webhook", "lms.notify:WebhookNotifier"}


def webhook_settings(config) -> dict:
    """LMS_WEBHOOK_* and LMS_PUBLIC_URL, checked, as the webhook notifier takes them."""
    url = str(config.get("LMS_WEBHOOK_URL") or "")
    if not url.startswith(("http://", "https://")):
        raise RuntimeError("LMS_NOTIFIER=webhook needs LMS_WEBHOOK_URL (http:// or https://)")
    secret = str(config.get("LMS_WEBHOOK_SECRET") or "")
    if not secret:
        raise RuntimeError("LMS_NOTIFIER=webhook needs LMS_WEBHOOK_SECRET (shared with the "
                           "gateway, which verifies every message's signature with it)")
    try:
        timeout = float(config.get("LMS_WEBHOOK_TIMEOUT") or 0)
    except ValueError:
        timeout = 0
    if timeout <= 0:
        raise RuntimeError("LMS_WEBHOOK_TIMEOUT must be a positive number of seconds")
    return {"url": url, "secret": secret, "timeout": timeout,
            "public_url": str(config.get("LMS_PUBLIC_URL") or "")}
