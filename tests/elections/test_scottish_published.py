"""The Scottish count against published results: every stage, to 0.00001 of a vote."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

import pytest

from confapp.elections import count_stv, read_blt

EDINBURGH_WARDS = range(1, 18)


def _count(path):
    election = read_blt(path)
    return election, count_stv(election.candidates, election.ballots, election.seats)


@pytest.mark.parametrize("ward", EDINBURGH_WARDS)
def test_edinburgh_2017_every_stage(stv_data, ward):
    folder = stv_data / "edinburgh-2017"
    with open(folder / "edinburgh-2017-stages-council17.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    # Ward codes S13002919..35 are wards 1..17 in order.
    code = f"S13{2918 + ward:06d}"
    rows = [r for r in rows if r["ward_code"] == code]
    (path,) = folder.glob(f"ballots/ward_{ward}_-_*")
    election, result = _count(path)

    # The sheet spells some names differently (Norman for Norrie): match by position.
    names = [r["candidate"] for r in rows if r["stage"] == "1"]
    assert len(names) == len(election.candidates)
    assert result.quota == int(rows[0]["quota"])
    assert result.valid == int(rows[0]["valid_poll"])
    assert len(result.stages) == max(int(r["stage"]) for r in rows)
    for row in rows:
        stage = result.stages[int(row["stage"]) - 1]
        candidate = names.index(row["candidate"]) + 1
        assert Decimal(result.figure(stage.votes[candidate])) == Decimal(row["total_votes"]), row
        if row["elected_or_excluded_at_stage"] == row["stage"] and row["status"] == "Elected":
            assert candidate in stage.elected, row

    with open(folder / "edinburgh-2017-elected-council17.csv", newline="") as f:
        published = {
            r["elected_candidate"]: int(r["stage_elected"])
            for r in csv.DictReader(f)
            if r["ward_code"] == code
        }
    elected_at = {names[c - 1]: s.number for s in result.stages for c in s.elected}
    assert elected_at == published


def test_edinburgh_quirks(stv_data):
    """Four of five reach the quota at stage 1; two namesakes are both elected."""
    folder = stv_data / "edinburgh-2017" / "ballots"
    (southside,) = folder.glob("ward_15_-_*")
    _, result = _count(southside)
    assert len(result.stages) == 1 and len(result.stages[0].elected) == 4
    (portobello,) = folder.glob("ward_17_-_*")
    election, result = _count(portobello)
    surnames = [election.candidates[c - 1].split()[-1] for c in result.elected]
    assert len(surnames) - len(set(surnames)) == 1


@pytest.mark.parametrize(
    ("ward", "pattern"), [(2, "*Ward_2_*.txt.gz"), (7, "*Ward_7_*.xlsx-as-text.txt")]
)
def test_glasgow_2017_every_stage(stv_data, ward, pattern):
    folder = stv_data / "glasgow-2017"
    with open(folder / "glasgow-2017-w2-w7-stages.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["ward"].startswith(f"Ward {ward} ")]
    (path,) = folder.glob(pattern)
    election, result = _count(path)
    assert len(result.stages) == max(int(r["stage"]) for r in rows)
    for row in rows:
        stage = result.stages[int(row["stage"]) - 1]
        assert stage.action == row["action"], row
        if row["subject"]:
            assert election.candidates[stage.subject - 1] == row["subject"], row
        if row["candidate"] == "Non-transferable votes":
            # In 2017 Glasgow published rounding losses inside non-transferable.
            figure = stage.non_transferable + stage.rounding
        else:
            figure = stage.votes[election.candidates.index(row["candidate"]) + 1]
        assert Decimal(result.figure(figure)) == Decimal(row["votes"]), row


def test_glasgow_2007_winners(stv_data):
    folder = stv_data / "glasgow-2007"
    winners = defaultdict(set)
    with open(folder / "glasgow-2007-winners-droop-scotland.csv", newline="") as f:
        for row in csv.DictReader(f):
            winners[row["ballot_file"]].add(row["elected_by_droop_scotland_rule"])
    assert len(winners) == 21
    for name, expected in winners.items():
        election, result = _count(folder / name)
        assert {election.candidates[c - 1] for c in result.elected} == expected, name
