"""The stewards' pages: the scan page, presence, the projector; the committee's door tools."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("checkin", __name__)
