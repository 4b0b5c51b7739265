"""The floor through its pages: tellers' sheets, card scans, exports, the API, the projector."""

from __future__ import annotations

import csv
import io
import re
import subprocess

import sqlalchemy as sa

from confapp import factories
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import Ballot, Role, TellerEntry
from confapp.voting import services
from confapp.voting.services import Votes


def open_ballot(floor, mode="block", **fields):
    floor.admit("Ann", "Ben", "Yan", "Hal")
    values = {"title": "Motion 4: Housing", "kind": "motion", "majority": "simple"}
    ballot = services.create_ballot(
        floor.conference, mode=mode, **(values | fields), actor=floor.chair
    )
    services.open_card_vote(ballot, floor.chair)
    db.session.commit()  # as the chair's requests would
    return ballot


def declared(floor, ballot, votes: dict[str, Votes]):
    """Both tellers enter each delegation's vote alike; the chair declares; committed."""
    for name, vote in votes.items():
        for teller in (floor.teller, floor.second_teller):
            services.enter_votes(ballot, teller, floor.groups[name].id, vote)
    services.declare(ballot, floor.chair)
    db.session.commit()
    return ballot


def url(floor, ballot, tail=""):
    return f"/conferences/{floor.conference.id}/ballots/{ballot.id}{tail}"


def words(page: str) -> str:
    """The page's text as read, without its tags."""
    return " ".join(re.sub(r"<[^>]+>", "", page).split())


def flashes(client, response) -> str:
    return client.get(response.headers["Location"]).get_data(as_text=True)


class TestTellerSheet:
    def test_a_teller_takes_a_count_and_enters_with_one_tap(self, client, login, floor):
        ballot = open_ballot(floor)
        login(floor.teller)
        page = client.get(url(floor, ballot, "/count")).get_data(as_text=True)
        assert "Start counting" in page and "Leeds" in page and "1,000" in page
        client.post(url(floor, ballot, "/sheet"))
        leeds = floor.groups["Leeds"].id
        response = client.post(
            url(floor, ballot, "/entries"), data={"group": leeds, "choice": "for"}
        )
        assert response.headers["Location"].endswith(f"#row-{leeds}")
        page = client.get(url(floor, ballot, "/count")).get_data(as_text=True)
        assert "You keep <strong>count 1</strong>" in page
        assert "For 1,000" in page and "1/3 entered" in words(page)  # 1 of 3 delegations
        entry = db.session.execute(sa.select(TellerEntry)).scalar_one()
        assert (entry.sheet, entry.for_votes, entry.teller_id) == (1, 1000, floor.teller.id)

    def test_the_sheet_is_searchable(self, client, login, floor):
        ballot = open_ballot(floor)
        login(floor.teller)
        page = client.get(url(floor, ballot, "/count?q=hul")).get_data(as_text=True)
        assert 'data-group="Hull"' in page and 'data-group="Leeds"' not in page

    def test_a_scanned_card_finds_its_delegation(self, client, login, floor):
        ballot = open_ballot(floor)
        login(floor.teller)
        client.post(url(floor, ballot, "/sheet"))
        code = live_credential(floor.people["Yan"]).code
        page = client.get(url(floor, ballot, f"/count?card={code}")).get_data(as_text=True)
        assert re.findall(r'data-group="([^"]+)"', page) == ["York"]
        client.post(
            url(floor, ballot, "/entries"),
            data={"group": floor.groups["York"].id, "choice": "against", "card": code},
        )
        entry = db.session.execute(sa.select(TellerEntry)).scalar_one()
        assert (entry.against_votes, entry.card_code) == (400, code)

    def test_cards_that_carry_no_vote_here_are_refused_by_name(self, client, login, floor):
        ballot = open_ballot(floor)
        login(floor.teller)
        page = client.get(url(floor, ballot, "/count?card=NOTACODE")).get_data(as_text=True)
        assert "not a card code" in page
        vic = live_credential(floor.people["Vic"]).code  # a visitor, inside with Leeds
        page = client.get(url(floor, ballot, f"/count?card={vic}")).get_data(as_text=True)
        assert "Vic holds a visitor pass: it carries no vote" in page
        split = open_ballot(floor, mode="split", title="Motion 5")
        cal = live_credential(floor.people["Cal"]).code  # Leeds is present, Cal is not
        page = client.get(url(floor, split, f"/count?card={cal}")).get_data(as_text=True)
        assert "Cal was not present when the vote opened" in page
        assert 'data-group="' not in page

    def test_split_mode_takes_each_delegates_choice(self, client, login, floor):
        ballot = open_ballot(floor, mode="split")
        login(floor.teller)
        client.post(url(floor, ballot, "/sheet"))
        ann, ben = floor.people["Ann"].id, floor.people["Ben"].id
        sheet = client.get(url(floor, ballot, "/count")).get_data(as_text=True)
        assert "Each delegate…" in sheet and f'name="delegate-{ann}"' not in sheet
        leeds = floor.groups["Leeds"].id
        one = client.get(url(floor, ballot, f"/count?group={leeds}")).get_data(as_text=True)
        assert re.findall(r'data-group="([^"]+)"', one) == ["Leeds"]
        assert f'name="delegate-{ann}"' in one and "Ann (500)" in one
        client.post(
            url(floor, ballot, "/entries"),
            data={
                "group": floor.groups["Leeds"].id,
                f"delegate-{ann}": "for",
                f"delegate-{ben}": "against",
            },
        )
        entry = db.session.execute(sa.select(TellerEntry)).scalar_one()
        assert (entry.for_votes, entry.against_votes) == (500, 500)
        assert entry.choices == {str(ann): "for", str(ben): "against"}

    def test_after_declaration_the_sheet_takes_nothing(self, client, login, floor):
        nobody_voted = dict.fromkeys(("Leeds", "York", "Hull"), Votes())
        ballot = declared(floor, open_ballot(floor), nobody_voted)
        login(floor.teller)
        response = client.post(
            url(floor, ballot, "/entries"),
            data={"group": floor.groups["Leeds"].id, "choice": "for"},
        )
        assert "no longer takes entries" in flashes(client, response)
        assert db.session.execute(sa.select(sa.func.count()).select_from(TellerEntry)).scalar() == 6

    def test_a_teller_of_another_conference_sees_nothing_here(self, client, login, floor):
        ballot = open_ballot(floor)
        login(factories.user(conf=factories.conference(), role=Role.TELLER))
        assert client.get(url(floor, ballot, "/count")).status_code == 403
        assert client.get(f"/api/v1/ballots/{ballot.id}").status_code == 404


class TestChair:
    def test_the_chair_steps_a_ballot_through_to_carried(self, client, login, floor):
        login(floor.chair)
        response = client.post(
            f"/conferences/{floor.conference.id}/ballots",
            data={"title": "Motion 9", "kind": "motion", "majority": "two_thirds", "mode": "block"},
        )
        ballot = db.session.execute(sa.select(Ballot)).scalar_one()
        assert response.headers["Location"].endswith(f"/ballots/{ballot.id}")
        floor.admit("Ann", "Yan")
        client.post(url(floor, ballot, "/step"), data={"step": "hands"})
        client.post(url(floor, ballot, "/step"), data={"step": "card_vote_called"})
        page = client.get(url(floor, ballot)).get_data(as_text=True)
        assert "CARD VOTE OPEN" in page and "<strong>2</strong> delegations" in page
        services.enter_votes(ballot, floor.teller, floor.groups["Leeds"].id, Votes(for_=1000))
        services.enter_votes(
            ballot, floor.second_teller, floor.groups["Leeds"].id, Votes(against=1000)
        )
        db.session.commit()
        refused = client.post(url(floor, ballot, "/step"), data={"step": "declare"})
        assert "disagree on 1 delegation (Leeds)" in flashes(client, refused)
        roll = client.get(url(floor, ballot)).get_data(as_text=True).split('id="roll-list"')[1]
        assert "Leeds" in roll and "York" in roll and "Hull" not in roll  # Hal was not in
        page = client.get(url(floor, ballot)).get_data(as_text=True)
        assert page.count('class="disagreement"') == 1
        services.enter_votes(
            ballot, floor.second_teller, floor.groups["Leeds"].id, Votes(for_=1000)
        )
        services.enter_votes(ballot, floor.teller, floor.groups["York"].id, Votes(against=400))
        services.enter_votes(
            ballot, floor.second_teller, floor.groups["York"].id, Votes(against=400)
        )
        db.session.commit()
        client.post(url(floor, ballot, "/step"), data={"step": "close"})
        client.post(url(floor, ballot, "/step"), data={"step": "declare", "confirmed": "yes"})
        page = client.get(url(floor, ballot)).get_data(as_text=True)
        assert 'id="verdict">CARRIED' in page and "71.43%" in page and "<svg" in page

    def test_a_rule_change_offers_no_show_of_hands(self, client, login, floor):
        login(floor.chair)
        ballot = services.create_ballot(
            floor.conference,
            title="Rule 2",
            kind="rule_change",
            majority="two_thirds",
            mode="block",
            actor=floor.chair,
        )
        db.session.commit()
        page = client.get(url(floor, ballot)).get_data(as_text=True)
        assert "Take a show of hands" not in page and "Open a card vote" in page
        forced = client.post(url(floor, ballot, "/step"), data={"step": "hands"})
        assert "always goes to a card vote" in flashes(client, forced)

    def test_the_projector_shows_the_vote_then_the_result(self, client, login, floor):
        login(floor.chair)
        content = f"/conferences/{floor.conference.id}/projector/content"
        assert "QUORATE" in client.get(content).get_data(as_text=True)  # presence by default
        ballot = open_ballot(floor)
        client.post(url(floor, ballot, "/step"), data={"step": "projector"})
        shown = client.get(content).get_data(as_text=True)
        assert "CARD VOTE IN PROGRESS" in shown and "3,900" in shown
        declared(
            floor,
            ballot,
            {"Leeds": Votes(for_=1000), "York": Votes(against=400), "Hull": Votes(for_=2500)},
        )
        shown = client.get(content).get_data(as_text=True)
        assert "CARRIED" in shown and "3,500" in shown and "<svg" in shown
        client.post(url(floor, ballot, "/step"), data={"step": "projector_off"})
        assert "QUORATE" in client.get(content).get_data(as_text=True)


class TestResults:
    def declared(self, floor):
        return declared(
            floor,
            open_ballot(floor),
            {"Leeds": Votes(for_=1000), "York": Votes(against=400), "Hull": Votes(abstain=2500)},
        )

    def test_the_result_csv_has_sections_overall_and_each_delegation(self, client, login, floor):
        ballot = self.declared(floor)
        login(floor.teller)
        text = client.get(url(floor, ballot, "/result.csv")).get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(text)))
        assert ["result", "CARRIED"] in rows
        overall = next(r for r in rows if r[0] == "overall")
        assert overall[2:9] == ["3900", "1000", "400", "2500", "0", "71.43%", "28.57%"]
        assert ["Hull", "Affiliates", "2500", "0", "0", "2500"] in rows

    def test_the_pdfs_carry_the_figures(self, client, login, floor, tmp_path):
        ballot = self.declared(floor)
        login(floor.chair)
        for path in (
            url(floor, ballot, "/result.pdf"),
            f"/conferences/{floor.conference.id}/results.pdf",
        ):
            pdf = client.get(path).get_data()
            assert pdf.startswith(b"%PDF")
            (tmp_path / "r.pdf").write_bytes(pdf)
            text = subprocess.run(
                ["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
                capture_output=True,
                text=True,
            ).stdout
            assert "Motion 4: Housing" in text and "CARRIED" in text and "71.43%" in text
            assert "Hull" in text and "2,500" in text

    def test_the_api_gives_the_declared_result(self, client, login, floor):
        ballot = self.declared(floor)
        group = floor.people["Ann"].group
        login(factories.user(conf=floor.conference, role=Role.SECRETARY, group=group))
        body = client.get(f"/api/v1/ballots/{ballot.id}").get_json()
        assert (body["state"], body["carried"], body["roll"]) == (
            "declared",
            True,
            {"delegations": 3, "votes_present": 3900},
        )
        overall = body["result"]["overall"]
        assert (overall["for"], overall["against"], overall["abstain"]) == (1000, 400, 2500)
        assert overall["for_share_exact"] == "5/7"
