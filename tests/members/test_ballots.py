"""The committee sets up a members' ballot through its pages: times, electorate, questions,
the roll; every bad input refused with a message naming the problem, nothing changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from markupsafe import escape

from confapp import factories
from confapp.extensions import db
from confapp.models import (
    AuditEntry,
    Ballot,
    MemberBallot,
    MemberBallotState,
    MemberQuestion,
    QuestionKind,
    Role,
    Voter,
    utcnow,
)
from tests.world import snapshot


@pytest.fixture
def world(db):
    """Leeds and York (North), Hull (East) in Local groups; Unite in Affiliates; the committee."""
    conference = factories.conference()
    local, affiliates = conference.sections
    leeds = factories.group(conference, "Leeds", region="North")
    york = factories.group(conference, "York", region="North")
    hull = factories.group(conference, "Hull", region="East")
    unite = factories.group(conference, "Unite", region="", section=affiliates)
    factories.members(conference, [leeds, york, hull, unite], per_group=2)
    admin = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    return {
        "conference": conference,
        "groups": {g.name: g for g in (leeds, york, hull, unite)},
        "sections": {"local": local, "affiliates": affiliates},
        "admin": admin,
    }


@pytest.fixture
def committee(client, login, world):
    login(world["admin"])
    return client


def base(world) -> str:
    return f"/conferences/{world['conference'].id}/member-ballots"


def page_of(ballot: MemberBallot, tail: str = "") -> str:
    return f"/conferences/{ballot.conference_id}/member-ballots/{ballot.id}{tail}"


def later(days: int, hour: int = 9) -> str:
    """A local time `days` from now at `hour`, as the form's datetime-local field sends it."""
    day = (utcnow() + timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:00"


def ballot_form(**values) -> dict:
    form = {
        "title": "Referendum on affiliation",
        "description": "Should we affiliate to the federation?",
        "opens": later(10),
        "closes": later(17, 21),
        "frozen_on": utcnow().date().isoformat(),
        "electorate": "all",
    }
    return form | values


def text(response) -> str:
    return response.get_data(as_text=True)


def only_ballot() -> MemberBallot:
    db.session.expire_all()
    return db.session.scalars(db.select(MemberBallot)).one()


# ---- the ballot -----------------------------------------------------------------------------


def test_a_new_ballot_is_a_draft_with_its_times_turned_into_utc(committee, world):
    form = ballot_form(opens="2031-07-01T09:00", closes="2031-07-08T21:00", frozen_on="2031-06-01")

    response = committee.post(f"{base(world)}/new", data=form)

    assert response.status_code == 302
    ballot = only_ballot()
    assert response.headers["Location"].endswith(page_of(ballot))
    assert ballot.state == MemberBallotState.DRAFT
    # London in July is an hour ahead of UTC.
    assert ballot.opens_at == datetime(2031, 7, 1, 8, 0)
    assert ballot.closes_at == datetime(2031, 7, 8, 20, 0)
    assert ballot.frozen_on == date(2031, 6, 1)
    assert ballot.description == "Should we affiliate to the federation?"
    page = text(committee.get(response.headers["Location"]))
    assert "Referendum on affiliation is set up as a draft: add its questions." in page
    assert "1 Jul 2031, 09:00 BST" in page
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "member_ballot.created")
    ).one()
    assert entry.entity_id == ballot.id and entry.actor == "chair@example.org"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"closes": later(9)}, "Closes: voting must close after it opens."),
        (
            {"opens": later(-10), "closes": later(-3)},
            "Closes: that time has passed; the ballot could not be held.",
        ),
        (
            {"frozen_on": (utcnow() + timedelta(days=30)).date().isoformat()},
            "Freeze date: it must be on or before the day voting opens.",
        ),
        ({"electorate": "region", "region": "Atlantis"}, "Region: choose one of the regions"),
        ({"electorate": "group"}, "Group: choose one of the conference&#39;s groups."),
        ({"electorate": "section", "section": "99999"}, "Section: choose one of the conference"),
        ({"electorate": "everyone"}, "Not a valid choice"),
        ({"title": ""}, "This field is required."),
    ],
)
def test_a_setup_that_cannot_be_held_is_refused_saying_why(committee, world, values, message):
    before = snapshot()

    response = committee.post(f"{base(world)}/new", data=ballot_form(**values))

    assert response.status_code == 422
    assert message in text(response)
    assert snapshot() == before


def test_the_electorate_choices_are_the_groups_regions_and_sections(committee, world):
    page = text(committee.get(f"{base(world)}/new"))

    assert '<option value="East">East</option>' in page
    assert '<option value="North">North</option>' in page
    assert page.count('<option value="North">') == 1  # each region once
    assert f'<option value="{world["groups"]["Hull"].id}">Hull</option>' in page
    assert f'<option value="{world["sections"]["affiliates"].id}">Affiliates</option>' in page


@pytest.mark.parametrize(
    ("electorate", "value", "voters"),
    [
        ("all", lambda w: "", 8),
        ("region", lambda w: "North", 4),
        ("group", lambda w: str(w["groups"]["Hull"].id), 2),
        ("section", lambda w: str(w["sections"]["affiliates"].id), 2),
    ],
)
def test_the_roll_holds_the_electorate_chosen(committee, world, electorate, value, voters):
    chosen = value(world)
    form = ballot_form(electorate=electorate, **({electorate: chosen} if chosen else {}))
    committee.post(f"{base(world)}/new", data=form)
    ballot = only_ballot()
    committee.post(page_of(ballot, "/questions"), data={"kind": "yes_no", "title": "Affiliate?"})

    response = committee.post(page_of(ballot, "/roll"), data={"confirmed": "yes"})

    page = text(committee.get(response.headers["Location"]))
    word = "members" if voters != 1 else "member"
    assert f"The roll is made: {voters} {word} may vote." in page
    assert db.session.scalar(db.select(db.func.count(Voter.id))) == voters


def test_a_draft_can_be_changed_and_the_change_is_logged(committee, world):
    ballot = factories.member_ballot(world["conference"], title="Old title")
    form = ballot_form(title="New title", electorate="region", region="East")

    response = committee.post(page_of(ballot, "/edit"), data=form)

    assert response.status_code == 302
    ballot = only_ballot()
    assert ballot.title == "New title"
    assert (ballot.electorate, ballot.electorate_value) == ("region", "East")
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "member_ballot.updated")
    ).one()
    assert entry.before["title"] == "Old title" and entry.after["title"] == "New title"
    assert "Members in the East region" in text(committee.get(page_of(ballot)))


def test_the_edit_form_shows_the_ballot_in_local_time(committee, world):
    ballot = factories.member_ballot(world["conference"])
    ballot.opens_at = datetime(2031, 1, 5, 9, 30)  # GMT in January: no shift
    ballot.closes_at = datetime(2031, 1, 12, 21, 0)
    db.session.commit()

    page = text(committee.get(page_of(ballot, "/edit")))

    assert 'value="2031-01-05T09:30"' in page


def test_once_the_roll_is_made_nothing_about_the_ballot_changes(committee, world):
    ballot = factories.member_ballot(world["conference"], phase="roll")
    question = ballot.questions[0]
    before = snapshot()

    add = committee.post(page_of(ballot, "/questions"), data={"kind": "yes_no", "title": "More?"})
    assert add.status_code == 422
    assert "The roll is made: the ballot can no longer change" in text(add)
    for tail, data, message in [
        (
            "/edit",
            ballot_form(title="Changed"),
            "The roll is made: the ballot can no longer change.",
        ),
        (
            f"/questions/{question.id}/delete",
            {"confirmed": "yes"},
            "The roll is made: the questions can no longer change.",
        ),
        (
            "/roll",
            {"confirmed": "yes"},
            "The roll is already made: the electorate was frozen then.",
        ),
    ]:
        response = committee.post(page_of(ballot, tail), data=data)
        assert response.status_code == 302
        assert message in text(committee.get(response.headers["Location"]))
    page = text(committee.get(page_of(ballot)))
    assert "Add a question" not in page and "Change the title" not in page
    assert snapshot() == before


# ---- questions ------------------------------------------------------------------------------


@pytest.fixture
def draft(world) -> MemberBallot:
    ballot = factories.member_ballot(world["conference"], title="Spring ballot")
    ballot.questions.clear()
    db.session.commit()
    return ballot


def add(committee, ballot, **form):
    return committee.post(page_of(ballot, "/questions"), data=form)


def stored_questions(ballot) -> list[MemberQuestion]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(MemberQuestion)
            .where(MemberQuestion.ballot_id == ballot.id)
            .order_by(MemberQuestion.position)
        )
    )


def test_a_yes_no_question_with_two_thirds_and_a_turnout_threshold(committee, draft):
    response = add(
        committee,
        draft,
        kind="yes_no",
        title="Change rule 4?",
        majority="two_thirds",
        turnout_threshold="25",
    )

    assert response.status_code == 302
    (question,) = stored_questions(draft)
    assert (question.kind, question.majority, question.turnout_threshold) == (
        QuestionKind.YES_NO,
        "two_thirds",
        25,
    )
    page = text(committee.get(page_of(draft)))
    assert "Question added: Change rule 4?" in page
    assert "Two-thirds of the votes cast" in page
    assert "carried only if at least 25% of the electorate votes" in page


def test_choose_one_and_choose_up_to_keep_their_options_in_order(committee, draft):
    add(committee, draft, kind="choose_one", title="Venue", options="Leeds\n\n  York \nHull")
    add(
        committee, draft, kind="choose_up_to", title="Campaigns", options="A\nB\nC", max_choices="2"
    )

    venue, campaigns = stored_questions(draft)
    assert [o.label for o in venue.options] == ["Leeds", "York", "Hull"]
    assert [o.label for o in campaigns.options] == ["A", "B", "C"]
    assert campaigns.max_choices == 2 and [venue.position, campaigns.position] == [1, 2]
    assert "members choose up to 2" in text(committee.get(page_of(draft)))


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "choose_one", "options": "Only one"}, "Options: give at least two options"),
        (
            {"kind": "choose_one", "options": "Leeds\nYork\nleeds"},
            "Options, line 3: leeds is listed twice (first on line 1).",
        ),
        (
            {"kind": "choose_up_to", "options": "A\nB", "max_choices": "3"},
            "Choose up to: between 1 and the number of options (2), not 3.",
        ),
        ({"kind": "choose_up_to", "options": "A\nB"}, "Choose up to: say how many"),
        (
            {"kind": "yes_no", "options": "Maybe"},
            "Options: a yes-or-no question has none",
        ),
        ({"kind": "yes_no", "turnout_threshold": "120"}, "Number must be between 1 and 100."),
        ({"kind": "choose_one", "options": "x" * 201 + "\nB"}, "Options, line 1: at most 200"),
        ({"kind": "stv", "options": "Asha\nBryn"}, "Seats: between 1 and 500."),
        ({"kind": "stv", "seats": "2"}, "Candidates: list the candidates, one a line."),
        (
            {"kind": "stv", "seats": "3", "options": "Asha\nBryn"},
            "Candidates: 2 candidates stand for 3 seats: at least 3 must stand.",
        ),
        (
            {
                "kind": "stv",
                "seats": "2",
                "options": "Asha | Women\nBryn | Yuong\nCerys",
                "quotas-0-name": "Women",
                "quotas-0-minimum": "1",
            },
            "Candidates, line 2: Yuong is not a quota category (the categories: Women).",
        ),
        (
            {
                "kind": "stv",
                "seats": "2",
                "options": "Asha | Women\nBryn\nCerys",
                "quotas-0-name": "Women",
                "quotas-0-minimum": "2",
            },
            "Quotas: The quotas cannot be met: &#39;Women&#39; needs at least 2 elected but "
            "only 1 of its candidates stand.",
        ),
        (
            {
                "kind": "stv",
                "seats": "2",
                "options": "Asha\nBryn",
                "quotas-0-name": "Women",
                "quotas-0-minimum": "2",
                "quotas-0-maximum": "1",
            },
            "Quota row 1 (Women): at most 1 is below at least 2.",
        ),
    ],
)
def test_a_question_that_cannot_be_asked_is_refused_as_typed(committee, draft, form, message):
    before = snapshot()

    response = add(committee, draft, title="The question", **form)

    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert snapshot() == before
    if form.get("options"):  # what was typed is still there to correct
        assert str(escape(form["options"])) in page


def test_an_election_with_quotas_the_candidates_can_meet_says_so(committee, draft):
    response = add(
        committee,
        draft,
        kind="stv",
        title="National committee",
        seats="2",
        rule="meek",
        options="Asha Patel | Women, Young\nBryn Jones | young\nCerys Evans | Women\nDev Shah",
        **{
            "quotas-0-name": "Women",
            "quotas-0-minimum": "1",
            "quotas-1-name": "Young",
            "quotas-1-maximum": "1",
        },
    )

    assert response.status_code == 302
    (question,) = stored_questions(draft)
    assert (question.seats, question.rule) == (2, "meek")
    assert question.quotas == {"Women": [1, None], "Young": [0, 1]}
    assert [(o.label, o.categories) for o in question.options] == [
        ("Asha Patel", ["Women", "Young"]),
        ("Bryn Jones", ["Young"]),  # spelt as the quota is
        ("Cerys Evans", ["Women"]),
        ("Dev Shah", []),
    ]
    page = text(committee.get(page_of(draft)))
    assert "At least 1 of those elected will be Women." in page
    assert "At most 1 of those elected will be Young." in page
    assert "The 4 candidates standing can fill the 2 seats and meet every quota." in page


def test_removing_a_question_asks_first_then_renumbers_the_rest(committee, draft):
    for title in ("First?", "Second?", "Third?"):
        add(committee, draft, kind="yes_no", title=title)
    first = stored_questions(draft)[0]

    asked = committee.post(page_of(draft, f"/questions/{first.id}/delete"))
    assert asked.status_code == 200
    assert "Remove First? from Spring ballot?" in text(asked)
    assert len(stored_questions(draft)) == 3

    committee.post(page_of(draft, f"/questions/{first.id}/delete"), data={"confirmed": "yes"})

    rest = stored_questions(draft)
    assert [(q.title, q.position) for q in rest] == [("Second?", 1), ("Third?", 2)]
    assert db.session.scalars(
        db.select(AuditEntry.summary).where(AuditEntry.action == "member_ballot.question_removed")
    ).all() == ["Question First? removed from Spring ballot"]


def test_a_question_of_another_ballot_is_not_found(committee, world, draft):
    other = factories.member_ballot(world["conference"], title="Other")

    response = committee.post(
        page_of(draft, f"/questions/{other.questions[0].id}/delete"), data={"confirmed": "yes"}
    )

    assert response.status_code == 404
    assert len(stored_questions(other)) == 1


# ---- the roll -------------------------------------------------------------------------------


def test_making_the_roll_asks_first_then_says_how_many_may_vote(app, committee, world):
    app.config["MAIL_SERVER"] = "127.0.0.1"  # links can go: the page offers to send them
    ballot = factories.member_ballot(world["conference"], title="Spring ballot")

    asked = committee.post(page_of(ballot, "/roll"))
    assert asked.status_code == 200
    assert "Make the roll of Spring ballot?" in text(asked)
    assert only_ballot().state == MemberBallotState.DRAFT

    response = committee.post(page_of(ballot, "/roll"), data={"confirmed": "yes"})

    page = text(committee.get(response.headers["Location"]))
    assert "The roll is made: 8 members may vote." in page
    assert "<strong>8</strong> members may vote" in page
    assert "Send voting links (8)" in page
    assert only_ballot().state == MemberBallotState.ROLL


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no_questions", "Add at least one question before making the roll."),
        ("early", "the roll can be made from that day"),
        ("quota", "Polling cannot open as it stands."),
    ],
)
def test_a_roll_that_cannot_be_made_is_refused_at_once(committee, world, change, message):
    questions = None
    if change == "quota":
        questions = [
            {
                "kind": "stv",
                "seats": 2,
                "quotas": {"Women": [2, None]},
                "options": [("Asha", ["Women"]), "Bryn", "Cerys"],
            }
        ]
    ballot = factories.member_ballot(world["conference"], questions=questions)
    if change == "no_questions":
        ballot.questions.clear()
    if change == "early":
        ballot.frozen_on = utcnow().date() + timedelta(days=1)
    db.session.commit()
    before = snapshot()

    response = committee.post(page_of(ballot, "/roll"), data={"confirmed": "yes"})

    assert response.status_code == 302
    assert message in text(committee.get(response.headers["Location"]))
    assert snapshot() == before


def test_the_list_shows_each_ballots_phase(committee, world):
    conference = world["conference"]
    factories.member_ballot(conference, title="A draft")
    factories.member_ballot(conference, title="On the roll", phase="roll")
    factories.member_ballot(conference, title="Voting now", phase="open")
    factories.member_ballot(conference, title="Over", phase="closed")

    page = text(committee.get(base(world)))

    for title, phase in [
        ("A draft", "Draft"),
        ("On the roll", "Roll made"),
        ("Voting now", "Open"),
        ("Over", "Closed"),
    ]:
        row = page[page.index(f">{title}</a>") :].split("</tr>")[0]
        assert f">{phase}</span>" in row, title
    assert "New members' ballot" in page


# ---- referral from the conference ------------------------------------------------------------


@pytest.fixture
def motion(world) -> Ballot:
    ballot = Ballot(
        conference_id=world["conference"].id,
        title="Motion 7: Join the federation",
        majority="two_thirds",
        state="declared",
        hands="carried",
        is_carried=True,
        declared_at=utcnow(),
        result={"hands": "carried"},
    )
    db.session.add(ballot)
    db.session.commit()
    return ballot


def refer_url(motion: Ballot) -> str:
    return f"/conferences/{motion.conference_id}/ballots/{motion.id}/refer"


def test_the_chair_refers_a_declared_motion_to_the_members(committee, motion):
    chair_page = text(committee.get(f"/conferences/{motion.conference_id}/ballots/{motion.id}"))
    assert "Refer to the members" in chair_page

    asked = committee.post(refer_url(motion))
    assert "Refer Motion 7: Join the federation to the members?" in text(asked)

    response = committee.post(refer_url(motion), data={"confirmed": "yes"})

    ballot = only_ballot()
    assert response.headers["Location"].endswith(page_of(ballot))
    assert ballot.state == MemberBallotState.DRAFT and ballot.referred_from_id == motion.id
    (question,) = ballot.questions
    assert (question.kind, question.title, question.majority) == (
        QuestionKind.YES_NO,
        "Motion 7: Join the federation",
        "two_thirds",
    )
    page = text(committee.get(page_of(ballot)))
    assert "is referred to the members: set the ballot" in page
    assert f'href="/conferences/{motion.conference_id}/ballots/{motion.id}"' in page
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "member_ballot.referred")
    ).one()
    assert entry.after["referred_from_id"] == motion.id
    # The chair's page now links to the members' ballot instead of offering the button.
    chair_page = text(committee.get(f"/conferences/{motion.conference_id}/ballots/{motion.id}"))
    assert "Referred to the members: Referred by the conference: Motion 7" in chair_page
    assert "Refer to the members</button>" not in chair_page


def test_a_motion_is_referred_once(committee, motion):
    committee.post(refer_url(motion), data={"confirmed": "yes"})

    again = committee.post(refer_url(motion), data={"confirmed": "yes"})

    assert again.headers["Location"].endswith(page_of(only_ballot()))


def test_an_undeclared_motion_is_not_referred(committee, motion):
    motion.state = "draft"
    db.session.commit()
    before = snapshot()

    response = committee.post(refer_url(motion), data={"confirmed": "yes"}, follow_redirects=True)

    assert "Only a declared ballot can be referred" in text(response)
    assert snapshot() == before


def test_a_teller_cannot_refer(client, login, world, motion):
    teller = factories.user("teller@example.org", conf=world["conference"], role=Role.TELLER)
    login(teller)

    response = client.post(refer_url(motion), data={"confirmed": "yes"})

    assert response.status_code == 403
    assert "Refer to the members" not in text(
        client.get(f"/conferences/{motion.conference_id}/ballots/{motion.id}")
    )
