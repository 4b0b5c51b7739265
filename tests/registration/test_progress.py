"""The secretary's start page says where each group stands and what is still missing."""

from __future__ import annotations

from datetime import timedelta

from confapp.extensions import db
from confapp.models import Role, utcnow
from confapp.registration import services
from tests import factories
from tests.registration.conftest import person
from tests.registration.test_secretary import add, delegates, text


def test_not_registered_then_draft_then_submitted(client, leeds, secretary):
    page = text(client.get("/"))
    assert "Leeds Not registered" in page
    assert "Still to do: 0 of 3 delegate places filled 0 of 1 women's seat filled" in page
    assert "Registration deadline:" in page and " left" in page

    add(client, leeds, is_woman="y")
    add(client, leeds, name="Bob", email="bob@example.org")
    page = text(client.get("/"))
    assert "Leeds Draft: 2 not submitted" in page
    assert "2 of 3 delegate places filled" in page
    assert "2 registrations not submitted" in page
    assert "Review and submit Leeds" in page

    client.post(f"/groups/{leeds.id}/submit")
    page = text(client.get("/"))
    assert "Leeds Submitted: waiting for the committee" in page
    assert "not submitted" not in page
    assert "Review and submit" not in page


def test_what_is_missing_names_the_equality_rule_rejections_and_substitutions(
    client, conference, leeds, secretary
):
    add(client, leeds, name="Bob", email="bob@example.org")
    add(client, leeds, name="Dan", email="dan@example.org")
    page = text(client.get("/"))
    assert "At least every second base delegate must be a woman" in page

    add(client, leeds, name="Fay", email="fay@example.org", is_woman="y")
    client.post(f"/groups/{leeds.id}/submit")
    admin = factories.user(conf=conference, role=Role.ADMIN)
    bob, dan, fay = delegates(leeds)
    services.reject(bob, admin, "not elected")
    services.approve(dan, admin)
    services.approve(fay, admin)
    db.session.commit()
    page = text(client.get("/"))
    assert "2 of 3 delegate places filled" in page
    assert "1 rejected by the committee: see why, correct, send again" in page

    conference.registration_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client.post(
        f"/groups/{leeds.id}/people/{dan.id}/substitute",
        data=person(name="Gus", email="gus@example.org") | {"incoming": "new", "reason": "ill"},
    )
    page = text(client.get("/"))
    assert "Registration closed on" in page
    assert "1 substitution waiting for the committee" in page
    assert "Add a delegate" not in page  # after the deadline only substitutions


def test_a_group_not_in_good_standing_is_told_so(client, conference, login):
    hull = factories.group(conference, "Hull", members=800, in_good_standing=False)
    login(factories.user(conf=conference, role=Role.SECRETARY, group=hull))
    page = text(client.get("/"))
    assert "Hull Not entitled to delegates" in page
    assert "Not in good standing: ask the credentials committee if this is wrong." in page
    assert "Add a delegate" not in page
