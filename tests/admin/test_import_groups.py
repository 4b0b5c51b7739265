"""Importing groups: all rows applied or none, by upload and by command."""

from __future__ import annotations

import html
import io

import pytest

from confapp.extensions import db
from confapp.models import AuditEntry, Group, Role, RoleGrant, User
from tests import factories

HEADER = (
    "name,region,section,members,women_members,young_members,in_good_standing,secretary_email\n"
)
GOOD = HEADER + (
    "Leeds,North,Local groups,1000,520,80,yes,leeds.sec@example.org\n"
    '"Cardiff, Central",Wales,Local groups,750,300,40,yes,\n'
    "Tenants' Union,National,Affiliates,10000,5000,900,no,\n"
)


def _groups(conference) -> dict[str, Group]:
    rows = db.session.execute(db.select(Group).where(Group.conference_id == conference.id))
    return {g.name: g for g in rows.scalars()}


def _upload(client, conference, text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        f"/admin/conferences/{conference.id}/groups/import",
        data={"file": (io.BytesIO(data), "groups.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


@pytest.fixture
def admin(conference, login):
    user = factories.user(conf=conference, role=Role.ADMIN)
    login(user)
    return user


def test_upload_adds_groups_with_their_entitlement(client, conference, admin):
    page = _upload(client, conference, GOOD).get_data(as_text=True)
    assert "Imported: 3 groups added, 0 updated" in page
    groups = _groups(conference)
    assert groups["Cardiff, Central"].members == 750
    assert groups["Tenants' Union"].section.name == "Affiliates"
    assert groups["Tenants' Union"].in_good_standing is False
    assert groups["Leeds"].entitlement.base_delegates == 3
    assert groups["Leeds"].entitlement.reserved_seats == 1  # 520 women: the women's seat
    assert groups["Tenants' Union"].entitlement.total_delegates == 0  # not in good standing
    # The group list shows what was imported, with the totals at the foot.
    assert "11,750" in page  # members in all
    assert "3 groups" in page


def test_secretary_email_makes_a_secretary_login(client, conference, admin):
    _upload(client, conference, GOOD)
    user = db.session.execute(
        db.select(User).where(User.email == "leeds.sec@example.org")
    ).scalar_one()
    grant = db.session.execute(
        db.select(RoleGrant).where(RoleGrant.user_id == user.id)
    ).scalar_one()
    assert grant.role == Role.SECRETARY
    assert grant.group.name == "Leeds"
    assert user.password_hash is None  # they set one through an invitation link


def test_reimport_updates_by_name_and_logs_the_change(client, conference, admin):
    _upload(client, conference, GOOD)
    changed = GOOD.replace("Leeds,North,Local groups,1000", "Leeds,North,Local groups,1250")
    page = _upload(client, conference, changed).get_data(as_text=True)
    assert "0 groups added, 1 updated, 2 unchanged" in page
    groups = _groups(conference)
    assert len(groups) == 3
    assert groups["Leeds"].members == 1250
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "group.update")
    ).scalar_one()
    assert entry.before == {"members": 1000}
    assert entry.after == {"members": 1250}
    assert entry.actor == admin.email


BAD_ROWS = [
    (",North,Local groups,10,0,0,yes,", 2, "name"),  # no name: the problem names no group
    ("Leeds,North,Local groups,-5,0,0,yes,", 2, "members"),
    ("Leeds,North,Local groups,ten,0,0,yes,", 2, "members"),
    ("Leeds,North,Local groups,100,120,0,yes,", 2, "women_members"),
    ("Leeds,North,Local groups,100,0,101,yes,", 2, "young_members"),
    ("Leeds,North,Branches,100,0,0,yes,", 2, "section"),
    ("Leeds,North,Local groups,100,0,0,perhaps,", 2, "in_good_standing"),
    ("Leeds,North,Local groups,100,0,0,yes,not-an-address", 2, "secretary_email"),
]


@pytest.mark.parametrize(("row", "line", "column"), BAD_ROWS)
def test_a_bad_row_rejects_the_whole_file(client, conference, admin, row, line, column):
    text = HEADER + row + "\nYork,North,Local groups,300,150,20,yes,\n"
    page = _upload(client, conference, text).get_data(as_text=True)
    assert "Nothing was imported" in page
    named = row.split(",")[0]
    where = f"line {line} ({named})" if named else f"line {line}"
    assert f"{where}, column {column}" in page  # the line, and the group it is about
    assert _groups(conference) == {}  # not even the good row


def test_every_problem_is_listed(client, conference, admin):
    text = HEADER + (
        "Leeds,North,Local groups,abc,0,0,yes,\n"
        "York,North,Nowhere,100,0,0,yes,\n"
        "Leeds,North,Local groups,100,0,0,yes,\n"
    )
    page = _upload(client, conference, text).get_data(as_text=True)
    assert "line 2 (Leeds), column members" in page
    assert "line 3 (York), column section" in page
    assert "line 4 (Leeds), column name" in page  # the duplicate name
    assert _groups(conference) == {}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (GOOD.replace(",", ";").encode(), "separated by ';'"),
        (
            GOOD.replace("Leeds", "Llanfair Pwllgwyngyll Caernarfon Wrexham").encode("utf-16"),
            "not UTF-8",
        ),
        (
            (HEADER + "Dún Laoghaire,Ireland,Local groups,10,0,0,yes,\n").encode("latin-1"),
            "not UTF-8",
        ),
    ],
)
def test_wrong_encoding_or_delimiter_changes_nothing(client, conference, admin, data, words):
    page = html.unescape(_upload(client, conference, data).get_data(as_text=True))
    assert "Nothing was imported" in page
    assert words in page
    assert _groups(conference) == {}


def test_a_rejected_reimport_leaves_earlier_groups_untouched(client, conference, admin):
    _upload(client, conference, GOOD)
    broken = GOOD.replace("Leeds,North,Local groups,1000", "Leeds,North,Local groups,2000") + (
        "Bad,North,Local groups,-1,0,0,yes,\n"
    )
    _upload(client, conference, broken)
    assert _groups(conference)["Leeds"].members == 1000


def test_cli_import_by_short_name(app, conference, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-groups", conference.slug, str(path)])
    assert result.exit_code == 0, result.output
    assert "3 groups added" in result.output
    assert set(_groups(conference)) == {"Leeds", "Cardiff, Central", "Tenants' Union"}
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "group.import")
    ).scalar_one()
    assert entry.actor == "command line"


def test_cli_import_of_a_bad_file_lists_problems_and_exits_nonzero(app, conference, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text(HEADER + "Leeds,North,Local groups,-3,0,0,yes,\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-groups", str(conference.id), str(path)])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert "line 2 (Leeds), column members" in result.output
    assert _groups(conference) == {}


def test_cli_unknown_conference_lists_the_conferences(app, conference, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-groups", "no-such-conference", str(path)])
    assert result.exit_code != 0
    assert "no conference 'no-such-conference'" in result.output
    assert conference.slug in result.output


def test_each_new_group_is_logged_with_its_row(client, conference, admin):
    _upload(client, conference, GOOD)
    groups = _groups(conference)
    entries = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "group.create").order_by(AuditEntry.id)
    ).scalars()
    logged = {e.summary: e for e in entries}
    assert set(logged) == {"Leeds", "Cardiff, Central", "Tenants' Union"}
    leeds = logged["Leeds"]
    assert leeds.entity_type == "Group" and leeds.entity_id == groups["Leeds"].id
    assert leeds.actor == admin.email and leeds.conference_id == conference.id
    assert leeds.after["id"] == groups["Leeds"].id
    assert (leeds.after["name"], leeds.after["members"], leeds.after["women_members"]) == (
        "Leeds",
        1000,
        520,
    )


def test_a_reimport_leaves_secretaries_alone_and_grants_a_new_group(client, conference, admin):
    _upload(client, conference, GOOD)
    again = GOOD + "York,North,Local groups,300,150,20,yes,leeds.sec@example.org\n"
    page = _upload(client, conference, again).get_data(as_text=True)
    assert "1 group added, 0 updated, 3 unchanged, 0 new secretary logins" in page
    grants = db.session.execute(
        db.select(RoleGrant).join(RoleGrant.user).where(User.email == "leeds.sec@example.org")
    ).scalars()
    assert sorted(g.group.name for g in grants) == ["Leeds", "York"]
    granted = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "role.grant")
    ).scalars()
    assert [e.summary for e in granted] == [
        "leeds.sec@example.org is secretary of Leeds",
        "leeds.sec@example.org is secretary of York",
    ]


# ---- the page in the committee's words: counts, problems, the sample, the delimiter --------


def test_counts_read_in_english_for_one_and_for_two(client, conference, admin):
    one = HEADER + "Leeds,North,Local groups,1000,520,80,yes,leeds.sec@example.org\n"
    page = html.unescape(_upload(client, conference, one).get_data(as_text=True))
    assert "Imported: 1 group added, 0 updated, 0 unchanged, 1 new secretary login." in page
    two = HEADER + (
        "York,North,Local groups,300,150,20,yes,york.sec@example.org\n"
        "Hull,North,Local groups,200,100,20,yes,hull.sec@example.org\n"
    )
    page = html.unescape(_upload(client, conference, two).get_data(as_text=True))
    assert "Imported: 2 groups added, 0 updated, 0 unchanged, 2 new secretary logins." in page

    page = html.unescape(
        _upload(client, conference, HEADER + "Bad,North,Local groups,-1,0,0,yes,\n").get_data(
            as_text=True
        )
    )
    assert "Nothing was imported: the file has 1 problem, listed below." in page
    assert "Fix this problem and upload again" in page
    page = html.unescape(
        _upload(
            client,
            conference,
            HEADER + "Bad,North,Local groups,-1,0,0,yes,\nWorse,North,x,1,0,0,yes,\n",
        ).get_data(as_text=True)
    )
    assert "Nothing was imported: the file has 2 problems, listed below." in page
    assert "Fix these 2 problems and upload again" in page


def test_each_problem_names_its_line_and_its_group(client, conference, admin):
    text = HEADER + (
        "Leeds,North,Local groups,1000,520,80,yes,\n"
        '"Cardiff, Central",Wales,Local groups,75O,300,40,yes,\n'  # a letter O for a zero
        "Bristol,South West,Local groups,600,50,10,yes,,surplus\n"  # one value too many
        ",South,Local groups,10,0,0,yes,\n"
    )
    page = html.unescape(_upload(client, conference, text).get_data(as_text=True))
    assert "line 3 (Cardiff, Central), column members: must be a whole number, got '75O'" in page
    assert "line 4 (Bristol): has 9 values but the header has 8 columns" in page
    assert "line 5, column name: must not be empty" in page  # no name: no group to name


def test_the_sample_downloads_and_imports_as_it_is(client, conference, admin):
    response = client.get(f"/admin/conferences/{conference.id}/groups/sample.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).removeprefix("\ufeff").splitlines()
    assert lines[0] == HEADER.strip() and len(lines) == 3  # the header and two examples
    sections = {s.name for s in conference.sections}
    assert {line.split(",")[2] for line in lines[1:]} <= sections

    page = html.unescape(_upload(client, conference, response.data).get_data(as_text=True))
    assert "Imported: 2 groups added, 0 updated, 0 unchanged, 0 new secretary logins." in page
    assert set(_groups(conference)) == {"Example Group North", "Example Group South"}
    form = client.get(f"/admin/conferences/{conference.id}/groups/import").get_data(as_text=True)
    assert f'href="/admin/conferences/{conference.id}/groups/sample.csv"' in form


def test_a_file_separated_by_semicolons_says_how_to_save_one_with_commas(client, conference, admin):
    page = html.unescape(_upload(client, conference, GOOD.replace(",", ";")).get_data(as_text=True))
    assert "columns are separated by ';', expected ','" in page
    assert 'LibreOffice Calc, File ▸ Save As, file type "Text CSV (.csv)"' in page
    assert 'choose "," as the field delimiter' in page
    assert 'Excel, File ▸ Save As, "CSV UTF-8 (Comma delimited)"' in page
    assert _groups(conference) == {}
