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
