"""QR codes as inline SVG for screens: the badges' own symbol, drawn as one path."""

from __future__ import annotations

from functools import lru_cache

from confapp.credentials.render import qr_matrix


@lru_cache(maxsize=4096)
def qr_path(code: str) -> tuple[int, str]:
    """The code's modules as one SVG path, and the side length in modules (quiet zone included)."""
    matrix = qr_matrix(code)  # the printed badge's symbol, quiet zone included
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
