"""The declared count published: sheet (page, CSV, PDF), anonymised BLT, quota categories."""

from __future__ import annotations
