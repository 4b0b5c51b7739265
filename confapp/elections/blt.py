"""Read ballots in BLT, the format every STV program reads, with the quirks of real files.

Handled: lines padded with spaces, CRLF, a UTF-8 byte-order mark, gzipped files, droop's
`[tie ...]`, `[withdrawn ...]`, `[nick ...]` and `[droop ...]` lines and `-N` withdrawals,
weights with decimals, candidate lines as `"Name" "Party"` or `Name   PARTY`, names
double-encoded by the council's software (repaired for display; candidates are always
matched by position), and free text after the title.

A ballot is cut where the voter's sequence breaks, as both rules say (Scottish Order rule
44 and the NZ rules alike count preferences only up to a repeated, skipped or shared
number): at a candidate named twice, a `-` (skipped rank) or an `a=b` equal ranking. A
ballot left with no preference is invalid and not counted. Anything else malformed is a
`BltError` naming the line; nothing is counted.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from confapp.elections.model import Ballot


class BltError(ValueError):
    """The file is not a BLT file we can count; `line` is 1-based."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class BltElection:
    """What a BLT file holds: candidates in file order, seats, ballots and options."""

    candidates: list[str]
    seats: int
    ballots: list[Ballot]
    title: str = ""
    parties: list[str] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)
    tie_order: list[int] | None = None
    invalid: Fraction = Fraction(0)
    notes: list[str] = field(default_factory=list)


QUOTED = re.compile(r'"([^"]*)"')


def read_blt(path: str | Path) -> BltElection:
    """Read a BLT file, gzipped or not."""
    return parse_blt(Path(path).read_bytes())


def parse_blt(data: bytes | str) -> BltElection:
    """Parse the text (or bytes) of a BLT file."""
    if isinstance(data, bytes):
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            data = data.decode("cp1252")
    lines = [(n, text.strip()) for n, text in enumerate(data.lstrip("\ufeff").splitlines(), 1)]
    lines = [(n, text) for n, text in lines if text and not text.startswith("#")]
    if not lines:
        raise BltError(1, "the file is empty")
    reader = _Reader(lines)
    return reader.read()


class _Reader:
    """One pass over the significant lines of a BLT file."""

    def __init__(self, lines: list[tuple[int, str]]):
        self.lines = lines
        self.at = 0
        self.nicks: dict[str, int] = {}

    def next_line(self, wanted: str) -> tuple[int, str]:
        if self.at >= len(self.lines):
            last = self.lines[-1][0] if self.lines else 1
            raise BltError(last, f"the file ends before {wanted}")
        line = self.lines[self.at]
        self.at += 1
        return line

    def read(self) -> BltElection:
        number, header = self.next_line("the header")
        fields = header.split()
        if len(fields) != 2 or not all(f.isdigit() for f in fields):
            raise BltError(number, f"the header must be 'candidates seats', not {header!r}")
        self.size, seats = int(fields[0]), int(fields[1])
        if self.size < 1 or seats < 1:
            raise BltError(number, "there must be at least one candidate and one seat")
        election = BltElection(candidates=[], seats=seats, ballots=[])
        while True:
            number, text = self.next_line("the 0 that ends the ballots")
            if text == "0":
                break
            if text.startswith("-"):
                election.withdrawn += [self.candidate(t.lstrip("-"), number) for t in text.split()]
            elif text.startswith("["):
                self.option(text, number, election)
            else:
                self.ballot(text, number, election)
        for _ in range(self.size):
            number, text = self.next_line(f"the names of all {self.size} candidates")
            name, party = _name_and_party(text)
            election.candidates.append(name)
            election.parties.append(party)
        if self.at < len(self.lines):
            election.title = _name_and_party(self.lines[self.at][1])[0]
        return election

    def candidate(self, token: str, number: int) -> int:
        """A candidate number from 1, or a nickname declared by [nick]."""
        if token in self.nicks:
            return self.nicks[token]
        if not token.isdigit():
            raise BltError(number, f"{token!r} is not a candidate number")
        value = int(token)
        if not 1 <= value <= self.size:
            raise BltError(number, f"preference for candidate {value}, but {self.size} stand")
        return value

    def option(self, text: str, number: int, election: BltElection) -> None:
        if not text.endswith("]"):
            raise BltError(number, f"an option line must end with ']': {text!r}")
        words = text[1:-1].split()
        if not words:
            raise BltError(number, "an empty [] option")
        kind, args = words[0], words[1:]
        if kind == "nick":
            if len(args) != self.size:
                raise BltError(number, f"[nick] names {len(args)} candidates, not {self.size}")
            self.nicks = {nick: n for n, nick in enumerate(args, 1)}
        elif kind == "tie":
            election.tie_order = [self.candidate(a, number) for a in args]
        elif kind == "withdrawn":
            election.withdrawn += [self.candidate(a, number) for a in args]
        else:  # [droop ...] options and other programs' settings: not ours to apply
            election.notes.append(f"line {number}: option [{kind}] ignored")

    def ballot(self, text: str, number: int, election: BltElection) -> None:
        tokens = text.split()
        if tokens[0].startswith("("):  # droop's optional ballot id
            tokens = tokens[1:]
        if not tokens or tokens[-1] != "0":
            raise BltError(number, "a ballot line must end with 0")
        weight = _weight(tokens[0], number)
        preferences: list[int] = []
        for token in tokens[1:-1]:
            if token == "-" or "=" in token:
                what = "a skipped rank" if token == "-" else "an equal ranking"
                election.notes.append(f"line {number}: {what}; later preferences ignored")
                for part in token.split("="):  # still refuse a candidate who does not exist
                    if part != "-":
                        self.candidate(part, number)
                break
            candidate = self.candidate(token, number)
            if candidate in preferences:
                election.notes.append(
                    f"line {number}: candidate {candidate} ranked twice; later preferences ignored"
                )
                break
            preferences.append(candidate)
        if weight == 0:
            return
        if preferences:
            election.ballots.append(Ballot(tuple(preferences), weight))
        else:
            election.invalid += weight


def _weight(token: str, number: int) -> int | Fraction:
    """A ballot's weight: an integer, a decimal or a fraction, never negative."""
    try:
        weight = Fraction(token)
    except (ValueError, ZeroDivisionError):
        raise BltError(number, f"{token!r} is not a ballot weight") from None
    if weight < 0:
        raise BltError(number, f"a ballot weight cannot be negative ({token})")
    return int(weight) if weight.denominator == 1 else weight


def _name_and_party(text: str) -> tuple[str, str]:
    """Split a candidate line: quoted name and party, or a name and a code after wide spaces."""
    quoted = QUOTED.findall(text)
    if quoted:
        name, party = quoted[0], (quoted[1] if len(quoted) > 1 else "")
    else:
        parts = re.split(r"\s{2,}", text, maxsplit=1)
        name, party = parts[0], (parts[1] if len(parts) > 1 else "")
    return _repair(" ".join(name.split())), _repair(party)


def _repair(text: str) -> str:
    """Undo UTF-8 read as Windows-1252 ('LeÃ³dhas' -> 'Leódhas'), if that is what it is."""
    if "Ã" not in text and "Â" not in text:
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
