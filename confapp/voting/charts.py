"""The result as a bar chart, drawn on the server as SVG (no script, prints in the PDF too)."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 800
ROW = 70
LABEL = 180
BAR = WIDTH - LABEL - 20
COLOURS = {"for": "#0a7a33", "against": "#b00020"}


def _share(text: str | None) -> float:
    """A displayed percentage ("65.77%") as a bar length: drawing only, never a decision."""
    return float(text.rstrip("%")) / 100 if text else 0.0


def result_chart(result: dict) -> Markup:
    """For and against, as shares of the votes cast, per section and overall."""
    rows = (
        [(s["section"] or "", s) for s in result["sections"]] if len(result["sections"]) > 1 else []
    )
    rows.append(
        ("All sections" + (" (weighted)" if result.get("weighted") else ""), result["overall"])
    )
    height = ROW * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-label="For and against, as shares of the votes cast" class="result-chart">'
    ]
    for index, (label, figures) in enumerate(rows):
        y = 10 + index * ROW
        for_len = round(BAR * _share(figures["for_percent"]))
        against_len = round(BAR * _share(figures["against_percent"]))
        parts.append(
            f'<text x="0" y="{y + 30}" font-size="20" fill="currentColor">{escape(label)}</text>'
            f'<rect x="{LABEL}" y="{y}" width="{for_len}" height="44" fill="{COLOURS["for"]}"/>'
            f'<rect x="{LABEL + for_len}" y="{y}" width="{against_len}" height="44" '
            f'fill="{COLOURS["against"]}"/>'
        )
        if figures["for_percent"]:
            parts.append(
                f'<text x="{LABEL + 8}" y="{y + 30}" font-size="20" fill="#fff">'
                f"For {escape(figures['for_percent'])}</text>"
            )
        if figures["against_percent"] and against_len > 150:
            parts.append(
                f'<text x="{LABEL + BAR - 8}" y="{y + 30}" font-size="20" fill="#fff" '
                f'text-anchor="end">Against {escape(figures["against_percent"])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
