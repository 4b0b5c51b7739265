"""Delegates and alternates are members: the register's check where the secretary submits and
the committee approves, and the committee's recorded override."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.models import AuditEntry, Delegate, Member, Role, Status, Substitution, utcnow
from tests.registration.test_secretary import delegates, text

RULE = dataclasses.replace(factories.LABOUR_RULE, max_alternates=2)
JOINED = date(2020, 1, 1)


def member(conference, group, number: str, name: str, **values) -> Member:
    row = Member(
        conference_id=conference.id,
        number=number,
        name=name,
        email=values.pop("email", f"{name.lower()}@example.org"),
        group_id=group.id,
        joined_on=JOINED,
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def conference(db):
    return factories.conference(rule=RULE)


@pytest.fixture
def leeds(conference):
    return factories.group(conference, "Leeds", members=1000, women_members=120)


@pytest.fixture
def york(conference):
    return factories.group(conference, "York", members=1000, women_members=120)


@pytest.fixture
def register(conference, leeds, york):
    """Ann (L0001) and Lee (L0004) in good standing, Bob (L0002) in arrears, Liz (L0003)
    lapsed yesterday: of Leeds; Eve (Y0001) of York."""
    yesterday = date.today() - timedelta(days=1)
    return {
        "ann": member(conference, leeds, "L0001", "Ann"),
        "bob": member(conference, leeds, "L0002", "Bob", in_good_standing=False),
        "liz": member(conference, leeds, "L0003", "Liz", left_on=yesterday),
        "lee": member(conference, leeds, "L0004", "Lee"),
        "eve": member(conference, york, "Y0001", "Eve"),
    }


@pytest.fixture
def secretary(conference, leeds, login):
    user = factories.user(
        "sec@leeds.example.org", conf=conference, role=Role.SECRETARY, group=leeds
    )
    login(user)
    return user


@pytest.fixture
def chair(conference):
    return factories.user("chair@example.org", conf=conference, role=Role.ADMIN)


def add(client, group, pass_type="delegate", **values):
    data = {"name": "Ann", "email": "ann@example.org", "seat": "base"} | values
    if pass_type != "delegate":
        data.pop("seat")
    return client.post(
        f"/groups/{group.id}/people/new/{pass_type}", data=data, follow_redirects=True
    )


def submit(client, group) -> str:
    return text(client.post(f"/groups/{group.id}/submit", follow_redirects=True))


def as_chair(client, login, chair):
    client.post("/logout")
    login(chair)


def override(client, conference, person, reason: str, **values):
    return client.post(
        f"/conferences/{conference.id}/delegates/{person.id}/membership-override",
        data={"reason": reason, **values},
        follow_redirects=True,
    )


# ---- without a register ------------------------------------------------------------------


def test_without_a_register_nothing_is_asked_or_checked(client, conference, leeds, secretary):
    form = client.get(f"/groups/{leeds.id}/people/new/delegate").get_data(as_text=True)
    add(client, leeds, name="Zed", email="zed@example.org")

    page = submit(client, leeds)

    assert "Membership number" not in form
    assert "Submitted 1 to the credentials committee." in page
    assert "Register" not in page
    assert [d.status for d in delegates(leeds)] == [Status.SUBMITTED]


# ---- the secretary's form and submission ---------------------------------------------------


def test_the_form_asks_the_number_of_delegates_and_alternates_only(
    client, leeds, register, secretary
):
    def form(kind: str) -> str:
        return client.get(f"/groups/{leeds.id}/people/new/{kind}").get_data(as_text=True)

    assert "Membership number (optional)" in form("delegate")
    assert "Membership number (optional)" in form("alternate")
    assert "Membership number" not in form("visitor")


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"membership_number": "L0099"}, "No member numbered L0099 on the register"),
        ({"membership_number": "L0002"}, "Member L0002 (Bob) is in arrears"),
        ({"membership_number": "Y0001"}, "Member Y0001 is a member of York, not Leeds"),
        ({"email": "nobody@example.org"}, "No member with this e-mail; give the membership number"),
        ({"membership_number": "L0003"}, "Member L0003 (Liz) has lapsed"),
    ],
    ids=["unknown number", "arrears", "other group", "unknown e-mail", "lapsed"],
)
def test_submission_is_refused_saying_what_is_wrong(
    client, leeds, register, secretary, values, problem
):
    saved = text(add(client, leeds, **{"name": "Zed", "email": "zed@example.org"} | values))

    page = submit(client, leeds)

    assert f"The register: {problem}" in saved  # said at once, when the person is saved
    assert "Not submitted: The register does not show everyone" in page
    assert f"Zed: {problem}" in page
    assert [d.status for d in delegates(leeds)] == [Status.DRAFT]
    assert f"Register {problem}" in text(client.get(f"/groups/{leeds.id}"))


def test_members_found_by_number_or_e_mail_are_submitted(client, leeds, register, secretary):
    add(client, leeds, name="Ann", email="ann@example.org")  # by e-mail
    add(client, leeds, name="Lee", email="lee@home.example.org", membership_number=" l0004 ")
    group_page = text(client.get(f"/groups/{leeds.id}"))

    page = submit(client, leeds)

    assert "Register Member L0001, in good standing" in group_page
    assert "Register Member L0004, in good standing" in group_page
    assert "Submitted 2 to the credentials committee." in page
    assert {d.name: d.membership_number for d in delegates(leeds)} == {"Ann": "", "Lee": "l0004"}


def test_a_number_wins_over_the_e_mail(client, leeds, register, secretary):
    add(client, leeds, name="Ann", email="ann@example.org", membership_number="L0002")

    page = submit(client, leeds)

    assert "Ann: Member L0002 (Bob) is in arrears." in page


def test_visitors_are_not_checked(client, leeds, register, secretary):
    add(client, leeds, "visitor", name="Vic", email="vic@example.org")

    page = submit(client, leeds)

    assert "Submitted 1 to the credentials committee." in page


def test_an_alternate_is_checked_too(client, leeds, register, secretary):
    add(client, leeds, "alternate", name="Zed", email="zed@example.org", membership_number="Y0001")

    page = submit(client, leeds)

    assert "Zed: Member Y0001 is a member of York, not Leeds." in page


# ---- the committee: approval and the override ----------------------------------------------


def test_the_override_is_recorded_audited_and_lets_them_through(
    client, conference, leeds, register, secretary, chair, login
):
    add(client, leeds, name="Zed", email="zed@example.org", membership_number="L0099")
    assert "Not submitted" in submit(client, leeds)
    (zed,) = delegates(leeds)
    as_chair(client, login, chair)
    group_page = client.get(f"/groups/{leeds.id}").get_data(as_text=True)

    refused = text(override(client, conference, zed, "  "))
    done = text(override(client, conference, zed, "Joined last week; the register is a month old."))

    assert 'Accept<span class="visually-hidden"> Zed</span> without the register' in group_page
    assert "Give the reason for accepting them: it is recorded." in refused
    assert "Zed accepted without the register; the reason is recorded." in done
    db.session.expire_all()
    zed = db.session.get(Delegate, zed.id)
    assert zed.member_override == "Joined last week; the register is a month old."
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "delegate.member_override")
    ).scalar_one()
    assert (entry.user_id, entry.entity_id) == (chair.id, zed.id)
    assert entry.at is not None and entry.at > utcnow() - timedelta(minutes=1)
    assert entry.after["register"] == "No member numbered L0099 on the register"
    assert "accepted by the credentials committee: Joined last week" in text(
        client.get(f"/groups/{leeds.id}")
    )

    # With the reason recorded, the group submits and the committee approves.
    approve = f"/admin/conferences/{conference.id}/people/{zed.id}/approve"
    client.post("/logout")
    secretary_again = factories.user(
        "sec2@leeds.example.org", conf=conference, role=Role.SECRETARY, group=leeds
    )
    login(secretary_again)
    assert "Submitted 1 to the credentials committee." in submit(client, leeds)
    as_chair(client, login, chair)
    assert "Approved Zed (Leeds)." in text(client.post(approve, follow_redirects=True))


def _submitted(conference, group, name: str, **values) -> Delegate:
    """A registration sent to the committee before the register showed a problem."""
    row = Delegate(
        conference_id=conference.id,
        group_id=group.id,
        pass_type="delegate",
        seat="base",
        name=name,
        email=f"{name.lower()}@example.org",
        status=Status.SUBMITTED.value,
        submitted_at=utcnow(),
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_approval_is_refused_without_an_override(client, conference, leeds, register, chair, login):
    bob = _submitted(conference, leeds, "Bob")  # fell into arrears after submitting
    _submitted(conference, leeds, "Ann")
    login(chair)
    base = f"/admin/conferences/{conference.id}"

    one = text(client.post(f"{base}/people/{bob.id}/approve", follow_redirects=True))
    all_of_them = text(client.post(f"{base}/groups/{leeds.id}/approve", follow_redirects=True))

    assert "Not approved (record a reason to accept them anyway): Bob: Member L0002 (Bob)" in one
    assert "None approved" in all_of_them
    assert "Bob: Member L0002 (Bob) is in arrears." in all_of_them
    assert {d.name: d.status for d in delegates(leeds)} == {"Bob": "submitted", "Ann": "submitted"}
    assert (
        db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "delegate.approved")
        ).first()
        is None
    )

    override(client, conference, bob, "Paid at the door; the office confirmed by phone.")
    after = text(client.post(f"{base}/groups/{leeds.id}/approve", follow_redirects=True))

    assert "Approved 2 registration(s) of Leeds." in after
    assert {d.name: d.status for d in delegates(leeds)} == {"Bob": "approved", "Ann": "approved"}


def test_the_queue_shows_each_match_and_the_override_form(
    client, conference, leeds, register, chair, login
):
    ann = _submitted(conference, leeds, "Ann", membership_number="L0001")
    eve = _submitted(conference, leeds, "Eve")  # found by e-mail: a member of York
    login(chair)

    response = client.get(f"/admin/conferences/{conference.id}/queue")
    page = text(response)

    assert "Member L0001, in good standing" in page
    assert "Member Y0001 is a member of York, not Leeds" in page
    html = response.get_data(as_text=True)
    assert f"/delegates/{eve.id}/membership-override" in html
    assert f"/delegates/{ann.id}/membership-override" not in html


def test_an_override_returns_to_the_queue_card(client, conference, leeds, register, chair, login):
    eve = _submitted(conference, leeds, "Eve")
    login(chair)

    response = client.post(
        f"/conferences/{conference.id}/delegates/{eve.id}/membership-override",
        data={"reason": "Moved from York in March; transfer pending."},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/admin/conferences/{conference.id}/queue#group-{leeds.id}"
    )


def test_nobody_is_overridden_who_needs_no_override(
    client, conference, leeds, register, chair, login
):
    ann = _submitted(conference, leeds, "Ann")
    login(chair)

    page = text(override(client, conference, ann, "Just in case."))

    assert "Ann is on the register in good standing." in page
    db.session.expire_all()
    assert db.session.get(Delegate, ann.id).member_override == ""


def test_a_substitute_is_checked_when_the_substitution_is_approved(
    client, conference, leeds, register, chair, login
):
    outgoing = factories.approved_person(conference, leeds, "Ann", email="ann@example.org")
    secretary = factories.user(
        "sec@leeds.example.org", conf=conference, role=Role.SECRETARY, group=leeds
    )
    login(secretary)
    form = client.get(f"/groups/{leeds.id}/people/{outgoing.id}/substitute").get_data(as_text=True)
    client.post(
        f"/groups/{leeds.id}/people/{outgoing.id}/substitute",
        data={
            "incoming": "new",
            "name": "Zed",
            "email": "zed@example.org",
            "membership_number": "L0002",
            "reason": "Ann is ill",
        },
    )
    as_chair(client, login, chair)
    substitution = db.session.execute(db.select(Substitution)).scalar_one()

    page = text(
        client.post(
            f"/admin/conferences/{conference.id}/substitutions/{substitution.id}/decide",
            data={"decision": "approve"},
            follow_redirects=True,
        )
    )

    assert "Membership number (optional)" in form
    assert "Zed: Member L0002 (Bob) is in arrears." in page
    db.session.expire_all()
    assert db.session.get(Substitution, substitution.id).status == "pending"
