"""Meek against droop's reference counts: winners, exclusions and figures to 10**-12."""

from __future__ import annotations

from fractions import Fraction

import pytest

from confapp.elections import count_stv, read_blt

# (ballot file, reference dump): rational arithmetic with omega 10**-10, and droop's
# guarded 18+9-place arithmetic with omega 10**-9.
CASES = [
    (name, f"{name}-meek-{kind}.txt", int(kind[1 : kind.index("-")]))
    for name in ("42", "42t", "513", "SC-Vm-12", "SC")
    for kind in ("o10-rational-d12",)
] + [
    (name, f"{name}-meek-o9-guarded-p18-g9-d18.txt", 9)
    for name in ("42", "42t", "42u", "513", "M135", "SC-Vm-12", "SC", "SCw", "SCwopt")
]
TOLERANCE = Fraction(1, 10**12)


def _dump_rows(path):
    """(action, quota, {name: (state, vote)}) for each elect and defeat row of a dump."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) > 6 and cells[1] in ("elect", "defeat"):
            states = {
                cells[i]: (cells[i + 1], Fraction(cells[i + 2])) for i in range(6, len(cells), 4)
            }
            rows.append((cells[1], Fraction(cells[2]), states))
    return rows


@pytest.mark.parametrize(("ballots", "dump", "omega"), CASES)
def test_meek_matches_droop(stv_data, ballots, dump, omega):
    cases = stv_data / "droop-cases"
    election = read_blt(cases / "blt" / f"{ballots}.blt")
    # droop breaks ties by its tie order: the [tie] line, else the file's order.
    order = election.tie_order or list(range(1, len(election.candidates) + 1))
    result = count_stv(
        election.candidates,
        election.ballots,
        election.seats,
        "meek",
        tie_order=order,
        withdrawn=election.withdrawn,
        omega=omega,
    )
    names = election.candidates
    rows = _dump_rows(cases / "ref" / "dump" / dump)
    final = rows[-1][2]
    assert {names[c - 1] for c in result.elected} == {n for n, s in final.items() if s[0] == "E"}

    # Exclusions in droop's order (droop's last "defeat remaining" rows come after ours).
    defeats = []
    for _, _, states in rows:
        for name, (state, _) in states.items():
            if state == "D" and name not in defeats:
                defeats.append(name)
    excluded = [names[s.subject - 1] for s in result.stages if s.action == "exclusion"]
    assert excluded == defeats[: len(excluded)]

    # At each election, every candidate's votes and the quota as droop had them.
    elect_rows = {}
    for _, quota, states in rows:
        for name, (state, _) in states.items():
            if state == "E" and name not in elect_rows:
                elect_rows[name] = (quota, states)
    compared = 0
    for stage in result.stages:
        if stage.action == "exclusion" or not stage.elected or stage.notes:
            continue
        quota, states = elect_rows[names[stage.elected[0] - 1]]
        assert abs(Fraction(stage.quota, 10**result.decimals) - quota) <= TOLERANCE
        for name, (_, vote) in states.items():
            mine = Fraction(stage.votes[names.index(name) + 1], 10**result.decimals)
            assert abs(mine - vote) <= TOLERANCE, (stage.number, name, mine, vote)
            compared += 1
    assert compared


def test_voting_matters_12_excludes_z_after_a_and_b(stv_data):
    """Low precision excludes X by a tie; the exact count excludes Z, then elects X and Y."""
    election = read_blt(stv_data / "droop-cases" / "blt" / "SC-Vm-12.blt")
    result = count_stv(election.candidates, election.ballots, election.seats, "meek", seed="vm12")

    def letters(numbers):
        return [election.candidates[c - 1] for c in numbers]

    assert letters(result.stages[0].elected) == ["A", "B"]
    exclusion = result.stages[1]
    assert exclusion.action == "exclusion" and letters([exclusion.subject]) == ["Z"]
    assert not exclusion.ties
    assert sorted(letters(result.elected)) == ["A", "B", "X"]
