"""Where things go on a badge or a card: the sheets, the name's type size, what each one prints.

The name is measured with the vendored fonts' advance widths (no WeasyPrint), so a size is
chosen before the page is laid out; tests lay the pages out to prove the choice holds.
"""

from __future__ import annotations

import base64
import math
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from confapp.credentials.qr import qr_data_url

PT = 25.4 / 72  # mm in a point
# The name must fit in this share of its box's width: the measured widths leave out kerning
# and the shaping of joined scripts, which can make a line a little longer or shorter.
WIDTH_MARGIN = 0.92

# The fonts the name is measured with (bold, as printed): the text face, then the CJK one.
NAME_FONTS = ("fonts/DejaVuSans-Bold.ttf", "fonts/NotoSansCJKsc-Bold.subset.otf")


@dataclass(frozen=True)
class NameBox:
    """Where a layout prints the name: the box in mm and the type sizes to try, largest first."""

    width_mm: float
    height_mm: float
    sizes_pt: tuple[float, ...]
    max_lines: int = 2
    line_height: float = 1.12  # as .name's line-height in badges.css


@dataclass(frozen=True)
class Layout:
    """How a kind of sheet is laid out: items per page, the name box, crop marks."""

    per_page: int
    name_box: NameBox
    crop_marks: str = ""  # an image of the page's crop marks (a data: URL), or none


def _crop_marks(xs: Iterable[float], ys: Iterable[float], top: float, bottom: float) -> str:
    """Short cut lines in the margins, 2 mm clear of the cards, along every cut: an A4 SVG."""
    # As a data: URL, the same on every page: WeasyPrint reads it once per document.
    xs, ys = list(xs), list(ys)
    left, right = xs[0], xs[-1]
    marks = []
    for x in xs:
        marks.append(f"M{x:g} {top - 2:g}V{top - 9:g}M{x:g} {bottom + 2:g}V{bottom + 9:g}")
    for y in ys:
        marks.append(f"M{left - 2:g} {y:g}H{left - 9:g}M{right + 2:g} {y:g}H{right + 9:g}")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" '
        f'viewBox="0 0 210 297"><path d="{"".join(marks)}" fill="none" stroke="#000" '
        'stroke-width="0.1"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("ascii")).decode("ascii")


# The boxes and positions here and in static/css/badges.css describe the same sheets.
LAYOUTS = {
    # Credit-card badges, 85 x 54 mm, two across and four down on A4, butted, with crop marks.
    "a4-8up": Layout(
        per_page=8,
        name_box=NameBox(79, 15, (22, 20, 18, 16, 14, 13, 12, 11, 10, 9, 8)),
        crop_marks=_crop_marks(
            (20, 105, 190), (40.5 + 54 * row for row in range(5)), top=40.5, bottom=256.5
        ),
    ),
    # One badge on an A6 sheet, for badge holders.
    "a6": Layout(
        per_page=1,
        name_box=NameBox(95, 34, (40, 36, 32, 28, 25, 22, 20, 18, 16, 14, 13, 12, 11, 10)),
    ),
    # Card-vote cards, 90 x 130 mm, four on A4.
    "cards": Layout(
        per_page=4,
        name_box=NameBox(80, 14, (20, 18, 16, 14, 13, 12, 11, 10, 9, 8)),
        crop_marks=_crop_marks((15, 105, 195), (18.5, 148.5, 278.5), top=18.5, bottom=278.5),
    ),
}


def folders() -> tuple[str, str]:
    """The templates and static folders: the app's, or the project's outside an app."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.template_folder, current_app.static_folder
    from confapp.config import PROJECT_ROOT

    return str(PROJECT_ROOT / "templates"), str(PROJECT_ROOT / "static")


def badge_view(item: dict, box: NameBox, static: str) -> dict:
    """What the template prints for one badge or card."""
    return {
        **item,
        "name_class": f"fs-{size_class(_fit(item['name'], box, _advances(static)).size_pt)}",
        "name_dir": "rtl" if _is_rtl(item["name"]) else None,
        "colour_class": f"c-{item['colour'][1:]}",
        "dates": dates_text(item["starts_on"], item["ends_on"]),
        "qr": qr_data_url(item["code"]),
    }


def size_class(size_pt: float) -> str:
    """The suffix of the class that sets a name in `size_pt` ('fs-225' for 22.5 pt)."""
    return f"{round(size_pt * 10)}"


def ink(colour: str) -> str:
    """Black or white text, whichever reads better on the band's colour."""
    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#000" if luminance > 0.45 else "#fff"


def dates_text(starts_on: date, ends_on: date) -> str:
    """'13–14 Mar 2027', '30 Mar – 2 Apr 2027', '13 Mar 2027'."""
    if starts_on == ends_on:
        return f"{starts_on.day} {starts_on:%b %Y}"
    if (starts_on.year, starts_on.month) == (ends_on.year, ends_on.month):
        return f"{starts_on.day}–{ends_on.day} {ends_on:%b %Y}"
    if starts_on.year == ends_on.year:
        return f"{starts_on.day} {starts_on:%b} – {ends_on.day} {ends_on:%b %Y}"
    return f"{starts_on.day} {starts_on:%b %Y} – {ends_on.day} {ends_on:%b %Y}"


# ---- fitting the name -------------------------------------------------------------------------


@dataclass(frozen=True)
class NameFit:
    """The type size a name is printed at, and the lines it is expected to take."""

    size_pt: float
    lines: int
    fits: bool  # False: even the smallest size needs more room; the box clips what is left


def fit_name(name: str, layout: str, static_folder: str | Path | None = None) -> NameFit:
    """The largest size in the layout's ladder at which the name fits its box in two lines."""
    widths = _advances(str(static_folder or folders()[1]))
    return _fit(name, LAYOUTS[layout].name_box, widths)


@cache
def _advances(static: str) -> tuple[dict[int, float], ...]:
    """Each name font's advance widths in em, by code point."""
    from fontTools.ttLib import TTFont

    tables = []
    for file in NAME_FONTS:
        font = TTFont(Path(static) / file, lazy=True)
        scale = 1 / font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        tables.append({cp: metrics[glyph][0] * scale for cp, glyph in font.getBestCmap().items()})
        font.close()
    return tuple(tables)


def _width(char: str, widths: tuple[dict[int, float], ...]) -> float:
    """The character's advance in em, in the first name font that has it."""
    code = ord(char)
    for table in widths:
        if code in table:
            return table[code]
    return 1.0  # in no vendored font: assume a full em


def _breaks_around(char: str) -> bool:
    """Whether lines may break before and after this character without a space (CJK)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


_HYPHENS = frozenset("-\u2010")


def _tokens(name: str, widths) -> list[tuple[float, float]]:
    """The name as unbreakable pieces: (space before, width) in em."""
    space = _width(" ", widths)
    tokens: list[tuple[float, float]] = []
    gap, word = 0.0, 0.0
    for char in name.strip():
        if char.isspace():
            if word:
                tokens.append((gap, word))
                word = 0.0
            gap = space if tokens else 0.0
        elif _breaks_around(char):
            if word:
                tokens.append((gap, word))
                word, gap = 0.0, 0.0
            tokens.append((gap, _width(char, widths)))
            gap = 0.0
        elif char in _HYPHENS and word:  # a line may break after a hyphen: Bartholomew-|Jones
            tokens.append((gap, word + _width(char, widths)))
            word, gap = 0.0, 0.0
        else:
            word += _width(char, widths)
    if word:
        tokens.append((gap, word))
    return tokens


def _lines(tokens: list[tuple[float, float]], line: float) -> int:
    """Lines a greedy line breaker needs for the tokens on lines `line` em long."""
    lines, x = 1, 0.0
    for gap, width in tokens:
        if x and x + gap + width <= line:
            x += gap + width
            continue
        if x:
            lines += 1
        if width <= line:
            x = width
        else:  # a word longer than the line is broken anywhere (overflow-wrap in the CSS)
            pieces = math.ceil(width / max(line - 1.0, 0.5))
            lines += pieces - 1
            x = width - (pieces - 1) * max(line - 1.0, 0.5)
    return lines


def _fit(name: str, box: NameBox, widths) -> NameFit:
    """The first size in the box's ladder at which the name's lines fit the box."""
    tokens = _tokens(name, widths)
    lines = 1
    for size in box.sizes_pt:
        em = size * PT
        lines = _lines(tokens, box.width_mm * WIDTH_MARGIN / em)
        if lines <= box.max_lines and lines * box.line_height * em <= box.height_mm:
            return NameFit(size, lines, True)
    return NameFit(box.sizes_pt[-1], lines, False)


def _is_rtl(text: str) -> bool:
    """Whether the text's first strong character is right-to-left (Arabic, Hebrew)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False
