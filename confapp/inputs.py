"""Input no page or API can store: refused with a clear 400 before any view sees it.

Three kinds of input reached the database unchecked and answered 500: ids past the
database's integer range, text holding NUL bytes or lone surrogates (PostgreSQL and UTF-8
cannot hold them), and JSON nested deeper than the parser's recursion. Each is stopped here
once, for every route, rather than view by view.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

# The largest id a database INTEGER column holds (PostgreSQL's int4, and SQLite's ids here).
MAX_ID = 2**31 - 1
# NUL and the other C0 controls but tab, newline and carriage return; lone UTF-16 surrogates.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class IdConverter(IntegerConverter):
    """`<int:...>` in a URL: a positive id a database column can hold; anything larger is 404."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing what cannot be stored, so `request.get_json()` answers 400."""

    def loads(self, s, **kwargs):
        """Parse JSON; ValueError (a 400 from get_json) for deep nesting or unstorable text."""
        return checked_json(s, lambda text: super(JSONProvider, self).loads(text, **kwargs))


def checked_json(text, parse=None):
    """Parse JSON text; ValueError for nesting too deep to parse or text that cannot be stored."""
    import json

    try:
        data = (parse or json.loads)(text)
    except RecursionError:
        raise ValueError("The JSON is nested too deeply.") from None
    problem = _unstorable_json(data)
    if problem:
        raise ValueError(problem)
    return data


def _unstorable_json(data) -> str | None:
    """The first text in a JSON value that cannot be stored, described; None if all is well."""
    stack = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if UNSTORABLE.search(key):
                    return "A JSON key holds a NUL byte, a control character or a broken character."
                stack.append((key, item))
        elif isinstance(value, list):
            stack.extend((where, item) for item in value)
        elif isinstance(value, str) and UNSTORABLE.search(value):
            field = f"'{where}'" if where else "A value"
            return f"{field} holds a NUL byte, a control character or a broken character."
    return None


def unstorable_field(pairs) -> str | None:
    """The name of the first field whose name or value cannot be stored, or None."""
    for key, value in pairs:
        if UNSTORABLE.search(key) or (isinstance(value, str) and UNSTORABLE.search(value)):
            return key if not UNSTORABLE.search(key) else UNSTORABLE.sub("?", key)
    return None


def _refuse_unstorable_text() -> None:
    """Refuse a request whose query or form holds a NUL byte, a control or a lone surrogate."""
    pairs = list(request.args.items(multi=True))
    if request.method != "GET" and request.mimetype in FORM_TYPES:
        pairs += request.form.items(multi=True)
    field = unstorable_field(pairs)
    if field is not None:
        abort(
            400,
            description=f"The field '{field}' holds a character that cannot be stored "
            "(a NUL byte, a control character or a broken character). Retype it and try again.",
        )


def init_app(app: Flask) -> None:
    """Install the id converter and JSON checks (before any blueprint) and the text check."""
    app.url_map.converters["int"] = IdConverter
    app.json_provider_class = JSONProvider
    app.json = JSONProvider(app)
    app.before_request(_refuse_unstorable_text)

    @app.errorhandler(sa.exc.DataError)
    def out_of_range(error):
        # The database refused a value the checks above let through (a number past a column's
        # range, say): nothing was stored, and the user is told so rather than shown a 500.
        from confapp.errors import render_error
        from confapp.extensions import db

        db.session.rollback()
        return render_error(
            400, "A value was out of range or not valid for the database. Nothing was saved."
        )
