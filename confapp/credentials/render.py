"""Badges and card-vote cards as PDF: an HTML template rendered by WeasyPrint.

A run is cut into chunks of whole pages. Big runs render their chunks in parallel worker
processes, started fresh ('spawn': nothing of Flask, SQLAlchemy or open connections is
inherited) and handed plain data, never ORM objects; pypdf joins the chunks' PDFs in order.
Small runs (a group's badges) render at once in the calling process: a pool would cost more
than it saves. Each process keeps its fonts, stylesheet and template loaded between runs.
"""

from __future__ import annotations

import atexit
import base64
import io
import math
import multiprocessing
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import qrcode
import qrcode.constants

if TYPE_CHECKING:
    from confapp.credentials.badges import BadgeData

Progress = Callable[[int, int], None]

PT = 25.4 / 72  # mm in a point
# Below this many badges one process renders the run: spawning workers takes longer.
PARALLEL_FROM = 100
# Bounds of a chunk (in badges): big enough that a document's fixed costs are shared, small
# enough that progress moves, the cores stay evenly busy and a worker's memory stays low.
CHUNK_MIN, CHUNK_MAX = 64, 256
# Each worker holds a chunk's layout in memory (about 160 MB at CHUNK_MAX): bound their number.
MAX_WORKERS = 4
# The name must fit in this share of its box's width: the measured widths leave out kerning
# and the shaping of joined scripts, which can make a line a little longer or shorter.
WIDTH_MARGIN = 0.92

# QR codes: level Q restores a quarter of the code (a scuffed or punched badge) and still fits a
# 16-character code in the smallest symbol (21 x 21 modules); 4 modules of quiet zone around it.
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
QR_QUIET_ZONE = 4

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

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
    """Short cut lines in the margins, 2 mm clear of the cards, along every cut: an A4 SVG.

    As a data: URL, the same on every page: WeasyPrint reads it once per document.
    """
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


# ---- the API -----------------------------------------------------------------------------


def render_badges(
    badges: Sequence[BadgeData], layout: str, progress: Progress | None = None
) -> bytes:
    """The badges as one PDF in `layout` ('a4-8up' or 'a6'); progress(done, total) per chunk."""
    from confapp.credentials.badges import LAYOUTS as BADGE_LAYOUTS

    if layout not in BADGE_LAYOUTS:
        raise ValueError(f"unknown badge layout {layout!r}: one of {', '.join(BADGE_LAYOUTS)}")
    return _render("badges", layout, badges, progress)


def render_cards(badges: Sequence[BadgeData], progress: Progress | None = None) -> bytes:
    """Card-vote cards, four to an A4 page, for the voting delegates among `badges`.

    Passes without a card vote (alternates, visitors, ...) are left out; progress counts cards.
    """
    voting = [b for b in badges if b.card_vote is not None]
    return _render("cards", "cards", voting, progress)


def layout_document(badges: Sequence[BadgeData], layout: str):
    """The laid-out WeasyPrint document of a few badges (or 'cards'), in this process.

    For tests and previews: its pages' boxes say where everything went and in which font.
    """
    renderer = _renderer(*_folders())
    items = [_plain(b) for b in badges]
    with renderer.lock:
        return renderer.html(layout, items).render(
            stylesheets=renderer.stylesheets(items), font_config=renderer.font_config
        )


@dataclass(frozen=True)
class NameFit:
    """The type size a name is printed at, and the lines it is expected to take."""

    size_pt: float
    lines: int
    fits: bool  # False: even the smallest size needs more room; the box clips what is left


def fit_name(name: str, layout: str, static_folder: str | Path | None = None) -> NameFit:
    """The largest size in the layout's ladder at which the name fits its box in two lines."""
    widths = _advances(str(static_folder or _folders()[1]))
    return _fit(name, LAYOUTS[layout].name_box, widths)


def dates_text(starts_on: date, ends_on: date) -> str:
    """'13–14 Mar 2027', '30 Mar – 2 Apr 2027', '13 Mar 2027'."""
    if starts_on == ends_on:
        return f"{starts_on.day} {starts_on:%b %Y}"
    if (starts_on.year, starts_on.month) == (ends_on.year, ends_on.month):
        return f"{starts_on.day}–{ends_on.day} {ends_on:%b %Y}"
    if starts_on.year == ends_on.year:
        return f"{starts_on.day} {starts_on:%b} – {ends_on.day} {ends_on:%b %Y}"
    return f"{starts_on.day} {starts_on:%b %Y} – {ends_on.day} {ends_on:%b %Y}"


# ---- splitting a run and joining its chunks -------------------------------------------------


def _render(kind: str, layout: str, badges: Sequence[BadgeData], progress: Progress | None):
    if not badges:
        raise ValueError(f"no {kind} to print")
    total = len(badges)
    items = [_plain(b) for b in badges]
    templates, static = _folders()
    workers = _workers()
    if total < PARALLEL_FROM or workers < 2:
        renderer = _renderer(templates, static)
        with renderer.lock:  # WeasyPrint's fonts are not to be shared by threads at once
            pdf = renderer.pdf(layout, items)
        if progress:
            progress(total, total)
        return pdf

    size = _chunk_size(total, workers, LAYOUTS[layout].per_page)
    chunks = [items[i : i + size] for i in range(0, total, size)]
    joined = _Joiner(len(chunks))
    done = 0
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)), mp_context=multiprocessing.get_context("spawn")
    )
    try:
        pending = {
            pool.submit(_render_chunk, templates, static, layout, chunk): index
            for index, chunk in enumerate(chunks)
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                # Joined as they come, in order: the last chunk leaves little to do.
                joined.add(index, future.result())
                done += len(chunks[index])
                if progress:
                    progress(done, total)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return joined.pdf()


def _plain(badge: BadgeData) -> dict:
    """What crosses to a worker: plain values only, and what BadgeData says of itself."""
    return {**asdict(badge), "code_display": badge.code_display, "pass_label": badge.pass_label}


def _render_chunk(templates: str, static: str, layout: str, items: list[dict]) -> bytes:
    """In a worker: one chunk's PDF."""
    return _renderer(templates, static).pdf(layout, items)


def _chunk_size(total: int, workers: int, per_page: int) -> int:
    """About four chunks per worker, whole pages each, within the bounds."""
    size = min(CHUNK_MAX, max(CHUNK_MIN, math.ceil(total / (workers * 4))))
    return math.ceil(size / per_page) * per_page


def _workers() -> int:
    """Worker processes for a big run: one per core this process may use, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, MAX_WORKERS)


class _Joiner:
    """Chunks' PDFs joined into one, pages in order, each chunk added as soon as it can be."""

    def __init__(self, count: int):
        from pypdf import PdfWriter

        self.writer = PdfWriter()
        self.waiting: dict[int, bytes] = {}
        self.next = 0
        self.count = count

    def add(self, index: int, pdf: bytes) -> None:
        """Take chunk `index`; append it and any waiting ones that now follow in order."""
        from pypdf import PdfReader

        self.waiting[index] = pdf
        while self.next in self.waiting:
            self.writer.append(PdfReader(io.BytesIO(self.waiting.pop(self.next))))
            self.next += 1

    def pdf(self) -> bytes:
        """The joined PDF."""
        if self.next != self.count:
            raise RuntimeError(f"only {self.next} of {self.count} chunks rendered")
        out = io.BytesIO()
        self.writer.write(out)
        return out.getvalue()


def _folders() -> tuple[str, str]:
    """The templates and static folders: the app's, or the project's outside an app."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.template_folder, current_app.static_folder
    from confapp.config import PROJECT_ROOT

    return str(PROJECT_ROOT / "templates"), str(PROJECT_ROOT / "static")


# ---- one process's renderer ----------------------------------------------------------------


@cache
def _renderer(templates: str, static: str) -> _Renderer:
    return _Renderer(templates, static)


# Let the fonts' temporary folder go while the interpreter can still remove it.
atexit.register(_renderer.cache_clear)


class _Renderer:
    """Fonts, stylesheet and template, loaded once per process and kept for every chunk."""

    def __init__(self, templates: str, static: str):
        from jinja2 import Environment, FileSystemLoader
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        from confapp.pdf import static_only_fetcher

        self.static = Path(static).resolve()
        # data: URLs carry the QR images, inline in the page; any other URL is a file in static/.
        self.fetcher = static_only_fetcher(self.static, data_urls=True)
        # One font configuration for every document: the @font-face fonts load once.
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(
            string=(self.static / "css" / "badges.css").read_text(encoding="utf-8"),
            base_url=f"{self.static}/css/",
            url_fetcher=self.fetcher,
            font_config=self.font_config,
        )
        sizes = sorted({size for spec in LAYOUTS.values() for size in spec.name_box.sizes_pt})
        self.size_rules = CSS(
            string="\n".join(f".fs-{_size_class(s)} {{ font-size: {s:g}pt }}" for s in sizes),
            font_config=self.font_config,
        )
        self.colour_rules: dict[tuple[str, ...], CSS] = {}
        self.html_class = _badge_html_class(self.font_config)
        env = Environment(loader=FileSystemLoader(templates), autoescape=True)
        env.filters["thousands"] = lambda value: f"{value:,}"
        self.template = env.get_template("credentials/badges.html")
        self.widths = _advances(str(self.static))
        self.lock = threading.Lock()

    def html(self, layout: str, items: list[dict]):
        """The items as one HTML document, in order, `per_page` to a sheet."""
        spec = LAYOUTS[layout]
        views = [self.view(item, spec.name_box) for item in items]
        source = self.template.render(
            title="Card-vote cards" if layout == "cards" else "Badges",
            layout=layout,
            sheets=[views[i : i + spec.per_page] for i in range(0, len(views), spec.per_page)],
            crop_marks=spec.crop_marks,
        )
        return self.html_class(string=source, base_url=f"{self.static}/", url_fetcher=self.fetcher)

    def stylesheets(self, items: list[dict]) -> list:
        """badges.css, and the rules for the name sizes and the colour bands of these items.

        Classes, not style attributes, for what varies from badge to badge: a few rules are
        read faster than a style attribute on every badge.
        """
        from weasyprint import CSS

        colours = tuple(sorted({item["colour"] for item in items}))
        if colours not in self.colour_rules:
            for colour in colours:
                if not _COLOUR.match(colour):
                    raise ValueError(f"not a colour: {colour!r}")
            rules = (
                f".c-{colour[1:]} {{ background: {colour}; color: {_ink(colour)} }}"
                for colour in colours
            )
            self.colour_rules[colours] = CSS(string="\n".join(rules), font_config=self.font_config)
        return [self.stylesheet, self.size_rules, self.colour_rules[colours]]

    def pdf(self, layout: str, items: list[dict]) -> bytes:
        """The items' PDF."""
        return self.html(layout, items).write_pdf(
            stylesheets=self.stylesheets(items), font_config=self.font_config
        )

    def view(self, item: dict, box: NameBox) -> dict:
        """What the template prints for one badge or card."""
        return {
            **item,
            "name_class": f"fs-{_size_class(_fit(item['name'], box, self.widths).size_pt)}",
            "name_dir": "rtl" if _is_rtl(item["name"]) else None,
            "colour_class": f"c-{item['colour'][1:]}",
            "dates": dates_text(item["starts_on"], item["ends_on"]),
            "qr": qr_data_url(item["code"]),
        }


# What the badge template needs of a browser's default stylesheet. WeasyPrint's own (the
# HTML 5 one) has hundreds of rules that every element is matched against: a fifth of a
# badge's rendering time.
BADGE_UA_CSS = """
html, body, div, p { display: block }
head, meta, title, style { display: none }
img { display: inline-block }
[dir=rtl] { direction: rtl }
"""


def _badge_html_class(font_config):
    """WeasyPrint's HTML, with BADGE_UA_CSS for its default stylesheet.

    _ua_stylesheets is WeasyPrint's own hook (not public API): should it be renamed, the full
    default stylesheet applies again, and badges render the same, only slower.
    """
    from weasyprint import CSS, HTML

    user_agent = CSS(string=BADGE_UA_CSS, font_config=font_config)

    class BadgeHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [user_agent]

    return BadgeHTML


def _size_class(size_pt: float) -> str:
    return f"{round(size_pt * 10)}"


# ---- QR codes ---------------------------------------------------------------------------------


def qr_matrix(code: str) -> list[list[bool]]:
    """The code's QR modules, quiet zone included (True is dark): exactly qrcode's symbol.

    qrcode picks the mask by placing the data eight times over, once per mask, which is most
    of a badge's QR time. Here the data bits are placed once per symbol size, in qrcode's
    reading order, and each mask is a list of flips over them; the same penalty score
    (qrcode's lost_point, on the same symbols) picks the same mask. Tests compare the two.
    """
    from qrcode import util

    symbol = qrcode.QRCode(error_correction=QR_ERROR_CORRECTION, border=0)
    symbol.add_data(code)
    version = symbol.best_fit()
    blank, places, flips = _symbol_plan(version, QR_ERROR_CORRECTION)
    data = util.create_data(version, QR_ERROR_CORRECTION, symbol.data_list)
    size = len(data) * 8
    bits = [i < size and (data[i >> 3] >> (7 - (i & 7))) & 1 == 1 for i in range(len(places))]
    best = None
    for mask in range(8):
        modules = [row[:] for row in blank]  # format information light while scoring, as qrcode
        for (row, col), bit, flip in zip(places, bits, flips[mask], strict=True):
            modules[row][col] = bit is not flip
        lost = util.lost_point(modules)
        if best is None or lost < best[0]:
            best = (lost, mask, modules)
    _, mask, modules = best
    symbol.version, symbol.modules_count, symbol.modules = version, len(modules), modules
    symbol.setup_type_info(False, mask)
    if version >= 7:
        symbol.setup_type_number(False)
    width = len(modules) + 2 * QR_QUIET_ZONE
    quiet = [False] * QR_QUIET_ZONE
    return (
        [[False] * width for _ in range(QR_QUIET_ZONE)]
        + [quiet + row + quiet for row in modules]
        + [[False] * width for _ in range(QR_QUIET_ZONE)]
    )


@cache
def _symbol_plan(version: int, error_correction: int):
    """A symbol size's function patterns, its data modules in reading order, each mask's flips."""
    from qrcode import util

    symbol = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
    side = symbol.modules_count = version * 4 + 17
    symbol.modules = [[None] * side for _ in range(side)]
    symbol.setup_position_probe_pattern(0, 0)
    symbol.setup_position_probe_pattern(side - 7, 0)
    symbol.setup_position_probe_pattern(0, side - 7)
    symbol.setup_position_adjust_pattern()
    symbol.setup_timing_pattern()
    symbol.setup_type_info(True, 0)
    if version >= 7:
        symbol.setup_type_number(True)
    blank = symbol.modules
    # Two columns at a time from the right, up and down in turn, skipping the timing column:
    # the order qrcode's map_data fills the free modules in.
    places, row, step = [], side - 1, -1
    for right in range(side - 1, 0, -2):
        col = right - 1 if right <= 6 else right
        while True:
            for c in (col, col - 1):
                if blank[row][c] is None:
                    places.append((row, c))
            row += step
            if not 0 <= row < side:
                row -= step
                step = -step
                break
    flips = [[bool(util.mask_func(mask)(r, c)) for r, c in places] for mask in range(8)]
    return blank, places, flips


def qr_data_url(code: str) -> str:
    """The code's QR as a black-and-white PNG, one pixel a module, in a data: URL.

    The stylesheet scales it up without smoothing (image-rendering: pixelated), so the modules
    print as sharp squares at any size; WeasyPrint draws a small image far faster than an SVG
    path of a hundred or so runs, which is most of what a badge costs to render.
    """
    from PIL import Image

    matrix = qr_matrix(code)
    side = len(matrix)
    # Grey scale ('L'), not 1-bit: WeasyPrint embeds an 'L' PNG as it is, a '1' one converted.
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (side, side), pixels)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


# ---- fitting the name -------------------------------------------------------------------------


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


def _ink(colour: str) -> str:
    """Black or white text, whichever reads better on the band's colour."""
    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#000" if luminance > 0.45 else "#fff"
