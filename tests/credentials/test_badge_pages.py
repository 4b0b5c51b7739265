"""A person's badge on a phone, the secretary's badge link, and the committee's reissue."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from confapp import factories
from confapp.extensions import db
from confapp.models import AuditEntry, Credential, Delegate, Role, User
from confapp.registration import services as registration


def text(response) -> str:
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


@pytest.fixture
def leeds(conference):
    return factories.group(conference, "Leeds", members=1000, women_members=120)


@pytest.fixture
def ann(conference, leeds):
    admin = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    person = Delegate(
        conference_id=conference.id,
        group_id=leeds.id,
        pass_type="delegate",
        seat="base",
        name="Siân Ó Súilleabháin",
        email="sian@example.org",
        status="submitted",
    )
    db.session.add(person)
    db.session.commit()
    registration.approve(person, admin)
    db.session.commit()  # as the view does, once the use case has flushed
    return db.session.get(Delegate, person.id)


def _live(person) -> Credential:
    db.session.expire_all()
    return db.session.execute(
        sa.select(Credential).where(
            Credential.delegate_id == person.id, Credential.revoked_at.is_(None)
        )
    ).scalar_one()


def _link(client, leeds, person) -> str:
    page = client.get(f"/groups/{leeds.id}/people/{person.id}/badge-link")
    assert page.status_code == 200
    return re.search(r'<code id="badge-link">([^<]+)</code>', page.get_data(as_text=True))[1]


def test_the_secretary_gets_a_link_that_shows_the_badge(client, conference, leeds, ann, login):
    login(factories.user(conf=conference, role=Role.SECRETARY, group=leeds))
    link = _link(client, leeds, ann)
    client.post("/logout")
    page = client.get(link)  # no login needed: the link is the key
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Siân Ó Súilleabháin" in html.unescape(body)
    assert f'aria-label="QR code {_live(ann).code}"' in body
    assert "DELEGATE" in text(page)


def test_a_forged_or_altered_link_is_not_found(client, leeds, ann):
    assert client.get("/badge/1").status_code == 404
    assert client.get("/badge/MQ.forged-signature").status_code == 404


def test_another_groups_secretary_cannot_get_the_link(client, conference, leeds, ann, login):
    york = factories.group(conference, "York")
    login(factories.user(conf=conference, role=Role.SECRETARY, group=york))
    assert client.get(f"/groups/{leeds.id}/people/{ann.id}/badge-link").status_code == 404


def test_reissue_revokes_the_old_code_and_the_old_link_says_so(
    client, conference, leeds, ann, login
):
    login(db.session.execute(sa.select(User).where(User.email == "chair@example.org")).scalar_one())
    old_link = _link(client, leeds, ann)
    old_code = _live(ann).code
    refused = text(
        client.post(
            f"/admin/conferences/{conference.id}/people/{ann.id}/reissue",
            data={"reason": ""},
            follow_redirects=True,
        )
    )
    assert "Give the reason for the reissue" in refused
    # The badge in her hand would stop working: the committee is asked first.
    question = text(
        client.post(
            f"/admin/conferences/{conference.id}/people/{ann.id}/reissue",
            data={"reason": "lost badge"},
        )
    )
    assert "Reissue Siân Ó Súilleabháin's badge?" in question
    assert "stops working at the door" in question and "Yes, reissue" in question
    assert _live(ann).code == old_code
    page = text(
        client.post(
            f"/admin/conferences/{conference.id}/people/{ann.id}/reissue",
            data={"reason": "lost badge", "confirmed": "yes"},
            follow_redirects=True,
        )
    )
    assert "New badge code for Siân Ó Súilleabháin; the old one is revoked." in page
    assert _live(ann).code != old_code
    assert "REVOKED" in text(client.get(old_link))
    assert f'aria-label="QR code {_live(ann).code}"' in client.get(
        _link(client, leeds, ann)
    ).get_data(as_text=True)
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "credential.reissue")
    ).scalar_one()
    assert entry.before == {"code": old_code} and entry.actor == "chair@example.org"


def test_a_secretary_cannot_reissue(client, conference, leeds, ann, login):
    login(factories.user(conf=conference, role=Role.SECRETARY, group=leeds))
    code = _live(ann).code
    response = client.post(
        f"/admin/conferences/{conference.id}/people/{ann.id}/reissue", data={"reason": "x"}
    )
    assert response.status_code == 403
    assert _live(ann).code == code
