"""Tests for the groups CSV import: parsing, and every rule that refuses a file."""

from __future__ import annotations

import csv
import io

import pytest

from confapp.admin.group_csv import (
    COLUMNS,
    GroupRow,
    ImportRejected,
    Problem,
    parse_groups_csv,
)

SECTIONS = ("Local groups", "Affiliates")
HEADER = ",".join(COLUMNS) + "\n"
GOOD = {
    "name": "Leeds North",
    "region": "Yorkshire",
    "section": "Local groups",
    "members": "100",
    "women_members": "40",
    "young_members": "10",
    "in_good_standing": "yes",
    "secretary_email": "sec@leeds.example.org",
}


def line(*values: str) -> str:
    """One CSV record, quoted as a spreadsheet would."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


def row(**changes: str) -> str:
    """A good row in COLUMNS order, with some cells changed."""
    values = {**GOOD, **changes}
    return line(*(values[column] for column in COLUMNS))


def parse(data: str | bytes, **kwargs) -> list[GroupRow]:
    raw = data.encode() if isinstance(data, str) else data
    return parse_groups_csv(raw, sections=kwargs.pop("sections", SECTIONS), **kwargs)


def rejected(data: str | bytes, **kwargs) -> list[Problem]:
    with pytest.raises(ImportRejected) as info:
        parse(data, **kwargs)
    return info.value.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def assert_problem(problem: Problem, line: int | None, column: str | None, *words: str) -> None:
    assert (problem.line, problem.column) == (line, column), str(problem)
    for word in words:
        assert word in problem.message, (word, str(problem))


# --- a good file -------------------------------------------------------------


def test_good_file_parses_to_rows() -> None:
    text = (
        " Name , REGION,Section,Members,Women_Members,young_members,IN_GOOD_STANDING,"
        "Secretary_Email\r\n"
        '"Leeds North, Headingley",Yorkshire,local GROUPS,1240,600,30,Yes,'
        "Sec@Leeds.Example.ORG\r\n"
        "Unite Region 5,,affiliates, 5000 ,,,no,\r\n"
    )
    rows = parse(b"\xef\xbb\xbf" + text.encode())
    assert rows == [
        GroupRow(
            line=2,
            name="Leeds North, Headingley",
            region="Yorkshire",
            section="Local groups",
            members=1240,
            women_members=600,
            young_members=30,
            in_good_standing=True,
            secretary_email="Sec@leeds.example.org",
        ),
        GroupRow(
            line=3,
            name="Unite Region 5",
            region="",
            section="Affiliates",
            members=5000,
            women_members=0,
            young_members=0,
            in_good_standing=False,
            secretary_email=None,
        ),
    ]


def test_only_required_columns_are_needed() -> None:
    rows = parse("section,members,name\nAffiliates,7,GMB Branch 3\n")
    assert rows == [
        GroupRow(2, "GMB Branch 3", "", "Affiliates", 7, 0, 0, True, None),
    ]


def test_whitespace_in_names_is_normalised() -> None:
    (group,) = parse(HEADER + row(name="  Leeds   North ", region=" West  Yorkshire "))
    assert (group.name, group.region) == ("Leeds North", "West Yorkshire")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        ("1", True),
        ("", True),
        (" no ", False),
        ("n", False),
        ("False", False),
        ("0", False),
    ],
)
def test_in_good_standing_values(value: str, expected: bool) -> None:
    (group,) = parse(HEADER + row(in_good_standing=value))
    assert group.in_good_standing is expected


def test_blank_lines_are_skipped_and_lines_stay_physical() -> None:
    text = HEADER + "\n" + row() + "\r\n" + ",,,,,,,\n" + "   \n" + row(name="Hull")
    rows = parse(text)
    assert [(r.line, r.name) for r in rows] == [(3, "Leeds North"), (7, "Hull")]


def test_multiline_quoted_field_keeps_later_line_numbers() -> None:
    text = HEADER + row(name="Leeds\nNorth\nBranch") + row(name="Hull") + row(name="York")
    rows = parse(text)
    assert [(r.line, r.name) for r in rows] == [(2, "Leeds North Branch"), (5, "Hull"), (6, "York")]

    bad = HEADER + row(name="Leeds\r\nNorth") + row(name="Hull", members="abc")
    assert_problem(only(rejected(bad)), 4, "members", "whole number")


def test_old_mac_line_endings() -> None:
    rows = parse((HEADER + row() + row(name="Hull")).replace("\n", "\r"))
    assert [r.line for r in rows] == [2, 3]


# --- bad cells ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "column", "words"),
    [
        ({"name": ""}, "name", ["must not be empty"]),
        ({"name": "   "}, "name", ["must not be empty"]),
        ({"name": "x" * 201}, "name", ["at most 200 characters", "201"]),
        ({"region": "r" * 201}, "region", ["at most 200 characters"]),
        ({"members": ""}, "members", ["must not be empty"]),
        ({"members": "abc"}, "members", ["must be a whole number, got 'abc'"]),
        ({"members": "-5"}, "members", ["must not be negative", "'-5'"]),
        ({"members": "1,240"}, "members", ["whole number, got '1,240'", "thousands"]),
        ({"members": "12.5"}, "members", ["whole number, got '12.5'"]),
        ({"members": "１２"}, "members", ["whole number"]),
        ({"members": "99999999999"}, "members", ["at most 10000000"]),
        ({"members": "9" * 5000}, "members", ["at most 10000000"]),
        ({"women_members": "lots"}, "women_members", ["whole number, got 'lots'"]),
        ({"women_members": "-1"}, "women_members", ["must not be negative"]),
        ({"young_members": "x"}, "young_members", ["whole number, got 'x'"]),
        ({"young_members": "-3"}, "young_members", ["must not be negative"]),
        (
            {"women_members": "120"},
            "women_members",
            ["women_members (120) is greater than members (100)"],
        ),
        (
            {"young_members": "101"},
            "young_members",
            ["young_members (101) is greater than members (100)"],
        ),
        (
            {"section": "Branches"},
            "section",
            ["unknown section 'Branches'", "'Local groups'", "'Affiliates'"],
        ),
        ({"section": ""}, "section", ["must not be empty", "'Local groups'"]),
        ({"in_good_standing": "maybe"}, "in_good_standing", ["yes or no", "'maybe'"]),
        ({"secretary_email": "not-an-email"}, "secretary_email", ["not a valid email", "@-sign"]),
        ({"secretary_email": "a@b"}, "secretary_email", ["not a valid email", "period"]),
    ],
)
def test_bad_cell_is_reported_at_its_line_and_column(
    changes: dict[str, str], column: str, words: list[str]
) -> None:
    problems = rejected(HEADER + row(name="Hull") + row(**changes))
    assert_problem(only(problems), 3, column, *words)


def test_too_many_values_from_an_unquoted_comma() -> None:
    text = HEADER + row() + "Leeds North, Headingley,Yorkshire,Local groups,100,40,10,yes,\n"
    assert_problem(only(rejected(text)), 3, None, "9 values", "8 columns", "double quotes")


def test_too_few_values() -> None:
    assert_problem(only(rejected(HEADER + "Hull,Yorkshire\n")), 2, None, "2 values", "8 columns")


def test_unclosed_quote_is_reported_where_it_starts() -> None:
    text = HEADER + row() + '"Hull,Yorkshire,Local groups,1,0,0,yes,\n' + row(name="York")
    assert_problem(only(rejected(text)), 3, None, "never closed")


def test_stray_quote_is_reported_and_later_rows_still_checked() -> None:
    text = HEADER + '"Hull" Branch,,Local groups,1,,,,\n' + row(members="x")
    problems = rejected(text)
    assert len(problems) == 2
    assert_problem(problems[0], 2, None, "double quotes")
    assert_problem(problems[1], 3, "members", "whole number")


def test_duplicate_names_name_the_earlier_line() -> None:
    text = HEADER + row() + row(name="Hull") + row(name="  leeds   NORTH ")
    assert_problem(only(rejected(text)), 4, "name", "duplicate", "'leeds NORTH'", "line 2")


def test_every_problem_in_the_file_is_reported() -> None:
    text = (
        HEADER
        + row(members="abc", section="Nowhere")
        + row(name="Hull", women_members="500", secretary_email="nope")
        + row(name="")
        + row(name="Hull")
    )
    problems = rejected(text)
    assert [(p.line, p.column) for p in problems] == [
        (2, "section"),
        (2, "members"),
        (3, "women_members"),
        (3, "secretary_email"),
        (4, "name"),
        (5, "name"),
    ]


def test_problems_are_capped() -> None:
    text = HEADER + "".join(row(name=f"G{i}", members="x") for i in range(10))
    problems = rejected(text, max_problems=3)
    assert [p.line for p in problems] == [2, 3, 4, None]
    assert problems[-1].message == "... and 7 more problems"


# --- header -------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["name", "section", "members"])
def test_missing_required_column(missing: str) -> None:
    columns = [c for c in COLUMNS if c != missing]
    text = ",".join(columns) + "\n" + line(*(GOOD[c] for c in columns))
    assert_problem(only(rejected(text)), 1, missing, "required column", missing, "missing")


def test_unknown_column_lists_expected_columns() -> None:
    text = "name,section,members,Colour\nHull,Affiliates,3,red\n"
    assert_problem(only(rejected(text)), 1, "Colour", "unknown column 'Colour'", *COLUMNS)


def test_duplicate_column() -> None:
    text = "name,section,members,MEMBERS\nHull,Affiliates,3,4\n"
    assert_problem(only(rejected(text)), 1, "members", "more than once", "3 and 4")


def test_file_without_header_row() -> None:
    problem = only(rejected(row() + row(name="Hull")))
    assert_problem(problem, 1, None, "not a header", "name, region, section")


def test_empty_trailing_header_cells_are_tolerated_but_must_stay_empty() -> None:
    text = "name,section,members,,\nHull,Affiliates,3,,\nYork,Affiliates,4,,oops\n"
    assert_problem(only(rejected(text)), 3, None, "'oops'", "column 5", "no name")
    assert [g.name for g in parse("name,section,members,,\nHull,Affiliates,3,,\n")] == ["Hull"]


# --- whole-file problems ------------------------------------------------------


def test_latin1_file_is_refused() -> None:
    data = (HEADER + row(name="Café Branch")).encode("latin-1")
    position = data.index(b"\xe9")
    problem = only(rejected(data))
    assert_problem(
        problem, None, None, "not UTF-8", f"byte 0xe9 at position {position}", "CSV UTF-8"
    )
    assert str(problem).startswith("file: the file is not UTF-8")


@pytest.mark.parametrize(("delimiter", "named"), [(";", "';'"), ("\t", "tabs")])
def test_wrong_delimiter(delimiter: str, named: str) -> None:
    text = delimiter.join(COLUMNS) + "\n" + delimiter.join(GOOD[c] for c in COLUMNS) + "\n"
    problem = only(rejected(text))
    assert_problem(problem, None, None, f"separated by {named}", "expected ','")


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\n  \n", b",,,\n"])
def test_empty_file(data: bytes) -> None:
    assert_problem(only(rejected(data)), None, None, "empty")


def test_header_without_rows() -> None:
    assert_problem(only(rejected(HEADER + "\n,,,,,,,\n")), None, None, "no groups in the file")


def test_no_sections_set_up() -> None:
    problem = only(rejected(HEADER + row(), sections=[]))
    assert_problem(problem, None, None, "no sections")


def test_sections_may_be_any_iterable() -> None:
    (group,) = parse(HEADER + row(section="AFFILIATES"), sections=iter(["Affiliates"]))
    assert group.section == "Affiliates"


# --- presentation -------------------------------------------------------------


def test_problem_text() -> None:
    assert str(Problem(4, "members", "must be a whole number, got 'abc'")) == (
        "line 4, column members: must be a whole number, got 'abc'"
    )
    assert str(Problem(4, None, "has 2 values")) == "line 4: has 2 values"
    assert str(Problem(None, None, "no groups in the file")) == "file: no groups in the file"


def test_import_rejected_lists_problems() -> None:
    problems = [Problem(None, None, "a"), Problem(2, "name", "b")]
    error = ImportRejected(problems)
    assert error.problems == problems
    assert str(error) == "file: a\nline 2, column name: b"


def test_max_problems_must_be_positive() -> None:
    with pytest.raises(ValueError):
        parse(HEADER + row(), max_problems=0)
