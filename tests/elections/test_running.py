"""The count run from the agreed papers, the declaration, the projector: through the pages."""

from __future__ import annotations

import pytest

from confapp import factories
from confapp.elections import Ballot, count_stv, entries
from confapp.elections.sheet import stored_result
from confapp.extensions import db
from confapp.models import AuditEntry, Conference, Election, ElectionState, Role
from tests.elections.test_reconcile import PAPERS, type_all


@pytest.fixture
def world(db, conference, client, login):
    election = factories.election(conference, papers=[1] * 20)
    tellers = [factories.user(conf=conference, role=Role.TELLER) for _ in range(2)]
    admin = factories.user(conf=conference, role=Role.ADMIN)
    login(admin)
    return election, tellers, admin


def url(election, step: str) -> str:
    return f"/conferences/{election.conference_id}/elections/{election.id}/{step}"


def fresh(election) -> Election:
    db.session.expire_all()
    return db.session.get(Election, election.id)


def test_a_disagreement_blocks_the_count_then_a_correction_lets_it_run(world, client):
    election, tellers, _ = world
    type_all(election, tellers, PAPERS, second={7: "3 4 2"})

    refused = client.post(url(election, "count"), data={"confirmed": "yes"}, follow_redirects=True)

    assert "The two sheets do not agree on 1 paper (7)" in refused.get_data(as_text=True)
    assert fresh(election).state == ElectionState.POLLING and fresh(election).result is None

    entries.enter_paper(election, tellers[1], 2, 7, "3 2 4")
    db.session.commit()
    counted = client.post(url(election, "count"), data={"confirmed": "yes"}, follow_redirects=True)

    expected = count_stv(
        ["Asha", "Bryn", "Cerys", "Dev"],
        [Ballot(tuple(int(p) for p in typed.split())) for typed in PAPERS],
        2,
        "scottish",
        seed="test",
    )
    after = fresh(election)
    assert after.state == ElectionState.COUNTED and after.counted_at is not None
    assert after.result == stored_result(expected)
    names = ", ".join(expected.candidates[n - 1] for n in expected.elected)
    assert f"Counted: elected {names}. The chair may now declare." in counted.get_data(as_text=True)


def test_the_count_asks_first(world, client):
    election, tellers, _ = world
    type_all(election, tellers, PAPERS)

    page = client.post(url(election, "count"), data={})

    assert page.status_code == 200
    assert "Run the count of National committee?" in page.get_data(as_text=True)
    assert fresh(election).state == ElectionState.POLLING


def test_weighted_papers_change_the_result_as_the_pure_count_says(db, conference, client, login):
    election = factories.election(conference, ["Asha", "Bryn", "Cerys"], seats=1,
                                  papers=[3, 2, 1, 1, 1])  # fmt: skip
    tellers = [factories.user(conf=conference, role=Role.TELLER) for _ in range(2)]
    login(factories.user(conf=conference, role=Role.ADMIN))
    marked = ["1", "2 1", "3 2", "3 2", "3 2"]
    type_all(election, tellers, marked)

    client.post(url(election, "count"), data={"confirmed": "yes"})

    names = ["Asha", "Bryn", "Cerys"]
    prefs = [tuple(int(p) for p in m.split()) for m in marked]
    papers = [Ballot(p, v) for p, v in zip(prefs, [3, 2, 1, 1, 1], strict=True)]
    weighted = count_stv(names, papers, 1, seed="test")
    one_each = count_stv(names, [Ballot(p) for p in prefs], 1, seed="test")
    assert fresh(election).result == stored_result(weighted)
    assert fresh(election).result["elected"] == [1]  # Asha: 3, then Bryn's 2
    assert one_each.elected == [3]  # one paper one vote: Cerys has 3 of 5


def test_a_paper_cut_at_a_repeat_counts_up_to_it(db, conference, client, login):
    election = factories.election(conference, ["Asha", "Bryn", "Cerys"], seats=1,
                                  papers=[1, 1, 1])  # fmt: skip
    tellers = [factories.user(conf=conference, role=Role.TELLER) for _ in range(2)]
    login(factories.user(conf=conference, role=Role.ADMIN))
    type_all(election, tellers, ["2 2 1", "1 0 2", "3"])

    client.post(url(election, "count"), data={"confirmed": "yes"})

    expected = count_stv(
        ["Asha", "Bryn", "Cerys"], [Ballot((2,)), Ballot((1,)), Ballot((3,))], 1, seed="test"
    )
    assert fresh(election).result == stored_result(expected)


def test_a_quota_the_candidates_cannot_meet_is_said_and_changes_nothing(
    db, conference, client, login
):
    election = factories.election(
        conference, categories={"Women": (2, None, ["Asha"])}, papers=[1, 1]
    )
    tellers = [factories.user(conf=conference, role=Role.TELLER) for _ in range(2)]
    login(factories.user(conf=conference, role=Role.ADMIN))
    type_all(election, tellers, ["1 2", "3 4"])

    page = client.post(url(election, "count"), data={"confirmed": "yes"}, follow_redirects=True)

    text = page.get_data(as_text=True)
    assert "The count cannot run: " in text and "Women" in text
    assert fresh(election).state == ElectionState.POLLING and fresh(election).result is None


def test_declaring_asks_first_then_locks_the_election(world, client):
    election, tellers, admin = world
    type_all(election, tellers, PAPERS)
    client.post(url(election, "count"), data={"confirmed": "yes"})

    question = client.post(url(election, "declare"), data={})
    assert "Declare the result of National committee?" in question.get_data(as_text=True)
    assert fresh(election).state == ElectionState.COUNTED

    client.post(url(election, "declare"), data={"confirmed": "yes"})
    after = fresh(election)
    assert after.state == ElectionState.DECLARED and after.declared_by_id == admin.id
    actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
    assert "election.counted" in actions and "election.declared" in actions

    again = client.post(url(election, "count"), data={"confirmed": "yes"}, follow_redirects=True)
    assert "The result has been declared: the count cannot run again." in again.get_data(
        as_text=True
    )
    entry = client.post(
        url(election, "enter"),
        data={"sheet": "1", "paper": "1", "preferences": "1"},
        follow_redirects=True,
    )
    assert "The poll is closed: the count has run, so no paper can be entered." in (
        entry.get_data(as_text=True)
    )
    assert fresh(election).result == after.result


def test_the_projector_shows_a_declared_election_only(world, client):
    election, tellers, _ = world
    conference = db.session.get(Conference, election.conference_id)
    conference.projector_ballot_id = None
    db.session.commit()
    type_all(election, tellers, PAPERS)
    client.post(url(election, "count"), data={"confirmed": "yes"})

    early = client.post(url(election, "project"), data={}, follow_redirects=True)
    assert "Only a declared result goes on the projector." in early.get_data(as_text=True)

    client.post(url(election, "declare"), data={"confirmed": "yes"})
    client.post(url(election, "project"), data={})
    db.session.expire_all()
    assert db.session.get(Conference, election.conference_id).projector_election_id == election.id

    client.post(url(election, "project"), data={"show": "off"})
    db.session.expire_all()
    assert db.session.get(Conference, election.conference_id).projector_election_id is None


@pytest.mark.parametrize(
    ("paper", "typed", "message"),
    [
        ("21", "1 2", "There is no paper 21 in this election."),
        ("2", "1 7", "There is no candidate 7 on this paper: it has 4 names."),
        ("two", "1 2", "“two” is not a paper number."),
    ],
)
def test_the_sheet_shows_a_refusal_and_keeps_what_was_typed(
    world, client, login, paper, typed, message
):
    election, tellers, _ = world
    client.post("/logout")
    login(tellers[0])

    answer = client.post(
        url(election, "enter"), data={"sheet": "1", "paper": paper, "preferences": typed}
    )
    page = client.get(answer.headers["Location"]).get_data(as_text=True)

    assert message in page
    assert f'value="{typed}"' in page
    assert entries.current_entries(election, 1) == {}


def test_the_sheet_reads_the_paper_back_and_warns(world, client, login):
    election, tellers, _ = world
    client.post("/logout")
    login(tellers[0])

    answer = client.post(
        url(election, "enter"),
        data={"sheet": "1", "paper": "17", "preferences": "3 1 1 2"},
        follow_redirects=True,
    )

    page = answer.get_data(as_text=True)
    assert "Paper 17 entered: 1 Cerys, 2 Asha, 3 Asha, 4 Bryn." in page
    assert "Preference 3 repeats Asha: the paper counts up to preference 2." in page
    assert "Sheet 1 · you keep it · 1 of 20 papers entered" in page
