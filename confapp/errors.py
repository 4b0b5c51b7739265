"""Friendly pages for 403, 404, 429 and 500."""

from __future__ import annotations

from flask import Flask, make_response, render_template, request
from flask_wtf.csrf import CSRFError

from confapp.extensions import db

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Not logged in", "Log in, or send a device token."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Not found", "There is nothing at this address."),
    405: ("Not allowed", "That action cannot be done this way."),
    413: ("Too large", "The file is too large to upload."),
    429: ("Too many attempts", "Too many attempts in a short time. Wait a minute and try again."),
    503: ("Not available", "The database is not answering. Try again in a moment."),
    500: ("Something went wrong", "The error is logged. Nothing was saved; please try again."),
}


def render_error(code: int, detail: str | None = None):
    """The error page, or a JSON body for API clients."""
    title, message = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"error": title, "message": detail or message}, code
    return render_template(
        "errors/error.html", code=code, title=title, message=detail or message
    ), code


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, "The form had expired or was sent from elsewhere. Go back, reload and try again."
        )

    for code in (400, 401, 403, 404, 405, 413, 429):

        def handler(error, code=code):
            # Our own abort(..., description=) texts are shown; a library's (Flask-Limiter's
            # "3 per 1 minute") or werkzeug's generic ones give way to ours.
            description = getattr(error, "description", None)
            default = getattr(type(error), "description", None)
            own = code != 429 and description != default
            if code == 429:
                description, own = _wait_words(error), True
            response = make_response(render_error(code, description if own else None))
            if code == 405 and getattr(error, "valid_methods", None):
                # Werkzeug's own 405 says which methods the address takes (RFC 9110): keep that.
                response.headers["Allow"] = ", ".join(error.valid_methods)
            return response

        app.register_error_handler(code, handler)

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)


def _wait_words(error) -> str:
    """The 429 page's advice, in the limit's own period (a minute for logins, an hour ...)."""
    limit = getattr(getattr(error, "limit", None), "limit", None)
    seconds = limit.get_expiry() if limit is not None else 60
    wait = "a minute" if seconds <= 60 else "an hour" if seconds <= 3600 else "a day"
    return f"Too many attempts in a short time. Wait {wait} and try again."
