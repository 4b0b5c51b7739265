"""A declared election published: its count sheet page, CSV, PDF, the results book, BLT, categories.

Who reads what (confapp/elections/published.py): a declared sheet, every role of the
conference (a steward, a group's secretary); a counted sheet not yet declared, only the
tellers and the committee; another conference's committee, nobody's.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess

import pytest

from confapp import factories
from confapp.elections import Ballot, Category, count_stv, parse_blt
from confapp.elections.sheet import stored_result
from confapp.extensions import db
from confapp.models import (
    Conference,
    Election,
    ElectionEntry,
    ElectionPaper,
    Role,
    utcnow,
)

# Twelve candidates for four seats: first preferences fall away one by one, ten stages.
TWELVE = [
    "Asha Khan-Williams",
    "Bryn Llewellyn",
    "Cerys Ó Súilleabháin",
    "Dev Patel",
    "Eilidh MacLeod",
    "Farah Haddad",
    "Gwen Roberts",
    "Hamza Iqbal",
    "Ines Moreau",
    "Jonah Adeyemi",
    "Kasia Nowak",
    "Lowri Evans",
]
TWELVE_READINGS = [
    ((i + 1, (i + 1) % 12 + 1, (i + 2) % 12 + 1), 40 - 3 * i if i < 6 else 20 - 2 * (i - 6))
    for i in range(12)
]
TWELVE_QUOTAS = {
    "Women": (2, None, ["Asha Khan-Williams", "Cerys Ó Súilleabháin", "Eilidh MacLeod"]),
    "Under 30": (0, 1, ["Dev Patel", "Jonah Adeyemi"]),
}

FOUR = ["Asha", "Bryn", "Cerys", "Dev"]
# (places on the paper, the paper's value): what both tellers agreed.
FOUR_READINGS = [
    ((1, 2), 1),
    ((1, 2), 1),
    ((1, 3), 1),
    ((2, 1), 1),
    ((2, 3), 1),
    ((3, 4), 1),
    ((3, 1), 1),
    ((4, 3), 1),
    ((), 1),
]


def declared_election(
    conf: Conference,
    candidates: list[str] = FOUR,
    readings=FOUR_READINGS,
    *,
    seats: int = 2,
    categories=None,
    title: str = "National committee",
    declare: bool = True,
    groups: dict[str, str] | None = None,
) -> Election:
    """An election whose papers both tellers entered, counted, and (by default) declared.

    Besides the agreed papers it holds one the tellers read differently and one corrected
    entry, neither of which may reach the count or the BLT.
    """
    values = [value for _, value in readings]
    election = factories.election(
        conf,
        candidates,
        seats=seats,
        title=title,
        categories=categories or {},
        papers=[*values, 1],
    )
    for number, (preferences, _) in enumerate(readings, start=1):
        text = " ".join(str(p) for p in preferences)
        for sheet in (1, 2):
            db.session.add(
                ElectionEntry(
                    election_id=election.id, sheet=sheet, paper_number=number, preferences=text
                )
            )
    # Paper 1 first typed wrongly on sheet 2 and corrected: only the current entry counts.
    db.session.add(
        ElectionEntry(
            election_id=election.id, sheet=2, paper_number=1, preferences="4", is_current=False
        )
    )
    disputed = len(readings) + 1
    db.session.add_all(
        [
            ElectionEntry(election_id=election.id, sheet=1, paper_number=disputed, preferences="1"),
            ElectionEntry(election_id=election.id, sheet=2, paper_number=disputed, preferences="2"),
        ]
    )
    for name, group_name in (groups or {}).items():
        group = factories.group(conf, group_name)
        next(c for c in election.candidates if c.name == name).group_id = group.id
    quotas = [
        Category(
            name,
            frozenset(candidates.index(m) + 1 for m in members),
            low,
            high,
        )
        for name, (low, high, members) in (categories or {}).items()
    ]
    result = count_stv(
        candidates,
        [Ballot(p, v) for p, v in readings],
        seats,
        categories=quotas,
        seed=election.seed,
    )
    election.result = stored_result(result)
    election.counted_at = utcnow()
    election.state = "counted"
    if declare:
        election.state = "declared"
        election.declared_at = utcnow()
    db.session.commit()
    return election


def sheet_url(election: Election, tail: str = "/count-sheet") -> str:
    return f"/conferences/{election.conference_id}/elections/{election.id}{tail}"


def conf_of(election: Election) -> Conference:
    return db.session.get(Conference, election.conference_id)


def user_with(conf: Conference, role: Role, **values):
    return factories.user(conf=conf, role=role, **values)


@pytest.fixture
def declared(db):
    conf = factories.conference()
    return declared_election(
        conf,
        groups={"Asha": "Leeds Central", "Cerys": "York"},
        categories={"Women": (1, None, ["Cerys", "Dev"])},
    )


def test_the_page_shows_the_elected_first_then_each_stage_and_the_files(client, login, declared):
    login(user_with(conf_of(declared), Role.TELLER))
    page = client.get(sheet_url(declared)).get_data(as_text=True)

    stored = declared.result
    elected = [FOUR[n - 1] for n in stored["elected"]]
    assert page.index("Elected") < page.index("Stage by stage")
    for name in elected:
        assert f"<strong>{name}</strong>" in page
    assert "(Leeds Central)" in page and "(York)" in page
    assert f"<dd>{stored['quota']}</dd>" in page and f"<code>{stored['seed']}</code>" in page
    for stage in stored["stages"]:
        assert f"Stage {stage['stage']}" in page
        for figure in stage["votes"].values():
            assert figure in page
    assert "Women</strong>: at least 1, no maximum · " in page
    assert 'tabindex="0" role="region" aria-label="Count sheet, stage by stage"' in page
    for link in ("count-sheet.csv", "count-sheet.pdf", "ballots.blt", "categories.json"):
        assert sheet_url(declared, f"/{link}") in page
    assert "not yet declared" not in page


def test_the_csv_holds_every_stage_total_and_transfer(client, login, declared):
    login(user_with(conf_of(declared), Role.STEWARD))
    response = client.get(sheet_url(declared, "/count-sheet.csv"))

    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["election", "National committee"]
    stored = declared.result
    for number, name in enumerate(FOUR, 1):
        row = next(r for r in rows if r[:2] == [str(number), name])
        totals = [row[2], *row[4::2]]
        assert totals == [s["votes"][str(number)] for s in stored["stages"]]
    elected = next(r for r in rows if r and r[0] == "elected in order")
    assert elected[1:] == [f"{n}. {FOUR[n - 1]}" for n in stored["elected"]]


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_the_pdf_and_the_results_book_print_the_count_sheet(client, login, declared):
    chair = user_with(conf_of(declared), Role.ADMIN)
    login(chair)
    stored = declared.result

    for path in (
        sheet_url(declared, "/count-sheet.pdf"),
        f"/conferences/{declared.conference_id}/results.pdf",
    ):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/pdf", path
        text = pdf_text(response.data)
        assert "National committee" in text, path
        assert f"quota {stored['quota']}" in text, path
        assert "Elected" in text and "Stage by stage" in text, path
        for name in (FOUR[n - 1] for n in stored["elected"]):
            assert name in text, path
        assert "Women: at least 1, no maximum" in text, path
        last = stored["stages"][-1]["votes"]
        assert all(figure in text for figure in last.values()), path


def test_a_wide_sheet_prints_on_landscape_a4(client, login, db):
    conf = factories.conference()
    election = declared_election(
        conf, TWELVE, TWELVE_READINGS, seats=4, categories=TWELVE_QUOTAS, title="Executive"
    )
    login(user_with(conf, Role.TELLER))

    pdf = client.get(sheet_url(election, "/count-sheet.pdf")).data

    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts \(A4\)", info.stdout.decode())
    assert size and float(size[1]) > float(size[2])  # landscape A4
    text = pdf_text(pdf)
    assert "Stage 10" in text and "Lowri Evans" in text


def test_the_blt_holds_only_the_agreed_papers_and_recounts_to_the_declared_result(
    client, login, declared
):
    login(user_with(conf_of(declared), Role.STEWARD))
    response = client.get(sheet_url(declared, "/ballots.blt"))
    categories = client.get(sheet_url(declared, "/categories.json")).get_json()

    assert response.status_code == 200
    blt = response.get_data(as_text=True)
    assert blt.splitlines()[:3] == ["4 2", "1 0", "2 1 2 0"]  # blank; the two papers 1 2
    assert blt == client.get(sheet_url(declared, "/ballots.blt")).get_data(as_text=True)
    read = parse_blt(blt)
    assert sum(b.weight for b in read.ballots) + read.invalid == len(FOUR_READINGS)
    quotas = [
        Category(
            c["name"], frozenset(m["number"] for m in c["candidates"]), c["minimum"], c["maximum"]
        )
        for c in categories["categories"]
    ]
    ballots = [*read.ballots, Ballot((), read.invalid)]
    recount = count_stv(
        read.candidates, ballots, read.seats, categories=quotas, seed=categories["seed"]
    )
    assert stored_result(recount) == declared.result
    assert categories["categories"][0]["candidates"] == [
        {"number": 3, "name": "Cerys"},
        {"number": 4, "name": "Dev"},
    ]


def test_the_ballots_weigh_each_paper_by_its_value(client, login, db):
    conf = factories.conference()
    election = declared_election(conf, readings=[((1, 2), 40), ((1, 2), 25), ((2,), 30), ((3,), 5)])
    login(user_with(conf, Role.ADMIN))

    blt = client.get(sheet_url(election, "/ballots.blt")).get_data(as_text=True)

    assert blt.splitlines()[1:4] == ["65 1 2 0", "30 2 0", "5 3 0"]
    values = db.session.scalars(
        db.select(ElectionPaper.value).where(ElectionPaper.election_id == election.id)
    )
    assert sorted(values) == [1, 5, 25, 30, 40]  # the disputed paper is not in the file


def test_a_steward_and_a_secretary_read_a_declared_sheet(client, login, declared):
    conf = conf_of(declared)
    secretary = user_with(conf, Role.SECRETARY, group=factories.group(conf, "Hull"))
    for person in (user_with(conf, Role.STEWARD), secretary):
        login(person)
        for tail in ("/count-sheet", "/count-sheet.csv", "/ballots.blt", "/categories.json"):
            assert client.get(sheet_url(declared, tail)).status_code == 200, tail
        client.post("/logout")


def test_before_the_declaration_only_the_tellers_and_the_committee_read_the_count(
    client, login, db
):
    conf = factories.conference()
    counted = declared_election(conf, declare=False)
    secretary = user_with(conf, Role.SECRETARY, group=factories.group(conf, "Hull"))

    for person in (secretary, user_with(conf, Role.STEWARD)):
        login(person)
        for tail in ("/count-sheet", "/count-sheet.csv", "/count-sheet.pdf", "/ballots.blt"):
            response = client.get(sheet_url(counted, tail))
            assert response.status_code == 404, tail
            assert "once the result is declared" in response.get_data(as_text=True)
        client.post("/logout")
    login(user_with(conf, Role.TELLER))
    page = client.get(sheet_url(counted, "/count-sheet")).get_data(as_text=True)
    assert "counted, not yet declared" in page
    assert "Only the tellers and the committee see this sheet" in page
    # The results book holds declared elections only.
    login(user_with(conf, Role.ADMIN))
    book = pdf_text(client.get(f"/conferences/{conf.id}/results.pdf").data)
    assert "National committee" not in book


def test_an_election_not_counted_says_so(client, login, db):
    conf = factories.conference()
    election = factories.election(conf, papers=[1, 1])
    login(user_with(conf, Role.TELLER))

    page = client.get(sheet_url(election)).get_data(as_text=True)
    blt = client.get(sheet_url(election, "/ballots.blt"))

    assert "This election has not been counted yet." in page
    assert blt.status_code == 404
    assert "not been counted yet" in blt.get_data(as_text=True)


def test_another_conference_s_committee_reads_nothing(client, login, declared):
    other = factories.conference()
    login(user_with(other, Role.ADMIN))

    for tail in ("/count-sheet", "/ballots.blt"):
        assert client.get(sheet_url(declared, tail)).status_code == 403
    wrong = f"/conferences/{other.id}/elections/{declared.id}/count-sheet"
    assert client.get(wrong).status_code == 404


def projector_text(client, conf_id: int) -> str:
    return client.get(f"/conferences/{conf_id}/projector/content").get_data(as_text=True)


def test_the_projector_shows_no_figure_before_the_declaration(client, login, db):
    conf = factories.conference()
    counted = declared_election(conf, declare=False)
    db.session.get(Conference, conf.id).projector_election_id = counted.id
    db.session.commit()
    login(user_with(conf, Role.STEWARD))

    screen = projector_text(client, conf.id)

    assert "National committee" in screen and "COUNTED · AWAITING THE DECLARATION" in screen
    assert "Elected" not in screen and counted.result["quota"][:4] not in screen


def test_a_long_count_on_the_projector_shows_the_last_ten_stages_and_the_full_sheet(
    client, login, db
):
    conf = factories.conference()
    # Twelve candidates for two seats: eleven stages, one more than the screen holds.
    election = declared_election(conf, TWELVE, TWELVE_READINGS, seats=2, title="Executive")
    db.session.get(Conference, conf.id).projector_election_id = election.id
    db.session.commit()
    login(user_with(conf, Role.STEWARD))
    stages = len(election.result["stages"])
    assert stages == 11

    screen = projector_text(client, conf.id)

    assert "the last 10 of 11 stages" in screen
    assert '<span class="visually-hidden">Stage </span>1<' not in screen
    assert '<span class="visually-hidden">Stage </span>11<' in screen
    assert f'Full count sheet: <span class="url">http://localhost{sheet_url(election)}' in screen


def test_a_tie_is_printed_with_how_it_was_broken_and_the_seed(client, login, db):
    conf = factories.conference()
    readings = [((1,), 2), ((2,), 2), ((3,), 1)]
    election = declared_election(conf, ["Asha", "Bryn", "Cerys"], readings, seats=1)
    login(user_with(conf, Role.TELLER))

    page = client.get(sheet_url(election)).get_data(as_text=True)

    [tie] = election.result["stages"][2]["ties"]
    chosen = ["Asha", "Bryn"][tie["chosen"] - 1]
    assert (
        f"Stage 3: a tie (whom to exclude) among 1. Asha, 2. Bryn — {tie['chosen']}. {chosen} "
        "chosen by the draw from the seed test." in page
    )
