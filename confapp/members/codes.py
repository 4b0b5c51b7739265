"""Voting codes and receipts: random, unguessable, stored only as a hash (codes)."""

from __future__ import annotations

import hashlib
import secrets

# Receipts are read aloud and typed: no 0/O, 1/I/L.
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_code() -> str:
    """A voting code for one member's link: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def hash_code(code: str) -> str:
    """What the database keeps of a voting code (SHA-256, hex)."""
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


def new_receipt() -> str:
    """A receipt a voter can find in the published list: 12 characters in three blocks."""
    chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def new_paper_id() -> str:
    """A blank paper's id: random, so ids say nothing of order."""
    return secrets.token_hex(16)
