"""Connection settings: SQLite safe for a busy door, PostgreSQL one URL away."""

from __future__ import annotations

import re
import sqlite3

import psycopg
import sqlalchemy as sa
from flask import Flask
from psycopg.rows import namedtuple_row

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


def ready() -> bool:
    """Whether the database answers: for a readiness check, not for every page."""
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError:
        return False
    return True


def recover_lost_connections(app: Flask) -> None:
    """After a database restart, a page read is run again on a fresh connection, not a 500.

    Connections are not pinged before each use (a round trip on every scan), so the first
    request a worker serves after a restart meets a dead connection. A read (GET, HEAD) is
    safe to run again; a change is not (its commit may have happened), so it is told plainly.
    """
    from flask import g, request

    @app.errorhandler(sa.exc.DBAPIError)
    def connection_lost(error):
        from confapp.errors import render_error

        db.session.rollback()
        if not error.connection_invalidated:
            raise error  # any other database error is a 500, as before
        db.engine.dispose()  # every pooled connection died with the server: open new ones
        if request.method in ("GET", "HEAD") and not g.get("connection_retried"):
            g.connection_retried = True
            return app.dispatch_request()
        return render_error(
            503,
            "The connection to the database was lost and has been re-opened. Check whether "
            "your change was saved, then try again.",
        )


def lock_row(row):
    """Take a versioned row's lock and read it afresh: PostgreSQL's row lock, SQLite's write lock.

    Bumping `version` is the write that takes the lock, so every change made under it (a ballot's
    entries, an election's papers) serialises on that one row.
    """
    model = type(row)
    if db.engine.dialect.name == "sqlite":
        db.session.commit()  # end the read, so the write starts from a fresh snapshot
    db.session.execute(
        sa.update(model)
        .where(model.id == row.id)
        .values(version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(row)
    return row


# ---- PostgreSQL's busiest statements, sent to the driver directly ------------------------------
# A scan at the door and a member's vote are each a read and one atomic write on an autocommit
# connection: two round trips, where the ORM's session would add BEGIN and COMMIT and its
# result machinery costs more than the query itself.


def pyformat(sql: str) -> str:
    """The statement in psycopg's own parameter style: :name becomes %(name)s."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)


def autocommit_connection() -> sa.Connection:
    """A connection of its own on which each statement commits by itself (PostgreSQL)."""
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def pg_row(connection: sa.Connection, sql: str, params: dict):
    """Run one statement on the driver's own connection; its first row, as a named tuple.

    A connection the server dropped (a restart) is reported as SQLAlchemy reports it, the
    connection invalidated, so recover_lost_connections answers as for any other page.
    """
    dbapi = connection.connection.dbapi_connection
    try:
        with dbapi.cursor(row_factory=namedtuple_row) as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    except psycopg.OperationalError as error:
        if not connection.dialect.is_disconnect(error, dbapi, None):
            raise
        connection.invalidate(error)
        raise sa.exc.DBAPIError.instance(
            sql, params, error, psycopg.Error, connection_invalidated=True
        ) from error
