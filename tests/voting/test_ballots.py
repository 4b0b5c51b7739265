"""Ballots from draft to declaration: the frozen roll, two tellers, exact results, the record."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from confapp.extensions import db
from confapp.models import AuditEntry, Ballot, RollEntry, RollShare, TellerEntry
from confapp.voting import services
from confapp.voting.services import Votes, VotingError


def ballot(floor, **fields) -> Ballot:
    values = {"title": "Motion 4: Housing", "kind": "motion", "majority": "simple", "mode": "block"}
    made = services.create_ballot(floor.conference, **(values | fields), actor=floor.chair)
    db.session.commit()  # as the chair's request would
    return made


def enter_both(floor, b, group, votes: Votes) -> None:
    for teller in (floor.teller, floor.second_teller):
        services.enter_votes(b, teller, floor.groups[group].id, votes)


class TestRoll:
    def test_opening_freezes_the_delegations_present_and_their_votes(self, floor):
        floor.admit("Ann", "Yan", "Vic")  # Leeds and York in; Hull not; Vic does not vote
        b = ballot(floor)
        assert services.open_card_vote(b, floor.chair) == 2
        rows = {r.group_name: r for r in services.roll(b)}
        assert {n: (r.votes, r.delegates_present) for n, r in rows.items()} == {
            "Leeds": (1000, 1),
            "York": (400, 1),
        }
        assert b.state == "card_vote_open" and b.opened_at is not None
        floor.admit("Hal")  # arrives after the vote opened: not on this roll
        assert services.roll_totals(b) == (2, 1400)

    def test_split_mode_shares_sum_to_the_vote_and_absent_shares_pass_on(self, floor):
        floor.admit("Ann", "Ben", "Cal", "Yan")
        b = ballot(floor, mode="split")
        services.open_card_vote(b, floor.chair)
        leeds = services.shares_by_group(b)[floor.groups["Leeds"].id]
        assert [s.share for s in leeds] == [334, 333, 333]
        other = ballot(floor, mode="split", title="Motion 5")
        from confapp.checkin.scans import ScanInput, Scanner, record_scan
        from confapp.credentials.services import live_credential

        record_scan(
            Scanner(conference_id=floor.conference.id, actor="t", browser="t"),
            ScanInput(
                direction="out",
                nonce="out-cal",
                code=live_credential(floor.people["Cal"]).code,
                door="Main entrance",
            ),
        )
        services.open_card_vote(other, floor.chair)
        leeds = services.shares_by_group(other)[floor.groups["Leeds"].id]
        assert [(s.name, s.share) for s in leeds] == [("Ann", 500), ("Ben", 500)]
        total = db.session.execute(
            sa.select(sa.func.sum(RollShare.share)).where(RollShare.ballot_id == other.id)
        ).scalar()
        assert total == 1000 + 400


class TestShowOfHands:
    def test_a_rule_change_goes_straight_to_a_card_vote(self, floor):
        b = ballot(floor, kind="rule_change", majority="two_thirds")
        with pytest.raises(VotingError, match="always goes to a card vote"):
            services.take_show_of_hands(b, floor.chair)
        assert b.state == "draft"

    def test_carried_on_hands_is_declared_without_a_card_vote(self, floor):
        b = ballot(floor)
        services.take_show_of_hands(b, floor.chair)
        services.record_hands(b, "carried", floor.chair)
        assert (b.state, b.is_carried, b.hands, b.opened_at) == ("declared", True, "carried", None)

    def test_a_card_vote_called_opens_it(self, floor):
        floor.admit("Ann")
        b = ballot(floor)
        services.take_show_of_hands(b, floor.chair)
        services.record_hands(b, "card_vote_called", floor.chair)
        assert (b.state, b.hands) == ("card_vote_open", "card_vote_called")
        assert services.roll_totals(b) == (1, 1000)


class TestTellers:
    def test_two_tellers_agree_and_the_result_is_declared_exactly(self, floor):
        floor.admit("Ann", "Yan", "Hal")
        b = ballot(floor)
        services.open_card_vote(b, floor.chair)
        enter_both(floor, b, "Leeds", Votes(for_=1000))
        enter_both(floor, b, "York", Votes(against=400))
        enter_both(floor, b, "Hull", Votes(abstain=2500))
        services.close_voting(b, floor.chair)
        result = services.declare(b, floor.chair)
        assert (result.overall.for_, result.overall.against, result.overall.abstain) == (
            1000,
            400,
            2500,
        )
        assert result.carried and b.state == "declared" and b.is_carried
        assert b.result["overall"]["for_percent"] == "71.43%"
        assert [d["group"] for d in b.result["delegations"]] == ["Leeds", "York", "Hull"]

    def test_a_disagreement_blocks_the_declaration_until_corrected(self, floor):
        floor.admit("Ann", "Yan")
        b = ballot(floor)
        services.open_card_vote(b, floor.chair)
        services.enter_votes(b, floor.teller, floor.groups["Leeds"].id, Votes(for_=1000))
        services.enter_votes(b, floor.second_teller, floor.groups["Leeds"].id, Votes(against=1000))
        enter_both(floor, b, "York", Votes(for_=400))
        check = services.reconcile(b)
        assert [line.roll.group_name for line in check.disagreements] == ["Leeds"]
        with pytest.raises(VotingError, match=r"disagree on 1 delegation \(Leeds\)"):
            services.declare(b, floor.chair)
        services.enter_votes(b, floor.second_teller, floor.groups["Leeds"].id, Votes(for_=1000))
        assert services.reconcile(b).may_declare
        services.declare(b, floor.chair)
        kept = db.session.execute(
            sa.select(TellerEntry.sheet, TellerEntry.against_votes, TellerEntry.is_current)
            .where(TellerEntry.group_id == floor.groups["Leeds"].id)
            .order_by(TellerEntry.id)
        ).all()
        assert kept == [(1, 0, True), (2, 1000, False), (2, 0, True)]  # the correction is kept
        log = (
            db.session.execute(
                sa.select(AuditEntry.summary).where(AuditEntry.action == "ballot.entry")
            )
            .scalars()
            .all()
        )
        assert any("count 2 corrected Leeds" in s for s in log)

    def test_one_teller_alone_cannot_declare(self, floor):
        floor.admit("Ann")
        b = ballot(floor)
        services.open_card_vote(b, floor.chair)
        services.enter_votes(b, floor.teller, floor.groups["Leeds"].id, Votes(for_=1000))
        with pytest.raises(VotingError, match="Two tellers"):
            services.declare(b, floor.chair)

    def test_a_third_teller_cannot_join(self, floor):
        from confapp import factories
        from confapp.models import Role

        floor.admit("Ann")
        b = ballot(floor)
        services.open_card_vote(b, floor.chair)
        services.take_sheet(b, floor.teller)
        services.take_sheet(b, floor.second_teller)
        third = factories.user(conf=floor.conference, role=Role.TELLER)
        with pytest.raises(VotingError, match="third cannot join"):
            services.take_sheet(b, third)

    @pytest.mark.parametrize(
        ("votes", "message"),
        [
            (Votes(for_=600, against=500), "1,100 is more than the 1,000 votes"),
            (Votes(for_=600, against=400), "whole vote \\(1,000\\) for one option"),
            (Votes(for_=999), "whole vote \\(1,000\\) goes to one option"),
            (Votes(for_=-1), "cannot be negative"),
        ],
    )
    def test_entries_a_delegation_cannot_cast_are_refused(self, floor, votes, message):
        floor.admit("Ann")
        b = ballot(floor)
        services.open_card_vote(b, floor.chair)
        with pytest.raises(VotingError, match=message):
            services.enter_votes(b, floor.teller, floor.groups["Leeds"].id, votes)
        assert db.session.execute(sa.select(TellerEntry)).first() is None

    def test_a_delegation_not_on_the_roll_cannot_be_entered(self, floor):
        floor.admit("Ann")
        b = ballot(floor)
        services.open_card_vote(b, floor.chair)
        with pytest.raises(VotingError, match="not on this ballot's roll"):
            services.enter_votes(b, floor.teller, floor.groups["York"].id, Votes(for_=400))

    def test_split_mode_sums_each_delegates_share(self, floor):
        floor.admit("Ann", "Ben", "Cal")
        b = ballot(floor, mode="split")
        services.open_card_vote(b, floor.chair)
        shares = {
            s.delegate_id: s.share for s in services.shares_by_group(b)[floor.groups["Leeds"].id]
        }
        ann, ben, cal = (floor.people[n].id for n in ("Ann", "Ben", "Cal"))
        votes = services.votes_for_delegates(shares, {ann: "for", ben: "against", cal: "for"})
        assert votes == Votes(for_=667, against=333)
        services.enter_votes(
            b,
            floor.teller,
            floor.groups["Leeds"].id,
            votes,
            choices={ann: "for", ben: "against", cal: "for"},
        )


class TestDeclared:
    def declared(self, floor) -> Ballot:
        floor.admit("Ann", "Yan")
        b = ballot(floor)
        services.open_card_vote(b, floor.chair)
        enter_both(floor, b, "Leeds", Votes(for_=1000))
        enter_both(floor, b, "York", Votes(against=400))
        services.declare(b, floor.chair)
        return b

    def test_after_declaration_nothing_changes(self, floor):
        b = self.declared(floor)
        with pytest.raises(VotingError, match="no longer takes entries"):
            services.enter_votes(b, floor.teller, floor.groups["York"].id, Votes(for_=400))
        with pytest.raises(VotingError, match="declared already"):
            services.declare(b, floor.chair)
        assert b.result["overall"]["for"] == 1000

    def test_a_recount_is_a_new_linked_ballot_on_the_same_roll(self, floor):
        b = self.declared(floor)
        floor.admit("Hal")  # arrived later: the recount keeps the roll as it was
        again = services.recount(b, floor.chair)
        assert (again.recount_of_id, again.state, again.result) == (b.id, "counting", None)
        assert services.roll_totals(again) == services.roll_totals(b) == (2, 1400)
        assert db.session.get(Ballot, b.id).state == "declared"


def test_the_public_two_thirds_case_is_lost(floor, db):
    """A 2010 union rule change: 718,273 for, 373,801 against: 65.77%, short of two-thirds."""
    from confapp import factories

    big = factories.group(floor.conference, "Region A", members=718_273)
    small = factories.group(floor.conference, "Region B", members=373_801)
    a = factories.approved_person(floor.conference, big, "Ada")
    c = factories.approved_person(floor.conference, small, "Cy")
    floor.people.update({"Ada": a, "Cy": c})
    floor.groups.update({"Region A": big, "Region B": small})
    floor.admit("Ada", "Cy")
    b = ballot(floor, kind="rule_change", majority="two_thirds", title="Rule 7")
    services.open_card_vote(b, floor.chair)
    enter_both(floor, b, "Region A", Votes(for_=718_273))
    enter_both(floor, b, "Region B", Votes(against=373_801))
    result = services.declare(b, floor.chair)
    assert not result.carried and b.is_carried is False
    assert b.result["overall"]["for_percent"] == "65.77%"


def test_rolls_are_stored_per_ballot(floor):
    floor.admit("Ann")
    first, second = ballot(floor), ballot(floor, title="Motion 5")
    services.open_card_vote(first, floor.chair)
    floor.admit("Yan")
    services.open_card_vote(second, floor.chair)
    counts = dict(
        db.session.execute(
            sa.select(RollEntry.ballot_id, sa.func.count()).group_by(RollEntry.ballot_id)
        ).all()
    )
    assert counts == {first.id: 1, second.id: 2}
