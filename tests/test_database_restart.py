"""A database restart: pages recover without a 500; /readyz says when the database is away."""

from __future__ import annotations

import pytest

from confapp.extensions import db
from confapp.models import Role
from tests import factories
from tests.conftest import PG_URL, make_app, restart_database


def _restart_database() -> None:
    """What a restart does to the app: the server drops every connection it holds."""
    db.session.close()  # the test's own session lets its connection go, as a request does
    db.engine.pool._pre_ping = False  # as configured for production: no ping before each use
    restart_database()


@pytest.mark.skipif(not PG_URL, reason="a restart drops server connections: PostgreSQL only")
def test_a_page_after_a_database_restart_answers_without_a_500(client, conference, login):
    group = factories.group(conference, "Leeds", members=1000)
    login(factories.user(conf=conference, role=Role.SECRETARY, group=group))
    assert client.get(f"/groups/{group.id}").status_code == 200

    _restart_database()
    response = client.get(f"/groups/{group.id}")

    assert response.status_code == 200
    assert "Leeds" in response.get_data(as_text=True)


@pytest.mark.skipif(not PG_URL, reason="a restart drops server connections: PostgreSQL only")
def test_a_change_after_a_database_restart_is_told_plainly(client, conference, login):
    group = factories.group(conference, "Leeds", members=1000)
    login(factories.user(conf=conference, role=Role.SECRETARY, group=group))
    assert client.get(f"/groups/{group.id}").status_code == 200

    _restart_database()
    response = client.post(f"/groups/{group.id}/submit")

    assert response.status_code == 503
    assert "Check whether your change was saved" in response.get_data(as_text=True)
    assert client.get(f"/groups/{group.id}").status_code == 200  # and the next page works


def test_readyz_answers_when_the_database_does(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_readyz_says_503_when_the_database_is_away_and_healthz_stays_cheap(database, tmp_path):
    away = make_app(database, tmp_path, DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/x")
    client = away.test_client()

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.get_json()["status"] == "not ready"
    assert client.get("/healthz").status_code == 200
    with away.app_context():
        db.engine.dispose()
