"""The scrutineer reads everything the committee reads, and can change nothing.

Derived from the permission table: every page the committee (admin) may open, a scrutineer
opens with the same answer; every form the committee may post is refused to a scrutineer,
and the database is unchanged.
"""

from __future__ import annotations

import pytest

from tests.test_permissions import TABLE, Redirect, form_for
from tests.world import World, build_world, log_in_as, snapshot, url_for_rule

READS = [
    (method, rule, expected["admin"])
    for (method, rule), expected in TABLE.items()
    if method == "GET" and expected["admin"] == 200 and expected["other_admin"] in (403, 404)
]
CHANGES = [
    (method, rule)
    for (method, rule), expected in TABLE.items()
    if method != "GET"
    and expected["admin"] not in (403, 404)
    and expected["other_admin"] in (403, 404)
]


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.mark.parametrize(("method", "rule", "expected"), READS, ids=[r for _, r, _ in READS])
def test_a_scrutineer_reads_what_the_committee_reads(client, world, method, rule, expected):
    log_in_as(client, world, "scrutineer")
    before = snapshot()

    response = client.get(url_for_rule(rule, world))

    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    assert snapshot() == before


@pytest.mark.parametrize(("method", "rule"), CHANGES, ids=[f"{m} {r}" for m, r in CHANGES])
def test_a_scrutineer_changes_nothing(client, world, method, rule):
    log_in_as(client, world, "scrutineer")
    before = snapshot()

    response = client.open(
        url_for_rule(rule, world), method=method, data=form_for(method, rule, world)
    )

    assert response.status_code in (403, 404), response.get_data(as_text=True)[:500]
    assert snapshot() == before


def test_the_scrutineer_is_told_the_pages_are_read_only(client, world):
    log_in_as(client, world, "scrutineer")

    page = client.get(url_for_rule("/admin/conferences/<int:conference_id>/queue", world))

    assert "Scrutineer: read only." in page.get_data(as_text=True)


def test_the_derived_lists_are_not_empty():
    assert len(READS) > 20 and len(CHANGES) > 20
    assert not any(isinstance(e, Redirect) for _, _, e in READS)
