"""Badge and card PDFs assembled: the template's HTML made a PDF by WeasyPrint, chunks joined.

Each process keeps one Renderer (fonts, stylesheet and template loaded once) for every
document it makes, whether it serves a group's badges or renders a worker's chunks.
"""

from __future__ import annotations

import atexit
import io
import re
import threading
from collections.abc import Sequence
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from confapp.credentials.layout import LAYOUTS, badge_view, folders, ink, size_class
from confapp.text import thousands

if TYPE_CHECKING:
    from confapp.credentials.badges import BadgeData

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

# What the badge template needs of a browser's default stylesheet. WeasyPrint's own (the
# HTML 5 one) has hundreds of rules that every element is matched against: a fifth of a
# badge's rendering time.
BADGE_UA_CSS = """
html, body, div, p { display: block }
head, meta, title, style { display: none }
img { display: inline-block }
[dir=rtl] { direction: rtl }
"""


def plain(badge: BadgeData) -> dict:
    """A badge as the renderer takes it: plain values, the ones BadgeData derives included."""
    # Plain values are what can cross to a worker process, and all the template reads.
    return {**asdict(badge), "code_display": badge.code_display, "pass_label": badge.pass_label}


def layout_document(badges: Sequence[BadgeData], layout: str):
    """The laid-out WeasyPrint document of a few badges (or 'cards'), in this process."""
    # For tests and previews: its pages' boxes say where everything went and in which font.
    renderer = get_renderer(*folders())
    items = [plain(b) for b in badges]
    with renderer.lock:
        return renderer.html(layout, items).render(
            stylesheets=renderer.stylesheets(items), font_config=renderer.font_config
        )


@cache
def get_renderer(templates: str, static: str) -> Renderer:
    """This process's renderer for these folders, made on first use."""
    return Renderer(templates, static)


# Let the fonts' temporary folder go while the interpreter can still remove it.
atexit.register(get_renderer.cache_clear)


class Renderer:
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
            string="\n".join(f".fs-{size_class(s)} {{ font-size: {s:g}pt }}" for s in sizes),
            font_config=self.font_config,
        )
        self.colour_rules: dict[tuple[str, ...], CSS] = {}
        self.html_class = _badge_html_class(self.font_config)
        env = Environment(loader=FileSystemLoader(templates), autoescape=True)
        env.filters["thousands"] = thousands
        self.template = env.get_template("credentials/badges.html")
        # WeasyPrint's fonts are not to be shared by threads at once: a document is made under it.
        self.lock = threading.Lock()

    def html(self, layout: str, items: list[dict]):
        """The items as one HTML document, in order, `per_page` to a sheet."""
        spec = LAYOUTS[layout]
        static = str(self.static)
        views = [badge_view(item, spec.name_box, static) for item in items]
        source = self.template.render(
            title="Card-vote cards" if layout == "cards" else "Badges",
            layout=layout,
            sheets=[views[i : i + spec.per_page] for i in range(0, len(views), spec.per_page)],
            crop_marks=spec.crop_marks,
        )
        return self.html_class(string=source, base_url=f"{self.static}/", url_fetcher=self.fetcher)

    def stylesheets(self, items: list[dict]) -> list:
        """badges.css, and the rules for the name sizes and the colour bands of these items."""
        # Classes, not style attributes, for what varies from badge to badge: a few rules are
        # read faster than a style attribute on every badge.
        from weasyprint import CSS

        colours = tuple(sorted({item["colour"] for item in items}))
        if colours not in self.colour_rules:
            for colour in colours:
                if not _COLOUR.match(colour):  # it goes into a stylesheet as it is
                    raise ValueError(f"not a colour: {colour!r}")
            rules = (
                f".c-{colour[1:]} {{ background: {colour}; color: {ink(colour)} }}"
                for colour in colours
            )
            self.colour_rules[colours] = CSS(string="\n".join(rules), font_config=self.font_config)
        return [self.stylesheet, self.size_rules, self.colour_rules[colours]]

    def pdf(self, layout: str, items: list[dict]) -> bytes:
        """The items' PDF."""
        return self.html(layout, items).write_pdf(
            stylesheets=self.stylesheets(items), font_config=self.font_config
        )


def _badge_html_class(font_config):
    """WeasyPrint's HTML, with BADGE_UA_CSS for its default stylesheet."""
    # _ua_stylesheets is WeasyPrint's own hook (not public API): should it be renamed, the full
    # default stylesheet applies again, and badges render the same, only slower.
    from weasyprint import CSS, HTML

    user_agent = CSS(string=BADGE_UA_CSS, font_config=font_config)

    class BadgeHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [user_agent]

    return BadgeHTML


class Joiner:
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
