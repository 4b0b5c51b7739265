"""Security settings shared by every page: login loading, proxy headers, response headers."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from confapp.extensions import db, login_manager
from confapp.models import User

# No inline script anywhere: scripts come only from static/. Pico's icons are data: SVGs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: every "next" and "back" goes here.

    Browsers forgive tabs, newlines and backslashes in URLs ("/\t/evil.example" becomes
    "//evil.example"), so any such character refuses the target outright.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its serializer built once rather than per request."""

    _serializer = None  # (secret key and fallbacks, serializer)

    def get_signing_serializer(self, app):
        """The serializer for the app's secret key, kept until the key changes."""
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]


SESSION_ID = re.compile(r"(\d{1,18}):(\d{1,18})", re.ASCII)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The logged-in user, or None if removed, disabled, or their sessions were since ended."""
    # The session keeps "id:version" (User.get_id); a logout, a new password or a lost role
    # bumps the user's version, and every cookie made before it stops working here.
    found = SESSION_ID.fullmatch(session_id or "")
    if found is None:
        return None  # a session from before versions: log in again
    user = db.session.get(User, int(found[1]))
    if user is None or not user.is_active or user.session_version != int(found[2]):
        return None
    return user


def warn_if_limits_are_per_worker(app: Flask) -> None:
    """Say at start-up when login limits are counted in each worker's memory on its own."""
    storage = app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    enabled = app.config.get("RATELIMIT_ENABLED", True)
    if enabled and storage.startswith("memory://") and not (app.testing or app.debug):
        app.logger.warning(
            "Login attempts are counted in this process's memory (RATELIMIT_STORAGE_URI=%s): "
            "with several workers each keeps its own count, so a guesser gets that many times "
            "the limit. Share the count: set CONFAPP_RATELIMIT_STORAGE_URI=redis://host:6379 "
            "(or memcached://host:11211).",
            storage,
        )


def init_app(app: Flask) -> None:
    """Install the login view, proxy handling and security headers."""
    app.session_interface = SessionInterface()
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    warn_if_limits_are_per_worker(app)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    defaults = list(SECURITY_HEADERS.items())
    if app.config["SESSION_COOKIE_SECURE"]:
        defaults.append(HSTS)
    defaults = [(name.lower(), name, value) for name, value in defaults]

    @app.after_request
    def add_security_headers(response):
        # Every response, the door's scans too: one pass over the headers a view set itself
        # (Headers.setdefault would search them once per header).
        present = {name.lower() for name, _ in response.headers}
        response.headers.extend([(n, v) for low, n, v in defaults if low not in present])
        return response
