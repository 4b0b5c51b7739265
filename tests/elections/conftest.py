"""Where the real elections are: ../shared/stv beside the checkout, read in place."""

from __future__ import annotations

from pathlib import Path

import pytest

STV_DATA = Path(__file__).parents[2] / ".." / "shared" / "stv"


@pytest.fixture
def stv_data() -> Path:
    """The folder of real STV elections; the test skips, saying why, where it is absent."""
    if not STV_DATA.is_dir():
        pytest.skip(f"the real election data is not beside the checkout ({STV_DATA.resolve()})")
    return STV_DATA
