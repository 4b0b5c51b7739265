"""Opening the poll: refused while it cannot be met; the paper's order fixed, papers issued."""

from __future__ import annotations

import hashlib
import html
import re

import pytest

from confapp import factories
from confapp.checkin import services as doors
from confapp.checkin.scans import ScanInput, Scanner, record_scan
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import AuditEntry, Election, ElectionPaper, Role


def words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def hall(conference):
    """Leeds (1,001 members, three delegates), York (400), Hull (2,500, affiliate); a chair."""
    leeds = factories.group(conference, "Leeds", members=1001)
    york = factories.group(conference, "York", members=400)
    hull = factories.group(
        conference, "Hull", members=2500, section=factories.section(conference, "Affiliates")
    )
    people = {
        "Ann": factories.approved_person(conference, leeds, "Ann"),
        "Ben": factories.approved_person(conference, leeds, "Ben"),
        "Cal": factories.approved_person(conference, leeds, "Cal"),
        "Yan": factories.approved_person(conference, york, "Yan"),
        "Hal": factories.approved_person(conference, hull, "Hal"),
        "Vic": factories.approved_person(conference, leeds, "Vic", "visitor"),
    }
    doors.add_door(conference, "Main entrance")
    db.session.commit()

    def admit(*names):
        for name in names:
            record_scan(
                Scanner(conference_id=conference.id, actor="test", browser="t"),
                ScanInput(
                    direction="in",
                    nonce=f"in-{name}",
                    code=live_credential(people[name]).code,
                    door="Main entrance",
                ),
            )

    # Cal stays out; Vic, a visitor, is in but votes nothing.
    admit("Ann", "Ben", "Yan", "Hal", "Vic")
    return {"chair": factories.user(conf=conference, role=Role.ADMIN), "conference": conference}


def url(election: Election, tail: str = "/open") -> str:
    return f"/conferences/{election.conference_id}/elections/{election.id}{tail}"


def opened(client, login, hall, election: Election):
    login(hall["chair"])
    response = client.post(url(election), data={"confirmed": "yes"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    return response


def issued(election: Election) -> list[tuple[int, int, str]]:
    return [
        (p.number, p.value, p.label)
        for p in db.session.scalars(
            db.select(ElectionPaper)
            .where(ElectionPaper.election_id == election.id)
            .order_by(ElectionPaper.number)
        )
    ]


def test_one_delegate_one_vote_issues_a_paper_worth_one_to_each_voter_inside(client, login, hall):
    election = factories.election(hall["conference"], weighting="one_each")

    response = opened(client, login, hall, election)

    # Ann, Ben, Yan and Hal vote; Vic is a visitor and Cal is outside.
    assert issued(election) == [(1, 1, ""), (2, 1, ""), (3, 1, ""), (4, 1, "")]
    election = db.session.get(Election, election.id)
    assert election.state == "polling" and election.polling_opened_at is not None
    assert re.fullmatch(r"[0-9a-f]{16}", election.seed)
    page = words(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f"Polling is open: 4 papers issued. The seed is {election.seed}." in page
    assert "4 papers carrying 4 votes" in page


def test_split_weighting_gives_each_voter_inside_their_share(client, login, hall):
    election = factories.election(hall["conference"], weighting="split")

    opened(client, login, hall, election)

    # Leeds's 1,001 votes split between the two of its three delegates inside (largest
    # remainder: the first gets the odd vote); Hull (affiliates) then York, each whole.
    values = sorted(value for _, value, _ in issued(election))
    assert values == [400, 500, 501, 2500]
    assert sum(values) == 1001 + 400 + 2500
    assert all(label == "" for _, _, label in issued(election))  # nobody's name on a paper


def test_block_weighting_gives_each_delegation_present_one_paper_with_its_vote(client, login, hall):
    election = factories.election(hall["conference"], weighting="block")

    opened(client, login, hall, election)

    # In hall order: the local groups' section first (Leeds, York), then Affiliates (Hull).
    assert issued(election) == [(1, 1001, "Leeds"), (2, 400, "York"), (3, 2500, "Hull")]


def test_without_confirmation_it_asks_and_nothing_changes(client, login, hall):
    election = factories.election(hall["conference"])
    login(hall["chair"])

    response = client.post(url(election))

    assert response.status_code == 200
    assert "Open polling for National committee?" in words(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Election, election.id).state == "nominations"
    assert issued(election) == []


@pytest.mark.parametrize(
    ("candidates", "seats", "categories", "message"),
    [
        ([], 1, None, "No candidates stand: nominate at least one before polling opens."),
        (["Asha", "Bryn"], 3, None, "2 candidates stand for 3 seats: at least 3 must stand."),
        (
            ["Asha", "Bryn", "Cerys"],
            2,
            {"Women": (2, None, ["Asha"])},
            "The quotas cannot be met: 'Women' needs at least 2 elected but only 1 of its "
            "candidates stand.",
        ),
        (
            ["Asha", "Bryn", "Cerys"],
            2,
            {"Women": (1, None, ["Asha"]), "North": (0, 0, ["Asha"])},
            "The quotas cannot be met: no 2 of the 3 candidates standing meet every minimum "
            "and maximum together.",
        ),
    ],
)
def test_polling_does_not_open_when_the_seats_or_quotas_cannot_be_filled(
    client, login, hall, candidates, seats, categories, message
):
    election = factories.election(
        hall["conference"], candidates, seats=seats, categories=categories
    )
    login(hall["chair"])

    response = client.post(url(election), data={"confirmed": "yes"})

    page = words(client.get(response.headers["Location"]).get_data(as_text=True))
    assert message in page
    db.session.expire_all()
    assert db.session.get(Election, election.id).state == "nominations"
    assert issued(election) == []


def test_polling_does_not_open_with_nobody_inside(client, login, conference):
    chair = factories.user(conf=conference, role=Role.ADMIN)
    election = factories.election(conference)
    login(chair)

    response = client.post(url(election), data={"confirmed": "yes"})

    assert "No voting delegate is inside" in words(
        client.get(response.headers["Location"]).get_data(as_text=True)
    )
    db.session.expire_all()
    assert db.session.get(Election, election.id).state == "nominations"


def test_alphabetical_order_ignores_case_and_accents(client, login, hall):
    election = factories.election(hall["conference"], ["Zoë", "émile", "Bryn", "alba", "Eve"])

    opened(client, login, hall, election)

    election = db.session.get(Election, election.id)
    assert [(c.position, c.name) for c in election.candidates] == [
        (1, "alba"),
        (2, "Bryn"),
        (3, "émile"),
        (4, "Eve"),
        (5, "Zoë"),
    ]


def test_a_drawn_order_is_reproducible_from_the_seed_on_the_page(client, login, hall):
    names = ["Asha", "Bryn", "Cerys", "Dev", "Efa", "Fenn"]
    election = factories.election(hall["conference"], names)
    election.candidate_order = "drawn"
    db.session.commit()

    response = opened(client, login, hall, election)

    election = db.session.get(Election, election.id)
    page = words(client.get(response.headers["Location"]).get_data(as_text=True))
    seed = re.search(r"Seed drawn: ([0-9a-f]{16})", page).group(1)
    assert seed == election.seed
    # Anyone can recompute the order from the seed printed on the page.
    redrawn = sorted(
        election.candidates, key=lambda c: hashlib.sha256(f"{seed}:{c.id}".encode()).hexdigest()
    )
    assert [c.position for c in redrawn] == [1, 2, 3, 4, 5, 6]
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "election.open")
    ).one()
    assert entry.user_id == hall["chair"].id
    assert seed in entry.summary
    assert entry.after["paper_order"] == [c.name for c in redrawn]


def test_a_withdrawn_candidate_is_left_off_the_paper(client, login, hall):
    election = factories.election(hall["conference"], ["Asha", "Bryn", "Cerys"])
    login(hall["chair"])
    bryn = election.candidates[1]
    client.post(url(election, "/withdraw"), data={"candidate": bryn.id, "confirmed": "yes"})

    opened(client, login, hall, election)

    election = db.session.get(Election, election.id)
    assert sorted((c.name, c.position) for c in election.candidates) == [
        ("Asha", 1),
        ("Bryn", None),
        ("Cerys", 2),
    ]
