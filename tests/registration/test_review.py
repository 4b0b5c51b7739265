"""The committee reviews delegations: approve, reject with a reason, substitutions, seating."""

from __future__ import annotations

from datetime import timedelta

import pytest

from confapp.extensions import db
from confapp.models import AuditEntry, Delegate, Role, Substitution, utcnow
from tests import factories
from tests.registration.conftest import person
from tests.registration.test_secretary import add, delegates, text


@pytest.fixture
def submitted(client, leeds, secretary):
    """Leeds has submitted Ann (a woman) and Bob; one alternate, Cat, is submitted too."""
    add(client, leeds, name="Ann", email="ann@example.org", is_woman="y")
    add(client, leeds, name="Bob", email="bob@example.org")
    add(client, leeds, "alternate", name="Cat", email="cat@example.org", is_woman="y")
    client.post(f"/groups/{leeds.id}/submit")
    client.post("/logout")
    return {d.name: d for d in delegates(leeds)}


@pytest.fixture
def committee(client, conference, login, submitted):
    user = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    login(user)
    return user


def test_the_queue_shows_what_a_decision_needs(client, conference, leeds, committee):
    page = text(client.get(f"/admin/conferences/{conference.id}/queue"))
    assert "Leeds" in page
    assert "1,000 members (120 women, 50 young)" in page
    assert "3 delegates, one extra women's seat, card vote 1,000" in page
    assert "2 of 3 delegates" in page
    assert "Meets the equality rule." in page
    assert "2027-01-20 Branch meeting" in page


def test_approve_and_reject_with_a_reason_the_secretary_sees(
    client, conference, leeds, committee, secretary, submitted
):
    ann, bob = submitted["Ann"], submitted["Bob"]
    base = f"/admin/conferences/{conference.id}/people"
    client.post(f"{base}/{ann.id}/approve")
    refused = text(
        client.post(f"{base}/{bob.id}/reject", data={"reason": ""}, follow_redirects=True)
    )
    assert "Give the reason for the rejection" in refused
    client.post(f"{base}/{bob.id}/reject", data={"reason": "not elected at a quorate meeting"})
    assert {d.name: d.status for d in delegates(leeds)} == {
        "Ann": "approved",
        "Bob": "rejected",
        "Cat": "submitted",
    }
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "delegate.rejected")
    ).scalar_one()
    assert entry.actor == "chair@example.org"
    assert entry.after["status_reason"] == "not elected at a quorate meeting"
    # The secretary reads the reason on the group's page.
    client.post("/logout")
    client.post("/login", data={"email": secretary.email, "password": factories.PASSWORD})
    page = text(client.get(f"/groups/{leeds.id}"))
    assert "Reason: not elected at a quorate meeting" in page


def test_approve_a_whole_delegation_in_one_action(client, conference, leeds, committee):
    page = text(
        client.post(
            f"/admin/conferences/{conference.id}/groups/{leeds.id}/approve", follow_redirects=True
        )
    )
    assert "Approved 3 registration(s) of Leeds." in page
    assert {d.status for d in delegates(leeds)} == {"approved"}
    assert "Nothing is waiting" in page


def test_a_secretary_cannot_approve(client, conference, leeds, submitted, secretary):
    ann = submitted["Ann"]
    client.post("/login", data={"email": secretary.email, "password": factories.PASSWORD})
    response = client.post(f"/admin/conferences/{conference.id}/people/{ann.id}/approve")
    assert response.status_code == 403
    assert delegates(leeds)[0].status == "submitted"


@pytest.fixture
def after_deadline(client, conference, leeds, committee, secretary):
    """Leeds approved; the deadline passed; the secretary is logged in."""
    client.post(f"/admin/conferences/{conference.id}/groups/{leeds.id}/approve")
    conference.registration_deadline = utcnow() - timedelta(hours=1)
    db.session.commit()
    client.post("/logout")
    client.post("/login", data={"email": secretary.email, "password": factories.PASSWORD})


def _decide(client, conference, decision, reason=""):
    sub = db.session.execute(db.select(Substitution)).scalars().one()
    client.post("/logout")
    client.post("/login", data={"email": "chair@example.org", "password": factories.PASSWORD})
    return client.post(
        f"/admin/conferences/{conference.id}/substitutions/{sub.id}/decide",
        data={"decision": decision, "reason": reason},
        follow_redirects=True,
    )


def test_substitution_by_an_alternate(client, conference, leeds, submitted, after_deadline):
    bob, cat = submitted["Bob"], submitted["Cat"]
    page = text(
        client.post(
            f"/groups/{leeds.id}/people/{bob.id}/substitute",
            data={"incoming": str(cat.id), "reason": "Bob is ill"},
            follow_redirects=True,
        )
    )
    assert "Substitution requested" in page
    assert "Cat for Bob: pending" in page
    page = text(_decide(client, conference, "approve"))
    assert "Substitution approved." in page
    people = {d.name: d for d in delegates(leeds)}
    assert people["Bob"].status == "replaced"
    assert (people["Cat"].pass_type, people["Cat"].seat, people["Cat"].status) == (
        "delegate",
        "base",
        "approved",
    )
    actions = set(db.session.execute(db.select(AuditEntry.action)).scalars())
    assert {"substitution.request", "substitution.approved", "delegate.replaced"} <= actions


def test_substitution_by_a_new_person_then_rejected(
    client, conference, leeds, submitted, after_deadline
):
    bob = submitted["Bob"]
    data = person(name="Dan New", email="dan@example.org") | {
        "incoming": "new",
        "reason": "Bob moved away",
    }
    client.post(f"/groups/{leeds.id}/people/{bob.id}/substitute", data=data)
    # While the request waits, the proposed person does not take a seat of their own.
    assert {d.name: d.status for d in delegates(leeds)}["Dan New"] == "submitted"
    page = text(_decide(client, conference, "reject", "no minutes of the election"))
    assert "Substitution rejected." in page
    people = {d.name: d for d in delegates(leeds)}
    assert people["Bob"].status == "approved"
    assert people["Dan New"].status == "rejected"


def test_the_womens_seat_passes_only_to_a_woman(
    client, conference, leeds, submitted, after_deadline, db
):
    # Ann sits in the base seat; move her to the women's seat to test the rule on substitution.
    ann = db.session.get(Delegate, submitted["Ann"].id)
    ann.seat = "women's seat"
    db.session.commit()
    data = person(name="Ed", email="ed@example.org") | {"incoming": "new", "reason": "ill"}
    page = text(
        client.post(
            f"/groups/{leeds.id}/people/{ann.id}/substitute", data=data, follow_redirects=True
        )
    )
    assert "The women's seat can only be filled by a woman." in page
    assert db.session.execute(db.select(Substitution)).first() is None


def test_seat_an_alternate_for_an_absent_delegate(client, conference, leeds, committee, submitted):
    client.post(f"/admin/conferences/{conference.id}/groups/{leeds.id}/approve")
    ann, cat = submitted["Ann"], submitted["Cat"]
    url = f"/admin/conferences/{conference.id}/groups/{leeds.id}/seating"
    page = text(
        client.post(url, data={"alternate": cat.id, "absent": ann.id}, follow_redirects=True)
    )
    assert "Cat now sits in for Ann." in page
    assert {d.name: d.seated_for_id for d in delegates(leeds)}["Cat"] == ann.id
    client.post(url, data={"alternate": cat.id, "absent": ""})
    assert {d.name: d.seated_for_id for d in delegates(leeds)}["Cat"] is None
    actions = list(db.session.execute(db.select(AuditEntry.action)).scalars())
    assert "alternate.seat" in actions and "alternate.unseat" in actions
