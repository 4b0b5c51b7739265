"""The two sheets compared paper by paper: the count waits until they agree."""

from __future__ import annotations

import pytest

from confapp import factories
from confapp.elections import entries
from confapp.extensions import db
from confapp.models import Role

# Twenty papers as the voters marked them: places on the paper, best first.
PAPERS = [
    "1 2", "1 3", "1 2 3", "2 1", "2 3 1", "3 1", "3 2 4", "4 1", "1 4", "2 1 4",
    "1", "3", "2", "4 3", "1 2 4", "2 4", "3 4 1", "1 3 2", "2 3", "4",
]  # fmt: skip


@pytest.fixture
def world(db, conference):
    election = factories.election(conference, papers=[1] * 20)
    tellers = [factories.user(conf=conference, role=Role.TELLER) for _ in range(2)]
    admin = factories.user(conf=conference, role=Role.ADMIN)
    return election, tellers, admin


def type_all(election, tellers, papers, second=None):
    """Both tellers type the papers; the second sheet may read some differently."""
    for number, typed in enumerate(papers, start=1):
        entries.enter_paper(election, tellers[0], 1, number, typed)
        entries.enter_paper(election, tellers[1], 2, number, (second or {}).get(number, typed))
    db.session.commit()


def test_one_disagreement_blocks_the_count_and_is_listed(world, client, login):
    election, tellers, admin = world
    type_all(election, tellers, PAPERS, second={7: "3 4 2"})

    check = entries.reconcile(election)
    login(admin)
    page = client.get(f"/conferences/{election.conference_id}/elections/{election.id}/reconcile")

    assert [line.paper.number for line in check.of("differs")] == [7]
    assert len(check.of("agreed")) == 19
    assert not check.may_count
    text = page.get_data(as_text=True)
    assert "The sheets read these papers differently" in text
    assert "1 Cerys, 2 Bryn, 3 Dev" in text and "1 Cerys, 2 Dev, 3 Bryn" in text
    assert (
        "The two sheets do not agree on 1 paper (7): every paper entered must be entered on "
        "both sheets with the same preferences first."
    ) in text
    assert 'id="run-count"' not in text


def test_a_paper_on_one_sheet_blocks_and_papers_on_neither_are_not_returned(world, client, login):
    election, tellers, admin = world
    type_all(election, tellers, PAPERS[:15])
    entries.enter_paper(election, tellers[0], 1, 16, "2 4")
    db.session.commit()

    check = entries.reconcile(election)
    login(admin)
    text = client.get(
        f"/conferences/{election.conference_id}/elections/{election.id}/reconcile"
    ).get_data(as_text=True)

    assert [line.paper.number for line in check.of("one sheet")] == [16]
    assert [line.paper.number for line in check.of("not returned")] == [17, 18, 19, 20]
    assert "Entered on one sheet only" in text and "— not entered" in text
    assert '<p class="el-numbers" id="not-returned">17, 18, 19, 20</p>' in text
    assert check.refusal().startswith("The two sheets do not agree on 1 paper (16)")


def test_papers_never_returned_do_not_stop_the_count(world):
    election, tellers, _ = world
    type_all(election, tellers, PAPERS[:12])

    check = entries.reconcile(election)

    assert check.may_count and check.refusal() is None
    assert len(check.of("not returned")) == 8


def test_nothing_entered_is_nothing_to_count(world):
    election, _, _ = world

    assert entries.reconcile(election).refusal() == (
        "No paper has been entered on both sheets yet: there is nothing to count."
    )


def test_a_correction_makes_the_sheets_agree(world):
    election, tellers, _ = world
    type_all(election, tellers, PAPERS, second={7: "3 4 2"})

    entries.enter_paper(election, tellers[1], 2, 7, "3 2 4")
    db.session.commit()

    assert entries.reconcile(election).may_count
