"""The demo's members: a register for its 150 groups, a published referendum, an open election."""

from __future__ import annotations

import sqlalchemy as sa

from confapp import demo
from confapp.extensions import db
from confapp.members import demo as member_demo
from confapp.members import standing
from confapp.models import (
    Conference,
    Delegate,
    Group,
    Member,
    MemberBallot,
    MemberBallotState,
    QuestionKind,
    utcnow,
)


def test_the_demo_has_a_register_both_ballots_and_a_link_to_vote(app, client):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    printed: list[str] = []
    demo.print_logins(echo=printed.append)
    conference = db.session.execute(sa.select(Conference)).scalar_one()

    # The register: every group's members, near the declared figures, some lapsed.
    members = db.session.execute(sa.select(Member)).scalars().all()
    assert len(members) >= 21_000
    assert len({m.group_id for m in members}) == 150
    assert any(m.is_lapsed for m in members)
    groups = db.session.execute(sa.select(Group)).scalars().all()
    assert all(g.register_members is not None for g in groups)
    differing = [g for g in groups if g.register_members != g.members]
    assert 0 < len(differing) < 150

    # Every registered delegate matches the register: the committee can approve them.
    register = standing.register_of(conference, [])
    assert register is not None
    people = db.session.execute(sa.select(Delegate)).scalars().all()
    found = standing._lookup(conference.id, {p.membership_number for p in people}, set())
    day = standing.today(conference)
    for person in people:
        assert found.match(person.group, person.membership_number, "", day, "").ok, person.name

    # The referendum is published with its result; the election is open, with quotas.
    referendum, election = db.session.execute(
        sa.select(MemberBallot).order_by(MemberBallot.id)
    ).scalars()
    assert referendum.state == MemberBallotState.PUBLISHED
    assert referendum.result
    assert election.phase(utcnow()) == "open"
    question = election.questions[0]
    assert question.kind == QuestionKind.STV and question.quotas

    # The printed link opens the demo member's ballot paper.
    assert any(member_demo.voting_link() in line for line in printed)
    page = client.get(f"/vote/{member_demo.DEMO_VOTER_CODE}")
    assert page.status_code == 200
    assert member_demo.CANDIDATES[0][0] in page.get_data(as_text=True)
    assert any("scrutineer@example.org" in line for line in printed)
    assert len(demo.LOGINS) == 6
