"""The row factories, now confapp.factories (shared with the benchmarks), for old imports."""

from confapp.factories import (
    LABOUR_RULE,
    PASSWORD,
    approved_person,
    conference,
    group,
    section,
    user,
)

__all__ = [
    "LABOUR_RULE",
    "PASSWORD",
    "approved_person",
    "conference",
    "group",
    "section",
    "user",
]
