"""Badge PDFs: names fit their box, fonts are the vendored ones, every QR decodes to its code."""

from __future__ import annotations

import io
import re
import subprocess
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from confapp import factories
from confapp.credentials import badges as badge_data
from confapp.credentials import codes, qr, render
from confapp.credentials import layout as badge_layout
from confapp.credentials import services as credentials
from confapp.credentials.badges import PASS_COLOURS, BadgeData
from confapp.credentials.document import layout_document
from confapp.credentials.layout import dates_text
from confapp.extensions import db
from confapp.models import PassType

LONG_NAME = "Maximilian Bartholomew-Fitzgerald Ó Súilleabháin ap Gruffydd"
CAPITALS = "WOJCIECH WŁODZIMIERZ WAWRZYNIAK-WIŚNIEWSKI MAWDDWY MWMWMWMWM"
ONE_WORD = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaf"
ARABIC = "محمد بن عبد الله بن عبد المطلب الهاشمي القرشي"
CHINESE = "欧阳娜娜"
LONG_CHINESE = "爱新觉罗·玄烨康熙皇帝欧阳娜娜王小明诸葛孔明司马懿"
NAMES = {
    "60 characters": LONG_NAME,
    "60 capitals": CAPITALS,
    "one 60-letter word": ONE_WORD,
    "Welsh": "Siân Llewelyn ap Gruffydd",
    "Irish": "Seán Ó Briain-Mac Giolla Phádraig",
    "Polish": "Zofia Łukasiewicz-Wróblewska",
    "Arabic": ARABIC,
    "Chinese": CHINESE,
    "long Chinese": LONG_CHINESE,
    "short": "Ann Jones",
}
LAYOUTS = ("a4-8up", "a6", "cards")
# 1 CSS px = 1/96 in; the boxes' sizes are in px.
PX_PER_MM = 96 / 25.4


def test_the_test_names_are_hard_enough():
    assert len(LONG_NAME) == len(CAPITALS) == len(ONE_WORD) == 60
    assert " " not in ONE_WORD


def badge(name: str, *, code: str | None = None, pass_type: str = "delegate", n: int = 0):
    """A badge that needs no database."""
    return BadgeData(
        credential_id=n,
        code=code or codes.new_code(),
        name=name,
        group="Ynys Môn and Gwynedd Local Group",
        section="Local groups",
        pass_type=pass_type,
        colour=PASS_COLOURS[PassType(pass_type)],
        conference="Local Groups Network Conference",
        starts_on=date(2027, 3, 13),
        ends_on=date(2027, 3, 14),
        card_vote=1240 if pass_type == "delegate" else None,
    )


# ---- names fit ---------------------------------------------------------------------------


def _walk(box):
    """The box and all boxes inside it; absolutely positioned ones sit behind a placeholder."""
    box = getattr(box, "_box", box)
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _name_boxes(document):
    """(name box, its paragraph) for every name on every page, in order."""
    found = []
    for page in document.pages:
        for box in _walk(page._page_box):
            classes = (box.element.get("class") or "").split() if box.element is not None else []
            if box.element_tag == "div" and "name" in classes:
                (paragraph,) = (getattr(child, "_box", child) for child in box.children)
                found.append((box, paragraph))
    return found


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("label", NAMES)
def test_name_fits_its_box_in_at_most_two_lines(app, layout, label):
    name = NAMES[label]
    document = layout_document([badge(name)], layout)

    ((box, paragraph),) = _name_boxes(document)
    lines = paragraph.children
    text = "".join(
        child.text for line in lines for child in line.descendants() if hasattr(child, "text")
    )
    assert text.replace(" ", "") == name.replace(" ", ""), "the whole name is laid out"
    assert 1 <= len(lines) <= 2, f"{label} takes {len(lines)} lines in {layout}"
    box_name = badge_layout.LAYOUTS[layout].name_box
    # The box is where the stylesheet says badge_layout.LAYOUTS has it.
    assert box.width == pytest.approx(box_name.width_mm * PX_PER_MM, abs=0.5)
    assert box.height == pytest.approx(box_name.height_mm * PX_PER_MM, abs=0.5)
    assert paragraph.margin_height() <= box.height + 0.01, f"{label} overflows downwards"
    left, right = box.content_box_x(), box.content_box_x() + box.width
    for line in lines:
        for child in line.descendants():
            if hasattr(child, "text"):
                assert child.position_x >= left - 0.5, f"{label} overflows to the left"
                assert child.position_x + child.width <= right + 0.5, f"{label} overflows right"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_short_names_print_large_and_long_ones_smaller(app, layout):
    sizes = badge_layout.LAYOUTS[layout].name_box.sizes_pt
    short = badge_layout.fit_name("Ann Jones", layout)
    long = badge_layout.fit_name(LONG_NAME, layout)

    assert short.size_pt == sizes[0] and short.lines == 1
    assert long.fits and long.lines == 2 and long.size_pt < short.size_pt
    for name in NAMES.values():
        assert badge_layout.fit_name(name, layout).fits, name


def test_right_to_left_names_are_marked_so():
    is_rtl = badge_layout._is_rtl
    views = is_rtl(ARABIC), is_rtl("Siân"), is_rtl("(" + ARABIC + ")")
    assert views == (True, False, True)


# ---- fonts ---------------------------------------------------------------------------------


def _fonts(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [line.split()[0] for line in listing.splitlines()[2:]]


def _text(pdf: bytes, tmp_path: Path, *options: str) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", *options, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("layout", ("a4-8up", "a6"))
def test_every_name_is_set_in_the_vendored_fonts(app, tmp_path, layout):
    names = [NAMES[k] for k in ("Welsh", "Irish", "Polish", "Arabic", "Chinese", "long Chinese")]
    pdf = render.render_badges([badge(name, n=i) for i, name in enumerate(names)], layout)

    fonts = _fonts(pdf, tmp_path)
    # The PDF names a font after its @font-face family: system fonts would say DejaVu, Noto...
    assert fonts, "fonts are embedded"
    assert all(re.fullmatch(r"[A-Z]{6}\+Badge-(Sans|CJK)(-Bold)?", font) for font in fonts), fonts
    assert any("Badge-CJK" in font for font in fonts), "the Chinese names use the CJK font"
    # Text out of the PDF, less the bidi marks pdftotext puts around right-to-left lines.
    text = " ".join(re.sub("[\u202a-\u202e]", "", _text(pdf, tmp_path)).split())
    for name in ("Siân Llewelyn ap Gruffydd", "Łukasiewicz", "Seán Ó Briain-Mac", CHINESE):
        assert name in text
    assert "محمد بن عبد الله" in text


def test_the_vendored_fonts_cover_the_test_names(app):
    widths = badge_layout._advances(app.static_folder)
    for name in NAMES.values():
        for char in name.replace(" ", ""):
            assert any(ord(char) in table for table in widths), (name, char)


def test_fonts_and_their_licences_are_vendored(app):
    fonts = Path(app.static_folder) / "fonts"
    css = (Path(app.static_folder) / "css" / "badges.css").read_text()
    for url in re.findall(r'url\("\.\./fonts/([^"]+)"\)', css):
        assert (fonts / url).is_file(), url
    assert (fonts / "LICENSE-DejaVu.txt").is_file()
    assert (fonts / "LICENSE-NotoSansCJK.txt").is_file()
    size = sum(f.stat().st_size for f in fonts.iterdir())
    assert size < 10 * 2**20


# ---- QR codes ------------------------------------------------------------------------------


@pytest.fixture
def people(conference):
    """A group's people with live codes, one of them reissued (its old code revoked)."""
    leeds = factories.group(conference, "Leeds", members=1000)
    mon = factories.group(conference, "Ynys Môn", members=400)
    made = []
    for n, (group, name, pass_type) in enumerate(
        [
            (leeds, "Siân Llewelyn", "delegate"),
            (leeds, ARABIC, "delegate"),
            (leeds, CHINESE, "alternate"),
            (leeds, LONG_NAME, "visitor"),
            (mon, "Seán Ó Briain", "delegate"),
            (mon, "Zofia Łukasiewicz", "press"),
            (mon, "Ann Jones", "observer"),
            (mon, "Bob Smith", "staff"),
            (mon, "Cai Rhys", "alternate"),
        ]
    ):
        made.append(approved(conference, group, name, pass_type, n))
    credentials.issue(made[0], None, "lost badge")  # the first code is revoked, a new one live
    db.session.commit()
    return made


def approved(conference, group, name: str, pass_type: str = "delegate", n: int = 0):
    """An approved person with a live credential."""
    email = f"person{n}.{group.id}@example.org"
    return factories.approved_person(conference, group, name, pass_type, email=email)


def _live_codes(conference) -> dict[str, str]:
    """Live code -> name, straight from the database."""
    from sqlalchemy import select

    from confapp.models import Credential, Delegate

    rows = db.session.execute(
        select(Credential.code, Delegate.name)
        .join(Credential.delegate)
        .where(Credential.conference_id == conference.id, Credential.revoked_at.is_(None))
    )
    return dict(rows.all())


def _revoked_codes(conference) -> set[str]:
    from sqlalchemy import select

    from confapp.models import Credential

    return set(
        db.session.execute(
            select(Credential.code).where(
                Credential.conference_id == conference.id, Credential.revoked_at.is_not(None)
            )
        ).scalars()
    )


def _decode_pages(pdf: bytes, tmp_path: Path) -> list[list[zxingcpp.Barcode]]:
    """Every page at 150 dpi, as a printer's scan would see it, and the QR codes on each."""
    path = tmp_path / "badges.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    found = []
    for image in images:
        with Image.open(image) as picture:
            found.append(zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode))
    return found


@pytest.mark.parametrize("layout", ("a4-8up", "a6"))
def test_every_badge_qr_decodes_to_its_live_code(app, conference, people, tmp_path, layout):
    items = badge_data.badges_for(conference)
    live = _live_codes(conference)

    pdf = render.render_badges(items, layout)

    pages = _decode_pages(pdf, tmp_path)
    decoded = [result.text for page in pages for result in page]
    assert sorted(decoded) == sorted(live), "each live code once, and nothing else"
    assert not set(decoded) & _revoked_codes(conference), "a revoked code is never printed"
    assert {result.ec_level for page in pages for result in page} <= {"M", "Q", "H"}
    per_page = badge_layout.LAYOUTS[layout].per_page
    assert len(pages) == -(-len(items) // per_page)
    # Badge by badge, in print order: each page holds its badges' codes.
    for number, page in enumerate(pages):
        expected = {b.code for b in items[number * per_page : (number + 1) * per_page]}
        assert {result.text for result in page} == expected
    if layout == "a6":  # one person a page: the QR is the code of the name printed beside it
        texts = _text(pdf, tmp_path).split("\f")
        for page, text in zip(pages, texts, strict=False):
            (result,) = page
            name = live[result.text]
            assert name.split()[0] in text
            assert codes.display(result.text) in text


def test_qr_codes_are_built_to_scan_reliably():
    matrix = qr.qr_matrix("ABCDEFGHIJKLMNOP")
    # Version 1 (21 modules) with a quiet zone of 4 light modules on every side.
    assert len(matrix) == 21 + 2 * 4 and all(len(row) == len(matrix) for row in matrix)
    quiet = matrix[:4] + matrix[-4:] + [row[:4] + row[-4:] for row in matrix]
    assert not any(any(row) for row in quiet)
    assert qr.QR_ERROR_CORRECTION in ("M", "Q", "H")


def _decode_matrix(matrix: list[list[bool]]) -> list[zxingcpp.Barcode]:
    """The QR codes a reader finds in the modules, drawn 4 pixels a module."""
    side = len(matrix)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (side, side), pixels).resize((side * 4, side * 4), Image.NEAREST)
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def test_qr_symbols_decode_to_their_code_in_the_smallest_size_at_level_q():
    # The smallest version that holds the text at level Q: alphanumeric capacities 16 (version
    # 1), 29 (2), 47 (3), 67 (4), 125 (7); 151 bytes (10) for the UTF-8 text.
    samples = {code: 1 for code in (codes.new_code() for _ in range(150))}
    samples |= {"A" * n: version for n, version in ((1, 1), (17, 2), (30, 3), (60, 4), (120, 7))}
    samples["Siân Ó Briain, Łódź 王小明" * 4] = 10

    for code, version in samples.items():
        matrix = qr.qr_matrix(code)
        (found,) = _decode_matrix(matrix)
        assert found.text == code
        assert found.ec_level == qr.QR_ERROR_CORRECTION, code
        assert len(matrix) == 17 + 4 * version + 2 * qr.QR_QUIET_ZONE, code


def test_cards_are_for_voting_delegates_with_their_group_vote_and_code(
    app, conference, people, tmp_path
):
    items = badge_data.badges_for(conference)
    voting = [b for b in items if b.card_vote is not None]
    assert 0 < len(voting) < len(items)

    pdf = render.render_cards(items)

    decoded = sorted(r.text for page in _decode_pages(pdf, tmp_path) for r in page)
    assert decoded == sorted(b.code for b in voting)
    text = _text(pdf, tmp_path)
    for card in voting:
        assert f"{card.card_vote:,}" in text
    assert "Ann Jones" not in text  # an observer: no card
    assert len(PdfReader(io.BytesIO(pdf)).pages) == -(-len(voting) // 4)


# ---- big runs: chunks in worker processes, joined in order -------------------------------------


def test_a_big_run_renders_in_chunks_joined_in_order(app, tmp_path, monkeypatch):
    # Small numbers so that this runs fast: 20 badges in 3 chunks of 8, on 2 workers (this
    # process renders the last chunks while the workers start).
    monkeypatch.setattr(render, "PARALLEL_FROM", 10)
    monkeypatch.setattr(render, "CHUNK_MIN", 8)
    monkeypatch.setattr(render, "CHUNK_MAX", 8)
    monkeypatch.setattr(render, "_workers", lambda: 2)
    codes = [f"{'ABCDEFGHIJKLMNOPQRST'[n]}{'QRSTUVWXYZ234567'[n % 16] * 15}" for n in range(20)]
    items = [badge(f"Person {n}", code=code, n=n) for n, code in enumerate(codes)]
    calls = []

    pdf = render.render_badges(items, "a4-8up", progress=lambda *call: calls.append(call))

    # Progress counts chunks as they finish, in whatever order the workers finish them.
    done = [d for d, _ in calls]
    assert [t for _, t in calls] == [20, 20, 20] and done == sorted(done) and done[-1] == 20
    assert sorted(b - a for a, b in zip([0, *done], done, strict=False)) == [4, 8, 8]
    pages = _decode_pages(pdf, tmp_path)
    assert [sorted(r.text for r in page) for page in pages] == [
        sorted(codes[0:8]),
        sorted(codes[8:16]),
        sorted(codes[16:20]),
    ]


def test_chunks_are_whole_pages_and_a_big_run_ends_in_small_ones():
    # One process: a page or two at a time, so that the bar moves about every half second.
    assert render.chunk_sizes(40, 8, 1) == [16, 16, 8]
    assert render.chunk_sizes(10, 8, 1) == [10]
    # Workers: big chunks, then small ones for this process while the workers start.
    sizes = render.chunk_sizes(2000, 8, 2)
    assert sum(sizes) == 2000 and set(sizes[:-5]) == {64} and sizes[-5:] == [16] * 5
    for total, per_page, workers in [(2000, 8, 2), (500, 1, 4), (301, 4, 2), (100, 8, 4)]:
        sizes = render.chunk_sizes(total, per_page, workers)
        assert sum(sizes) == total
        assert all(size % per_page == 0 for size in sizes[:-1]), "a chunk ends mid-page"
        assert min(sizes[:-1]) >= render.CHUNK_MIN and max(sizes) <= render.CHUNK_MAX


def test_a_small_run_reports_its_progress_once(app):
    calls = []
    render.render_badges([badge("Ann Jones")], "a6", progress=lambda *call: calls.append(call))
    assert calls == [(1, 1)]


def test_unknown_layouts_and_empty_runs_are_refused(app):
    with pytest.raises(ValueError, match="layout"):
        render.render_badges([badge("Ann Jones")], "a5")
    with pytest.raises(ValueError, match="no badges"):
        render.render_badges([], "a4-8up")


def test_names_are_text_not_markup(app, tmp_path):
    pdf = render.render_badges([badge("<b>Bobby</b> & 'Tables'")], "a6")
    assert "<b>Bobby</b> & 'Tables'" in " ".join(_text(pdf, tmp_path).split())


def test_conference_dates_in_words():
    assert dates_text(date(2027, 3, 13), date(2027, 3, 14)) == "13–14 Mar 2027"
    assert dates_text(date(2027, 3, 13), date(2027, 3, 13)) == "13 Mar 2027"
    assert dates_text(date(2027, 3, 30), date(2027, 4, 2)) == "30 Mar – 2 Apr 2027"
    assert dates_text(date(2027, 12, 31), date(2028, 1, 1)) == "31 Dec 2027 – 1 Jan 2028"


# ---- the fetcher ---------------------------------------------------------------------------


def test_the_fetcher_reads_static_files_and_inline_data_only(app):
    from confapp.pdf import static_only_fetcher

    static = Path(app.static_folder).resolve()
    strict = static_only_fetcher(static)
    with_data = static_only_fetcher(static, data_urls=True)
    font = (static / "fonts" / "DejaVuSans.ttf").as_uri()

    for fetcher in (strict, with_data):
        with closing(fetcher.fetch(font)) as response:
            assert response.read(4) == b"\x00\x01\x00\x00"
        for refused in (
            "https://example.org/font.woff",
            "file:///etc/passwd",
            (static / ".." / "pyproject.toml").as_uri(),
            f"file://otherhost{static}/css/badges.css",
        ):
            with pytest.raises(ValueError):
                fetcher.fetch(refused)
    with pytest.raises(ValueError):
        strict.fetch("data:text/plain,hello")
    with closing(with_data.fetch("data:text/plain,hello")) as response:
        assert response.read() == b"hello"
