"""Shared helpers for the benchmarks: a throwaway app and a query counter."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from contextlib import contextmanager

import sqlalchemy as sa

from confapp import create_app
from confapp.extensions import db


def bench_app():
    """An app on a fresh SQLite file (or BENCH_DATABASE_URL), tables created, CSRF off."""
    folder = tempfile.mkdtemp(prefix="confapp-bench-")
    os.environ["CONFAPP_INSTANCE_PATH"] = folder
    url = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.sqlite")
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SECURE_COOKIES": False,
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


class QueryCounter:
    """Counts the SQL statements sent while active."""

    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


@contextmanager
def counting_queries():
    """Yield a counter of the statements executed inside the block."""
    counter = QueryCounter()
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", counter)


def timed(fn, repeat: int = 7) -> tuple[float, float]:
    """Median and best wall time of `fn` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


# The only PostgreSQL database a benchmark creates, empties or writes (never the tests' `test`).
PG_BENCH_DATABASE = "confapp_bench"


def create_bench_database(server_url: str) -> None:
    """Create confapp_bench on the PostgreSQL server at `server_url` if it is missing."""
    admin = sa.create_engine(
        sa.make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        found = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
            {"name": PG_BENCH_DATABASE},
        ).scalar()
        if not found:
            connection.execute(sa.text(f'CREATE DATABASE "{PG_BENCH_DATABASE}"'))
    admin.dispose()
