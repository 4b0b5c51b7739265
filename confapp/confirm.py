"""Irreversible steps ask first: a page that repeats the form with "Yes, ..." when no script did.

A form marked `data-confirm` asks in the browser (static/js/confirm.js) and sends
`confirmed=yes`; without script, or from any other client, the view answers with this
question page instead of acting, so nothing irreversible happens on one careless tap.
"""

from __future__ import annotations

from flask import render_template, request

CONFIRMED = "confirmed"


def ask_first(question: str, yes: str, *, back: str | None = None, detail: str = "") -> str | None:
    """The question page unless this POST already says `confirmed=yes`; None means go on."""
    if request.form.get(CONFIRMED) == "yes":
        return None
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != CONFIRMED]
    return render_template(
        "confirm.html",
        question=question,
        detail=detail,
        yes=yes,
        action=request.full_path.rstrip("?"),
        fields=fields,
        back=back or request.referrer or "/",
    )
