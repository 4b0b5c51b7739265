"""The count sheet's taps (the script's JSON answer and the plain form's), and the chair's
page while counting: its live fragment and the question before a result is declared."""

from __future__ import annotations

import re

import sqlalchemy as sa

from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import Ballot, TellerEntry
from confapp.voting import services
from confapp.voting.services import Votes
from tests.voting.test_floor_pages import open_ballot, url, words

JSON = {"Accept": "application/json"}


def current(ballot, sheet=1) -> dict[int, tuple]:
    """The count's current entries: group id -> (for, against, abstain, choices)."""
    return {
        e.group_id: (e.for_votes, e.against_votes, e.abstain_votes, e.choices)
        for e in db.session.execute(
            sa.select(TellerEntry).where(
                TellerEntry.ballot_id == ballot.id,
                TellerEntry.sheet == sheet,
                TellerEntry.is_current.is_(True),
            )
        ).scalars()
    }


def counting(client, login, floor, mode="block"):
    ballot = open_ballot(floor, mode=mode)
    login(floor.teller)
    client.post(url(floor, ballot, "/sheet"))
    return ballot


class TestTap:
    def test_the_scripts_tap_gets_the_row_and_running_total_back(self, client, login, floor):
        ballot = counting(client, login, floor)
        leeds, hull = floor.groups["Leeds"].id, floor.groups["Hull"].id
        answer = client.post(
            url(floor, ballot, "/entries"), data={"tap": f"{leeds}:for"}, headers=JSON
        )
        assert answer.status_code == 200
        assert answer.get_json() == {
            "group": leeds,
            "entry": "For 1,000",
            "choice": "for",
            "said": "Leeds: 1,000 for.",
            "running": {"entered": "1", "for": "1,000", "against": "0", "abstain": "0"},
        }
        body = client.post(
            url(floor, ballot, "/entries"), data={"tap": f"{hull}:abstain"}, headers=JSON
        ).get_json()
        assert body["running"] == {
            "entered": "2",
            "for": "1,000",
            "against": "0",
            "abstain": "2,500",
        }
        assert current(ballot) == {leeds: (1000, 0, 0, None), hull: (0, 0, 2500, None)}

    def test_a_second_tap_corrects_the_row(self, client, login, floor):
        ballot = counting(client, login, floor)
        york = floor.groups["York"].id
        for choice in ("for", "against"):
            body = client.post(
                url(floor, ballot, "/entries"), data={"tap": f"{york}:{choice}"}, headers=JSON
            ).get_json()
        assert (body["entry"], body["running"]["entered"], body["running"]["for"]) == (
            "Against 400",
            "1",
            "0",
        )
        assert current(ballot) == {york: (0, 400, 0, None)}
        kept = db.session.execute(sa.select(sa.func.count()).select_from(TellerEntry)).scalar()
        assert kept == 2  # the first tap is kept, no longer current

    def test_a_refused_tap_answers_why_and_stores_nothing(self, client, login, floor):
        ballot = counting(client, login, floor)
        for data, message in (
            ({"tap": "nonsense"}, "Choose a delegation."),
            ({"tap": f"{floor.groups['Leeds'].id}:maybe"}, "Choose For, Against, Abstain"),
            ({"tap": "99999:for"}, "not on this ballot's roll"),
        ):
            answer = client.post(url(floor, ballot, "/entries"), data=data, headers=JSON)
            assert answer.status_code == 422
            assert message in answer.get_json()["error"]
        assert current(ballot) == {}

    def test_without_script_a_tap_returns_to_the_row_just_entered(self, client, login, floor):
        ballot = counting(client, login, floor)
        york = floor.groups["York"].id
        response = client.post(url(floor, ballot, "/entries"), data={"tap": f"{york}:against"})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/count?last={york}#row-{york}")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert f'<tr id="row-{york}" data-group="York" class="just">' in page
        assert 'id="sheet-status" role="status">York: 400 against.<' in page
        assert "1/3 entered" in words(page)
        assert page.count('aria-pressed="true"') == 1
        assert f'value="{york}:against" class="c-against" aria-pressed="true"' in page
        assert current(ballot) == {york: (0, 400, 0, None)}

    def test_the_sheet_is_one_form_with_one_csrf_field(self, app, client, login, floor):
        ballot = open_ballot(floor)
        login(floor.teller)
        app.config["WTF_CSRF_ENABLED"] = True  # served as on the day, tokens and all
        services.take_sheet(ballot, floor.teller)
        db.session.commit()
        page = client.get(url(floor, ballot, "/count")).get_data(as_text=True)
        sheet = page.split('id="sheet-form"')[1]
        assert sheet.count('name="csrf_token"') == 1
        assert len(re.findall(r'name="tap" value="\d+:(?:for|against|abstain|none)"', sheet)) == 12


class TestSplitTaps:
    def test_one_tap_gives_every_delegates_share_to_one_choice(self, client, login, floor):
        ballot = counting(client, login, floor, mode="split")
        leeds = floor.groups["Leeds"].id
        ann, ben = floor.people["Ann"].id, floor.people["Ben"].id
        body = client.post(
            url(floor, ballot, "/entries"), data={"tap": f"{leeds}:for"}, headers=JSON
        ).get_json()
        assert (body["entry"], body["choice"]) == ("For 1,000", "for")
        assert current(ballot) == {leeds: (1000, 0, 0, {str(ann): "for", str(ben): "for"})}

    def test_each_delegate_apart_and_a_card_changes_only_its_delegate(self, client, login, floor):
        ballot = counting(client, login, floor, mode="split")
        leeds = floor.groups["Leeds"].id
        ann, ben = floor.people["Ann"].id, floor.people["Ben"].id
        body = client.post(
            url(floor, ballot, "/entries"),
            data={"tap": f"{leeds}:each", f"delegate-{ann}": "for", f"delegate-{ben}": "abstain"},
            headers=JSON,
        ).get_json()
        assert (body["entry"], body["choice"]) == ("For 500 · Abstain 500", None)
        # Ben's card is scanned: only Ben is asked, Ann keeps her vote.
        code = live_credential(floor.people["Ben"]).code
        one = client.get(url(floor, ballot, f"/count?card={code}")).get_data(as_text=True)
        assert f'name="delegate-{ben}"' in one and f'name="delegate-{ann}"' not in one
        assert f'name="delegate-{ben}" value="abstain" checked' in one  # what count 1 holds
        client.post(
            url(floor, ballot, "/entries"),
            data={"tap": f"{leeds}:each", f"delegate-{ben}": "against", "card": code},
        )
        assert current(ballot) == {
            leeds: (500, 500, 0, {str(ann): "for", str(ben): "against"}),
        }


class TestChairWhileCounting:
    def test_the_fragment_shows_each_counts_progress_and_the_conflicts(self, client, login, floor):
        ballot = open_ballot(floor)
        leeds, york = floor.groups["Leeds"].id, floor.groups["York"].id
        services.enter_votes(ballot, floor.teller, leeds, Votes(for_=1000))
        services.enter_votes(ballot, floor.teller, york, Votes(against=400))
        services.enter_votes(ballot, floor.second_teller, leeds, Votes(against=1000))
        db.session.commit()
        login(floor.chair)
        live = client.get(url(floor, ballot, "/counts")).get_data(as_text=True)
        assert "<html" not in live and "data-counting" in live and "data-may-declare" not in live
        assert "2 of 3 delegations entered" in words(live)
        assert "1 of 3 delegations entered" in words(live)
        assert "The counts disagree on 1 delegation" in live
        assert live.count('class="disagreement"') == 1 and "Leeds" in live and "York" not in live
        assert "Entered on one count only so far: 1 on count 1, 0 on count 2." in live
        page = client.get(url(floor, ballot)).get_data(as_text=True)
        assert f'data-live-url="{url(floor, ballot, "/counts")}"' in page
        assert 'id="form-declare" data-ask=' in page and "data-confirm=" not in page

    def test_agreement_lets_the_chair_declare_and_then_the_fragment_stops(
        self, client, login, floor
    ):
        ballot = open_ballot(floor)
        for teller in (floor.teller, floor.second_teller):
            services.enter_votes(ballot, teller, floor.groups["Leeds"].id, Votes(for_=1000))
        db.session.commit()
        login(floor.chair)
        live = client.get(url(floor, ballot, "/counts")).get_data(as_text=True)
        assert "data-may-declare" in live and "Both counts agree on every delegation." in live
        page = client.get(url(floor, ballot)).get_data(as_text=True)
        assert 'data-confirm="Declare the result of Motion 4: Housing?"' in page
        services.declare(ballot, floor.chair)
        db.session.commit()
        live = client.get(url(floor, ballot, "/counts")).get_data(as_text=True)
        assert "data-counting" not in live and "The result has been declared." in live


class TestDeclareAsksFirst:
    def agreed(self, floor):
        ballot = open_ballot(floor)
        for teller in (floor.teller, floor.second_teller):
            services.enter_votes(ballot, teller, floor.groups["Leeds"].id, Votes(for_=1000))
        db.session.commit()
        return ballot

    def test_without_yes_the_chair_is_asked_and_nothing_changes(self, client, login, floor):
        ballot = self.agreed(floor)
        login(floor.chair)
        asked = client.post(url(floor, ballot, "/step"), data={"step": "declare"})
        page = asked.get_data(as_text=True)
        assert asked.status_code == 200
        assert "<h1>Declare the result of Motion 4: Housing?</h1>" in page
        assert 'name="step" value="declare"' in page and 'name="confirmed" value="yes"' in page
        db.session.expire_all()
        assert db.session.get(Ballot, ballot.id).state == "card_vote_open"

    def test_with_yes_the_result_is_declared(self, client, login, floor):
        ballot = self.agreed(floor)
        login(floor.chair)
        client.post(url(floor, ballot, "/step"), data={"step": "declare", "confirmed": "yes"})
        db.session.expire_all()
        declared = db.session.get(Ballot, ballot.id)
        assert (declared.state, declared.is_carried) == ("declared", True)

    def test_counts_that_disagree_are_refused_without_a_question(self, client, login, floor):
        ballot = open_ballot(floor)
        services.enter_votes(ballot, floor.teller, floor.groups["Leeds"].id, Votes(for_=1000))
        db.session.commit()
        login(floor.chair)
        refused = client.post(url(floor, ballot, "/step"), data={"step": "declare"})
        assert refused.status_code == 302
        page = client.get(refused.headers["Location"]).get_data(as_text=True)
        assert "Two tellers must each count the ballot before it is declared." in page
        db.session.expire_all()
        assert db.session.get(Ballot, ballot.id).state == "card_vote_open"
