"""The credentials report: figures per section and overall, on the page, in CSV and PDF."""

from __future__ import annotations

import csv
import io
import itertools
import re
import subprocess
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa

from confapp import voters
from confapp.admin import report as rep
from confapp.extensions import db as _db
from confapp.models import Delegate, Role
from confapp.pdf import static_only_fetcher
from tests import factories

_people = itertools.count(1)

# Local groups, Affiliates, All sections: what the fixture below must give.
EXPECTED_TABLE = [
    ["Groups on the list", "5", "3", "8"],
    ["Groups entitled", "3", "3", "6"],
    ["Groups registered", "2", "1", "3"],
    ["Delegates entitled", "7", "14", "21"],
    ["Delegates registered", "5", "4", "9"],
    ["Delegates approved", "3", "4", "7"],
    ["Alternates registered", "2", "0", "2"],
    ["Alternates approved", "1", "0", "1"],
    ["Card votes of entitled groups", "2,549", "12,600", "15,149"],
    ["Card votes represented", "1,000", "10,000", "11,000"],
]
QUORUM_TEXT = "50% of 7 approved voting delegates is 3.5; rounded down, plus one: 4"


def register(conference, group, status, pass_type="delegate", seat="base", rank=None):
    """A registration row, as the secretary's and committee's work would leave it."""
    n = next(_people)
    _db.session.add(
        Delegate(
            conference_id=conference.id,
            group_id=group.id,
            pass_type=pass_type,
            seat=seat if pass_type == "delegate" else None,
            alternate_rank=(rank or 1) if pass_type == "alternate" else None,
            name=f"Person {n}",
            email=f"person{n}@example.org",
            status=status,
        )
    )


@pytest.fixture
def groups(conference):
    """Two sections of groups in every state the report distinguishes."""
    affiliates = factories.section(conference, "Affiliates")
    # Local groups. Leeds: 3 base + the women's seat, card vote 1,000; registered and approved.
    leeds = factories.group(conference, "Leeds", members=1000, women_members=120, region="North")
    register(conference, leeds, "approved")
    register(conference, leeds, "approved", seat="women's seat")
    register(conference, leeds, "submitted")
    register(conference, leeds, "draft")
    register(conference, leeds, "approved", "alternate", rank=1)
    register(conference, leeds, "submitted", "alternate", rank=2)
    register(conference, leeds, "rejected", "alternate", rank=3)
    register(conference, leeds, "approved", "visitor")
    register(conference, leeds, "draft", "visitor")
    register(conference, leeds, "submitted", "observer")
    # York: 1 delegate, submitted but not yet approved: registered, its vote not represented.
    york = factories.group(conference, "York", members=749, region="North")
    register(conference, york, "submitted")
    # Hull fell into arrears after its delegate was approved: not entitled, not "registered".
    hull = factories.group(conference, "Hull", members=400, in_good_standing=False, region="North")
    register(conference, hull, "approved")
    # Wakefield: 2 delegates; its only registrations were rejected or withdrawn.
    wakefield = factories.group(conference, "Wakefield", members=800, region="North")
    register(conference, wakefield, "rejected")
    register(conference, wakefield, "withdrawn")
    factories.user(
        "sec@wakefield.example.org", conf=conference, role=Role.SECRETARY, group=wakefield
    )
    # No members, no delegates.
    factories.group(conference, "Empty", members=0, region="North")
    # Affiliates. Carers: 6 (cap) + the women's seat, card vote 10,000.
    carers = factories.group(
        conference,
        "Carers",
        members=10_000,
        women_members=200,
        section=affiliates,
        region="National",
    )
    for _ in range(4):
        register(conference, carers, "approved")
    register(conference, carers, "replaced")
    # Bakers: 6 delegates, card vote 2,000; entered two people but submitted none.
    bakers = factories.group(
        conference, "Bakers", members=2000, section=affiliates, region="National"
    )
    register(conference, bakers, "draft")
    register(conference, bakers, "draft", "alternate")
    factories.user("zed@bakers.example.org", conf=conference, role=Role.SECRETARY, group=bakers)
    factories.user("amy@bakers.example.org", conf=conference, role=Role.SECRETARY, group=bakers)
    # Nurses: 1 delegate, card vote 600, nothing entered and nobody to ask.
    factories.group(conference, "Nurses", members=600, section=affiliates, region="National")
    _db.session.commit()


@pytest.fixture
def admin(conference, login):
    user = factories.user(conf=conference, role=Role.ADMIN)
    login(user)
    return user


def url(conference, suffix: str = "") -> str:
    return f"/admin/conferences/{conference.id}/report{suffix}"


class _Tables(HTMLParser):
    """The text of every cell of the tables of a page, by table id."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = self.tables.setdefault(dict(attrs).get("id", ""), [])
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._rows = None
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def text_of(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


# ---- the figures -------------------------------------------------------------------------------


def test_page_shows_figures_per_section_and_overall(client, conference, groups, admin):
    response = client.get(url(conference))

    assert response.status_code == 200
    figures = tables(response.get_data(as_text=True))["report-table"]
    assert figures[0] == ["Figure", "Local groups", "Affiliates", "All sections"]
    assert figures[1:] == EXPECTED_TABLE


def test_page_shows_quorum_with_its_rule(client, conference, groups, admin):
    text = text_of(client.get(url(conference)).get_data(as_text=True))

    assert "Quorum: 4" in text
    assert QUORUM_TEXT in text


def test_page_counts_non_voting_passes_in_a_line(client, conference, groups, admin):
    text = text_of(client.get(url(conference)).get_data(as_text=True))

    # Leeds's draft visitor is not counted; there is no "present" figure before check-in exists.
    assert "Non-voting passes registered: 1 visitor, 1 observer, 0 press, 0 staff." in text
    assert not re.search(r"\bpresent\b", text, re.IGNORECASE)


def test_page_lists_the_groups_not_registered_with_their_secretaries(
    client, conference, groups, admin
):
    page = client.get(url(conference)).get_data(as_text=True)

    rows = tables(page)["not-registered"]
    assert rows[0] == ["Group", "Region", "Section", "Delegates", "Card vote", "Secretaries"]
    # Hull (not in good standing) and Empty (no members) are not entitled, so not chased.
    assert rows[1:] == [
        ["Wakefield", "North", "Local groups", "2", "800", "sec@wakefield.example.org"],
        [
            "Bakers 2 entered, not submitted",
            "National",
            "Affiliates",
            "6",
            "2,000",
            "amy@bakers.example.org, zed@bakers.example.org",
        ],
        ["Nurses", "National", "Affiliates", "1", "600", "no secretary"],
    ]
    assert 'href="mailto:sec@wakefield.example.org"' in page
    assert "Groups not registered (3)" in text_of(page)


def test_page_warns_of_registered_delegates_of_groups_not_entitled(
    client, conference, groups, admin
):
    text = text_of(client.get(url(conference)).get_data(as_text=True))

    assert "1 registered delegate belongs to groups entitled to no delegates" in text


def test_page_explains_the_definitions_and_links_the_files(client, conference, groups, admin):
    page = client.get(url(conference)).get_data(as_text=True)
    text = text_of(page)

    assert "How the figures are counted" in text
    assert "groups in good standing whose entitlement gives at least one delegate" in text
    assert f'href="{url(conference, ".csv")}"' in page
    assert f'href="{url(conference, ".pdf")}"' in page
    assert "Generated " in text


def test_csv_has_a_row_per_section_then_the_groups_not_registered(
    client, conference, groups, admin
):
    response = client.get(url(conference, ".csv"))

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params == {"charset": "utf-8"}
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert conference.slug in disposition and disposition.endswith(".csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8"))))
    header = rows[0]
    assert header[:11] == ["Section", *(label for label, *_ in EXPECTED_TABLE)]
    assert header[11:] == [
        "Visitors registered",
        "Observers registered",
        "Press registered",
        "Staff registered",
    ]
    for i, section in enumerate(["Local groups", "Affiliates", "All sections"]):
        row = rows[1 + i]
        assert row[0] == section
        assert row[1:11] == [figures[1 + i].replace(",", "") for figures in EXPECTED_TABLE]
    assert [r[11:] for r in rows[1:4]] == [["1", "1", "0", "0"], ["0"] * 4, ["1", "1", "0", "0"]]
    assert rows[4] == []
    assert rows[5][0] == "Group not registered"
    assert rows[6:9] == [
        [
            "Wakefield",
            "North",
            "Local groups",
            "2",
            "2",
            "0",
            "800",
            "0",
            "sec@wakefield.example.org",
        ],
        [
            "Bakers",
            "National",
            "Affiliates",
            "6",
            "6",
            "0",
            "2000",
            "2",
            "amy@bakers.example.org; zed@bakers.example.org",
        ],
        ["Nurses", "National", "Affiliates", "1", "1", "0", "600", "0", ""],
    ]
    assert rows[9] == []
    assert rows[10][:3] == ["Quorum", "Approved voting delegates", "Quorum percent"]
    assert rows[11] == ["4", "7", "50", QUORUM_TEXT]
    assert len(rows) == 12


def test_csv_cells_cannot_become_spreadsheet_formulas(client, conference, admin):
    factories.group(conference, '=HYPERLINK("http://evil.example")', members=100, region="@x")
    factories.group(conference, "\uff1dHYPERLINK(1)", members=100, region="\uff0bx")

    rows = list(csv.reader(io.StringIO(client.get(url(conference, ".csv")).data.decode())))

    assert rows[6][:2] == ['\'=HYPERLINK("http://evil.example")', "'@x"]
    assert rows[7][:2] == ["'\uff1dHYPERLINK(1)", "'\uff0bx"]


def _poppler(tool: str, data: bytes, *args: str) -> str:
    done = subprocess.run([tool, *args], input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def test_pdf_is_an_a4_download(client, conference, groups, admin):
    response = client.get(url(conference, ".pdf"))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.data.rstrip().endswith(b"%%EOF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and conference.slug in disposition


def test_pdf_shows_the_same_figures(client, conference, groups, admin):
    data = client.get(url(conference, ".pdf")).data
    info = _poppler("pdfinfo", data, "-")
    lines = _poppler("pdftotext", data, "-layout", "-enc", "UTF-8", "-", "-").splitlines()
    cells = {}
    for line in lines:
        parts = re.split(r"\s{2,}", line.strip())
        if parts:
            cells.setdefault(parts[0], parts)
    text = " ".join(" ".join(lines).split())

    assert cells["Figure"] == ["Figure", "Local groups", "Affiliates", "All sections"]
    for expected in EXPECTED_TABLE:
        assert cells[expected[0]] == expected
    assert "Quorum: 4" in text
    assert QUORUM_TEXT in text
    assert cells["Wakefield"] == [
        "Wakefield",
        "North",
        "Local groups",
        "2",
        "800",
        "sec@wakefield.example.org",
    ]
    assert cells["Nurses"] == ["Nurses", "National", "Affiliates", "1", "600", "no secretary"]
    assert "Groups not registered (3)" in text
    assert "How the figures are counted" in text
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    # The page footer comes from static/css/report-print.css: the stylesheet was read.
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text


def test_pdf_fetcher_reads_static_files_only(app):
    static = Path(app.static_folder).resolve()
    fetcher = static_only_fetcher(static)

    with closing(fetcher.fetch((static / "css" / "report-print.css").as_uri())) as response:
        assert b"@page" in response.read()
    for refused in (
        "https://example.org/font.woff",
        "http://127.0.0.1:5000/static/css/confapp.css",
        "data:text/css,body{}",
        "file:///etc/passwd",
        (static / ".." / "confapp" / "models.py").as_uri(),
        f"file://{static}/../pyproject.toml",
        f"file://{static}/%2e%2e/pyproject.toml",
        f"file://{static}/css/no-such-file.css",
        f"file://otherhost{static}/css/report-print.css",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(refused)


def test_pdf_html_names_no_outside_resource(app, conference, groups):
    from flask import g, render_template

    with app.test_request_context():
        g.conference = conference
        html = render_template(
            "admin/report_pdf.html", **rep._context(rep.credentials_report(conference))
        )

    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html)
    assert 'href="css/report-print.css"' in html


# ---- the rules behind the figures --------------------------------------------------------------


@pytest.mark.parametrize(
    ("approved", "percent", "quorum"),
    [(7, 50, 4), (8, 50, 5), (0, 50, 1), (1, 50, 1), (9, 66, 6), (2001, 50, 1001), (10, 1, 1)],
)
def test_quorum_is_a_share_of_approved_voting_delegates_rounded_down_plus_one(
    approved, percent, quorum
):
    assert voters.Quorum(approved, percent).figure == quorum


def test_quorum_rule_in_words():
    assert voters.Quorum(1, 50).rule_text == (
        "50% of 1 approved voting delegate is 0.5; rounded down, plus one: 1"
    )
    assert voters.Quorum(2001, 50).rule_text == (
        "50% of 2,001 approved voting delegates is 1,000.5; rounded down, plus one: 1,001"
    )


def test_quorum_follows_the_conference_percentage(db, conference, groups):
    conference.quorum_percent = 60
    db.session.commit()

    report = rep.credentials_report(conference)

    assert report.quorum.figure == 5  # floor(7 × 60 / 100) + 1
    assert report.quorum.rule_text == (
        "60% of 7 approved voting delegates is 4.2; rounded down, plus one: 5"
    )


def test_group_not_in_good_standing_is_not_entitled(db, conference):
    factories.group(conference, "Hull", members=400, in_good_standing=False)
    factories.group(conference, "York", members=400)

    report = rep.credentials_report(conference)

    assert report.overall.groups == 2
    assert report.overall.groups_entitled == 1
    assert report.overall.delegates_entitled == 1
    assert report.overall.card_votes_entitled == 400
    assert [g.name for g in report.not_registered] == ["York"]


@pytest.mark.parametrize("statuses", [["rejected"], ["withdrawn"], ["rejected", "withdrawn"]])
def test_group_whose_delegates_are_all_rejected_or_withdrawn_is_not_registered(
    db, conference, statuses
):
    york = factories.group(conference, "York", members=400)
    for status in statuses:
        register(conference, york, status)
    db.session.commit()

    report = rep.credentials_report(conference)

    assert report.overall.groups_registered == 0
    assert report.overall.delegates_registered == 0
    assert [g.name for g in report.not_registered] == ["York"]


def test_alternates_alone_do_not_register_a_group(db, conference):
    york = factories.group(conference, "York", members=400)
    register(conference, york, "approved", "alternate")
    db.session.commit()

    report = rep.credentials_report(conference)

    assert report.overall.groups_registered == 0
    assert report.overall.alternates_approved == 1
    assert report.overall.card_votes_represented == 0
    assert report.quorum.figure == 1


def test_empty_conference(db, conference):
    report = rep.credentials_report(conference)

    assert [c.label for c in report.columns] == ["Local groups", "Affiliates", "All sections"]
    assert all(value == 0 for _, values in report.table() for value in values)
    assert report.not_registered == []
    assert report.quorum.figure == 1


# ---- cost: queries do not grow with the groups -------------------------------------------------


def _fill(conference, groups: int) -> None:
    sections = conference.sections
    for i in range(groups):
        group = factories.group(
            conference, f"G{i:03d}", members=300 + 50 * i, section=sections[i % 2], region="R"
        )
        if i % 3:
            register(conference, group, "approved" if i % 2 else "submitted")
            register(conference, group, "submitted", "alternate")
        else:
            factories.user(conf=conference, role=Role.SECRETARY, group=group)
    _db.session.commit()


@pytest.mark.parametrize("suffix", ["", ".csv", ".pdf"])
def test_queries_do_not_grow_with_the_number_of_groups(db, client, login, suffix):
    small, large = factories.conference(), factories.conference()
    _fill(small, 10)
    _fill(large, 40)
    login(factories.user(site_admin=True))
    small_url, large_url = url(small, suffix), url(large, suffix)
    client.get(small_url)  # warm up: the first request loads more than the report

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(small_url).status_code == 200
        for_small = len(statements)
        assert client.get(large_url).status_code == 200
        for_large = len(statements) - for_small
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)

    assert for_small == for_large, "\n".join(s[:90] for s in statements)
    assert for_large <= 10


# ---- who may see it ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".csv", ".pdf"])
def test_secretary_and_other_conference_admin_are_refused(client, conference, login, suffix):
    leeds = factories.group(conference, "Leeds")
    secretary = factories.user(conf=conference, role=Role.SECRETARY, group=leeds)
    other_admin = factories.user(conf=factories.conference(), role=Role.ADMIN)

    for person in (secretary, other_admin):
        client.post("/logout")
        login(person)
        response = client.get(url(conference, suffix))
        assert response.status_code == 403
        assert "Your account does not have access to this page." in response.get_data(as_text=True)


@pytest.mark.parametrize("suffix", ["", ".csv", ".pdf"])
def test_anonymous_is_sent_to_log_in(client, conference, suffix):
    response = client.get(url(conference, suffix))

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("suffix", ["", ".csv", ".pdf"])
def test_unknown_conference_is_not_found(client, admin, suffix):
    assert client.get(f"/admin/conferences/999999/report{suffix}").status_code == 404
