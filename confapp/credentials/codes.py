"""Badge codes: unguessable, short, and in a QR code's alphanumeric character set."""

from __future__ import annotations

import base64
import re
import secrets

CODE_BYTES = 10  # 80 bits of randomness
CODE_LENGTH = 16  # base32 of 10 bytes: exactly 16 characters, no padding
CODE_PATTERN = re.compile(r"^[A-Z2-7]{16}$")


def new_code() -> str:
    """A fresh random code: 16 characters of A-Z and 2-7 (base32), 80 bits."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")


def normalise(text: str) -> str | None:
    """A code as typed or scanned (spaces, dashes, lower case forgiven), or None if malformed."""
    cleaned = re.sub(r"[\s\-]", "", text or "").upper()
    return cleaned if CODE_PATTERN.match(cleaned) else None


def display(code: str) -> str:
    """The code in groups of four, for people to read out or type: 'ABCD EFGH IJKL MNOP'."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
