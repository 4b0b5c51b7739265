"""A declared result as people read it: figures that add up, and its bar chart (no script).

The stored result (services.result_json) keeps its keys. Its overall for/against percentages are
the weighted ones when the ballot was weighted, beside the raw card-vote counts; shown together
those disagree. So every page reads the stored result through `figures`, which derives the card
votes' own percentages and each section's part of the weighted share from what was stored:
results declared before these figures existed show them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from markupsafe import Markup

from confapp.voting import tally


@dataclass(frozen=True)
class Row:
    """Card votes, counted as cast, with their own percentages of the votes cast."""

    label: str
    votes_present: int
    for_: int
    against: int
    abstain: int
    not_voting: int
    for_percent: str | None  # None when nothing was cast
    against_percent: str | None
    weight: str | None  # the share of the result a weighted section counts for: "60%"


@dataclass(frozen=True)
class WeightedRow:
    """One section's part of a weighted result: its for share times its weight."""

    label: str
    weight: str  # the share of the result it counts for ("60%"), "0%" when it cast nothing
    for_percent: str | None  # the section's own share of its votes cast
    against_percent: str | None
    for_points: str  # what it gives the weighted result: the column adds up to it
    against_points: str


@dataclass(frozen=True)
class Figures:
    """A declared card vote as shown on every page: the counts, and what decided it."""

    sections: tuple[Row, ...]
    total: Row  # all card votes, not weighted
    # Weighted results only: each section's part, and the weighted share that decided.
    weighted: tuple[WeightedRow, ...] | None
    weighted_for: str | None
    weighted_against: str | None
    majority_words: str

    @property
    def deciding(self) -> tuple[str | None, str | None]:
        """The for and against percentages the decision was made on."""
        if self.weighted is not None:
            return self.weighted_for, self.weighted_against
        return self.total.for_percent, self.total.against_percent


def _pair(for_: int, against: int) -> tuple[str | None, str | None]:
    """For and against as percentages of the votes cast that add up to 100.00%."""
    cast = for_ + against
    if not cast:
        return None, None
    for_text, against_text = tally.percent_texts(
        [Fraction(100 * for_, cast), Fraction(100 * against, cast)]
    )
    return for_text, against_text


def _shown(text: str) -> Fraction:
    """A percentage as shown ("60.00%") as the exact figure it says."""
    return Fraction(text.rstrip("%"))


def _weight_texts(shares: list[Fraction]) -> list[str]:
    """Each section's share of the result: "60%" when all are whole, else to 2 places."""
    percents = [100 * share for share in shares]
    if all(p.denominator == 1 for p in percents):
        return [f"{p.numerator}%" for p in percents]
    return tally.percent_texts(percents, Fraction(100))


def _name(section: dict) -> str:
    return section.get("section") or "No section"


def _majority_words(result: dict) -> str:
    """The majority in words, as stored, or read from its rule (results stored without words)."""
    if result.get("majority_words"):
        return result["majority_words"]
    try:
        return tally.Majority.from_text(result.get("majority") or "simple").describe()
    except ValueError:
        return str(result.get("majority", ""))


def _row(stored: dict, label: str, weight: str | None = None) -> Row:
    for_, against = stored.get("for", 0), stored.get("against", 0)
    for_percent, against_percent = _pair(for_, against)
    return Row(
        label=label,
        votes_present=stored.get("votes_present", 0),
        for_=for_,
        against=against,
        abstain=stored.get("abstain", 0),
        not_voting=stored.get("not_voting", 0),
        for_percent=for_percent,
        against_percent=against_percent,
        weight=weight,
    )


def _weighted(sections: list[dict]) -> tuple[tuple[WeightedRow, ...], str | None, str | None]:
    """Each section's part of the weighted share, and that share, all as shown (adding up)."""
    parts = tally.weighted_parts([(s.get("weight") or 0, s["for"], s["against"]) for s in sections])
    if parts is None:  # nothing cast anywhere: no section has a part
        empty = (WeightedRow(_name(s), "0%", None, None, "–", "–") for s in sections)
        return tuple(empty), None, None
    for_points = [p.for_points for p in parts]
    against_points = [p.against_points for p in parts]
    weighted_for, weighted_against = tally.percent_texts(
        [sum(for_points, Fraction(0)), sum(against_points, Fraction(0))]
    )
    # Each column adds up to the weighted share shown above it.
    for_texts = tally.percent_texts(for_points, _shown(weighted_for))
    against_texts = tally.percent_texts(against_points, _shown(weighted_against))
    weights = _weight_texts([p.counts_for for p in parts])
    rows = []
    for i, s in enumerate(sections):
        own_for, own_against = _pair(s["for"], s["against"])
        rows.append(
            WeightedRow(
                label=_name(s),
                weight=weights[i],
                for_percent=own_for,
                against_percent=own_against,
                for_points=for_texts[i],
                against_points=against_texts[i],
            )
        )
    return tuple(rows), weighted_for, weighted_against


def figures(result: dict) -> Figures:
    """What a declared card vote's stored result shows, with figures that add up on every row."""
    sections = result["sections"]
    weighted = None
    weighted_for = weighted_against = None
    if result.get("weighted"):
        weighted, weighted_for, weighted_against = _weighted(sections)
    return Figures(
        sections=tuple(
            _row(s, _name(s), weighted[i].weight if weighted else None)
            for i, s in enumerate(sections)
        ),
        total=_row(result["overall"], "All sections"),
        weighted=weighted,
        weighted_for=weighted_for,
        weighted_against=weighted_against,
        majority_words=_majority_words(result),
    )


# ---- the chart -------------------------------------------------------------------------------

COLOURS = {"for": "#0a7a33", "against": "#b00020"}
# Each bar is its own SVG, stretched to the width of its box; its label is HTML text above it,
# which wraps on a narrow screen instead of being cut off inside a fixed drawing.
_BAR = (
    '<svg class="chart-bar" width="100%" height="24" viewBox="0 0 1000 24" '
    'preserveAspectRatio="none" aria-hidden="true" focusable="false">'
    '<rect x="0" y="0" width="1000" height="24" fill="none" stroke="currentColor" '
    'stroke-opacity="0.5" vector-effect="non-scaling-stroke"/>'
    '<rect x="0" y="0" width="{for_}" height="24" fill="{for_colour}"/>'
    '<rect x="{for_}" y="0" width="{against}" height="24" fill="{against_colour}"/></svg>'
)


def _bar_length(text: str | None) -> str:
    """A displayed percentage ("65.77%") as a bar's length in thousandths: drawing only."""
    return f"{float(_shown(text)) * 10:.1f}" if text else "0"


def _chart_rows(shown: Figures) -> list[tuple[str, str | None, str | None]]:
    """(label, for %, against %) for each bar: the sections, then what decided."""
    if shown.weighted is not None:
        rows = [
            (f"{w.label} ({w.weight} of the result)", w.for_percent, w.against_percent)
            for w in shown.weighted
        ]
        return [*rows, ("Weighted result", *shown.deciding)]
    rows = [(r.label, r.for_percent, r.against_percent) for r in shown.sections]
    total = ("All sections", shown.total.for_percent, shown.total.against_percent)
    return [*rows, total] if len(rows) > 1 else [total]


def result_chart(result: dict) -> Markup:
    """For and against as shares of the votes cast: each section, then what decided."""
    parts = ['<div class="result-chart">']
    for label, for_percent, against_percent in _chart_rows(figures(result)):
        said = (
            Markup("<strong>for {}</strong>, against {}").format(for_percent, against_percent)
            if for_percent
            else "no votes cast"
        )
        parts.append(Markup('<p class="chart-label">{}: {}</p>').format(label, said))
        parts.append(
            _BAR.format(
                for_=_bar_length(for_percent),
                against=_bar_length(against_percent),
                for_colour=COLOURS["for"],
                against_colour=COLOURS["against"],
            )
        )
    parts.append("</div>")
    return Markup("".join(parts))
