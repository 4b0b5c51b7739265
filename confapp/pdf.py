"""What every PDF confapp renders with WeasyPrint shares: a fetcher that reads only static/."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname


def static_only_fetcher(root: str | Path, *, data_urls: bool = False):
    """A WeasyPrint URL fetcher that reads files under `root` and refuses anything else.

    With `data_urls`, `data:` URLs are read too: their content is in the page itself (the
    badges' QR images), so nothing is fetched from anywhere.
    """
    return _fetcher_class()(root, data_urls=data_urls)


@cache
def _fetcher_class():
    # WeasyPrint takes half a second to import: only the PDF downloads pay for it.
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):
        """Lets WeasyPrint read files under one folder and nothing else: no network."""

        def __init__(self, root: str | Path, *, data_urls: bool = False):
            protocols = ("file", "data") if data_urls else ("file",)
            super().__init__(allowed_protocols=protocols, allow_redirects=False)
            self.root = Path(root).resolve()
            self.data_urls = data_urls

        def fetch(self, url, headers=None):
            """Fetch `url` if it names a file inside the folder; ValueError otherwise."""
            if self.data_urls and url[:5].lower() == "data:":
                return super().fetch(url, headers)
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"refused (not a file in static/): {url}")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(self.root) or not path.is_file():
                raise ValueError(f"refused (outside static/): {url}")
            return super().fetch(url, headers)

    return StaticOnlyFetcher


def html_to_pdf(html: str) -> bytes:
    """Render a print page's HTML as a PDF, reading only files under static/."""
    from flask import current_app
    from weasyprint import HTML

    static = Path(current_app.static_folder).resolve()
    document = HTML(string=html, base_url=f"{static}/", url_fetcher=static_only_fetcher(static))
    return document.write_pdf()
