"""Command-line work: setup, backup, naming conferences."""

from __future__ import annotations

import re
import sqlite3
from types import SimpleNamespace
from urllib.parse import urlsplit

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


@pytest.fixture
def no_address_settings(monkeypatch):
    """Neither CONFAPP_BASE_URL nor FLASK_RUN_HOST/PORT from the machine running the tests."""
    for name in ("CONFAPP_BASE_URL", "FLASK_RUN_HOST", "FLASK_RUN_PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _printed_link(output: str) -> str:
    return re.search(r"One-time link to set a password: (\S+)", output)[1]


def test_create_user_prints_the_link_on_confapp_base_url(database, tmp_path, no_address_settings):
    no_address_settings.setenv("CONFAPP_BASE_URL", "https://conference.example.org")
    no_address_settings.setenv("FLASK_RUN_PORT", "5401")  # the base URL wins over the port
    app = make_app(database, tmp_path, SERVER_NAME=None)
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(
        args=["create-user", "chair@example.org", "--role", "site-admin"]
    )
    assert result.exit_code == 0, result.output
    link = _printed_link(result.output)
    assert link.startswith("https://conference.example.org/invite/")
    # The printed link is the real one: it opens the set-password form.
    page = app.test_client().get(urlsplit(link).path)
    words = re.sub(r"<[^>]+>", " ", page.get_data(as_text=True))
    assert "For chair@example.org" in " ".join(words.split())
    with app.app_context():
        db.engine.dispose()


def test_without_a_base_url_printed_links_name_the_port_flask_run_serves_on(
    database, tmp_path, no_address_settings
):
    no_address_settings.setenv("FLASK_RUN_PORT", "5401")  # as `make run PORT=5401` sets it
    app = make_app(database, tmp_path, SERVER_NAME=None)
    runner = app.test_cli_runner()
    setup = runner.invoke(args=["setup"])
    assert "Log in at http://127.0.0.1:5401/login" in setup.output
    result = runner.invoke(args=["create-user", "chair@example.org", "--role", "site-admin"])
    assert _printed_link(result.output).startswith("http://127.0.0.1:5401/invite/")
    # Served to the whole network (HOST=0.0.0.0): the link names this machine, not 0.0.0.0.
    no_address_settings.setenv("FLASK_RUN_HOST", "0.0.0.0")
    result = runner.invoke(args=["create-user", "door.chief@example.org", "--role", "site-admin"])
    assert _printed_link(result.output).startswith("http://127.0.0.1:5401/invite/")
    with app.app_context():
        db.engine.dispose()
