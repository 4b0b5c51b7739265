"""The committee sets up an election; groups and delegates nominate candidates."""

from __future__ import annotations
