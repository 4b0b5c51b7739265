"""Turnout while the ballot is open, never a result; after the close the published result,
each ballot by its receipt, every ballot as CSV and BLT to recount, and the results book."""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess

import pytest
import sqlalchemy as sa

from confapp import factories
from confapp.elections import Ballot, count_stv
from confapp.elections.blt import parse_blt
from confapp.members import casting, results_pages
from confapp.models import MemberBallot, MemberBallotState, MemberVote, Role
from tests.members.test_casting import PAPER, set_phase, voting_world

B = "/conferences/{c}/member-ballots/{b}"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def words(response) -> str:
    """The page's text without its markup, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def url(world, tail: str = "") -> str:
    return B.format(c=world.conference.id, b=world.ballot.id) + tail


def as_committee(world, login, role=Role.ADMIN):
    login(factories.user(conf=world.conference, role=role))


def vote_all(world, choices_of) -> list[str]:
    """Each member (in membership-number order) casts choices_of(n); the receipts."""
    return [
        casting.cast(world.codes[number], choices_of(n))
        for n, number in enumerate(sorted(world.codes))
    ]


def paper_world():
    """The four-question paper, six voters in Leeds (North) and York (South), five vote."""
    world = voting_world(regions=("North", "South"))
    yes_no, one, up_to, stv = (
        world.question(k) for k in ("yes_no", "choose_one", "choose_up_to", "stv")
    )
    opt = world.option
    ballots = [
        ("yes", "York", ["Housing", "Climate"], ["Cerys", "Asha"]),
        ("yes", "York", ["Housing"], ["Bryn", "Dev"]),
        ("no", "Leeds", ["Climate", "Pay"], ["Dev", "Bryn"]),
        ("yes", "Hull", [], ["Asha"]),
        ("abstain", None, ["Transport"], []),
    ]

    def choices(n):
        a, b, c, d = ballots[n]
        return {
            str(yes_no.id): a,
            str(one.id): [opt("choose_one", b)] if b else [],
            str(up_to.id): [opt("choose_up_to", x) for x in c],
            str(stv.id): [opt("stv", x) for x in d],
        }

    world.receipts = [casting.cast(world.code(n), choices(n)) for n in range(5)]
    return world


def publish(world):
    set_phase(world.ballot, "closed")
    from confapp.members import counting

    counting.publish(world.ballot, actor=None)


# ---- turnout ----------------------------------------------------------------------------------


def test_turnout_by_group_and_region_while_open(client, db, login):
    world = paper_world()  # Leeds's three and York's first two have voted
    as_committee(world, login)

    page = client.get(url(world, "/turnout"))

    seen = words(page)
    assert page.status_code == 200
    assert "5 of 6 have voted · 83.3%" in seen
    assert "North 3 3 100.0%" in seen and "South 2 3 66.7%" in seen
    assert "Leeds 3 3 100.0%" in seen and "York 2 3 66.7%" in seen


def test_the_committee_sees_who_has_voted_in_a_group_page_by_page(client, db, login, monkeypatch):
    world = voting_world([{"kind": "yes_no"}], per_group=3)
    q = world.ballot.questions[0]
    casting.cast(world.codes["M00005"], {str(q.id): "no"})  # York's second member
    monkeypatch.setattr(results_pages, "PER_PAGE", 2)
    york = world.groups[1].id
    as_committee(world, login)

    first = client.get(url(world, f"/turnout?group={york}"))
    second = client.get(url(world, f"/turnout?group={york}&page=2"))

    assert "Who has voted in York" in words(first)
    assert "Member 4 M00004 Not yet Member 5 M00005 Voted" in words(first)
    assert "Page 1 of 2" in words(first)
    assert "Member 6 M00006 Not yet" in words(second)
    assert "Member 1" not in words(first) + words(second)  # Leeds's are on Leeds's list


def test_no_choice_is_shown_anywhere_before_publication(client, db, login):
    world = paper_world()
    as_committee(world, login)
    stv = world.question("stv").id

    pages = [
        client.get(url(world, "/turnout")),
        client.get(f"/vote/{world.code(0)}"),  # a voter who has voted
        client.get(f"/vote/{world.code(5)}"),  # one who has not: the blank paper
    ]
    hidden = [
        client.get(url(world, tail))
        for tail in ("/result", "/receipts", "/receipts.csv", f"/questions/{stv}/ballots.blt")
    ]

    for response in hidden:
        assert response.status_code == 404
        assert "published after the close" in text(response)
    turnout = words(pages[0])
    for label in ("Housing", "Climate", "Cerys", "Hull", "Abstain", "CARRIED"):
        assert label not in turnout
    assert not any(receipt in text(p) for p in pages + hidden for receipt in world.receipts)
    assert db.session.get(MemberBallot, world.ballot.id).result is None


# ---- publishing from the turnout page --------------------------------------------------------


def test_the_committee_publishes_after_the_close_having_been_asked_first(client, db, login):
    world = paper_world()
    set_phase(world.ballot, "closed")
    as_committee(world, login)

    turnout = client.get(url(world, "/turnout"))
    asked = client.post(url(world, "/publish"))
    done = client.post(url(world, "/publish"), data={"confirmed": "yes"})

    assert 'data-confirm="Count and publish the result of Members&#39; ballot?"' in (
        turnout.get_data(as_text=True)
    )
    assert "Count and publish the result of Members' ballot?" in text(asked)
    assert done.status_code == 302 and done.headers["Location"].endswith(url(world, "/result"))
    db.session.rollback()
    assert db.session.get(MemberBallot, world.ballot.id).state == MemberBallotState.PUBLISHED


def test_publishing_before_the_close_is_refused_with_a_message(client, db, login):
    world = paper_world()
    as_committee(world, login)

    response = client.post(url(world, "/publish"), data={"confirmed": "yes"})

    assert response.headers["Location"].endswith(url(world, "/turnout"))
    followed = client.get(response.headers["Location"])
    assert "published after the close: voting is not over" in text(followed)
    db.session.rollback()
    assert db.session.get(MemberBallot, world.ballot.id).result is None


# ---- published: result, receipts, CSV, BLT ---------------------------------------------------


def test_the_result_page_shows_turnout_each_questions_figures_and_the_count_sheet(client, db):
    world = paper_world()
    publish(world)

    page = client.get(url(world, "/result"))  # no login: anyone

    seen = words(page)
    assert page.status_code == 200
    assert "5 of 6 members voted · turnout 83.33%" in seen
    assert "Question 1: Should we affiliate? CARRIED" in seen
    assert "Yes 3 75.00% No 1 25.00% Abstain 1" in seen
    assert "Chosen: York" in seen and "Leeds 1 20.00% York chosen 2 40.00% Hull 1 20.00%" in seen
    assert "Housing chosen 2 40.00%" in seen and "Climate chosen 2 40.00%" in seen
    assert "Question 4: National committee Elected" in seen
    assert "Stage 1" in seen and "woman : at least 1, no maximum" in seen.replace(
        "woman:", "woman :"
    )
    assert f"/questions/{world.question('stv').id}/ballots.blt" in text(page)


def test_a_member_finds_their_ballot_by_its_receipt_typed_any_way(client, db):
    world = paper_world()
    publish(world)
    typed = world.receipts[0].replace("-", " ").lower()

    found = client.get(url(world, "/receipts"), query_string={"receipt": typed})
    unknown = client.get(url(world, "/receipts"), query_string={"receipt": "AAAA-BBBB-CCCC"})

    seen = words(found)
    assert f"Ballot {world.receipts[0]}" in seen
    assert (
        "Should we affiliate? Yes Where next year? York Campaign priorities Housing; Climate "
        "National committee 1. Cerys, 2. Asha"
    ) in seen
    assert "No ballot has the receipt AAAA-BBBB-CCCC" in words(unknown)
    for receipt in world.receipts:
        assert receipt in text(unknown)  # the whole list, page by page


def test_the_csv_lists_every_ballot_in_receipt_order(client, db):
    world = paper_world()
    publish(world)

    response = client.get(url(world, "/receipts.csv"))

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == [
        "receipt",
        "Question 1: Should we affiliate?",
        "Question 2: Where next year?",
        "Question 3: Campaign priorities",
        "Question 4: National committee",
    ]
    assert [r[0] for r in rows[1:]] == sorted(world.receipts)
    by_receipt = {r[0]: r[1:] for r in rows[1:]}
    assert by_receipt[world.receipts[0]] == ["Yes", "York", "Housing; Climate", "1. Cerys, 2. Asha"]
    assert by_receipt[world.receipts[4]] == ["Abstain", "Abstain", "Transport", "No preference"]


def test_anyone_recounts_an_election_from_its_blt_and_gets_the_published_result(client, db):
    world = voting_world([PAPER[3]], per_group=10)  # 20 rank Asha, Bryn, Cerys and Dev
    stv = world.question("stv")
    ids = [o.id for o in stv.options]
    orders = [[1, 3], [1, 0], [3, 1], [0], [2, 0, 1], [3], [1, 3, 2], []]
    vote_all(world, lambda n: {str(stv.id): [ids[i] for i in orders[n % len(orders)]]})
    publish(world)

    response = client.get(url(world, f"/questions/{stv.id}/ballots.blt"))

    election = parse_blt(response.get_data())
    published = db.session.get(MemberBallot, world.ballot.id).result["questions"][0]["count"]
    recount = count_stv(
        election.candidates,
        [Ballot(b.preferences, b.weight) for b in election.ballots],
        election.seats,
        categories=_categories(published),  # the quota, as the page and the sheet state it
        seed=published["seed"],
    )
    assert election.seats == 2 and election.candidates == ["Asha", "Bryn", "Cerys", "Dev"]
    assert recount.elected == published["elected"]
    assert recount.valid == 18 and election.invalid == 2  # two blank papers in twenty


def _categories(stored: dict):
    from confapp.elections import Category

    return [
        Category(c["name"], frozenset(c["members"]), c["minimum"], c["maximum"])
        for c in stored["categories"]
    ]


def test_a_blt_is_only_for_an_election(client, db):
    world = paper_world()
    publish(world)

    response = client.get(url(world, f"/questions/{world.question('yes_no').id}/ballots.blt"))

    assert response.status_code == 404


# ---- the results book -------------------------------------------------------------------------


def test_the_results_book_holds_the_published_members_ballots(client, db, login):
    world = paper_world()
    draft = factories.member_ballot(world.conference, title="Still a draft")
    publish(world)
    as_committee(world, login)

    response = client.get(f"/conferences/{world.conference.id}/results.pdf")

    assert response.status_code == 200
    book = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=response.get_data(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    flat = " ".join(book.split())
    assert "Members' ballot Members' ballot (one member, one vote)" in flat
    assert "5 of 6 members voted · turnout 83.33%" in flat
    assert "Question 1: Should we affiliate? CARRIED" in flat
    assert "Question 4: National committee" in flat and "Elected:" in flat
    assert draft.title not in flat
    assert db.session.execute(sa.select(sa.func.count()).select_from(MemberVote)).scalar() == 6


@pytest.mark.parametrize("tail", ["/result", "/receipts", "/receipts.csv"])
def test_another_conferences_address_finds_nothing(client, db, tail):
    world = paper_world()
    publish(world)
    other = factories.conference()

    response = client.get(B.format(c=other.id, b=world.ballot.id) + tail)

    assert response.status_code == 404
