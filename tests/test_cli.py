"""Command-line work: setup, backup, naming conferences."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from confapp.admin.services import ConferenceError, find_conference
from confapp.extensions import db
from confapp.models import Conference, Group
from tests import factories
from tests.conftest import make_app


def test_setup_migrates_loads_the_demo_once_and_prints_logins(database, tmp_path):
    app = make_app(database, tmp_path)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    assert "loading the demo" in first.output
    assert "admin@example.org" in first.output and "demo-admin-pass" in first.output
    second = runner.invoke(args=["setup"])
    assert "demo not loaded" in second.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Group.id))).scalar_one() == 150
        db.engine.dispose()


def test_init_db_is_safe_to_run_twice(database, tmp_path):
    app = make_app(database, tmp_path)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    again = runner.invoke(args=["init-db"])
    assert again.exit_code == 0
    assert "newest schema" in again.output
    with app.app_context():
        db.engine.dispose()


def test_conference_found_by_id_or_short_name(conference):
    assert find_conference(str(conference.id)) is conference
    assert find_conference(conference.slug) is conference
    with pytest.raises(ConferenceError) as error:
        find_conference("annual")
    assert conference.slug in str(error.value)


def _sqlite_app(tmp_path):
    """An app on SQLite whatever database the suite runs on (these are SQLite's own features)."""
    sqlite = SimpleNamespace(url=f"sqlite:///{tmp_path / 'live.sqlite'}", engine_options={})
    app = make_app(sqlite, tmp_path)
    with app.app_context():
        db.create_all()
        factories.group(factories.conference(), "Leeds", members=1000)
    return app


def test_backup_copies_a_live_sqlite_database(tmp_path):
    app = _sqlite_app(tmp_path)
    target = tmp_path / "backup.sqlite"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        names = [row[0] for row in copy.execute('SELECT name FROM "group"')]
    assert names == ["Leeds"]
    again = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert again.exit_code != 0
    assert "exists already" in again.output


def test_backup_on_postgresql_says_to_use_pg_dump(tmp_path):
    # The command decides from the URL alone, before it would connect.
    unreachable = SimpleNamespace(
        url="postgresql+psycopg://nobody@127.0.0.1:9/none", engine_options={}
    )
    app = make_app(unreachable, tmp_path)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output


def test_sqlite_connections_have_foreign_keys_wal_and_busy_timeout(tmp_path):
    app = _sqlite_app(tmp_path)
    with app.app_context(), db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("foreign_keys") == 1
        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == 5000


def test_the_database_refuses_impossible_figures(conference):
    db.session.add(
        Group(
            conference=conference,
            section=conference.sections[0],
            name="X",
            members=10,
            women_members=11,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.execute(sa.select(Conference)).scalar_one() is conference
