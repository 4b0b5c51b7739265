"""Anyone can recount: the published BLT and categories, counted by the pure count, give the
declared result, papers with gaps, repeats, blanks and values included."""

from __future__ import annotations

import json

import pytest

from confapp import factories
from confapp.elections import Category, count_stv, entries, parse_blt
from confapp.elections.sheet import stored_result
from confapp.models import Election, Role

# Paper number -> what both tellers typed ("" with blank=True is a blank paper).
TYPED = {
    1: "1 2 3",
    2: "2 1",
    3: "3 0 1",  # a gap: the count reads "3" only
    4: "4 4 2",  # a repeat: the count reads "4" only
    5: "",  # blank
    6: "3 4",
    7: "1 3",
    8: "4 3 1",
    9: "2 3 4 1",
    10: "3 1",
}
VALUES = [3, 2, 1, 1, 1, 2, 1, 4, 1, 2]


@pytest.mark.parametrize("rule", ["scottish", "meek"])
def test_the_published_ballots_and_quotas_recount_to_the_declared_result(
    db, conference, client, login, rule
):
    election = factories.election(
        conference,
        ["Asha", "Bryn", "Cerys", "Dev"],
        seats=2,
        rule=rule,
        categories={"Women": (1, None, ["Cerys", "Dev"])},
        papers=VALUES,
    )
    tellers = [factories.user(conf=conference, role=Role.TELLER) for _ in range(2)]
    for sheet, teller in enumerate(tellers, start=1):
        for number, typed in TYPED.items():
            entries.enter_paper(election, teller, sheet, number, typed, blank=not typed)
            db.session.commit()
    login(factories.user(conf=conference, role=Role.ADMIN))
    base = f"/conferences/{conference.id}/elections/{election.id}"
    assert client.post(f"{base}/count", data={"confirmed": "yes"}).status_code in (200, 302)
    assert client.post(f"{base}/declare", data={"confirmed": "yes"}).status_code in (200, 302)
    db.session.expire_all()
    declared = db.session.get(Election, election.id)
    assert declared.state == "declared"

    blt = parse_blt(client.get(f"{base}/ballots.blt").get_data(as_text=True))
    document = json.loads(client.get(f"{base}/categories.json").get_data(as_text=True))
    categories = [
        Category(
            c["name"],
            frozenset(m["number"] for m in c["candidates"]),
            c["minimum"],
            c["maximum"],
        )
        for c in document["categories"]
    ]
    recount = count_stv(
        blt.candidates,
        blt.ballots,
        blt.seats,
        rule,
        categories=categories,
        seed=document["seed"],
        withdrawn=blt.withdrawn,
    )

    # The reader keeps blank papers apart (BltElection.invalid); every figure else is the same.
    assert stored_result(recount) | {"invalid": declared.result["invalid"]} == declared.result
    assert blt.invalid == 1 and declared.result["invalid"].startswith("1.0")  # paper 5, blank
