"""`flask count-stv`: the count sheet, the JSON of issue 14, and refusals that count nothing."""

from __future__ import annotations

import json

from click.testing import CliRunner

from confapp.elections.command import count_stv_command

BLT = '3 2\n4 1 2 0\n2 3 0\n3 2 3 0\n0\n"Castor"\n"Pollux"\n"Helen"\n"Twins"\n'


def _run(tmp_path, text, *args):
    path = tmp_path / "ballots.blt"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(count_stv_command, [str(path), *args])


def test_json_has_exactly_the_issue_shape(tmp_path):
    result = _run(tmp_path, BLT, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["rule", "seats", "valid", "quota", "candidates", "stages", "elected"]
    assert data["rule"] == "scottish" and data["seats"] == 2
    assert data["valid"] == "9.00000" and data["quota"] == "4.00000"
    assert data["candidates"] == ["Castor", "Pollux", "Helen"]
    first = data["stages"][0]
    assert list(first) == [
        "stage",
        "action",
        "subject",
        "votes",
        "non_transferable",
        "elected",
        "excluded",
    ]
    assert first == {
        "stage": 1,
        "action": "first",
        "subject": None,
        "votes": {"1": "4.00000", "2": "3.00000", "3": "2.00000"},
        "non_transferable": "0.00000",
        "elected": [1],
        "excluded": [],
    }
    assert data["stages"][1]["action"] == "exclusion" and data["stages"][1]["subject"] == 3
    # Helen's two papers name nobody else: they exhaust, and Pollux fills the last seat.
    assert data["stages"][1]["votes"] == {"1": "4.00000", "2": "3.00000", "3": "0.00000"}
    assert data["stages"][1]["non_transferable"] == "2.00000"
    assert data["elected"] == [1, 2]


def test_sheet_and_meek(tmp_path):
    result = _run(tmp_path, BLT, "--rule", "meek", "--seed", "s1")
    assert result.exit_code == 0, result.output
    assert "Rule: Meek STV" in result.output
    assert "Seed of the draw for ties: 's1'" in result.output
    assert "Elected: 1. Castor, 2. Pollux" in result.output


def test_more_seats_than_candidates_counts_nothing(tmp_path):
    result = _run(tmp_path, BLT, "--seats", "4")
    assert result.exit_code != 0
    assert "4 seats but only 3 candidates stand; nothing was counted" in result.output
    assert "Stage" not in result.output


def test_unknown_candidate_is_refused_by_line(tmp_path):
    result = _run(tmp_path, BLT.replace("2 3 0", "2 3 7 0"), "--json")
    assert result.exit_code != 0
    assert "line 3: preference for candidate 7, but 3 stand" in result.output
    assert "{" not in result.output


def test_registered_with_the_app(app):
    assert app.cli.get_command(None, "count-stv") is count_stv_command
