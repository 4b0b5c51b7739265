"""Connection settings: SQLite safe for a busy door, PostgreSQL one URL away."""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from flask import Flask

from confapp.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Foreign keys on, WAL so readers never block the writer, wait rather than fail if busy."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def tune_connections(app: Flask) -> None:
    """Apply per-connection settings to every engine the app opens."""
    with app.app_context():
        engine = db.engine
        if not sa.event.contains(engine, "connect", _sqlite_pragmas):
            sa.event.listen(engine, "connect", _sqlite_pragmas)


def is_sqlite() -> bool:
    """Whether the app runs on SQLite (some commands, like backup, differ)."""
    return db.engine.dialect.name == "sqlite"


def schema_is_current() -> bool:
    """Whether the database has been migrated to the newest revision."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask import current_app

    directory = current_app.extensions["migrate"].directory
    script = ScriptDirectory(directory)
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())
