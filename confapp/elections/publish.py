"""What a declared count publishes, pure: the count sheet's table, its CSV, BLT, categories.

Everything here reads an election's stored result (`sheet.stored_result`), so the page, the
CSV, the PDF and the projector show the figures exactly as counted: decimal strings, never
turned into floats. Candidates are numbered by their place on the paper, as in the BLT file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from confapp.elections.model import units_to_str

RULE_WORDS = {
    "scottish": "Scottish STV (Scottish Local Government Elections Order 2007, as amended)",
    "meek": "Meek STV (New Zealand rules, Algorithm 123)",
}
REASONS = {"surplus": "whose surplus first", "exclusion": "whom to exclude", "election": "election"}


@dataclass
class Cell:
    """One candidate at one stage: the total after it, the change at it, and what happened."""

    total: str
    change: str = ""  # "+2.00000" or "-3.00000"; "" at the first stage and when nothing moved
    mark: str = ""  # "Elected" or "Excluded" at the stage it happened


@dataclass
class Row:
    """A candidate across the stages."""

    number: int
    name: str
    cells: list[Cell]
    outcome: str = ""  # "Elected 1st", "Excluded", or "" for one left standing


@dataclass
class StageHead:
    """A stage's column heading: its number and what it did."""

    number: int
    what: str


@dataclass
class Tie:
    """A tie at a stage and how the rule or the draw broke it."""

    stage: int
    reason: str
    tied: list[str]
    chosen: str
    method: str


@dataclass
class CategoryMet:
    """A quota category, its members, and how many of the elected it holds."""

    name: str
    minimum: int
    maximum: int | None
    members: list[tuple[int, str]]
    elected: int
    met: bool

    @property
    def rule_words(self) -> str:
        top = "no maximum" if self.maximum is None else f"at most {self.maximum}"
        return f"at least {self.minimum}, {top}"


@dataclass
class CountSheet:
    """The stage-by-stage count sheet: stages as columns, a row per candidate."""

    rule: str
    rule_words: str
    seats: int
    valid: str
    invalid: str
    quota: str
    seed: str
    stages: list[StageHead]
    rows: list[Row]
    non_transferable: list[Cell]
    rounding: list[Cell] | None  # only where the rule loses value to rounding
    elected: list[tuple[int, str]]  # (number, name) in order of election
    withdrawn: list[tuple[int, str]]
    ties: list[Tie] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    categories: list[CategoryMet] = field(default_factory=list)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _units(figure: str, decimals: int) -> int:
    """A stored decimal string in the rule's units, exactly."""
    return int(Fraction(figure) * 10**decimals)


def _change(before: str, after: str, decimals: int) -> str:
    moved = _units(after, decimals) - _units(before, decimals)
    if not moved:
        return ""
    return ("+" if moved > 0 else "") + units_to_str(moved, decimals)


def name_of(stored: dict, number: int) -> str:
    """A candidate as the count sheet names them: '3. Cerys'."""
    return f"{number}. {stored['candidates'][number - 1]}"


def stage_words(stored: dict, stage: dict) -> str:
    """What a stage did, in words."""
    if stage["action"] == "first":
        return "First preferences"
    if stage["subject"] is None:  # Meek: every elected candidate's surplus at once
        return "Surpluses (Meek iteration)"
    verb = "Surplus of" if stage["action"] == "surplus" else "Exclusion of"
    return f"{verb} {name_of(stored, stage['subject'])}"


def count_sheet(stored: dict) -> CountSheet:
    """The count sheet of a stored result, ready for a page, a PDF or the projector."""
    decimals = stored["decimals"]
    stages = stored["stages"]
    standing = sorted(int(c) for c in stages[0]["votes"]) if stages else []
    elected_order = {c: n for n, c in enumerate(stored["elected"], 1)}
    rows = []
    for number in standing:
        cells, before = [], None
        for stage in stages:
            total = stage["votes"][str(number)]
            mark = (
                "Elected"
                if number in stage["elected"]
                else "Excluded"
                if number in stage["excluded"]
                else ""
            )
            change = "" if before is None else _change(before, total, decimals)
            cells.append(Cell(total, change, mark))
            before = total
        if number in elected_order:
            outcome = f"Elected {ordinal(elected_order[number])}"
        elif any(number in s["excluded"] for s in stages):
            outcome = "Excluded"
        else:
            outcome = ""
        rows.append(Row(number, stored["candidates"][number - 1], cells, outcome))
    return CountSheet(
        rule=stored["rule"],
        rule_words=RULE_WORDS.get(stored["rule"], stored["rule"]),
        seats=stored["seats"],
        valid=stored["valid"],
        invalid=stored.get("invalid", units_to_str(0, decimals)),
        quota=stored["quota"],
        seed=stored.get("seed", ""),
        stages=[StageHead(s["stage"], stage_words(stored, s)) for s in stages],
        rows=rows,
        non_transferable=_running(stages, "non_transferable", decimals),
        rounding=_running(stages, "rounding", decimals) if _has_rounding(stored) else None,
        elected=[(c, stored["candidates"][c - 1]) for c in stored["elected"]],
        withdrawn=[(c, stored["candidates"][c - 1]) for c in stored.get("withdrawn", [])],
        ties=[
            Tie(
                s["stage"],
                REASONS.get(t["reason"], t["reason"]),
                [name_of(stored, c) for c in t["tied"]],
                name_of(stored, t["chosen"]),
                t["method"],
            )
            for s in stages
            for t in s.get("ties", [])
        ],
        notes=[(s["stage"], note) for s in stages for note in s.get("notes", [])],
        categories=categories_met(stored),
    )


def _has_rounding(stored: dict) -> bool:
    """The Scottish Order truncates to 5 places; Meek shows it only if anything was lost."""
    return stored["rule"] == "scottish" or any(
        _units(s.get("rounding", "0"), stored["decimals"]) for s in stored["stages"]
    )


def _running(stages: list[dict], key: str, decimals: int) -> list[Cell]:
    cells, before = [], None
    for stage in stages:
        total = stage.get(key, units_to_str(0, decimals))
        cells.append(Cell(total, "" if before is None else _change(before, total, decimals)))
        before = total
    return cells


def categories_met(stored: dict) -> list[CategoryMet]:
    """Each quota category with how many of the elected belong to it, and whether that is met."""
    elected = set(stored["elected"])
    shown = []
    for category in stored.get("categories", []):
        members = sorted(category["members"])
        holds = len(elected & set(members))
        top = category["maximum"]
        shown.append(
            CategoryMet(
                name=category["name"],
                minimum=category["minimum"],
                maximum=top,
                members=[(c, stored["candidates"][c - 1]) for c in members],
                elected=holds,
                met=holds >= category["minimum"] and (top is None or holds <= top),
            )
        )
    return shown


def short(figure: str, places: int = 2) -> str:
    """A figure cut (not rounded) to `places` decimals, for the projector: '5.12345' -> '5.12'."""
    whole, dot, part = figure.partition(".")
    return f"{whole}.{part[:places]}" if dot and places else whole


# ---- CSV ------------------------------------------------------------------------------------


def csv_rows(stored: dict, title: str) -> list[list]:
    """The count sheet as spreadsheet rows: a column per stage total and per stage's transfer."""
    sheet = count_sheet(stored)
    rows: list[list] = [
        ["election", title],
        ["rule", sheet.rule_words],
        ["seats", sheet.seats],
        ["valid votes", sheet.valid],
        ["invalid (no valid preference)", sheet.invalid],
        ["quota", sheet.quota],
        ["seed of the draw for ties", sheet.seed],
    ]
    if sheet.withdrawn:
        rows.append(["withdrawn", *(f"{n}. {name}" for n, name in sheet.withdrawn)])
    rows.append([])
    header, actions = ["number", "candidate"], ["", "action"]
    for index, stage in enumerate(sheet.stages):
        if index:
            header.append(f"stage {stage.number} transfer")
            actions.append("")
        header.append(f"stage {stage.number}")
        actions.append(stage.what)
    rows.append(header)
    rows.append(actions)

    def line(first, label, cells: list[Cell]) -> list:
        out = [first, label]
        for index, cell in enumerate(cells):
            if index:
                out.append(cell.change)
            out.append(cell.total)
        return out

    for row in sheet.rows:
        rows.append(line(row.number, row.name, row.cells))
    rows.append(line("", "non-transferable (incl. rounding)", sheet.non_transferable))
    if sheet.rounding is not None:
        rows.append(line("", "of which rounding", sheet.rounding))
    for mark in ("Elected", "Excluded"):
        out = ["", mark.lower()]
        for index in range(len(sheet.stages)):
            if index:
                out.append("")
            out.append(" ".join(str(r.number) for r in sheet.rows if r.cells[index].mark == mark))
        rows.append(out)
    rows.append([])
    rows.append(["elected in order", *(f"{n}. {name}" for n, name in sheet.elected)])
    for tie in sheet.ties:
        rows.append(
            ["tie", f"stage {tie.stage}", tie.reason, "; ".join(tie.tied), tie.chosen, tie.method]
        )
    for stage, note in sheet.notes:
        rows.append(["note", f"stage {stage}", note])
    for category in sheet.categories:
        rows.append(
            [
                "quota category",
                category.name,
                category.rule_words,
                " ".join(str(n) for n, _ in category.members),
                f"{category.elected} elected",
                "met" if category.met else "NOT MET",
            ]
        )
    return rows


# ---- BLT and the categories file ------------------------------------------------------------


def _quoted(text: str) -> str:
    """A name as BLT quotes it; BLT has no escape, so a double quote becomes a single one."""
    return '"' + " ".join(text.replace('"', "'").split()) + '"'


def blt_text(
    title: str,
    candidates: list[str],
    seats: int,
    readings: Iterable[tuple[tuple[int, ...], int]],
    withdrawn: Iterable[int] = (),
) -> str:
    """Anonymised ballots as BLT: identical readings summed, lines sorted, so it is byte-stable.

    `readings` are (preferences as places on the paper, the paper's value); a blank paper
    (no preference) is written `value 0` and every program counts it invalid.
    """
    weights: dict[tuple[int, ...], int] = defaultdict(int)
    for preferences, value in readings:
        weights[tuple(preferences)] += value
    lines = [f"{len(candidates)} {seats}"]
    gone = sorted(set(withdrawn))
    if gone:
        lines.append(" ".join(f"-{c}" for c in gone))
    for preferences in sorted(weights):
        lines.append(" ".join(str(x) for x in (weights[preferences], *preferences, 0)))
    lines.append("0")
    lines.extend(_quoted(name) for name in candidates)
    lines.append(_quoted(title))
    return "\n".join(lines) + "\n"


def categories_document(stored: dict, title: str) -> dict:
    """The quota categories as a file another STV program can apply: numbers as in the BLT."""
    return {
        "election": title,
        "rule": stored["rule"],
        "seats": stored["seats"],
        "seed": stored.get("seed", ""),
        "numbering": "candidates are numbered from 1 by their place on the paper, as in the BLT",
        "candidates": [
            {"number": n, "name": name, "withdrawn": n in stored.get("withdrawn", [])}
            for n, name in enumerate(stored["candidates"], 1)
        ],
        "categories": [
            {
                "name": c.name,
                "minimum": c.minimum,
                "maximum": c.maximum,
                "candidates": [{"number": n, "name": name} for n, name in c.members],
            }
            for c in categories_met(stored)
        ],
    }
