"""What an election keeps of its count: the published JSON and what a recount needs besides."""

from __future__ import annotations

import json

from confapp.elections import Ballot, Category, count_stv
from confapp.elections.sheet import result_json, stored_result


def test_the_stored_result_holds_the_published_json_the_categories_and_the_seed():
    """A quota count with a tie is kept whole, and survives a trip through JSON."""
    ballots = [Ballot((1, 2), 4), Ballot((2, 1), 3), Ballot((3,), 3), Ballot((4, 3), 2)]
    women = Category("Women", frozenset({3, 4}), minimum=1)
    result = count_stv(["Asha", "Bryn", "Cerys", "Dev"], ballots, 2, categories=[women], seed="s")
    stored = stored_result(result)
    published = result_json(result)
    for key in published.keys() - {"stages"}:
        assert stored[key] == published[key], key
    for kept, shown in zip(stored["stages"], published["stages"], strict=True):
        assert {k: kept[k] for k in shown} == shown
    assert stored["seed"] == "s" and stored["invalid"] == "0.00000"
    assert stored["categories"] == [
        {"name": "Women", "minimum": 1, "maximum": None, "members": [3, 4]}
    ]
    assert all({"rounding", "notes", "ties"} <= stage.keys() for stage in stored["stages"])
    assert 3 in stored["elected"] or 4 in stored["elected"]  # the quota holds
    assert json.loads(json.dumps(stored)) == stored
