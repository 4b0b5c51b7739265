"""Delegates as CSV: the committee's export, filtered and formula-safe; the all-or-nothing import.

Rows are checked as registration checks them; any problem rejects the whole file.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from confapp import entitlement as ent
from confapp.admin.delegate_csv import EXPORT_COLUMNS, parse_delegates_csv
from confapp.admin.registrations import filtered_delegates_query
from confapp.csv_import import ImportRejected
from confapp.extensions import db
from confapp.models import AuditEntry, Delegate, Role, RoleGrant, Substitution
from tests import factories

RULE = dataclasses.replace(factories.LABOUR_RULE, max_alternates=2)
HEADER = (
    "group,pass_type,name,email,phone,seat,is_woman,is_young,is_low_paid,elected_on,elected_at,"
    "status\n"
)
SHORT = "group,pass_type,name,email\n"  # only some columns: the others take their defaults


@pytest.fixture
def conference(db):
    """A conference whose rule has a women's seat and two alternates per group."""
    return factories.conference(rule=RULE)


@pytest.fixture
def leeds(conference):
    """1,000 members, 120 women: 3 delegates and the women's seat."""
    return factories.group(conference, "Leeds", members=1000, women_members=120, region="North")


@pytest.fixture
def york(conference):
    """300 members: 1 delegate, no women's seat."""
    return factories.group(conference, "York", members=300, women_members=40, region="North")


@pytest.fixture
def union(conference):
    """An affiliate in the Affiliates section: 6 delegates (the cap)."""
    affiliates = factories.section(conference, "Affiliates")
    return factories.group(
        conference, "Tenants' Union", members=5000, region="National", section=affiliates
    )


@pytest.fixture
def suspended(conference):
    """A group in arrears: entitled to nothing."""
    return factories.group(conference, "Suspended", members=900, in_good_standing=False)


@pytest.fixture
def groups(leeds, york, union, suspended):
    return {"Leeds": leeds, "York": york, "Tenants' Union": union, "Suspended": suspended}


@pytest.fixture
def admin(conference, login):
    user = factories.user(conf=conference, role=Role.ADMIN)
    login(user)
    return user


def register(group, name, email, *, pass_type="delegate", seat="base", rank=None, **values):
    """A registration made earlier (by the secretary), committed."""
    values.setdefault("status", "approved")
    delegate = Delegate(
        conference_id=group.conference_id,
        group_id=group.id,
        pass_type=pass_type,
        seat=seat if pass_type == "delegate" else None,
        alternate_rank=rank,
        name=name,
        email=email,
        **values,
    )
    db.session.add(delegate)
    db.session.commit()
    return delegate


def text(response) -> str:
    """What the page says, as a person reads it."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def problems(response) -> list[str]:
    """The problems the import page lists, one string each."""
    listing = re.search(r'<ul id="problem-list">(.*?)</ul>', response.get_data(as_text=True), re.S)
    return [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", listing[1], re.S)]


def delegates(conference) -> list[Delegate]:
    db.session.expire_all()
    return list(
        db.session.execute(
            db.select(Delegate).where(Delegate.conference_id == conference.id).order_by(Delegate.id)
        ).scalars()
    )


def audit_entries(action: str) -> list[AuditEntry]:
    return list(
        db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).scalars()
    )


# ---- export --------------------------------------------------------------------------------


def export(client, conference, **args):
    return client.get(f"/admin/conferences/{conference.id}/delegates.csv", query_string=args)


def read_csv(response) -> list[dict[str, str]]:
    body = response.get_data().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(body, newline=""))
    assert tuple(reader.fieldnames) == EXPORT_COLUMNS
    return list(reader)


@pytest.fixture
def registered(groups):
    """A delegation or two: delegates, alternates, a visitor, one rejected."""
    leeds, york, union = groups["Leeds"], groups["York"], groups["Tenants' Union"]
    people = [
        register(
            leeds,
            "Ann Jones",
            "ann@example.org",
            is_woman=True,
            is_young=False,
            elected_on=date(2027, 1, 20),
            elected_at="Branch meeting",
            phone="0113 496 0000",
            submitted_at=datetime(2027, 1, 21, 9, 30, 15, 123456),
            decided_at=datetime(2027, 1, 22, 10, 0),
        ),
        register(leeds, "Bob Smith", "bob@example.org", status="submitted"),
        register(leeds, "Cat Price", "cat@example.org", seat="women's seat", is_woman=True),
        register(leeds, "Zed Alt", "zed@example.org", pass_type="alternate", rank=2),
        register(leeds, "Amy Alt", "amy@example.org", pass_type="alternate", rank=1),
        register(leeds, "Vic Visitor", "vic@example.org", pass_type="visitor", status="draft"),
        register(york, "Dan Brown", "dan@example.org", status="rejected", status_reason="late"),
        register(union, "Eve Green", "eve@union.example.org"),
    ]
    return {p.name: p for p in people}


def test_export_is_a_csv_download_named_after_the_conference(client, conference, admin, registered):
    response = export(client, conference)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params["charset"] == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f"attachment; filename={conference.slug}-delegates.csv"
    assert response.get_data().startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
    assert response.headers["Cache-Control"] == "no-store"


def test_export_lists_everyone_in_list_order_with_every_column(
    client, conference, admin, registered
):
    rows = read_csv(export(client, conference))
    assert [(r["group"], r["pass_type"], r["alternate_rank"], r["name"]) for r in rows] == [
        ("Leeds", "delegate", "", "Ann Jones"),
        ("Leeds", "delegate", "", "Bob Smith"),
        ("Leeds", "delegate", "", "Cat Price"),
        ("Leeds", "alternate", "1", "Amy Alt"),
        ("Leeds", "alternate", "2", "Zed Alt"),
        ("Leeds", "visitor", "", "Vic Visitor"),
        ("Tenants' Union", "delegate", "", "Eve Green"),
        ("York", "delegate", "", "Dan Brown"),
    ]
    ann = rows[0]
    assert ann == {
        "group": "Leeds",
        "section": "Local groups",
        "region": "North",
        "pass_type": "delegate",
        "seat": "base",
        "alternate_rank": "",
        "name": "Ann Jones",
        "email": "ann@example.org",
        "phone": "0113 496 0000",
        "is_woman": "yes",
        "is_young": "no",
        "is_low_paid": "",
        "elected_on": "2027-01-20",
        "elected_at": "Branch meeting",
        "status": "approved",
        "status_reason": "",
        "submitted_at": "2027-01-21T09:30:15Z",
        "decided_at": "2027-01-22T10:00:00Z",
    }
    assert rows[2]["seat"] == "women's seat"
    assert rows[3]["seat"] == ""  # alternates have no seat
    assert rows[6]["section"] == "Affiliates"
    assert (rows[7]["status"], rows[7]["status_reason"]) == ("rejected", "late")


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ({"group": "LEEDS_ID", "pass_type": "alternate"}, ["Amy Alt", "Zed Alt"]),
        ({"region": "National"}, ["Eve Green"]),
        ({"region": "north", "status": "rejected"}, ["Dan Brown"]),  # region: any case
        ({"section": "AFFILIATES_ID"}, ["Eve Green"]),
        ({"status": "submitted"}, ["Bob Smith"]),
        ({"pass_type": "visitor"}, ["Vic Visitor"]),
        ({"q": "ALT"}, ["Amy Alt", "Zed Alt"]),  # name contains, any case
        ({"q": "union.example"}, ["Eve Green"]),  # e-mail contains
        ({"q": "%"}, []),  # a wildcard is a plain character
        ({"group": "", "q": " "}, None),  # blank filters filter nothing
        ({"status": "lost"}, []),  # an unknown value matches nothing, not everything
        ({"group": "leeds"}, []),
        ({"section": "99999999999999999999999"}, []),
    ],
)
def test_export_takes_the_delegate_list_filters(
    client, conference, admin, registered, groups, args, names
):
    ids = {
        "LEEDS_ID": str(groups["Leeds"].id),
        "AFFILIATES_ID": str(factories.section(conference, "Affiliates").id),
    }
    args = {key: ids.get(value, value) for key, value in args.items()}
    rows = read_csv(export(client, conference, **args))
    expected = len(registered) if names is None else len(names)
    assert len(rows) == expected
    if names is not None:
        assert [r["name"] for r in rows] == names


def test_filtered_query_is_reusable_with_request_args(conference, registered, groups):
    args = MultiDict([("group", str(groups["Leeds"].id)), ("status", "approved")])
    found = db.session.execute(filtered_delegates_query(conference, args)).scalars().all()
    assert [d.name for d in found] == ["Ann Jones", "Cat Price", "Amy Alt", "Zed Alt"]
    assert found[0].group.section.name == "Local groups"


def test_export_of_another_conference_leaves_this_ones_people_out(
    client, conference, admin, registered
):
    other = factories.conference()
    register(factories.group(other, "Leeds"), "Other Person", "other@example.org")
    names = [r["name"] for r in read_csv(export(client, conference))]
    assert "Other Person" not in names


def _count_queries(app, action) -> int:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_export_loads_groups_and_sections_in_a_constant_number_of_queries(
    app, client, conference, admin, groups
):
    register(groups["Leeds"], "Only One", "one@example.org")
    few = _count_queries(app, lambda: export(client, conference))
    for i in range(12):
        group = factories.group(conference, f"Branch {i:02}", members=100)
        register(group, f"Person {i}", f"person{i}@example.org")
    many = _count_queries(app, lambda: export(client, conference))
    assert many == few
    assert len(read_csv(export(client, conference))) == 13


@pytest.mark.parametrize(
    ("stored", "exported"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+44 113 496 0000", "'+44 113 496 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ('\uff1dHYPERLINK("http://evil.example")', '\'\uff1dHYPERLINK("http://evil.example")'),
        ("\uff0b44 113", "'\uff0b44 113"),  # full-width plus
        ("\uff0d2+3", "'\uff0d2+3"),  # full-width hyphen-minus
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),  # full-width commercial at
        ("\ufe66 1+1", "'\ufe66 1+1"),  # small equals sign
        ("\u22121+1", "'\u22121+1"),  # minus sign
        ("Ann = Jones", "Ann = Jones"),  # only the first character matters
        ("0113 496 0000", "0113 496 0000"),
    ],
)
def test_export_defuses_spreadsheet_formulas(client, conference, admin, leeds, stored, exported):
    register(leeds, stored, "ann@example.org", elected_at=stored)
    (row,) = read_csv(export(client, conference))
    assert (row["name"], row["elected_at"]) == (exported, exported)


def test_a_formula_in_a_group_name_is_defused_too(client, conference, admin):
    group = factories.group(conference, "=cmd|' /C calc'!A0", members=100)
    register(group, "-Ann", "ann@example.org")
    (row,) = read_csv(export(client, conference))
    assert row["group"] == "'=cmd|' /C calc'!A0"
    assert row["name"] == "'-Ann"


def test_an_export_imports_into_the_next_conference_as_it_is(client, conference, admin, registered):
    registered["Ann Jones"].phone = "+44 113 496 0000"
    db.session.commit()
    data = export(client, conference, status="approved").get_data()
    # Next year's conference, with the same groups.
    following = factories.conference(rule=RULE)
    for name, members, women in (("Leeds", 1000, 120), ("Tenants' Union", 5000, 0)):
        factories.group(following, name, members=members, women_members=women)
    db.session.add(RoleGrant(user_id=admin.id, conference_id=following.id, role="admin"))
    db.session.commit()
    page = text(upload(client, following, data))
    assert "5 registrations imported" in page, page
    rows = {d.name: d for d in delegates(following)}
    assert set(rows) == {"Ann Jones", "Cat Price", "Amy Alt", "Zed Alt", "Eve Green"}
    assert rows["Ann Jones"].phone == "+44 113 496 0000"  # the formula guard undone
    assert rows["Ann Jones"].elected_on == date(2027, 1, 20)
    assert rows["Cat Price"].seat == "women's seat"
    assert (rows["Amy Alt"].alternate_rank, rows["Zed Alt"].alternate_rank) == (1, 2)


# ---- import --------------------------------------------------------------------------------


def upload(client, conference, data: str | bytes):
    data = data.encode() if isinstance(data, str) else data
    return client.post(
        f"/admin/conferences/{conference.id}/delegates/import",
        data={"file": (io.BytesIO(data), "delegates.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


GOOD = HEADER + (
    "Leeds,,Ann Jones,Ann@Example.org,0113 496 0000,,yes,no,,2027-01-20,Branch meeting,\n"
    "leeds,delegate,Bob Smith,bob@example.org,,base,,,,,,draft\n"
    "LEEDS,delegate,Cat Price,cat@example.org,,Women's Seat,true,,,,,approved\n"
    "Leeds,alternate,Amy Alt,amy@example.org,,,,,,,,\n"
    "Leeds,visitor,Vic Visitor,vic@example.org,,,,,,,,submitted\n"
    "  York ,delegate,Dan Brown,dan@example.org,,,0,1,1,,,SUBMITTED\n"
)


def test_the_import_page_explains_the_file(client, conference, admin, leeds):
    page = text(client.get(f"/admin/conferences/{conference.id}/delegates/import"))
    assert "Import delegates" in page
    assert "women's seat" in page
    assert "At most 2 alternates per group" in page


def test_a_good_file_registers_everyone_with_status_rank_and_audit_entries(
    client, conference, admin, groups
):
    response = upload(client, conference, GOOD)
    page = text(response)
    assert response.request.path == f"/admin/conferences/{conference.id}/groups"
    assert "6 registrations imported (4 delegates, 1 alternate, 1 visitor) for 2 groups" in page
    rows = {d.name: d for d in delegates(conference)}
    assert set(rows) == {
        "Ann Jones",
        "Bob Smith",
        "Cat Price",
        "Amy Alt",
        "Vic Visitor",
        "Dan Brown",
    }
    ann, bob, cat = rows["Ann Jones"], rows["Bob Smith"], rows["Cat Price"]
    assert (ann.group.name, ann.pass_type, ann.seat, ann.status) == (
        "Leeds",
        "delegate",
        "base",
        "submitted",
    )
    assert ann.email == "ann@example.org"  # as registration stores it
    assert (ann.is_woman, ann.is_young, ann.is_low_paid) == (True, False, None)
    assert (ann.elected_on, ann.elected_at, ann.phone) == (
        date(2027, 1, 20),
        "Branch meeting",
        "0113 496 0000",
    )
    assert ann.submitted_at is not None and ann.decided_at is None
    assert (bob.status, bob.submitted_at) == ("draft", None)
    assert (cat.seat, cat.status, cat.decided_by_id) == ("women's seat", "approved", admin.id)
    assert cat.decided_at is not None
    assert (rows["Amy Alt"].alternate_rank, rows["Amy Alt"].seat) == (1, None)
    assert (rows["Vic Visitor"].pass_type, rows["Vic Visitor"].seat) == ("visitor", None)
    dan = rows["Dan Brown"]
    assert (dan.group.name, dan.status, dan.is_young, dan.is_low_paid) == (
        "York",
        "submitted",
        True,
        True,
    )

    entries = audit_entries("delegate.import")
    assert sorted(e.entity_id for e in entries) == sorted(d.id for d in rows.values())
    assert all(e.actor == admin.email and e.conference_id == conference.id for e in entries)
    cat_entry = next(e for e in entries if e.entity_id == cat.id)
    assert cat_entry.summary == "Cat Price as women's seat for Leeds, approved"
    assert cat_entry.after["status"] == "approved"
    (summary,) = audit_entries("delegates.import")
    assert summary.entity_type == "Conference" and summary.entity_id == conference.id
    assert summary.summary.startswith("6 registrations imported")
    assert sorted(summary.after["imported"]) == sorted(d.id for d in rows.values())


def test_imported_alternates_are_ranked_after_the_groups_own(client, conference, admin, leeds):
    register(leeds, "Old Alt", "old@example.org", pass_type="alternate", rank=1)
    register(
        leeds, "Gone Alt", "gone@example.org", pass_type="alternate", rank=2, status="withdrawn"
    )
    page = text(upload(client, conference, SHORT + "Leeds,alternate,New Alt,new@example.org\n"))
    assert "1 registration imported (1 alternate) for 1 group" in page
    rows = {d.name: d for d in delegates(conference)}
    assert rows["New Alt"].alternate_rank == 2  # after the active ones, as registration ranks


def test_entitlement_counts_registrations_already_made_and_the_files_rows(
    client, conference, admin, leeds
):
    register(leeds, "Draft One", "d1@example.org", status="draft")
    register(leeds, "Approved One", "a1@example.org")
    register(leeds, "Withdrawn", "w1@example.org", status="withdrawn")  # holds no seat
    register(leeds, "Rejected", "r1@example.org", status="rejected")  # nor this one
    before = delegates(conference)
    two_more = HEADER + (
        "Leeds,delegate,Third,third@example.org,,,,,,,,\n"
        "Leeds,delegate,Fourth,fourth@example.org,,,,,,,,\n"
        "Leeds,delegate,Fifth,fifth@example.org,,,,,,,,\n"
    )
    page = text(upload(client, conference, two_more))
    assert "Nothing was imported" in page
    assert (
        "line 3 (Leeds), column seat: Leeds is entitled to 3 delegates: "
        "2 already registered and 1 earlier in this file (line 2)"
    ) in page
    assert "line 4 (Leeds), column seat: Leeds is entitled to 3 delegates" in page
    assert "line 2 " not in page
    assert delegates(conference) == before
    page = text(upload(client, conference, SHORT + "Leeds,delegate,Third,third@example.org\n"))
    assert "1 registration imported" in page
    assert len(delegates(conference)) == len(before) + 1


def test_a_person_proposed_in_an_open_substitution_holds_no_seat_yet(
    client, conference, admin, leeds
):
    outgoing = [register(leeds, f"P{i}", f"p{i}@example.org") for i in range(3)]
    incoming = register(leeds, "Incoming", "in@example.org", status="submitted")
    db.session.add(
        Substitution(
            conference_id=conference.id,
            group_id=leeds.id,
            outgoing_id=outgoing[0].id,
            incoming_id=incoming.id,
            reason="ill",
        )
    )
    db.session.commit()
    page = text(upload(client, conference, SHORT + "Leeds,delegate,Extra,extra@example.org\n"))
    # Three seats, three delegates holding them: the incoming person is not counted, as in
    # registration, so the fourth is refused for the seats alone.
    assert "Leeds is entitled to 3 delegates: 3 already registered" in page


# (rows after the header, line of the problem, column, words of the message)
BAD_ROWS = [
    (
        "Leds,delegate,Ann,ann@example.org",
        2,
        "group",
        "no group named 'Leds' in this conference; did you mean 'Leeds'?",
    ),
    (",delegate,Ann,ann@example.org", 2, "group", "must not be empty"),
    (
        "Suspended,delegate,Ann,ann@example.org",
        2,
        "group",
        "Suspended is not in good standing, so it may send no delegates or alternates",
    ),
    ("Suspended,alternate,Ann,ann@example.org", 2, "group", "not in good standing"),
    (
        "Leeds,speaker,Ann,ann@example.org,,base",
        2,
        "pass_type",
        "unknown pass type 'speaker'; pass types are: delegate, alternate, visitor, observer, "
        "press, staff",
    ),
    (
        "Leeds,delegate,Ann,ann@example.org,,chair's seat",
        2,
        "seat",
        "unknown seat 'chair's seat'; this conference's seats are: 'base', 'women's seat'",
    ),
    (
        "York,delegate,Ann,ann@example.org,,women's seat,yes",
        2,
        "seat",
        "York's entitlement does not include the women's seat",
    ),
    (
        "Leeds,delegate,Ann,ann@example.org,,women's seat,no",
        2,
        "seat",
        "The women's seat can only be filled by a woman.",
    ),
    (
        "Leeds,delegate,Ann,ann@example.org,,women's seat,",
        2,
        "seat",
        "The women's seat can only be filled by a woman.",
    ),
    (
        "Leeds,alternate,Ann,ann@example.org,,base",
        2,
        "seat",
        "only delegates take a seat; leave it empty for pass type 'alternate'",
    ),
    (
        "York,delegate,Ann,ann@example.org\nYork,delegate,Bob,bob@example.org",
        3,
        "seat",
        "York is entitled to 1 delegate: 1 earlier in this file (line 2)",
    ),
    (
        "Leeds,alternate,A1,a1@example.org\nLeeds,alternate,A2,a2@example.org\n"
        "Leeds,alternate,A3,a3@example.org",
        4,
        "pass_type",
        "the rule allows 2 alternates per group; Leeds has 2 earlier in this file (lines 2, 3)",
    ),
    (
        "Leeds,delegate,Ann,ann@example.org\nYork,visitor,Ann Again,ANN@example.org",
        3,
        "email",
        "ann@example.org is already on line 2",
    ),
    (
        "Leeds,delegate,Ann,held@example.org",
        2,
        "email",
        "held@example.org is already registered as delegate for Tenants' Union: one person can "
        "hold only one place at the conference",
    ),
    (
        "Leeds,alternate,Ann,held@example.org",
        2,
        "email",
        "already registered as delegate for Tenants' Union",
    ),
    (
        "Leeds,delegate,Ann,not-an-address",
        2,
        "email",
        "'not-an-address' is not a valid e-mail address",
    ),
    ("Leeds,delegate,Ann,", 2, "email", "must not be empty"),
    ("Leeds,delegate,,ann@example.org", 2, "name", "must not be empty"),
    (
        "Leeds,delegate,Ann,ann@example.org,,,maybe",
        2,
        "is_woman",
        "must be yes or no (or true/false, 1/0), or empty; got 'maybe'",
    ),
    (
        "Leeds,delegate,Ann,ann@example.org,,,,,,20/01/2027",
        2,
        "elected_on",
        "must be a date written like 2027-01-20, got '20/01/2027'",
    ),
    (
        "Leeds,delegate,Ann,ann@example.org,,,,,,2027-02-30",
        2,
        "elected_on",
        "'2027-02-30' is not a date in the calendar",
    ),
    (
        "Leeds,delegate,Ann,ann@example.org,,,,,,,,rejected",
        2,
        "status",
        "must be draft, submitted or approved (blank: submitted), got 'rejected'",
    ),
    (
        "Leeds,delegate,Ann,ann@example.org," + "0" * 41,
        2,
        "phone",
        "must be at most 40 characters, got 41",
    ),
]


@pytest.fixture
def held(groups):
    """Someone who already holds a voting place, for Tenants' Union."""
    return register(groups["Tenants' Union"], "Held Place", "held@example.org")


@pytest.mark.parametrize(
    ("rows", "line", "column", "words"),
    BAD_ROWS,
    ids=[f"{b[2]}: {b[3][:40]}" for b in BAD_ROWS],
)
def test_a_bad_row_rejects_the_whole_file(
    client, conference, admin, groups, held, rows, line, column, words
):
    text_rows = [r + "," * (HEADER.count(",") - r.count(",")) for r in rows.split("\n")]
    good = "Tenants' Union,delegate,Good Person,good@example.org,,,,,,,,\n"
    data = HEADER + "\n".join(text_rows) + "\n" + good
    before = delegates(conference)
    response = upload(client, conference, data)
    assert "Nothing was imported" in text(response)
    (problem,) = problems(response)  # one problem, said once
    group = text_rows[line - 2].split(",")[0]  # the line's group, named with it (if any)
    where = f"line {line} ({group})" if group else f"line {line}"
    assert problem.startswith(f"{where}, column {column}: ")
    assert words in problem
    assert delegates(conference) == before  # not even the good row
    assert audit_entries("delegate.import") == []
    assert audit_entries("delegates.import") == []


def test_every_problem_is_listed_at_once(client, conference, admin, groups, held):
    data = HEADER + (
        "Nowhere,delegate,Ann,not-an-address,,,,,,,,\n"  # two problems on one row
        "Leeds,delegate,Bob,held@example.org,,,perhaps,,,,,\n"
        "Leeds,delegate,Cat,cat@example.org,,women's seat,no,,,,,\n"
        "York,delegate,Dan,dan@example.org,,,,,,,,\n"
        "York,delegate,Eve,eve@example.org,,,,,,,,\n"
        "Leeds,alternate,Fay,fay@example.org,,,,,,,,retired\n"
        "Leeds,delegate,Gus\n"
    )
    response = upload(client, conference, data)
    listed = [re.match(r"line \d+ \(\w+\)(?:, column \w+)?", p)[0] for p in problems(response)]
    assert listed == [
        "line 2 (Nowhere), column email",
        "line 2 (Nowhere), column group",
        "line 3 (Leeds), column is_woman",
        "line 3 (Leeds), column email",
        "line 4 (Leeds), column seat",
        "line 6 (York), column seat",
        "line 7 (Leeds), column status",
        "line 8 (Leeds)",
    ]
    page = text(response)
    assert "line 8 (Leeds): has 3 values but the header has 12 columns" in page
    assert "Fix these 8 problems" in page
    assert len(delegates(conference)) == 1  # the one held before


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "file: the file is empty"),
        (HEADER.encode(), "file: no registrations in the file"),
        (
            HEADER.replace(",", ";").encode() + b"Leeds;;Ann;ann@example.org;;;;;;;;\n",
            "separated by ';'",
        ),
        (
            (HEADER + "Leeds,,Ynys Môn Person,ynys@example.org,,,,,,,,\n").encode("latin-1"),
            "not UTF-8",
        ),
        (b"name,group\nAnn,Leeds\n", "line 1, column email: required column 'email' is missing"),
        (b"Leeds,Ann,ann@example.org\n", "line 1: this is not a header row"),
        (
            (HEADER.strip() + ",shoe_size\n" + "Leeds,,Ann,ann@example.org,,,,,,,,,42\n").encode(),
            "line 1, column shoe_size: unknown column 'shoe_size'",
        ),
        (
            (HEADER.strip() + ",name\n" + "Leeds,,Ann,ann@example.org,,,,,,,,,Ann\n").encode(),
            "line 1, column name: column 'name' appears more than once (columns 3 and 13)",
        ),
        (
            (HEADER + 'Leeds,,"Ann "Nan" Jones",ann@example.org,,,,,,,,\n').encode(),
            "line 2: a '\"' in the middle of a value",
        ),
    ],
)
def test_a_bad_file_changes_nothing(client, conference, admin, groups, data, words):
    page = text(upload(client, conference, data))
    assert "Nothing was imported" in page
    assert words in page
    assert delegates(conference) == []


def test_the_file_is_read_and_checked_without_the_database():
    rows = parse_delegates_csv(
        (HEADER + "Leeds,,Ann,ann@example.org,,WOMEN'S  SEAT,yes,,,,,approved\n").encode(),
        seats=["women's seat"],
    )
    assert [(r.line, r.group, r.pass_type, r.seat, r.is_woman, r.status) for r in rows] == [
        (2, "Leeds", "delegate", "women's seat", True, "approved")
    ]
    with pytest.raises(ImportRejected) as rejected:
        parse_delegates_csv(
            (SHORT.strip() + ",seat\nLeeds,,Ann,a@example.org,women's seat\n").encode()
        )
    assert str(rejected.value) == (
        "line 2 (Leeds), column seat: unknown seat 'women's seat'; "
        "this conference's seats are: 'base'"
    )


def test_header_in_any_case_with_a_bom_and_only_the_required_columns(
    client, conference, admin, leeds
):
    data = "\ufeffEMAIL,Name,Group\nann@example.org,Ann Jones,Leeds\n".encode()
    page = text(upload(client, conference, data))
    assert "1 registration imported (1 delegate) for 1 group" in page
    (ann,) = delegates(conference)
    assert (ann.pass_type, ann.seat, ann.status) == ("delegate", "base", "submitted")


def test_submitted_delegations_must_meet_the_equality_rule(client, db, login):
    rule = ent.EntitlementRule(
        formula="steps",
        first=749,
        step=250,
        rounding="up",
        minimum=1,
        cap=6,
        equality=ent.EqualityRule(women_every_second=True),
    )
    conference = factories.conference(rule=rule)
    factories.group(conference, "Leeds", members=1000)
    login(factories.user(conf=conference, role=Role.ADMIN))
    men = HEADER + (
        "Leeds,,Al,al@example.org,,,no,,,,,{status}\nLeeds,,Bo,bo@example.org,,,no,,,,,{status}\n"
    )
    page = text(upload(client, conference, men.format(status="submitted")))
    assert (
        "line 2 (Leeds), column group: Leeds's delegation would break the rule: "
        "At least every second base delegate must be a woman"
    ) in page
    assert delegates(conference) == []
    # As drafts they wait for the secretary's submission, where the rule is checked.
    page = text(upload(client, conference, men.format(status="draft")))
    assert "2 registrations imported" in page


def test_the_file_is_required(client, conference, admin):
    response = client.post(
        f"/admin/conferences/{conference.id}/delegates/import",
        data={},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert delegates(conference) == []


# ---- who may -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "delegates.csv"), ("GET", "delegates/import"), ("POST", "delegates/import")],
)
@pytest.mark.parametrize("role", ["secretary", "other_admin"])
def test_only_the_conferences_admins_export_or_import(
    client, conference, leeds, login, method, path, role
):
    register(leeds, "Ann Jones", "ann@example.org")
    if role == "secretary":
        user = factories.user(conf=conference, role=Role.SECRETARY, group=leeds)
    else:
        user = factories.user(conf=factories.conference(), role=Role.ADMIN)
    login(user)
    data = {"file": (io.BytesIO((SHORT + "Leeds,,Bob,bob@example.org\n").encode()), "d.csv")}
    response = client.open(
        f"/admin/conferences/{conference.id}/{path}",
        method=method,
        data=data if method == "POST" else None,
        content_type="multipart/form-data" if method == "POST" else None,
    )
    assert response.status_code == 403
    assert "ann@example.org" not in response.get_data(as_text=True)
    assert [d.name for d in delegates(conference)] == ["Ann Jones"]


def test_someone_registered_between_the_check_and_the_locks_rejects_the_file(
    client, conference, admin, york, monkeypatch
):
    # A secretary takes York's only seat just after the first check: the check run under
    # the group locks must see it, and the import must change nothing.
    from confapp.registration import services as registration

    lock_groups = registration.lock_groups

    def secretary_first(groups):
        with db.engine.begin() as connection:
            connection.execute(
                sa.insert(Delegate).values(
                    conference_id=conference.id,
                    group_id=york.id,
                    pass_type="delegate",
                    seat="base",
                    name="Quick Secretary's Pick",
                    email="quick@example.org",
                    status="draft",
                )
            )
        monkeypatch.setattr(registration, "lock_groups", lock_groups)
        lock_groups(groups)

    monkeypatch.setattr(registration, "lock_groups", secretary_first)
    response = upload(client, conference, SHORT + "York,delegate,Dan,dan@example.org\n")
    assert problems(response) == [
        "line 2 (York), column seat: York is entitled to 1 delegate: 1 already registered"
    ]
    assert [d.name for d in delegates(conference)] == ["Quick Secretary's Pick"]
    assert audit_entries("delegate.import") == []


@pytest.mark.parametrize(
    ("who", "method", "path", "expected"),
    [
        ("admin", "GET", "delegates.csv", 200),
        ("admin", "GET", "delegates/import", 200),
        ("admin", "POST", "delegates/import", 200),  # no file: the form says so
        ("site_admin", "GET", "delegates.csv", 200),
        ("site_admin", "POST", "delegates/import", 200),
        ("anonymous", "GET", "delegates.csv", 302),
        ("anonymous", "POST", "delegates/import", 302),
    ],
)
def test_the_committee_and_site_admins_may(client, conference, login, who, method, path, expected):
    if who == "admin":
        login(factories.user(conf=conference, role=Role.ADMIN))
    elif who == "site_admin":
        login(factories.user(site_admin=True))  # no role in this conference
    response = client.open(f"/admin/conferences/{conference.id}/{path}", method=method, data={})
    assert response.status_code == expected
    if expected == 302:
        assert response.headers["Location"].startswith("/login")
    missing = client.open(f"/admin/conferences/999999/{path}", method=method, data={})
    assert missing.status_code == (302 if who == "anonymous" else 404)


def test_only_rows_imported_as_approved_get_a_badge_code(client, conference, admin, groups):
    from confapp.models import Credential

    upload(client, conference, GOOD)
    issued = db.session.execute(sa.select(Credential).join(Credential.delegate)).scalars().all()
    assert [(c.delegate.name, c.revoked_at) for c in issued] == [("Cat Price", None)]


# ---- the sample file, counts, the delimiter -------------------------------------------------


def test_the_sample_downloads_and_imports_as_it_is(client, conference, admin, groups):
    register(groups["Leeds"], "Earlier One", "e1@example.org")  # Leeds has a registration
    response = client.get(f"/admin/conferences/{conference.id}/delegates/sample.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).removeprefix("\ufeff").splitlines()
    assert lines[0] == HEADER.strip() and len(lines) == 3  # the header and two examples
    # A group in good standing with room: not Suspended, not Leeds which has a registration.
    assert {line.split(",")[0] for line in lines[1:]} == {"Tenants' Union"}

    page = text(upload(client, conference, response.data))
    assert "2 registrations imported (1 delegate, 1 visitor) for 1 group" in page
    assert [d.name for d in delegates(conference)] == ["Earlier One", "Ann Example", "Sam Example"]
    form = client.get(f"/admin/conferences/{conference.id}/delegates/import")
    assert f'href="/admin/conferences/{conference.id}/delegates/sample.csv"' in form.get_data(
        as_text=True
    )


def test_one_problem_is_counted_in_english(client, conference, admin, groups):
    page = text(upload(client, conference, SHORT + "Leds,delegate,Ann,ann@example.org\n"))
    assert "Nothing was imported: the file has 1 problem, listed below." in page
    assert "Fix this problem and upload again" in page
    assert "line 2 (Leds), column group: no group named 'Leds' in this conference" in page


def test_a_file_separated_by_semicolons_says_how_to_save_one_with_commas(
    client, conference, admin, groups
):
    data = SHORT.replace(",", ";") + "Leeds;delegate;Ann;ann@example.org\n"
    (problem,) = problems(upload(client, conference, data))
    assert problem.startswith("file: columns are separated by ';', expected ','. Save the sheet")
    assert '"CSV UTF-8 (Comma delimited)"' in problem and '"Text CSV (.csv)"' in problem
    assert delegates(conference) == []
