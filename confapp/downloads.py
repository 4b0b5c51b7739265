"""Every file the app hands out goes through `download`: one place for names and caching."""

from __future__ import annotations

import io

from flask import Response, send_file

# Path separators and control characters never belong in a name a browser saves to disk.
_UNSAFE = {ord(c): "-" for c in '/\\"'} | {n: None for n in range(32)} | {127: None}


def download(body: bytes | str, filename: str, mimetype: str) -> Response:
    """`body` as an attachment named `filename`, any script (RFC 6266 with RFC 5987's filename*).

    Flask's send_file writes an ASCII fallback name and the UTF-8 one, so "Łódź – Śródmieście"
    reaches the browser whole instead of failing in the server's Latin-1 headers. Not kept by
    the browser or shared caches: every download here holds personal data or a result.
    """
    data = body.encode("utf-8") if isinstance(body, str) else body
    name = filename.translate(_UNSAFE).strip() or "download"
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name, etag=False
    )
    response.headers["Cache-Control"] = "no-store"
    return response
