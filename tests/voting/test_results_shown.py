"""A weighted result shown as what it is, with figures that add up, wherever people read it.

The hall: Local groups (Leeds 1,000 votes, York 400) and Affiliates (Hull 2,500, Tyne 1,500).
Weighted 60/40, Leeds and Tyne for, York and Hull against:
  Local groups 1,000 for / 400 against = 71.43% / 28.57%, counting for 60%: 42.86 + 17.14 points;
  Affiliates 1,500 for / 2,500 against = 37.50% / 62.50%, counting for 40%: 15.00 + 25.00 points;
  weighted 57.86% for / 42.14% against: CARRIED; the card votes as cast, 2,500 for / 2,900
  against, are 46.30% / 53.70% (the old "All (weighted)" row showed 2,500 / 2,900 as 57.86%).
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from confapp import factories
from confapp.checkin import services as doors
from confapp.checkin.scans import ScanInput, Scanner, record_scan
from confapp.credentials.services import live_credential
from confapp.extensions import db
from confapp.models import Ballot, Conference, Group, Role, User
from confapp.voting import charts, services, tally
from confapp.voting.services import Votes

LOCAL, AFFILIATES = "Local groups", "Affiliates"
DELEGATIONS = {
    "Leeds": (LOCAL, 1000),
    "York": (LOCAL, 400),
    "Hull": (AFFILIATES, 2500),
    "Tyne": (AFFILIATES, 1500),
}
SPLIT_HALL = {"Leeds": "for_", "York": "against", "Hull": "against", "Tyne": "for_"}


# ---- the hall, shared with the projector's browser tests ------------------------------------


@dataclass
class Hall:
    """A conference with every delegation's delegate inside, a chair and two tellers."""

    conference: Conference
    groups: dict[str, Group]
    chair: User
    tellers: tuple[User, User]
    steward: User


def build_hall(
    weights: dict[str, int | None], delegations: dict[str, tuple[str, int]] = DELEGATIONS
) -> Hall:
    """Sections with these weights, delegations (section, members) each with a delegate in."""
    conference = factories.conference(sections=tuple(weights))
    for section in conference.sections:
        section.weight = weights[section.name]
    groups = {
        name: factories.group(
            conference, name, members=members, section=factories.section(conference, section)
        )
        for name, (section, members) in delegations.items()
    }
    doors.add_door(conference, "Main entrance")
    people = {
        name: factories.approved_person(conference, g, f"{name} Delegate")
        for name, g in groups.items()
    }
    db.session.commit()
    for name, person in people.items():
        record_scan(
            Scanner(conference_id=conference.id, actor="test", browser="test"),
            ScanInput(
                direction="in",
                nonce=f"in-{name}",
                code=live_credential(person).code,
                door="Main entrance",
            ),
        )
    hall = Hall(
        conference=conference,
        groups=groups,
        chair=factories.user(conf=conference, role=Role.ADMIN),
        tellers=(
            factories.user(conf=conference, role=Role.TELLER),
            factories.user(conf=conference, role=Role.TELLER),
        ),
        steward=factories.user(conf=conference, role=Role.STEWARD),
    )
    db.session.commit()
    return hall


def open_ballot(hall: Hall, title: str = "Motion 5: Rents", **fields) -> Ballot:
    """A block card vote, open, on the frozen roll of everyone inside; committed."""
    values = {"kind": "motion", "majority": "simple"} | fields
    ballot = services.create_ballot(
        hall.conference, title=title, mode="block", actor=hall.chair, **values
    )
    services.open_card_vote(ballot, hall.chair)
    db.session.commit()
    return ballot


def declare(hall: Hall, ballot: Ballot, choices: dict[str, str]) -> Ballot:
    """Each delegation casts its whole vote one way ("for_", "against", "abstain"), counted
    alike by both tellers; the chair declares it; committed."""
    votes = {r.group_id: r.votes for r in services.roll(ballot)}
    for name, choice in choices.items():
        group_id = hall.groups[name].id
        for teller in hall.tellers:
            services.enter_votes(ballot, teller, group_id, Votes(**{choice: votes[group_id]}))
    services.declare(ballot, hall.chair)
    db.session.commit()
    return ballot


# ---- reading what people see ----------------------------------------------------------------


class _Tables(HTMLParser):
    """Each table's body rows (by id, or by class when it has none) as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id") or attrs.get("class") or "", [])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._colspan = int(attrs.get("colspan") or 1)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell).split())
            self._row.extend([text] * self._colspan)
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def number(text: str) -> int:
    return int(text.replace(",", ""))


def percent(text: str) -> Fraction:
    return Fraction(text.rstrip("%"))


def shown_percent(part: int, cast: int) -> str:
    return tally.percent_text(Fraction(100 * part, cast))


def assert_rows_agree(rows: list[list[str]], for_at: int, against_at: int, percent_at: int):
    """Every row that shows counts shows their own percentages, and they add up to 100."""
    for row in rows:
        for_, against = number(row[for_at]), number(row[against_at])
        for_percent, against_percent = row[percent_at], row[percent_at + 1]
        assert for_percent == shown_percent(for_, for_ + against), row
        assert percent(for_percent) + percent(against_percent) == 100, row


LOCAL_WEIGHTED = ["Local groups", "60%", "71.43%", "28.57%", "42.86%", "17.14%"]
AFFILIATES_WEIGHTED = ["Affiliates", "40%", "37.50%", "62.50%", "15.00%", "25.00%"]
WEIGHTED_TOTAL = ["Weighted result", "100%", "", "", "57.86%", "42.14%"]


@pytest.fixture
def weighted(db) -> tuple[Hall, Ballot]:
    hall = build_hall({LOCAL: 60, AFFILIATES: 40})
    return hall, declare(hall, open_ballot(hall), SPLIT_HALL)


def url(hall: Hall, ballot: Ballot, tail: str = "") -> str:
    return f"/conferences/{hall.conference.id}/ballots/{ballot.id}{tail}"


# ---- the chair's page -----------------------------------------------------------------------


def test_the_chair_sees_each_sections_share_and_weight_and_the_weighted_share(
    client, login, weighted
):
    hall, ballot = weighted
    assert ballot.is_carried
    login(hall.chair)
    page = client.get(url(hall, ballot)).get_data(as_text=True)
    found = tables(page)
    assert found["weighted-table"] == [LOCAL_WEIGHTED, AFFILIATES_WEIGHTED, WEIGHTED_TOTAL]
    cast = found["result-table"]
    assert cast == [
        ["Local groups", "1,400", "1,000", "400", "0", "0", "71.43%", "28.57%"],
        ["Affiliates", "4,000", "1,500", "2,500", "0", "0", "37.50%", "62.50%"],
        ["All card votes (not weighted)", "5,400", "2,500", "2,900", "0", "0", "46.30%", "53.70%"],
    ]
    assert_rows_agree(cast, 2, 3, 6)
    assert "Required: a simple majority (more for than against), on the weighted result" in page
    # The chart draws what decided, labelled in full.
    assert "Weighted result: <strong>for 57.86%</strong>, against 42.14%" in page
    assert "Local groups (60% of the result): <strong>for 71.43%</strong>" in page


def test_the_weighted_parts_add_up_to_the_weighted_share(client, login, weighted):
    hall, ballot = weighted
    login(hall.chair)
    rows = tables(client.get(url(hall, ballot)).get_data(as_text=True))["weighted-table"]
    *sections, total = rows
    assert sum(percent(r[1]) for r in sections) == 100
    assert sum(percent(r[4]) for r in sections) == percent(total[4])
    assert sum(percent(r[5]) for r in sections) == percent(total[5])
    assert percent(total[4]) + percent(total[5]) == 100


def test_an_even_split_of_the_weights_shows_the_tie_beside_the_card_votes(client, login, db):
    # The Rule change 1: 8,593 / 6,999 shown as 50.00% / 50.00%. Here Local groups all
    # for and Affiliates all against, 50/50: weighted exactly 50% (lost), card votes 25.93%.
    hall = build_hall({LOCAL: 50, AFFILIATES: 50})
    ballot = declare(
        hall,
        open_ballot(hall, "Rule change 1", kind="rule_change"),
        {"Leeds": "for_", "York": "for_", "Hull": "against", "Tyne": "against"},
    )
    assert not ballot.is_carried
    login(hall.chair)
    found = tables(client.get(url(hall, ballot)).get_data(as_text=True))
    assert found["weighted-table"] == [
        ["Local groups", "50%", "100.00%", "0.00%", "50.00%", "0.00%"],
        ["Affiliates", "50%", "0.00%", "100.00%", "0.00%", "50.00%"],
        ["Weighted result", "100%", "", "", "50.00%", "50.00%"],
    ]
    total = found["result-table"][-1]
    assert total == [
        "All card votes (not weighted)",
        "5,400",
        "1,400",
        "4,000",
        "0",
        "0",
        "25.93%",
        "74.07%",
    ]
    assert_rows_agree(found["result-table"], 2, 3, 6)


def test_an_unweighted_result_shows_one_table_whose_rows_agree(client, login, db):
    hall = build_hall({LOCAL: None, AFFILIATES: None})
    ballot = declare(hall, open_ballot(hall), SPLIT_HALL)
    assert not ballot.is_carried  # 2,500 for, 2,900 against
    login(hall.chair)
    page = client.get(url(hall, ballot)).get_data(as_text=True)
    found = tables(page)
    assert "weighted-table" not in found and "Weighted" not in page
    assert found["result-table"][-1] == [
        "All sections",
        "5,400",
        "2,500",
        "2,900",
        "0",
        "0",
        "46.30%",
        "53.70%",
    ]
    assert_rows_agree(found["result-table"], 2, 3, 6)


# ---- the projector --------------------------------------------------------------------------


def test_the_projector_shows_the_weighted_share_apart_from_the_card_votes(client, login, weighted):
    hall, ballot = weighted
    services.show_on_projector(hall.conference, ballot, hall.chair)
    db.session.commit()
    login(hall.steward)
    shown = client.get(f"/conferences/{hall.conference.id}/projector/content").get_data(
        as_text=True
    )
    assert 'id="verdict">CARRIED' in shown
    assert "Needed: a simple majority (more for than against), on the weighted result." in shown
    assert "Weighted: for 57.86% · against 42.14%" in shown
    rows = tables(shown)["projector-result"]
    assert rows == [
        ["Local groups", "60%", "1,000", "400", "0", "71.43%", "28.57%"],
        ["Affiliates", "40%", "1,500", "2,500", "0", "37.50%", "62.50%"],
        ["All card votes (not weighted)", "", "2,500", "2,900", "0", "46.30%", "53.70%"],
        ["Weighted result", "100%"] + ["sections' shares × weights"] * 3 + ["57.86%", "42.14%"],
    ]
    assert_rows_agree(rows[:3], 2, 3, 5)


def test_the_projector_shows_the_majority_needed_while_counting(client, login, db):
    hall = build_hall({LOCAL: None, AFFILIATES: None})
    ballot = open_ballot(hall, "Rule change 2", kind="rule_change", majority="two_thirds")
    services.show_on_projector(hall.conference, ballot, hall.chair)
    db.session.commit()
    login(hall.steward)
    shown = client.get(f"/conferences/{hall.conference.id}/projector/content").get_data(
        as_text=True
    )
    assert "CARD VOTE IN PROGRESS" in shown and "5,400" in shown
    assert "Needed: two-thirds of the votes cast." in shown


# ---- the CSV, the PDFs and the API -----------------------------------------------------------


def test_the_csv_has_the_card_votes_and_the_weighted_result_apart(client, login, weighted):
    hall, ballot = weighted
    login(hall.tellers[0])
    text = client.get(url(hall, ballot, "/result.csv")).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert ["decided on", "the weighted result"] in rows
    assert [
        "overall",
        "All card votes (not weighted)",
        "5400",
        "2500",
        "2900",
        "0",
        "0",
        "46.30%",
        "53.70%",
    ] in rows
    assert ["section", "Affiliates", "4000", "1500", "2500", "0", "0", "37.50%", "62.50%"] in rows
    assert ["weighted section", *LOCAL_WEIGHTED] in rows
    assert ["weighted section", *AFFILIATES_WEIGHTED] in rows
    assert ["weighted result", *WEIGHTED_TOTAL] in rows
    assert ["Tyne", AFFILIATES, "1500", "1500", "0", "0"] in rows


def pdf_lines(pdf: bytes) -> list[list[str]]:
    """The PDF's text, line by line, each split where pdftotext's layout leaves 2+ spaces."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


def test_the_pdfs_show_the_weighted_result_and_the_card_votes(client, login, weighted):
    hall, ballot = weighted
    login(hall.chair)
    for path in (
        url(hall, ballot, "/result.pdf"),
        f"/conferences/{hall.conference.id}/results.pdf",
    ):
        lines = pdf_lines(client.get(path).get_data())
        assert LOCAL_WEIGHTED in lines and AFFILIATES_WEIGHTED in lines, lines
        assert ["Weighted result", "100%", "57.86%", "42.14%"] in lines
        # The label wraps in the PDF's narrow first column: "(not weighted)" on the next line.
        assert [
            "All card votes",
            "5,400",
            "2,500",
            "2,900",
            "0",
            "0",
            "46.30%",
            "53.70%",
        ] in lines
        assert ["Affiliates", "4,000", "1,500", "2,500", "0", "0", "37.50%", "62.50%"] in lines
        # The chart's labels, in full.
        assert ["Weighted result: for 57.86%, against 42.14%"] in lines


def test_the_api_adds_the_unweighted_figures_and_each_sections_part(client, login, weighted):
    hall, ballot = weighted
    login(hall.steward)
    result = client.get(f"/api/v1/ballots/{ballot.id}").get_json()["result"]
    # The keys as declared keep their meaning: overall's percentages are the weighted ones.
    assert result["overall"]["for_percent"] == "57.86%"
    assert (result["overall"]["for"], result["overall"]["against"]) == (2500, 2900)
    assert result["card_votes"] == {
        "votes_present": 5400,
        "for": 2500,
        "against": 2900,
        "abstain": 0,
        "not_voting": 0,
        "cast": 5400,
        "for_percent": "46.30%",
        "against_percent": "53.70%",
        "for_share_exact": "25/54",
    }
    weighting = result["weighting"]
    # 60 × 5/7 + 40 × 3/8 = 405/7 percent.
    assert (weighting["for_share_exact"], weighting["for_percent"]) == ("81/140", "57.86%")
    assert weighting["against_percent"] == "42.14%"
    assert weighting["sections"][0] == {
        "section": LOCAL,
        "weight": 60,
        "counts_for": "60%",
        "for_percent": "71.43%",
        "against_percent": "28.57%",
        "weighted_for": "42.86%",
        "weighted_against": "17.14%",
    }


# ---- results declared before these figures existed -------------------------------------------


def test_a_result_stored_in_the_old_shape_still_renders_everywhere(client, login, weighted):
    hall, ballot = weighted
    # What an older confapp stored: no votes cast, exact share or majority words were kept.
    old = dict(ballot.result)
    old.pop("majority_words")
    old["sections"] = [
        {k: v for k, v in s.items() if k not in ("cast", "for_share_exact")}
        for s in old["sections"]
    ]
    old["overall"] = {
        k: v for k, v in old["overall"].items() if k not in ("cast", "for_share_exact")
    }
    ballot.result = old
    db.session.commit()
    login(hall.chair)
    page = client.get(url(hall, ballot)).get_data(as_text=True)
    assert "Required: a simple majority (more for than against), on the weighted result" in page
    found = tables(page)
    assert found["weighted-table"][-1] == WEIGHTED_TOTAL
    assert found["result-table"][-1][-2:] == ["46.30%", "53.70%"]
    rows = list(
        csv.reader(io.StringIO(client.get(url(hall, ballot, "/result.csv")).get_data(as_text=True)))
    )
    assert ["weighted result", *WEIGHTED_TOTAL] in rows
    api = client.get(f"/api/v1/ballots/{ballot.id}").get_json()["result"]
    assert api["card_votes"]["for_percent"] == "46.30%"
    assert client.get(url(hall, ballot, "/result.pdf")).status_code == 200


# ---- the arithmetic behind what is shown -----------------------------------------------------


shares = st.lists(
    st.fractions(min_value=0, max_value=100, max_denominator=10_000), min_size=1, max_size=6
)


@given(values=shares)
def test_percent_texts_add_up_to_their_total_as_percent_text_shows_it(values):
    texts = tally.percent_texts(values)
    assert sum(percent(t) for t in texts) == percent(tally.percent_text(sum(values)))
    for text, value in zip(texts, values, strict=True):
        assert abs(percent(text) - value) < Fraction(1, 100)


def test_a_pair_that_rounds_up_both_ways_still_adds_up_to_100():
    # 13,333 for and 6,667 against of 20,000: 66.665% and 33.335%, each rounded half-up apart
    # would show 66.67% + 33.34% = 100.01%.
    for_, against = Fraction(1_333_300, 20_000), Fraction(666_700, 20_000)
    assert tally.percent_texts([for_, against]) == ["66.67%", "33.33%"]


@given(
    sections=st.lists(
        st.tuples(st.integers(1, 100), st.integers(0, 10**6), st.integers(0, 10**6)),
        min_size=1,
        max_size=5,
    )
)
def test_the_weighted_parts_are_what_the_tally_decided_on(sections):
    entries = [
        tally.Entry(i, f"S{i}", for_ + against, for_, against)
        for i, (_, for_, against) in enumerate(sections)
    ]
    weights = {f"S{i}": weight for i, (weight, _, _) in enumerate(sections)}
    result = tally.tally(entries, weights, tally.Majority.simple())
    parts = tally.weighted_parts(sections)
    if result.overall.for_percent is None:
        assert parts is None
        return
    assert sum(p.for_points for p in parts) == result.overall.for_percent
    assert sum(p.against_points for p in parts) == result.overall.against_percent
    shown = charts.figures(services.result_json(result))
    assert shown.deciding == (
        tally.percent_text(result.overall.for_percent),
        tally.percent_texts([result.overall.for_percent, result.overall.against_percent])[1],
    )
    assert sum(percent(w.for_points) for w in shown.weighted) == percent(shown.weighted_for)
    assert sum(percent(w.against_points) for w in shown.weighted) == percent(shown.weighted_against)


def test_a_weighted_section_that_cast_nothing_shows_its_weight_passed_on(client, login, db):
    # Affiliates all abstain: their 40% is left out and Local groups count for the whole result.
    hall = build_hall({LOCAL: 60, AFFILIATES: 40})
    ballot = declare(
        hall,
        open_ballot(hall),
        {"Leeds": "for_", "York": "against", "Hull": "abstain", "Tyne": "abstain"},
    )
    login(hall.chair)
    found = tables(client.get(url(hall, ballot)).get_data(as_text=True))
    assert found["weighted-table"] == [
        ["Local groups", "100%", "71.43%", "28.57%", "71.43%", "28.57%"],
        ["Affiliates", "0% (no votes cast)", "–", "–", "0.00%", "0.00%"],
        ["Weighted result", "100%", "", "", "71.43%", "28.57%"],
    ]
    assert found["result-table"][1] == ["Affiliates", "4,000", "0", "0", "4,000", "0", "–", "–"]
