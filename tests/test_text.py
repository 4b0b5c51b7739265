"""The one pluraliser and the one ISO time formatter, in Python and in templates."""

from __future__ import annotations

from datetime import datetime

from flask import render_template_string

from confapp.text import plural, utc_iso


def test_plural_says_the_count_with_its_noun() -> None:
    assert plural(1, "delegate") == "1 delegate"
    assert plural(0, "delegate") == "0 delegates"
    assert plural(21_000, "member") == "21,000 members"
    assert plural(2, "entry", "entries") == "2 entries"


def test_utc_iso_is_to_the_second_with_z() -> None:
    assert utc_iso(datetime(2027, 3, 13, 8, 59, 30, 999_999)) == "2027-03-13T08:59:30Z"
    assert utc_iso(None) is None


def test_templates_have_both_as_filters(app) -> None:
    with app.test_request_context():
        text = render_template_string(
            "{{ 3|plural('delegation') }} at {{ at|utc_iso }}", at=datetime(2027, 3, 13, 9)
        )
    assert text == "3 delegations at 2027-03-13T09:00:00Z"
