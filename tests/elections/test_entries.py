"""Two tellers type the papers: what is stored, what is refused, what the teller is told."""

from __future__ import annotations

import pytest

from confapp import factories
from confapp.elections import entries
from confapp.elections.entries import EntryError
from confapp.extensions import db
from confapp.models import AuditEntry, ElectionEntry, Role


@pytest.fixture
def world(db, conference):
    """An election polling with four candidates (Asha 1, Bryn 2, Cerys 3, Dev 4), 20 papers."""
    election = factories.election(conference, papers=[1] * 20)
    first = factories.user(conf=conference, role=Role.TELLER)
    second = factories.user(conf=conference, role=Role.TELLER)
    return election, first, second


def stored(election) -> list[tuple]:
    db.session.expire_all()
    return [
        (e.sheet, e.paper_number, e.preferences, e.is_current)
        for e in db.session.execute(
            db.select(ElectionEntry)
            .where(ElectionEntry.election_id == election.id)
            .order_by(ElectionEntry.id)
        ).scalars()
    ]


@pytest.mark.parametrize("typed", ["3 1 4 2", "3,1,4,2", "3-1-4-2", " 3, 1 - 4  2 ", "3142"])
def test_preferences_are_typed_with_any_separator(world, typed):
    election, teller, _ = world

    done = entries.enter_paper(election, teller, 1, 17, typed)
    db.session.commit()

    assert done.words == "1 Cerys, 2 Asha, 3 Dev, 4 Bryn"
    assert done.warnings == [] and not done.corrected
    assert stored(election) == [(1, 17, "3 1 4 2", True)]


def test_a_correction_adds_a_current_row_and_keeps_the_old(world):
    election, teller, _ = world
    entries.enter_paper(election, teller, 1, 5, "1 2")
    db.session.commit()

    done = entries.enter_paper(election, teller, 1, 5, "2 1")
    db.session.commit()

    assert done.corrected
    assert stored(election) == [(1, 5, "1 2", False), (1, 5, "2 1", True)]
    summaries = [
        a.summary
        for a in db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars()
    ]
    assert summaries[-3:] == [
        f"National committee: {teller.label} keeps sheet 1",
        "National committee: sheet 1 entered paper 5: 1 2",
        "National committee: sheet 1 corrected paper 5: 2 1",
    ]


def test_repeated_preference_is_stored_as_typed_and_warned(world):
    election, teller, _ = world

    done = entries.enter_paper(election, teller, 1, 3, "3 1 1 2")
    db.session.commit()

    assert done.warnings == ["Preference 3 repeats Asha: the paper counts up to preference 2."]
    assert stored(election) == [(1, 3, "3 1 1 2", True)]
    assert entries.counted_part((3, 1, 1, 2)) == (3, 1)


def test_skipped_preference_is_stored_and_warned(world):
    election, teller, _ = world

    done = entries.enter_paper(election, teller, 1, 3, "2 0 4")
    db.session.commit()

    assert done.words == "1 Bryn, 2 (skipped), 3 Dev"
    assert done.warnings == ["Preference 2 is missing: the paper counts up to preference 1."]
    assert stored(election) == [(1, 3, "2 0 4", True)]


def test_blank_paper_needs_the_box_ticked(world):
    election, teller, _ = world

    with pytest.raises(EntryError) as refused:
        entries.enter_paper(election, teller, 1, 4, "  ")
    db.session.rollback()
    assert str(refused.value) == (
        "Paper 4: type the preferences, or tick “blank or spoilt” for a paper with none."
    )

    done = entries.enter_paper(election, teller, 1, 4, "", blank=True)
    db.session.commit()
    assert done.words == "Blank"
    assert stored(election) == [(1, 4, "", True)]


@pytest.mark.parametrize(
    ("paper", "typed", "blank", "message"),
    [
        (21, "1 2", False, "There is no paper 21 in this election."),
        (None, "1 2", False, "Type the paper's number (printed on the paper)."),
        (2, "1 5", False, "There is no candidate 5 on this paper: it has 4 names."),
        (
            2,
            "1 x",
            False,
            "“x” is not a place on the paper: type numbers from 1 to 4, separated by spaces.",
        ),
        (
            2,
            "1 2",
            True,
            "Paper 2: preferences were typed but “blank or spoilt” is ticked: "
            "untick it, or clear the preferences.",
        ),
    ],
)
def test_refusals_say_why_and_store_nothing(world, paper, typed, blank, message):
    election, teller, _ = world

    with pytest.raises(EntryError) as refused:
        entries.enter_paper(election, teller, 1, paper, typed, blank=blank)
    db.session.rollback()

    assert str(refused.value) == message
    assert stored(election) == []


def test_a_sheet_is_kept_by_one_teller_and_a_teller_keeps_one_sheet(world):
    election, first, second = world
    entries.enter_paper(election, first, 1, 1, "1")
    db.session.commit()

    with pytest.raises(EntryError) as other:
        entries.enter_paper(election, second, 1, 2, "1")
    db.session.rollback()
    with pytest.raises(EntryError) as both:
        entries.enter_paper(election, first, 2, 2, "1")
    db.session.rollback()

    assert str(other.value) == f"Sheet 1 is kept by {first.label}: take the other sheet."
    assert str(both.value) == (
        "You keep sheet 1: the two sheets must be typed by two different tellers."
    )
    assert stored(election) == [(1, 1, "1", True)]
    assert entries.sheet_of(election, first) == 1 and entries.sheet_of(election, second) is None


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("nominations", "Polling has not opened: there are no papers to enter yet."),
        ("counted", "The poll is closed: the count has run, so no paper can be entered."),
        ("declared", "The poll is closed: the count has run, so no paper can be entered."),
    ],
)
def test_no_entry_outside_polling(world, state, message):
    election, teller, _ = world
    election.state = state
    db.session.commit()

    with pytest.raises(EntryError) as refused:
        entries.enter_paper(election, teller, 1, 1, "1 2")
    db.session.rollback()

    assert str(refused.value) == message
    assert stored(election) == []
