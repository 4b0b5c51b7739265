"""Elections by STV: reading BLT ballots and counting them exactly (pure: no Flask, no database).

`count_stv` counts by the Scottish rules or by Meek, with quota categories and a recorded
seed for ties; `read_blt` reads ballots as published; `sheet` turns a result into the JSON
of `flask count-stv --json` and the printed count sheet.
"""

from confapp.elections.blt import BltElection, BltError, parse_blt, read_blt
from confapp.elections.count import count_stv
from confapp.elections.model import (
    Ballot,
    Category,
    CountError,
    CountResult,
    QuotaError,
    Stage,
    TieBreak,
)

__all__ = [
    "Ballot",
    "BltElection",
    "BltError",
    "Category",
    "CountError",
    "CountResult",
    "QuotaError",
    "Stage",
    "TieBreak",
    "count_stv",
    "parse_blt",
    "read_blt",
]
