"""Configuration in layers: defaults here, then instance/config.py, then CONFAPP_* variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"

# Variables read from the environment, with the type each is parsed as.
ENV_SETTINGS: dict[str, type] = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "SECURE_COOKIES": bool,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_ENABLED": bool,
    "LOGIN_RATE_LIMIT": str,
    "LOGIN_ACCOUNT_RATE_LIMIT": str,
    "MEMBER_LINK_RATE_LIMIT": str,
    "MEMBER_NUMBER_RATE_LIMIT": str,
    "PROXY_COUNT": int,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_FROM": str,
    "MAIL_USE_TLS": bool,
    "BASE_URL": str,
    "QUEUE_URL": str,
}


class Defaults:
    """Settings used unless instance/config.py or the environment says otherwise."""

    DATABASE_URL: str | None = None  # None: SQLite file in the instance folder
    SECURE_COOKIES = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 12 * 3600  # one conference day
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch still submits
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"  # attempts from one address
    # Failed attempts on one account, from wherever they come: guessers with many addresses.
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute"
    # A member asking for their voting link again, or checking the roll: per address, and
    # per membership number from any address (so nobody floods one member's inbox).
    MEMBER_LINK_RATE_LIMIT = "5 per hour"
    MEMBER_NUMBER_RATE_LIMIT = "5 per hour"
    PROXY_COUNT = 0
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024  # a CSV of a few thousand groups fits easily
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "confapp@localhost"
    BASE_URL: str | None = None
    INVITATION_DAYS = 7
    # The job queue (confapp/jobs.py): None, a SQLite file in the instance folder; or redis://...
    QUEUE_URL: str | None = None
    QUEUE_IMMEDIATE = False  # tests: a task runs at once, in the process that enqueued it
    # No ping before every use of a pooled connection: it would be a third database round trip
    # on each scan at the door. After a database restart each worker's next request fails
    # once and the pool reconnects (the scan API retries that once by itself).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 1800}


def parse_env_value(raw: str, kind: type):
    """Turn an environment string into the setting's type."""
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def settings_from_env(environ=os.environ) -> dict:
    """Settings given as CONFAPP_<NAME> variables."""
    found = {}
    for name, kind in ENV_SETTINGS.items():
        raw = environ.get(f"CONFAPP_{name}")
        if raw is not None and raw != "":
            found[name] = parse_env_value(raw, kind)
    return found


def instance_secret_key(instance_path: Path) -> str:
    """Read the secret key kept in the instance folder, making one on first run."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        # Write aside, then link into place: two workers starting together keep one key.
        tmp = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return key_file.read_text().strip()


def sqlite_url(instance_path: Path) -> str:
    """The default database: a SQLite file in the instance folder."""
    return f"sqlite:///{instance_path / 'confapp.sqlite'}"
