"""The member register: imported from CSV all or nothing, updated by number, exported, listed."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

import pytest

from confapp import factories
from confapp.extensions import db
from confapp.members import register
from confapp.models import AuditEntry, Member, Role

HEADER = "membership_number,name,email,group,joined_on,in_good_standing,left_on,woman,young\n"
GOOD = HEADER + (
    "L0001,Ann Lee,Ann.Lee@Example.ORG,Leeds,2020-01-20,yes,,yes,no\n"
    'L0002,"Bob Hart, Jr",bob@example.org,leeds,2021-05-01,no,,,yes\n'
    "Y0001,Eve Shaw,eve@example.org,York,2019-03-03,yes,2025-06-30,yes,\n"
)


@pytest.fixture
def world(conference):
    """Leeds and York, and the committee logged in."""
    return {
        "conference": conference,
        "leeds": factories.group(conference, "Leeds", members=1000),
        "york": factories.group(conference, "York", members=400),
        "admin": factories.user(conf=conference, role=Role.ADMIN),
    }


@pytest.fixture
def admin(world, login):
    login(world["admin"])
    return world["admin"]


def url(conference, tail: str = "") -> str:
    return f"/conferences/{conference.id}/members{tail}"


def upload(client, conference, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        url(conference, "/import"),
        data={"file": (io.BytesIO(data), "members.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def members(conference) -> dict[str, Member]:
    db.session.expire_all()
    rows = db.session.scalars(db.select(Member).where(Member.conference_id == conference.id))
    return {m.number: m for m in rows}


def imports(conference) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            db.select(AuditEntry).where(
                AuditEntry.action == "member.import", AuditEntry.conference_id == conference.id
            )
        )
    )


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def counts(page: str) -> str:
    """The register's counts by standing, as words: '1 in good standing 1 in arrears ...'."""
    start = page.index('<ul class="register-counts"')
    block = page[start : page.index("</ul>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", block).split())


# ---- a good file ---------------------------------------------------------------------------


def test_a_good_file_adds_every_member_with_one_audit_entry(client, world, admin):
    conference = world["conference"]

    page = text_of(upload(client, conference, GOOD))

    assert "Imported: 3 members added, 0 updated (1 newly lapsed), 0 unchanged." in page
    held = members(conference)
    assert set(held) == {"L0001", "L0002", "Y0001"}
    ann, bob, eve = held["L0001"], held["L0002"], held["Y0001"]
    assert ann.email == "ann.lee@example.org"  # lower-cased
    assert ann.group_id == world["leeds"].id and bob.group_id == world["leeds"].id
    assert bob.name == "Bob Hart, Jr"
    assert ann.joined_on == date(2020, 1, 20)
    assert ann.attributes == {"woman": True, "young": False}
    assert bob.attributes == {"young": True}  # blank: not known, so not held
    assert bob.standing == "in arrears"
    assert eve.standing == "lapsed" and eve.left_on == date(2025, 6, 30)
    # The register page the import lands on counts them.
    assert "1 in good standing" in counts(page)
    [entry] = imports(conference)
    assert entry.after == {"added": 3, "updated": 0, "lapsed": 1, "unchanged": 0, "not_in_file": 0}
    assert entry.actor == admin.email


def test_the_register_page_counts_members_by_standing(client, world, admin):
    conference = world["conference"]
    upload(client, conference, GOOD)

    page = client.get(url(conference)).get_data(as_text=True)

    assert "1 in good standing 1 in arrears 1 lapsed 3 on the register" in counts(page)


# ---- bad lines: every problem by line and column, nothing changed ---------------------------

BAD_LINES = [
    ("L0009,Kay,kay@example.org,Leds,2020-01-01,yes,,,", "group",
     "no group named 'Leds' in this conference (is it 'Leeds'?)"),
    ("L0009,Kay,kay@example.org,,2020-01-01,yes,,,", "group",
     "must not be empty; give the group's name as on the group list"),
    ("L0009,Kay,not-an-address,Leeds,2020-01-01,yes,,,", "email",
     "'not-an-address' is not a valid e-mail address"),
    ("L0009,Kay,kay@example.org,Leeds,20/01/2020,yes,,,", "joined_on",
     "must be a date written like 2024-01-20 (year-month-day), got '20/01/2020'"),
    ("L0009,Kay,kay@example.org,Leeds,,yes,,,", "joined_on", "must not be empty"),
    ("L0009,Kay,kay@example.org,Leeds,2021-02-30,yes,,,", "joined_on",
     "'2021-02-30' is not a date in the calendar"),
    ("L0009,Kay,kay@example.org,Leeds,2021-02-01,yes,2020-01-01,,", "left_on",
     "2020-01-01 is before the date joined (2021-02-01)"),
    ("L0009,Kay,kay@example.org,Leeds,2021-02-01,perhaps,,,", "in_good_standing",
     "must be yes or no (blank: yes), got 'perhaps'"),
    ("L0009,Kay,kay@example.org,Leeds,2021-02-01,yes,,female,", "woman",
     "must be yes or no (blank: not known), got 'female'"),
    ("L0009,,kay@example.org,Leeds,2021-02-01,yes,,,", "name", "must not be empty"),
    (",Kay,kay@example.org,Leeds,2021-02-01,yes,,,", "membership_number", "must not be empty"),
    ("L0001,Kay,kay@example.org,Leeds,2021-02-01,yes,,,", "membership_number",
     "'L0001' is already on line 2: one line per member"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "column", "message"), BAD_LINES)
def test_a_bad_line_is_reported_by_line_and_column_and_nothing_changes(
    client, world, admin, line, column, message
):
    conference = world["conference"]
    factories.members(conference, [world["york"]], per_group=1)  # M00001, already there
    before = {n: (m.name, m.email, m.group_id) for n, m in members(conference).items()}
    text = HEADER + "L0001,Ann,ann@example.org,Leeds,2020-01-01,yes,,,\n" + line + "\n"

    page = text_of(upload(client, conference, text))

    assert "Nothing was imported: the file has 1 problem, listed below." in page
    number = line.split(",")[0]
    where = f"Line 3 ({number})" if number else "Line 3"
    assert f"{where}, column '{column}': {message}" in page
    after = {n: (m.name, m.email, m.group_id) for n, m in members(conference).items()}
    assert after == before  # not even the good line
    assert imports(conference) == []


def test_every_problem_in_a_file_is_listed_at_once(client, world, admin):
    conference = world["conference"]
    text = HEADER + (
        "L0001,Ann,ann@example,Leeds,2020-01-01,yes,,,\n"
        "L0002,Bob,bob@example.org,Leds,2020-01-01,yes,,,\n"
        "L0003,Cy,cy@example.org,York,2020-13-01,maybe,,,\n"
        "L0004,Di,di@example.org,York\n"
    )

    page = text_of(upload(client, conference, text))

    assert "Nothing was imported: the file has 5 problems, listed below." in page
    assert "Line 2 (L0001), column 'email'" in page
    assert "Line 3 (L0002), column 'group': no group named 'Leds'" in page
    assert "Line 4 (L0003), column 'joined_on': '2020-13-01' is not a date in the calendar" in page
    assert "Line 4 (L0003), column 'in_good_standing'" in page
    assert "Line 5 (L0004): has 4 values but the header has 9 columns" in page
    assert members(conference) == {}


def test_a_missing_column_and_an_unknown_one_are_named(client, world, admin):
    conference = world["conference"]
    text = "membership_number,name,group,joined_on,Date Left\nL1,Ann,Leeds,2020-01-01,\n"

    page = text_of(upload(client, conference, text))

    assert "Line 1, column 'email': required column 'email' is missing" in page
    assert "Line 1, column 'Date Left': unknown column 'Date Left'" in page
    assert members(conference) == {}


def test_a_file_that_is_not_utf8_is_refused_saying_how_to_save_it(client, world, admin):
    page = text_of(
        upload(client, world["conference"], GOOD.replace("Ann", "Ånn").encode("latin-1"))
    )

    assert "The file: the file is not UTF-8 text" in page
    assert members(world["conference"]) == {}


# ---- updates by number; nobody deleted ------------------------------------------------------


def test_a_second_file_updates_by_number_adds_new_and_keeps_those_left_out(client, world, admin):
    conference = world["conference"]
    upload(client, conference, GOOD)
    second = HEADER + (
        "L0001,Ann Lee,ann.lee@example.org,York,2020-01-20,yes,,yes,no\n"  # moved to York
        "L0003,Cat Roy,cat@example.org,Leeds,2024-02-02,yes,,no,yes\n"  # new
        'L0002,"Bob Hart, Jr",bob@example.org,Leeds,2021-05-01,no,,,yes\n'  # unchanged
    )  # Y0001 (Eve) is not in the file

    page = text_of(upload(client, conference, second))

    assert "Imported: 1 member added, 1 updated (0 newly lapsed), 1 unchanged." in page
    assert "1 member on the register is not in the file and kept as before." in page
    held = members(conference)
    assert len(held) == 4
    assert held["L0001"].group_id == world["york"].id
    assert held["L0003"].name == "Cat Roy"
    assert held["Y0001"].name == "Eve Shaw" and held["Y0001"].standing == "lapsed"  # kept
    assert [e.after["updated"] for e in imports(conference)] == [0, 1]


def test_a_member_marked_left_is_kept_as_lapsed_and_can_rejoin(client, world, admin):
    conference = world["conference"]
    upload(client, conference, GOOD)

    page = text_of(
        upload(
            client,
            conference,
            GOOD.replace("Leeds,2020-01-20,yes,,", "Leeds,2020-01-20,yes,2026-01-31,"),
        )
    )

    assert "0 members added, 1 updated (1 newly lapsed), 2 unchanged" in page
    ann = members(conference)["L0001"]
    assert ann.left_on == date(2026, 1, 31) and ann.standing == "lapsed"
    listing = client.get(url(conference, "?standing=lapsed")).get_data(as_text=True)
    assert "Ann Lee" in listing and "Eve Shaw" in listing and "Bob Hart" not in listing

    upload(client, conference, GOOD)  # left_on blank again: a member once more
    assert members(conference)["L0001"].standing == "in good standing"


def test_columns_left_out_of_a_file_keep_what_the_register_holds(client, world, admin):
    conference = world["conference"]
    upload(client, conference, GOOD)
    short = (
        "membership_number,name,email,group,joined_on\n"
        "Y0001,Eve Shaw,eve@example.org,York,2019-03-03\n"
        "L0001,Ann Lee,ann.lee@example.org,Leeds,2020-01-20\n"
    )

    text_of(upload(client, conference, short))

    held = members(conference)
    assert held["Y0001"].left_on == date(2025, 6, 30)  # no left_on column: still lapsed
    assert held["L0001"].attributes == {"woman": True, "young": False}  # no attribute columns
    assert held["L0002"].in_good_standing is False


def test_a_blank_attribute_in_a_file_forgets_it(client, world, admin):
    conference = world["conference"]
    upload(client, conference, GOOD)

    upload(client, conference, GOOD.replace(",yes,,yes,no\n", ",yes,,,no\n", 1))

    assert members(conference)["L0001"].attributes == {"young": False}


# ---- the export ------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_export_leaves_the_sensitive_attributes_out_unless_asked(client, world, admin):
    conference = world["conference"]
    upload(client, conference, GOOD)

    plain = client.get(url(conference, "/export.csv"))
    sensitive = client.get(url(conference, "/export.csv?sensitive=1"))

    assert plain.status_code == 200 and plain.mimetype == "text/csv"
    rows = read_csv(plain)
    assert list(rows[0]) == list(register.COLUMNS)
    assert "woman" not in plain.get_data(as_text=True)
    assert rows[0] == {
        "membership_number": "L0001",
        "name": "Ann Lee",
        "email": "ann.lee@example.org",
        "group": "Leeds",
        "joined_on": "2020-01-20",
        "in_good_standing": "yes",
        "left_on": "",
    }
    with_attributes = read_csv(sensitive)
    assert list(with_attributes[0])[-2:] == ["woman", "young"]
    assert [(r["woman"], r["young"]) for r in with_attributes] == [
        ("yes", "no"),
        ("", "yes"),
        ("yes", ""),
    ]
    logged = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "member.export_sensitive")
    ).all()
    assert len(logged) == 1 and logged[0].after == {"members": 3}  # the plain one is not logged


def test_an_exported_file_imports_back_unchanged(client, world, admin):
    conference = world["conference"]
    upload(client, conference, GOOD.replace("Ann Lee", "=Ann Lee"))  # a formula-looking name

    exported = client.get(url(conference, "/export.csv?sensitive=1")).get_data()
    page = text_of(upload(client, conference, exported))

    assert "0 members added, 0 updated (0 newly lapsed), 3 unchanged" in page
    assert members(conference)["L0001"].name == "=Ann Lee"


def test_the_sample_file_imports_as_it_is(client, world, admin):
    conference = world["conference"]

    sample = client.get(url(conference, "/sample.csv"))
    page = text_of(upload(client, conference, sample.get_data()))

    assert "Imported: 2 members added" in page
    assert members(conference)["EXAMPLE-0002"].standing == "lapsed"


# ---- the register page -----------------------------------------------------------------------


def test_the_register_is_searched_by_name_number_or_email(client, world, admin):
    conference = world["conference"]
    upload(client, conference, GOOD)

    def found(q: str) -> list[str]:
        page = client.get(url(conference, f"?q={q}")).get_data(as_text=True)
        return [n for n in ("Ann Lee", "Bob Hart", "Eve Shaw") if n in page]

    assert found("hart") == ["Bob Hart"]
    assert found("Y0001") == ["Eve Shaw"]
    assert found("ANN.LEE@") == ["Ann Lee"]
    assert "No member matches “nobody”." in client.get(url(conference, "?q=nobody")).get_data(
        as_text=True
    )


def test_the_register_shows_fifty_members_a_page(client, world, admin):
    conference = world["conference"]
    factories.members(conference, [world["leeds"], world["york"]], per_group=30)

    first = client.get(url(conference)).get_data(as_text=True)
    second = client.get(url(conference, "?page=2")).get_data(as_text=True)

    assert "Page 1 of 2 · 60 members" in first
    assert first.count("<code>M000") == 50 and second.count("<code>M000") == 10
    assert "M00050" in first and "M00051" in second


def test_the_committee_and_scrutineer_see_attributes_marked_sensitive(client, world, login):
    conference = world["conference"]
    login(world["admin"])
    upload(client, conference, GOOD)
    scrutineer = factories.user(conf=conference, role=Role.SCRUTINEER)
    client.post("/logout")
    login(scrutineer)

    page = text_of(client.get(url(conference)))

    assert "Attributes are sensitive: only the committee and the scrutineer see them." in page
    assert "woman: yes, young: no" in page
    assert "Import members from CSV" not in page  # read only
    assert client.post(url(conference, "/import")).status_code == 403


def test_the_import_page_says_nobody_is_deleted_and_offers_a_sample(client, world, admin):
    page = text_of(client.get(url(world["conference"], "/import")))

    assert "Nobody is deleted." in page
    assert "Members who are not in the file stay on the" in page
    assert f'href="/conferences/{world["conference"].id}/members/sample.csv"' in page
