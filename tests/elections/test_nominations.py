"""Nominations: the committee for anyone, a group's secretary for their group until the close."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.models import AuditEntry, Candidate, Role, utcnow


def words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def world(conference):
    """An election with a Women quota; Leeds and York with a secretary each; a chair."""
    leeds = factories.group(conference, "Leeds")
    york = factories.group(conference, "York")
    election = factories.election(
        conference, ["Asha"], seats=2, categories={"Women": (1, None, ["Asha"])}
    )
    return {
        "election": election,
        "leeds": leeds,
        "york": york,
        "chair": factories.user(conf=conference, role=Role.ADMIN),
        "secretary": factories.user(conf=conference, role=Role.SECRETARY, group=leeds),
        "base": f"/conferences/{conference.id}/elections/{election.id}",
    }


def candidates() -> list[Candidate]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Candidate).order_by(Candidate.id)))


def test_a_secretary_nominates_for_their_group_with_categories(client, login, world):
    women = world["election"].categories[0]
    login(world["secretary"])
    url = f"{world['base']}/groups/{world['leeds'].id}/nominate"

    form = client.get(url).get_data(as_text=True)
    response = client.post(
        url,
        data={
            "name": "  Bryn   Jones ",
            "statement": "Twenty years a steward.",
            "categories": [str(women.id)],
            "group": str(world["york"].id),  # ignored: the URL names the group
        },
    )

    assert "Nominate for National committee" in form and "Women" in form
    assert response.status_code == 302
    bryn = candidates()[-1]
    assert (bryn.name, bryn.statement, bryn.group_id) == (
        "Bryn Jones",
        "Twenty years a steward.",
        world["leeds"].id,
    )
    assert [c.name for c in bryn.categories] == ["Women"]
    assert bryn.nominated_by_id == world["secretary"].id
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "candidate.nominate")
    ).one()
    assert entry.summary == "National committee: Bryn Jones nominated by Leeds"
    page = words(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Bryn Jones is nominated for National committee." in page
    assert "Bryn Jones Leeds Women" in page


def test_a_secretary_cannot_nominate_for_another_group(client, login, world):
    login(world["secretary"])
    url = f"{world['base']}/groups/{world['york'].id}/nominate"

    seen = client.get(url)
    sent = client.post(url, data={"name": "Cai"})

    assert seen.status_code == 404 and sent.status_code == 404
    assert [c.name for c in candidates()] == ["Asha"]


def test_after_nominations_close_a_secretary_is_told_and_nothing_is_saved(client, login, world):
    world["election"].nominations_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login(world["secretary"])
    url = f"{world['base']}/groups/{world['leeds'].id}/nominate"

    page = words(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"name": "Cai"})

    assert "Nominations have closed. Ask the committee." in page
    assert "Nominations have closed: ask the committee." in words(response.get_data(as_text=True))
    assert [c.name for c in candidates()] == ["Asha"]


def test_the_committee_nominates_after_the_close_for_any_group(client, login, world):
    world["election"].nominations_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login(world["chair"])

    response = client.post(
        f"{world['base']}/nominate", data={"name": "Cai", "group": str(world["york"].id)}
    )

    assert response.status_code == 302
    assert [(c.name, c.group_id) for c in candidates()] == [
        ("Asha", None),
        ("Cai", world["york"].id),
    ]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"name": "Cai", "statement": "x" * 2001},
            "The statement is 2,001 characters long: at most 2,000 are allowed. Shorten it by 1.",
        ),
        ({"name": "  "}, "This field is required."),
        ({"name": "asha"}, "asha is already standing in this election."),
        ({"name": "Cai", "categories": "999999"}, "'999999' is not a valid choice for this field."),
    ],
)
def test_bad_nominations_say_why_and_save_nothing(client, login, world, form, message):
    login(world["chair"])

    response = client.post(f"{world['base']}/nominate", data=form)

    assert response.status_code == 422
    assert message in words(response.get_data(as_text=True))
    assert [c.name for c in candidates()] == ["Asha"]


def test_a_statement_of_exactly_the_limit_is_taken(client, login, world):
    login(world["chair"])

    client.post(f"{world['base']}/nominate", data={"name": "Cai", "statement": "y" * 2000})

    assert len(candidates()[-1].statement) == 2000


def test_a_withdrawal_asks_first_then_is_recorded(client, login, world):
    login(world["chair"])
    asha = candidates()[0]

    asked = client.post(f"{world['base']}/withdraw", data={"candidate": asha.id})
    assert "Withdraw Asha from National committee?" in words(asked.get_data(as_text=True))
    assert candidates()[0].withdrawn_at is None

    done = client.post(f"{world['base']}/withdraw", data={"candidate": asha.id, "confirmed": "yes"})

    assert done.status_code == 302
    assert candidates()[0].withdrawn_at is not None
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "candidate.withdraw")
    ).one()
    assert entry.user_id == world["chair"].id
    page = words(client.get(done.headers["Location"]).get_data(as_text=True))
    assert "Asha has withdrawn." in page
    # Asha stood alone: the page now says polling cannot open.
    assert "Polling cannot open yet. 0 candidates stand for 2 seats: at least 2 must stand." in page


def test_a_candidate_of_another_election_cannot_be_withdrawn_here(client, login, world, conference):
    other = factories.election(conference, ["Zed"])
    login(world["chair"])

    response = client.post(
        f"{world['base']}/withdraw", data={"candidate": other.candidates[0].id, "confirmed": "yes"}
    )

    assert response.status_code == 404
    assert all(c.withdrawn_at is None for c in candidates())


def test_a_secretarys_start_page_leads_to_the_elections_while_nominations_are_open(
    client, login, world
):
    login(world["secretary"])
    elections = f"/conferences/{world['election'].conference_id}/elections"
    link = f'href="{elections}" role="button" class="secondary outline">Elections: nominate'

    open_now = client.get("/").get_data(as_text=True)
    listed = words(client.get(elections).get_data(as_text=True))
    world["election"].nominations_close_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    closed = client.get("/").get_data(as_text=True)

    assert link in open_now
    assert "National committee 2 Scottish STV 1 Nominations Nominate for Leeds" in listed
    assert "Elections: nominate" not in closed


def test_the_start_page_has_no_nomination_link_for_an_election_already_polling(
    client, login, world, conference
):
    world["election"].state = "polling"
    db.session.commit()
    login(world["secretary"])

    assert "Elections: nominate" not in client.get("/").get_data(as_text=True)
