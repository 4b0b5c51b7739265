"""A group secretary registers and submits the delegation within the rules."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from confapp.extensions import db
from confapp.models import AuditEntry, Delegate, Role, Status, utcnow
from confapp.registration import services
from tests import factories
from tests.registration.conftest import person


def text(response) -> str:
    """What the page says, as a person reads it."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def add(client, group, pass_type="delegate", **values):
    return client.post(
        f"/groups/{group.id}/people/new/{pass_type}", data=person(**values), follow_redirects=True
    )


def delegates(group) -> list[Delegate]:
    db.session.expire_all()
    return list(
        db.session.execute(
            db.select(Delegate).where(Delegate.group_id == group.id).order_by(Delegate.id)
        ).scalars()
    )


def test_the_page_says_the_entitlement_in_plain_words(client, leeds, secretary):
    page = text(client.get(f"/groups/{leeds.id}"))
    assert (
        "Your group has 1,000 members: 3 delegates, one extra women's seat, card vote 1,000."
        in page
    )
    assert "left" in page  # time to the deadline
    assert "0 of 3 delegates" in page
    assert "0 of 1 women's seat" in page
    assert "0 of 2 alternates" in page


def test_register_a_delegate_as_a_draft_on_the_audit_log(client, leeds, secretary):
    page = text(add(client, leeds, is_woman="y"))
    assert "Ann Jones added as delegate" in page
    assert "DRAFT" in page.upper()
    (ann,) = delegates(leeds)
    assert (ann.status, ann.seat, ann.is_woman, ann.elected_at) == (
        "draft",
        "base",
        True,
        "Branch meeting",
    )
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "delegate.register")
    ).scalar_one()
    assert entry.actor == secretary.email and entry.entity_id == ann.id


def test_no_more_delegates_than_the_entitlement(client, leeds, secretary):
    for i in range(3):
        add(client, leeds, name=f"Person {i}", email=f"p{i}@example.org")
    page = text(add(client, leeds, name="Fourth", email="p4@example.org"))
    assert "Your group is entitled to 3 delegates, and 3 are already registered." in page
    assert len(delegates(leeds)) == 3


def test_the_reserved_seat_only_for_someone_who_qualifies(client, leeds, secretary):
    page = text(add(client, leeds, seat="women's seat"))
    assert "The women's seat can only be filled by a woman." in page
    assert delegates(leeds) == []
    page = text(add(client, leeds, seat="women's seat", is_woman="y"))
    assert "added as women's seat" in page
    page = text(add(client, leeds, seat="women's seat", is_woman="y", email="b@example.org"))
    assert "The women's seat is already filled." in page


def test_alternates_are_ranked_and_limited_by_the_rule(client, leeds, secretary):
    add(client, leeds, "alternate", name="Alt One", email="a1@example.org")
    add(client, leeds, "alternate", name="Alt Two", email="a2@example.org")
    page = text(add(client, leeds, "alternate", name="Alt Three", email="a3@example.org"))
    assert "The rule allows 2 alternates; the group has them all." in page
    assert [(d.name, d.alternate_rank) for d in delegates(leeds)] == [
        ("Alt One", 1),
        ("Alt Two", 2),
    ]


def test_visitors_and_observers_do_not_take_seats(client, leeds, secretary):
    for i in range(3):
        add(client, leeds, name=f"Delegate {i}", email=f"d{i}@example.org")
    add(client, leeds, "visitor", name="Visitor", email="v@example.org")
    add(client, leeds, "observer", name="Observer", email="o@example.org")
    assert sorted(d.pass_type for d in delegates(leeds)) == [
        "delegate",
        "delegate",
        "delegate",
        "observer",
        "visitor",
    ]


def test_one_person_cannot_be_a_delegate_twice(client, conference, leeds, secretary):
    york = factories.group(conference, "York", members=800)
    york_sec = factories.user(conf=conference, role=Role.SECRETARY, group=york)
    add(client, leeds, email="Ann@Example.org")
    page = text(add(client, leeds, "alternate", email="ann@example.org"))
    assert "ann@example.org is already registered as delegate for your group" in page
    client.post("/logout")
    client.post("/login", data={"email": york_sec.email, "password": factories.PASSWORD})
    page = text(add(client, york, email="ann@example.org"))
    assert "already registered as delegate for Leeds" in page
    assert delegates(york) == []


def test_submission_checks_the_equality_rule(client, leeds, secretary):
    add(client, leeds, name="Bob", email="bob@example.org")
    add(client, leeds, name="Carl", email="carl@example.org")
    page = text(client.get(f"/groups/{leeds.id}"))
    assert "2 base delegates need at least 1 woman, and the delegation has 0" in page
    page = text(client.post(f"/groups/{leeds.id}/submit", follow_redirects=True))
    assert "Not submitted: At least every second base delegate must be a woman" in page
    assert {d.status for d in delegates(leeds)} == {"draft"}

    carl = delegates(leeds)[1]
    client.post(
        f"/groups/{leeds.id}/people/{carl.id}/edit",
        data=person(name="Carla", email="carla@example.org", is_woman="y"),
    )
    page = text(client.post(f"/groups/{leeds.id}/submit", follow_redirects=True))
    assert "Submitted 2 to the credentials committee." in page
    assert {d.status for d in delegates(leeds)} == {"submitted"}


def test_after_the_deadline_only_substitutions(client, conference, leeds, secretary):
    add(client, leeds, is_woman="y")
    conference.registration_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = text(add(client, leeds, name="Late", email="late@example.org"))
    assert "The registration deadline has passed: changes now go through a substitution" in page
    (ann,) = delegates(leeds)
    page = text(
        client.post(
            f"/groups/{leeds.id}/people/{ann.id}/delete",
            data={"confirmed": "yes"},
            follow_redirects=True,
        )
    )
    assert "deadline has passed" in page
    assert delegates(leeds)[0].status == "draft"


def _submitted_three(client, leeds) -> list[Delegate]:
    """Ann (a woman) and two men registered and sent to the committee."""
    add(client, leeds, is_woman="y")
    for i in range(2):
        add(client, leeds, name=f"Person {i}", email=f"p{i}@example.org")
    client.post(f"/groups/{leeds.id}/submit")
    return delegates(leeds)


def _audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.execute(db.select(AuditEntry).where(AuditEntry.action == action)).scalars()
    )


def test_withdrawing_asks_first_then_frees_the_seat(client, leeds, secretary):
    first = _submitted_three(client, leeds)[1]
    url = f"/groups/{leeds.id}/people/{first.id}/withdraw"

    question = client.post(url, data={"reason": "moved away"})
    assert question.status_code == 200
    page = text(question)
    assert "Withdraw Person 0?" in page
    assert "The committee will not decide on Person 0" in page
    assert "Yes, withdraw" in page and "Cancel" in page
    assert delegates(leeds)[1].status == Status.SUBMITTED  # nothing happened yet

    done = text(
        client.post(url, data={"reason": "moved away", "confirmed": "yes"}, follow_redirects=True)
    )
    assert "Person 0 withdrawn." in done
    assert delegates(leeds)[1].status == Status.WITHDRAWN
    assert [e.after["status_reason"] for e in _audit("delegate.withdrawn")] == ["moved away"]
    assert "added as delegate" in text(add(client, leeds, name="New", email="new@example.org"))


def test_withdrawing_an_approved_delegate_says_the_badge_stops_working(
    client, conference, leeds, secretary
):
    ann = _submitted_three(client, leeds)[0]
    services.approve(ann, factories.user(conf=conference, role=Role.ADMIN))
    db.session.commit()
    page = text(client.post(f"/groups/{leeds.id}/people/{ann.id}/withdraw"))
    assert "Withdraw Ann Jones?" in page
    assert "Ann Jones is approved: their badge stops working at the door" in page
    assert delegates(leeds)[0].status == Status.APPROVED


def test_a_draft_is_deleted_after_asking_and_the_audit_log_keeps_it(client, leeds, secretary):
    add(client, leeds, is_woman="y")
    ann_id = delegates(leeds)[0].id
    group_page = client.get(f"/groups/{leeds.id}").get_data(as_text=True)
    assert 'data-confirm="Delete Ann Jones?"' in group_page
    assert f"/people/{ann_id}/withdraw" not in group_page  # a draft is deleted, not withdrawn
    url = f"/groups/{leeds.id}/people/{ann_id}/delete"

    page = text(client.post(url))
    assert "Delete Ann Jones?" in page and "Yes, delete" in page
    assert len(delegates(leeds)) == 1

    done = text(client.post(url, data={"confirmed": "yes"}, follow_redirects=True))
    assert "Ann Jones deleted." in done
    assert delegates(leeds) == []
    assert "0 of 3 delegates" in done
    (entry,) = _audit("delegate.delete")
    assert (entry.entity_id, entry.actor) == (ann_id, "sec@leeds.example.org")
    assert entry.before["name"] == "Ann Jones" and entry.before["status"] == "draft"
    assert "Ann Jones (delegate, draft) deleted from Leeds" in entry.summary


def test_a_draft_is_not_withdrawn_and_a_sent_person_not_deleted(client, leeds, secretary):
    sent = _submitted_three(client, leeds)[0]
    add(client, leeds, name="Dee", email="dee@example.org", pass_type="alternate", seat=None)
    draft = delegates(leeds)[-1]

    page = text(
        client.post(
            f"/groups/{leeds.id}/people/{draft.id}/withdraw",
            data={"confirmed": "yes"},
            follow_redirects=True,
        )
    )
    assert "Dee is a draft nobody has seen yet: delete them instead." in page
    page = text(
        client.post(
            f"/groups/{leeds.id}/people/{sent.id}/delete",
            data={"confirmed": "yes"},
            follow_redirects=True,
        )
    )
    assert "Ann Jones was sent to the credentials committee: withdraw them instead" in page
    assert [d.status for d in delegates(leeds)] == ["submitted"] * 3 + ["draft"]
    assert _audit("delegate.delete") == [] and _audit("delegate.withdrawn") == []


def test_submitted_registrations_cannot_be_edited(client, leeds, secretary):
    add(client, leeds, is_woman="y")
    client.post(f"/groups/{leeds.id}/submit")
    (ann,) = delegates(leeds)
    page = text(
        client.post(
            f"/groups/{leeds.id}/people/{ann.id}/edit",
            data=person(name="Changed"),
            follow_redirects=True,
        )
    )
    assert "Ann Jones is submitted: withdraw and register again to change them." in page
    assert delegates(leeds)[0].name == "Ann Jones"


def test_equality_facts_are_asked_only_when_the_rule_uses_them(client, db, login):
    plain = factories.conference()  # the Labour rule: a women's seat, no young or low-paid rule
    group = factories.group(plain, "Hull", members=800)
    login(factories.user(conf=plain, role=Role.SECRETARY, group=group))
    page = client.get(f"/groups/{group.id}/people/new/delegate").get_data(as_text=True)
    assert 'name="is_woman"' in page
    assert 'name="is_young"' not in page and 'name="is_low_paid"' not in page
