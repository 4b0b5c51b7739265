"""Reading BLT: the quirks of real files, and clear errors by line for bad ones."""

from __future__ import annotations

import gzip
from fractions import Fraction

import pytest

from confapp.elections import Ballot, BltError, parse_blt, read_blt


def test_padding_crlf_bom_and_gzip(tmp_path):
    text = (
        "\ufeff3 2   \r\n2 1 2 0" + " " * 480 + '\r\n1 3 0\r\n0\r\n"A"\r\n"B"\r\n"C"\r\n"Title"\r\n'
    )
    path = tmp_path / "ward.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    election = read_blt(path)
    assert election.candidates == ["A", "B", "C"]
    assert election.seats == 2
    assert election.ballots == [Ballot((1, 2), 2), Ballot((3,), 1)]
    assert election.title == "Title"


def test_droop_extensions():
    election = parse_blt(
        "4 2\n-4\n[nick a b c d]\n[tie c b a d]\n[withdrawn b]\n[droop precision=5]\n"
        '3 a b 0\n1.5 c a 0\n0\n"A"\n"B"\n"C"\n"D"\n"t"\nfree text after the title\n'
    )
    assert election.withdrawn == [4, 2]
    assert election.tie_order == [3, 2, 1, 4]
    assert election.ballots == [Ballot((1, 2), 3), Ballot((3, 1), Fraction(3, 2))]
    assert any("[droop]" in note for note in election.notes)


def test_candidate_lines_with_parties_and_double_encoding():
    election = parse_blt(
        '3 1\n1 1 0\n0\n"LeÃ³dhas Iain MASSIE" "Scottish Greens"\n'
        'Susan AITKEN        SNP\n"Kevin  LANG"\n"Ward"\n'
    )
    assert election.candidates == ["Leódhas Iain MASSIE", "Susan AITKEN", "Kevin LANG"]
    assert election.parties == ["Scottish Greens", "SNP", ""]


@pytest.mark.parametrize(
    ("line", "kept", "note"),
    [
        ("1 1 2 1 3 0", (1, 2), "ranked twice"),
        ("1 1 - 3 0", (1,), "skipped rank"),
        ("1 2 1=3 0", (2,), "equal ranking"),
    ],
)
def test_broken_sequences_cut_where_they_break(line, kept, note):
    election = parse_blt(f'3 1\n{line}\n0\n"A"\n"B"\n"C"\n"t"\n')
    assert election.ballots == [Ballot(kept, 1)]
    assert note in election.notes[0] and "line 2" in election.notes[0]


def test_a_ballot_with_no_first_preference_is_invalid():
    election = parse_blt('3 1\n2 1=2 0\n1 3 0\n0\n"A"\n"B"\n"C"\n"t"\n')
    assert election.invalid == 2
    assert election.ballots == [Ballot((3,), 1)]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('3 1\n1 1 4 0\n0\n"A"\n"B"\n"C"\n', 2, "preference for candidate 4, but 3 stand"),
        ('3 1\n1 1 2\n0\n"A"\n"B"\n"C"\n', 2, "must end with 0"),
        ('3 1\nx 1 0\n0\n"A"\n"B"\n"C"\n', 2, "not a ballot weight"),
        ('3 1\n-1 1 0\n1 1 0\n0\n"A"\n"B"\n"C"\n', 2, None),
        ("three 1\n", 1, "header"),
        ('3 1\n1 1 0\n0\n"A"\n"B"\n', 5, "names of all 3 candidates"),
        ('3 1\n1 1 zz 0\n0\n"A"\n"B"\n"C"\n', 2, "'zz' is not a candidate number"),
    ],
)
def test_malformed_files_name_the_line(text, line, message):
    with pytest.raises(BltError) as raised:
        parse_blt(text)
    assert raised.value.line == line
    if message:
        assert message in str(raised.value)
