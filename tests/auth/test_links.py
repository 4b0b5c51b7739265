"""Links people are sent (invitations, badge links) point at the address the app is served on."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from confapp import factories
from confapp.models import Role

SERVED_AT = "http://127.0.0.1:5401"


@pytest.fixture
def app_config():
    """No SERVER_NAME: the app answers on whatever address it is served on, as in production."""
    return {"SERVER_NAME": None}


@pytest.fixture
def served(app):
    """A browser talking to the app served on port 5401."""
    return app.test_client()


@pytest.fixture
def world(conference, served):
    """Leeds with an approved delegate, and the committee logged in on port 5401."""
    leeds = factories.group(conference, "Leeds")
    admin = factories.user("committee@example.org", conf=conference, role=Role.ADMIN)
    ann = factories.approved_person(conference, leeds, "Ann Jones")
    response = served.post(
        "/login",
        data={"email": admin.email, "password": factories.PASSWORD},
        base_url=SERVED_AT,
    )
    assert response.status_code == 302
    return conference, leeds, ann


def invitation_link(served, conference, **kwargs) -> str:
    """Invite a secretary from the Users page; the one-time link the page shows."""
    response = served.post(
        f"/admin/conferences/{conference.id}/users",
        data={"email": "nia@example.org", "name": "Nia", "role": "steward"},
        **kwargs,
    )
    found = re.search(r'<code id="invitation-link">([^<]+)</code>', response.get_data(as_text=True))
    assert found, "no invitation link on the page"
    return html.unescape(found.group(1))


def badge_link(served, leeds, ann, **kwargs) -> str:
    """The badge link the secretary's page shows for Ann."""
    page = served.get(f"/groups/{leeds.id}/people/{ann.id}/badge-link", **kwargs)
    assert page.status_code == 200
    found = re.search(r'<code id="badge-link">([^<]+)</code>', page.get_data(as_text=True))
    assert found, "no badge link on the page"
    return html.unescape(found.group(1))


def text(response) -> str:
    """What the page says, as a person reads it: tags dropped, spaces collapsed."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def test_links_point_at_the_port_the_app_is_served_on(app, world, served):
    conference, leeds, ann = world

    invitation = invitation_link(served, conference, base_url=SERVED_AT)
    assert invitation.startswith(f"{SERVED_AT}/invite/")
    assert ":5000" not in invitation
    # The link opens the set-password form on that same server.
    invitee = app.test_client()
    assert "For nia@example.org" in text(invitee.get(urlsplit(invitation).path, base_url=SERVED_AT))

    badge = badge_link(served, leeds, ann, base_url=SERVED_AT)
    assert badge.startswith(f"{SERVED_AT}/badge/")
    assert "Ann Jones" in text(invitee.get(urlsplit(badge).path, base_url=SERVED_AT))


@pytest.mark.parametrize("app_config", [{"SERVER_NAME": None, "PROXY_COUNT": 1}])
def test_behind_a_proxy_links_take_the_forwarded_address(world, served):
    conference, leeds, ann = world
    forwarded = {"X-Forwarded-Host": "conference.example.org", "X-Forwarded-Proto": "https"}

    link = invitation_link(served, conference, base_url=SERVED_AT, headers=forwarded)

    assert link.startswith("https://conference.example.org/invite/")


def test_the_configured_base_url_wins(app, world, served):
    conference, leeds, ann = world
    app.config["BASE_URL"] = "https://conference.example.org/"

    invitation = invitation_link(served, conference, base_url=SERVED_AT)
    badge = badge_link(served, leeds, ann, base_url=SERVED_AT)

    assert invitation.startswith("https://conference.example.org/invite/")
    assert badge.startswith("https://conference.example.org/badge/")
