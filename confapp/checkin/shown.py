"""Who made a scan, in words, for the tables of scans (never a raw device key)."""

from __future__ import annotations

from confapp.checkin.services import COMMITTEE_DEVICE
from confapp.models import Scan

DEMO_DEVICE = "uNone:demo"  # confapp/demo.py scans with no login and browser "demo"


def scanned_by(scan: Scan) -> str:
    """The steward's name and e-mail, the scanner token's label, the committee, or demo data."""
    if scan.user is not None:
        user = scan.user
        return f"{user.name} ({user.email})" if user.name else user.email
    if scan.device_token is not None:
        token = scan.device_token
        return f"scanner “{token.label}”" if token.label else f"scanner at {token.door.name}"
    if scan.device == COMMITTEE_DEVICE:
        return "the credentials committee"
    if scan.device == DEMO_DEVICE:
        return "demo data"
    # The key (device) outlived its owner: the login or token was deleted since.
    if scan.device.startswith("t"):
        return "a scanner token since deleted"
    return "a login since removed"
