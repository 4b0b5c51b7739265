"""Absolute links people are sent (invitations, badge links): on the address the app is served on.

CONFAPP_BASE_URL wins when it is set (the public address behind a proxy, or a mail run).
Otherwise, in a request, the link takes the request's own scheme, host and port, which
ProxyFix has already corrected when CONFAPP_PROXY_COUNT says a proxy is in front; so the
app served on another port links to that port. On the command line there is no request:
the link names the address `flask run` serves on (FLASK_RUN_HOST and FLASK_RUN_PORT, which
`make run` sets from its HOST and PORT), and Flask's own default 127.0.0.1:5000 without them.
"""

from __future__ import annotations

import os

from flask import current_app, has_request_context, request, url_for

# Addresses a server listens on but nobody can open: a link names the machine itself instead.
WILDCARD_HOSTS = {"0.0.0.0", "::", "[::]", ""}


def external_url(endpoint: str, **values) -> str:
    """The absolute link to `endpoint`: on CONFAPP_BASE_URL, else where the app is served."""
    if not has_request_context():
        with current_app.test_request_context(base_url=_configured() or command_line_base_url()):
            return external_url(endpoint, **values)
    # The request's host, not SERVER_NAME: the address this person actually reached.
    return (_configured() or request.host_url.rstrip("/")) + url_for(endpoint, **values)


def _configured() -> str:
    return (current_app.config.get("BASE_URL") or "").strip().rstrip("/")


def command_line_base_url(environ=os.environ) -> str:
    """The address `flask run` serves on, for links printed outside a request."""
    host = environ.get("FLASK_RUN_HOST", "").strip()
    if host in WILDCARD_HOSTS:
        host = "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    port = environ.get("FLASK_RUN_PORT", "").strip() or "5000"
    return f"http://{host}:{port}"
