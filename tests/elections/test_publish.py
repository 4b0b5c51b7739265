"""What a declared count publishes: BLT that recounts to the same result, CSV rows, categories."""

from __future__ import annotations

import json

from confapp.elections import Ballot, Category, count_stv, parse_blt
from confapp.elections.publish import (
    blt_text,
    categories_document,
    count_sheet,
    csv_rows,
    short,
)
from confapp.elections.sheet import stored_result

NAMES = ["Asha", "Bryn", "Cerys", "Dev", "Eve", 'Fay "the quote" Jones']
# (places on the paper, the paper's value): papers as the two tellers agreed them.
READINGS = [
    ((1, 2), 3),
    ((2, 1), 2),
    ((1, 2), 1),  # the same reading as the first: one BLT line of weight 4
    ((3, 4), 2),
    ((4, 3, 1), 1),
    ((3,), 2),
    ((6, 1), 1),  # Fay withdrew: the count skips her
    ((5, 2), 1),
    ((), 2),  # blank: invalid
]
WOMEN = Category("Women", frozenset({3, 4, 5}), minimum=2)
YOUNG = Category("Under 30", frozenset({2, 5}), minimum=0, maximum=1)


def counted(rule: str = "scottish") -> dict:
    ballots = [Ballot(prefs, value) for prefs, value in READINGS]
    result = count_stv(
        NAMES, ballots, 3, rule, categories=[WOMEN, YOUNG], seed="s33d", withdrawn=[6]
    )
    return stored_result(result)


def recount(blt: str, categories: dict, rule: str) -> dict:
    """What another program does: read the BLT and the categories file, and count."""
    read = parse_blt(blt.encode())
    quotas = [
        Category(
            c["name"],
            frozenset(m["number"] for m in c["candidates"]),
            c["minimum"],
            c["maximum"],
        )
        for c in categories["categories"]
    ]
    ballots = list(read.ballots)
    if read.invalid:
        ballots.append(Ballot((), read.invalid))
    result = count_stv(
        read.candidates,
        ballots,
        read.seats,
        rule,
        categories=quotas,
        seed=categories["seed"],
        withdrawn=read.withdrawn,
    )
    return stored_result(result)


def test_the_blt_and_categories_file_recount_to_the_stored_result_by_both_rules():
    for rule in ("scottish", "meek"):
        stored = counted(rule)
        blt = blt_text("National committee", NAMES, 3, READINGS, withdrawn=stored["withdrawn"])
        categories = json.loads(json.dumps(categories_document(stored, "National committee")))

        recounted = recount(blt, categories, rule)

        # BLT cannot quote a double quote: the one name with one reads back with a single one.
        assert recounted["candidates"] == [n.replace('"', "'") for n in NAMES]
        assert recounted | {"candidates": NAMES} == stored, rule


def test_the_blt_sums_identical_readings_sorts_its_lines_and_quotes_the_names():
    blt = blt_text("National committee", NAMES, 3, READINGS, withdrawn=[6])
    shuffled = blt_text("National committee", NAMES, 3, READINGS[::-1], withdrawn=[6])

    assert blt == shuffled  # byte-stable whatever order the papers were entered in
    assert blt.splitlines() == [
        "6 3",
        "-6",
        "2 0",
        "4 1 2 0",
        "2 2 1 0",
        "2 3 0",
        "2 3 4 0",
        "1 4 3 1 0",
        "1 5 2 0",
        "1 6 1 0",
        "0",
        '"Asha"',
        '"Bryn"',
        '"Cerys"',
        '"Dev"',
        '"Eve"',
        "\"Fay 'the quote' Jones\"",
        '"National committee"',
    ]
    read = parse_blt(blt)
    assert read.title == "National committee" and read.withdrawn == [6]
    assert read.candidates[5] == "Fay 'the quote' Jones"
    assert read.invalid == 2


def test_the_count_sheet_shows_each_stage_s_total_and_transfer_and_who_was_elected():
    stored = counted()
    sheet = count_sheet(stored)

    assert [row.name for row in sheet.rows] == NAMES[:5]  # Fay withdrew: no row
    assert sheet.withdrawn == [(6, NAMES[5])]
    assert sheet.valid == "13.00000" and sheet.invalid == "2.00000" and sheet.seed == "s33d"
    assert sheet.stages[0].what == "First preferences"
    assert [c.total for c in sheet.rows[0].cells][:1] == ["5.00000"]  # Asha: 4 + Fay's 1
    assert [n for n, _ in sheet.elected] == stored["elected"]
    for row in sheet.rows:
        for before, cell, stage in zip(
            row.cells, row.cells[1:], stored["stages"][1:], strict=False
        ):
            moved = float(cell.total) - float(before.total)
            assert (cell.change == "") == (moved == 0)
            assert cell.total == stage["votes"][str(row.number)]
    outcomes = {row.name: row.outcome for row in sheet.rows}
    for order, (_, name) in enumerate(sheet.elected, 1):
        assert outcomes[name].startswith("Elected ") and str(order) in outcomes[name]
    women = next(c for c in sheet.categories if c.name == "Women")
    assert women.met and women.elected >= 2 and women.rule_words == "at least 2, no maximum"
    assert sheet.rounding is not None  # the Scottish rule shows its rounding row


def test_csv_rows_carry_every_stage_total_and_transfer_and_the_categories():
    stored = counted()
    rows = csv_rows(stored, "National committee")

    header = next(r for r in rows if r and r[0] == "number")
    stages = len(stored["stages"])
    assert header[2] == "stage 1" and header[-1] == f"stage {stages}"
    assert len(header) == 2 + stages + (stages - 1)
    asha = next(r for r in rows if r and r[0] == 1)
    assert asha[1] == "Asha" and asha[2] == stored["stages"][0]["votes"]["1"]
    assert asha[-1] == stored["stages"][-1]["votes"]["1"]
    assert ["seed of the draw for ties", "s33d"] in rows
    elected = next(r for r in rows if r and r[0] == "elected in order")
    assert elected[1:] == [f"{n}. {NAMES[n - 1]}" for n in stored["elected"]]
    women = next(r for r in rows if r[:2] == ["quota category", "Women"])
    assert women[2:4] == ["at least 2, no maximum", "3 4 5"] and women[-1] == "met"


def test_the_categories_file_names_each_category_s_bounds_and_candidates():
    document = categories_document(counted(), "National committee")

    assert document["seed"] == "s33d" and document["seats"] == 3
    assert document["candidates"][5] == {"number": 6, "name": NAMES[5], "withdrawn": True}
    assert document["categories"] == [
        {
            "name": "Women",
            "minimum": 2,
            "maximum": None,
            "candidates": [
                {"number": 3, "name": "Cerys"},
                {"number": 4, "name": "Dev"},
                {"number": 5, "name": "Eve"},
            ],
        },
        {
            "name": "Under 30",
            "minimum": 0,
            "maximum": 1,
            "candidates": [{"number": 2, "name": "Bryn"}, {"number": 5, "name": "Eve"}],
        },
    ]


def test_short_figures_are_cut_not_rounded():
    assert short("5.99999") == "5.99"
    assert short("-3.125") == "-3.12"
    assert short("12", 2) == "12"


def test_a_tie_broken_by_the_draw_is_shown_with_the_seed():
    result = count_stv(["A", "B", "C"], [Ballot((1,), 2), Ballot((2,), 2), Ballot((3,), 1)], 1)
    sheet = count_sheet(stored_result(result))

    assert sheet.seed == ""
    [tie] = sheet.ties
    assert (tie.stage, tie.reason, tie.tied, tie.method) == (
        3,
        "whom to exclude",
        ["1. A", "2. B"],
        "draw",
    )
    rows = csv_rows(stored_result(result), "Chair")
    assert ["tie", "stage 3", "whom to exclude", "1. A; 2. B", tie.chosen, "draw"] in rows
