"""Candidates are members: a group's candidate is checked against the register when nominated,
and polling waits for the committee's recorded reason for any the register refuses."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from confapp import factories
from confapp.elections import services
from confapp.extensions import db
from confapp.models import AuditEntry, Candidate, Election, Member, Role


def words(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def candidates() -> dict[str, Candidate]:
    db.session.expire_all()
    return {c.name: c for c in db.session.scalars(db.select(Candidate).order_by(Candidate.id))}


@pytest.fixture
def world(conference):
    """An election taking nominations; Leeds and York, a secretary of Leeds, a chair."""
    leeds = factories.group(conference, "Leeds")
    york = factories.group(conference, "York")
    election = factories.election(conference, ["Asha"], seats=1)
    return {
        "conference": conference,
        "election": election,
        "leeds": leeds,
        "york": york,
        "chair": factories.user(conf=conference, role=Role.ADMIN),
        "secretary": factories.user(conf=conference, role=Role.SECRETARY, group=leeds),
        "base": f"/conferences/{conference.id}/elections/{election.id}",
    }


@pytest.fixture
def register(world):
    """Ann (L0001) of Leeds; Bob (L0002) of Leeds, in arrears; Eve (Y0001) of York."""
    rows = [
        ("L0001", "Ann", world["leeds"], True),
        ("L0002", "Bob", world["leeds"], False),
        ("Y0001", "Eve", world["york"], True),
    ]
    for number, name, group, good in rows:
        db.session.add(
            Member(
                conference_id=world["conference"].id,
                number=number,
                name=name,
                email=f"{name.lower()}@example.org",
                group_id=group.id,
                joined_on=date(2020, 1, 1),
                in_good_standing=good,
            )
        )
    db.session.commit()


def nominate_for_leeds(client, world, **values):
    return client.post(
        f"{world['base']}/groups/{world['leeds'].id}/nominate",
        data={"name": "Bryn", "statement": ""} | values,
        follow_redirects=True,
    )


def test_without_a_register_a_nomination_is_as_before(client, login, world):
    login(world["secretary"])
    form = client.get(f"{world['base']}/groups/{world['leeds'].id}/nominate")

    page = words(nominate_for_leeds(client, world))

    assert "Membership number" not in words(form)
    assert "Bryn is nominated for National committee." in page
    assert "Bryn" in candidates()


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"membership_number": "L0099"}, "No member numbered L0099 on the register"),
        ({"membership_number": "L0002"}, "Member L0002 (Bob) is in arrears"),
        ({"membership_number": "Y0001"}, "Member Y0001 is a member of York, not Leeds"),
        ({"email": "bryn@example.org"}, "No member with this e-mail; give the membership number"),
        ({}, "No membership number given to find them on the register"),
    ],
    ids=["unknown number", "arrears", "other group", "unknown e-mail", "nothing given"],
)
def test_a_groups_nomination_is_refused_saying_what_is_wrong(
    client, login, world, register, values, problem
):
    login(world["secretary"])

    page = words(nominate_for_leeds(client, world, **values))

    assert f"Not nominated: {problem}." in page
    assert "Bryn" not in candidates()


def test_a_member_is_nominated_by_number_or_e_mail(client, login, world, register):
    login(world["secretary"])
    form = words(client.get(f"{world['base']}/groups/{world['leeds'].id}/nominate"))

    by_number = words(nominate_for_leeds(client, world, name="Ann", membership_number="l0001"))

    assert "Membership number" in form and "Or their e-mail on the register" in form
    assert "Ann is nominated for National committee." in by_number
    assert candidates()["Ann"].membership_number == "L0001"  # as on the register


def test_found_by_e_mail_the_number_is_kept(client, login, world, register):
    login(world["chair"])

    client.post(
        f"{world['base']}/nominate",
        data={"name": "Ann", "group": str(world["leeds"].id), "email": "ANN@example.org"},
    )

    assert candidates()["Ann"].membership_number == "L0001"


def test_the_committees_nominee_stands_until_accepted_with_a_reason(client, login, world, register):
    login(world["chair"])
    election = world["election"]

    page = words(
        client.post(
            f"{world['base']}/nominate",
            data={"name": "Eve", "group": str(world["leeds"].id), "membership_number": "Y0001"},
            follow_redirects=True,
        )
    )
    eve = candidates()["Eve"]
    problem = services.polling_problem(db.session.get(Election, election.id))

    assert "Eve is nominated for National committee." in page
    assert "The register: Member Y0001 is a member of York, not Leeds." in page
    assert "Candidates and the register" in page
    assert "Eve: Member Y0001 is a member of York, not Leeds." in problem
    opening = words(client.post(f"{world['base']}/open", follow_redirects=True))
    assert "The register does not show these candidates" in opening

    url = f"{world['base']}/candidates/{eve.id}/membership-override"
    refused = words(client.post(url, data={"reason": ""}, follow_redirects=True))
    done = words(
        client.post(url, data={"reason": "Moving to Leeds; York agreed."}, follow_redirects=True)
    )

    assert "Give the reason for accepting them: it is recorded." in refused
    assert "Eve accepted without the register; the reason is recorded." in done
    assert "Accepted by the committee: Moving to Leeds; York agreed." in done
    assert candidates()["Eve"].member_override == "Moving to Leeds; York agreed."
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "candidate.member_override")
    ).scalar_one()
    assert (entry.user_id, entry.entity_id) == (world["chair"].id, eve.id)
    assert entry.conference_id == world["conference"].id
    assert entry.after["member_override"] == "Moving to Leeds; York agreed."
    db.session.expire_all()
    assert services.polling_problem(db.session.get(Election, election.id)) is None


def test_a_candidate_of_another_election_is_not_found(client, login, world, register):
    other = factories.election(world["conference"], ["Zoe"], title="Standing orders")
    zoe = other.candidates[0]
    login(world["chair"])

    response = client.post(
        f"{world['base']}/candidates/{zoe.id}/membership-override", data={"reason": "x"}
    )

    assert response.status_code == 404
    assert candidates()["Zoe"].member_override == ""


def test_a_withdrawn_candidate_does_not_hold_polling_up(client, login, world, register):
    login(world["chair"])
    client.post(
        f"{world['base']}/nominate",
        data={"name": "Bob", "group": str(world["leeds"].id), "membership_number": "L0002"},
    )
    bob = candidates()["Bob"]
    election = db.session.get(Election, world["election"].id)
    assert "Bob: Member L0002 (Bob) is in arrears." in services.polling_problem(election)

    services.withdraw(election, bob)
    db.session.commit()

    assert services.polling_problem(db.session.get(Election, election.id)) is None
