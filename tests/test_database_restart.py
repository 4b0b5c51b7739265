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


ON_POSTGRESQL = pytest.mark.skipif(
    not PG_URL, reason="a restart drops server connections: PostgreSQL only"
)


@pytest.fixture
def group_page(client, conference, login) -> str:
    """A secretary logged in, their group's page read once (the connection is in the pool)."""
    group = factories.group(conference, "Leeds", members=1000)
    login(factories.user(conf=conference, role=Role.SECRETARY, group=group))
    page = f"/groups/{group.id}"
    assert client.get(page).status_code == 200
    return page


@ON_POSTGRESQL
def test_a_page_after_a_database_restart_answers_without_a_500(client, group_page):
    _restart_database()
    response = client.get(group_page)

    assert response.status_code == 200
    assert "Leeds" in response.get_data(as_text=True)


@ON_POSTGRESQL
def test_a_change_after_a_database_restart_is_told_plainly(client, group_page):
    _restart_database()
    response = client.post(f"{group_page}/submit")

    assert response.status_code == 503
    assert "Check whether your change was saved" in response.get_data(as_text=True)
    assert client.get(group_page).status_code == 200  # and the next page works


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


@pytest.fixture
def voting_link(client):
    """A members' ballot open, one member's link, its paper read once (a connection pooled)."""
    from tests.members.test_casting import full_form, voting_world

    world = voting_world()
    link = f"/vote/{world.code()}"
    assert client.get(link).status_code == 200
    return link, full_form(world)


@ON_POSTGRESQL
def test_a_members_paper_after_a_database_restart_answers_without_a_500(client, voting_link):
    link, _ = voting_link
    _restart_database()
    response = client.get(link)

    assert response.status_code == 200
    assert 'id="paper"' in response.get_data(as_text=True)


@ON_POSTGRESQL
def test_a_members_vote_after_a_database_restart_is_told_plainly_and_the_link_still_votes(
    client, voting_link
):
    link, form = voting_link
    _restart_database()
    response = client.post(link, data=form)

    assert response.status_code == 503
    assert "Check whether your change was saved" in response.get_data(as_text=True)
    again = client.post(link, data=form)
    assert "Your vote is cast" in again.get_data(as_text=True)
