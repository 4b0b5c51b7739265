"""Papers entered by two tellers and reconciled, the count run, the chair's declaration."""

from __future__ import annotations
