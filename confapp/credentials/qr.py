"""A badge code's QR symbol: its modules, a PNG for print and an SVG for screens.

segno builds the symbol, mask selection included; badges, cards and the personal badge
page all draw the same one.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import segno

# Level Q restores a quarter of the code (a scuffed or punched badge) and still fits a
# 16-character code in the smallest symbol (21 x 21 modules); 4 modules of quiet zone around it.
QR_ERROR_CORRECTION = "Q"
QR_QUIET_ZONE = 4


def qr_symbol(code: str) -> segno.QRCode:
    """The smallest QR Code (never a Micro QR) that holds the code at level Q."""
    # segno would raise the level where a higher one fits in the same size: the level printed
    # stays the one chosen above, whatever the code's length.
    return segno.make(code, error=QR_ERROR_CORRECTION, micro=False, boost_error=False)


def qr_matrix(code: str) -> list[list[bool]]:
    """The code's QR modules, quiet zone included (True is dark)."""
    rows = qr_symbol(code).matrix_iter(border=QR_QUIET_ZONE)
    return [[module == 1 for module in row] for row in rows]


def qr_data_url(code: str) -> str:
    """The code's QR as a black-and-white PNG, one pixel a module, in a data: URL."""
    # The stylesheet scales it up without smoothing (image-rendering: pixelated), so modules
    # print as sharp squares at any size; WeasyPrint draws a small image far faster than an
    # SVG path of a hundred or so runs, which is most of what a badge costs to render.
    from PIL import Image

    symbol = qr_symbol(code)
    size = symbol.symbol_size(border=QR_QUIET_ZONE)
    rows = symbol.matrix_iter(border=QR_QUIET_ZONE)
    # Grey scale ('L'), not 1-bit: WeasyPrint embeds an 'L' PNG as it is, a '1' one converted.
    pixels = bytes(0 if module else 255 for row in rows for module in row)
    image = Image.frombytes("L", size, pixels)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


@lru_cache(maxsize=4096)
def qr_path(code: str) -> tuple[int, str]:
    """The code's modules as one SVG path, and the side length in modules (quiet zone included)."""
    matrix = qr_matrix(code)
    parts = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start},{y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return len(matrix), "".join(parts)


def qr_svg(code: str, size: str = "100%") -> str:
    """An <svg> element drawing the code's QR, scaled to `size`, crisp at any resolution."""
    side, path = qr_path(code)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'width="{size}" height="{size}" shape-rendering="crispEdges" role="img" '
        f'aria-label="QR code {code}"><rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )
