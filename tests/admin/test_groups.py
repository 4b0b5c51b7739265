"""The committee's group list: entitlement per group, sorting, search, totals."""

from __future__ import annotations

import re

import pytest

from confapp.models import Role
from tests import factories


@pytest.fixture
def groups(conference):
    affiliates = factories.section(conference, "Affiliates")
    factories.group(conference, "Leeds", members=1000, women_members=520, region="North")
    factories.group(conference, "York", members=749, women_members=90, region="North")
    factories.group(conference, "Bristol", members=1750, women_members=99, region="South West")
    factories.group(conference, "Carers", members=10_000, section=affiliates, region="National")
    factories.group(conference, "Hull", members=400, in_good_standing=False, region="North")


@pytest.fixture
def page(client, conference, groups, login):
    login(factories.user(conf=conference, role=Role.ADMIN))

    def _page(**params):
        response = client.get(f"/admin/conferences/{conference.id}/groups", query_string=params)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    return _page


def _names(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr>\s*<td[^>]*><a [^>]*>([^<]+)</a></td>", body)


def _foot(page: str) -> list[str]:
    foot = page.split("<tfoot>")[1].split("</tfoot>")[0]
    return [c for c in re.findall(r"<td[^>]*>([^<]*)</td>", foot) if c]


def test_each_group_shows_its_delegates_and_card_vote(page):
    text = page()
    row = text.split(">Leeds</a></td>")[1].split("</tr>")[0]
    assert "1,000" in row
    assert "3 + 1" in row  # 3 base delegates, 1 women's seat
    assert "not in good standing" in text.split(">Hull</a></td>")[1].split("</tr>")[0]


def test_totals_at_the_foot(page):
    # members 1000+749+1750+10000+400; delegates 4+1+6+6+0 = 17; Hull's votes do not count
    assert _foot(page()) == ["5 groups", "13,899", "17", "13,499"]


def test_sorted_by_name_by_default_and_by_any_column(page):
    assert _names(page()) == ["Bristol", "Carers", "Hull", "Leeds", "York"]
    assert _names(page(sort="members", dir="desc")) == [
        "Carers",
        "Bristol",
        "Leeds",
        "York",
        "Hull",
    ]
    assert _names(page(sort="delegates")) == ["Hull", "York", "Leeds", "Bristol", "Carers"]
    assert _names(page(sort="nonsense")) == ["Bristol", "Carers", "Hull", "Leeds", "York"]


def test_search_by_name_region_or_section_totals_what_is_shown(page):
    north = page(q="north")
    assert _names(north) == ["Hull", "Leeds", "York"]
    assert _foot(north) == ["3 groups", "2,149", "5", "1,749"]
    assert _names(page(q="affil")) == ["Carers"]
    assert "No group matches" in page(q="zzz")


def test_another_conference_groups_are_not_listed(page, db):
    other = factories.conference("Other")
    factories.group(other, "Other Town")
    assert "Other Town" not in page()


def test_a_long_list_comes_in_pages_of_50_with_totals_of_all(page, conference):
    for n in range(60):
        factories.group(conference, f"Town {n:02}", members=100)
    first, second = page(), page(page=2)
    assert len(_names(first)) == 50 and "Page 1 of 2" in first
    assert _names(second) == [f"Town {n}" for n in range(46, 60)] + ["York"]
    assert '65 groups<span class="visually-hidden">, all pages</span>' in second
    assert "Page 2 of 2" in second and "Next →" not in second


def test_the_sorted_column_header_carries_aria_sort(page):
    text = page(sort="members", dir="desc")
    assert re.search(r'<th class="num" aria-sort="descending">\s*<a [^>]*>Members</a>', text)
    assert "<a " not in "".join(re.findall(r"<a [^>]*aria-sort[^>]*>", text))
