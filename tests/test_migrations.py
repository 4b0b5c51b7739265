"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import warnings

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from confapp.database import schema_is_current
from confapp.extensions import db
from tests.conftest import make_app


def _differences():
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; that one is checked by name below.
        warnings.simplefilter("ignore")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _index_names() -> set[str]:
    """Index names as the database lists them (expression indexes included)."""
    if db.engine.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    with db.engine.connect() as connection:
        return set(connection.execute(sa.text(query)).scalars())


def test_upgrade_gives_the_models_schema(database, tmp_path):
    app = make_app(database, tmp_path)
    with app.app_context():
        upgrade()
        assert _differences() == []
        assert schema_is_current()
        assert "uq_role_grant_once" in _index_names()
        db.engine.dispose()


def test_downgrade_removes_everything_and_upgrade_again(database, tmp_path):
    app = make_app(database, tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        assert _differences() == []
        db.engine.dispose()


def test_the_one_grant_index_refuses_a_second_admin_grant(database, tmp_path):
    """The expression index works as a constraint where NULL group ids would slip through."""
    app = make_app(database, tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    'INSERT INTO "user" (id, email, name, is_site_admin, '
                    "is_active, created_at) VALUES (1, 'a@example.org', '', "
                    "false, true, '2027-01-01')"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO conference (id, slug, name, venue, timezone, starts_on, ends_on, "
                    "registration_deadline, entitlement_rule, card_vote_rule, quorum_percent, "
                    "created_at) VALUES (1, 'c', 'C', '', 'UTC', '2027-01-01', '2027-01-02', "
                    "'2027-01-01', '{}', '{}', 50, '2027-01-01')"
                )
            )
        insert = sa.text(
            "INSERT INTO role_grant (user_id, conference_id, role, created_at) "
            "VALUES (1, 1, 'admin', '2027-01-01')"
        )
        with db.engine.begin() as connection:
            connection.execute(insert)
        try:
            with db.engine.begin() as connection:
                connection.execute(insert)
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("a second identical admin grant was stored")
        db.engine.dispose()


def test_upgrading_keeps_the_data_of_the_first_release(database, tmp_path):
    """Groups and role grants made under the first schema survive every later migration."""
    app = make_app(database, tmp_path)
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO conference (id, slug, name, venue, timezone, starts_on, ends_on, "
                    "registration_deadline, entitlement_rule, card_vote_rule, quorum_percent, "
                    "created_at) VALUES (1, 'c', 'C', '', 'UTC', '2027-01-01', '2027-01-02', "
                    "'2027-01-01', '{}', '{}', 50, '2027-01-01')"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO section (id, conference_id, name, position) "
                    "VALUES (1, 1, 'Local groups', 0)"
                )
            )
            connection.execute(
                sa.text(
                    'INSERT INTO "group" (id, conference_id, section_id, name, region, members, '
                    "women_members, young_members, in_good_standing, created_at, updated_at) "
                    "VALUES (1, 1, 1, 'Leeds', 'North', 100, 50, 10, true, '2027-01-01', "
                    "'2027-01-01')"
                )
            )
            connection.execute(
                sa.text(
                    'INSERT INTO "user" (id, email, name, is_site_admin, is_active, created_at) '
                    "VALUES (1, 's@example.org', '', false, true, '2027-01-01')"
                )
            )
            connection.execute(
                sa.text(
                    "INSERT INTO role_grant (user_id, conference_id, role, group_id, created_at) "
                    "VALUES (1, 1, 'secretary', 1, '2027-01-01')"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            assert connection.execute(sa.text('SELECT name FROM "group"')).scalar() == "Leeds"
            assert connection.execute(sa.text("SELECT count(*) FROM role_grant")).scalar() == 1
        assert _differences() == []
        db.engine.dispose()


def test_connections_keep_foreign_keys_on_after_migrating(tmp_path):
    """Migrations switch SQLite's foreign keys off for a while; the pool must not keep that."""
    from types import SimpleNamespace

    sqlite = SimpleNamespace(url=f"sqlite:///{tmp_path / 'fk.sqlite'}", engine_options={})
    app = make_app(sqlite, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_every_status_and_kind_is_checked_by_the_database_after_upgrading(database, tmp_path):
    app = make_app(database, tmp_path)
    with app.app_context():
        upgrade()
        bad = {
            "conference": "badge_layout",
            "print_job": "layout",
            "scan": "reason",
            "delegate": "status",
            "ballot": "mode",
            "substitution": "status",
        }
        with db.engine.connect() as connection:
            names = {
                check["name"]
                for table in bad
                for check in sa.inspect(connection).get_check_constraints(table)
            }
        assert {
            "ck_conference_known_badge_layout",
            "ck_print_job_known_layout",
            "ck_scan_known_scan_reason",
            "ck_scan_known_direction",
            "ck_scan_known_scan_status",
            "ck_delegate_known_status",
            "ck_ballot_known_ballot_mode",
            "ck_substitution_known_substitution_status",
        } <= names
        db.engine.dispose()
