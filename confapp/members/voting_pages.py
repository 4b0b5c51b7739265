"""A member's voting link: the paper, the vote, the receipt (no login: the code is the key).

Every answer is about the link alone: a code no voter holds reads the same whether or not any
ballot exists; a used code says so without a receipt or a time. The pages are not cached and
send no referrer, since the code is in their address.
"""

from __future__ import annotations

from flask import current_app, g, make_response, render_template, request
from werkzeug.datastructures import MultiDict

from confapp.extensions import csrf, limiter
from confapp.members import casting
from confapp.members.views import bp
from confapp.models import QuestionKind


def _answer(template: str, status: int = 200, **values):
    response = make_response(render_template(template, **values), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _refusal(reason: str, ballot: casting.Ballot | None):
    """The page for a link that cannot vote now: invalid, used, not yet open, or closed."""
    if ballot is not None:
        g.conference = ballot.conference
    return _answer(
        "members/vote_refused.html",
        404 if reason == "invalid" else 200,
        reason=reason,
        ballot=ballot,
    )


# No CSRF token and no rate limit, so no session and no cookie: the code in the address is the
# only key, and a page that could forge this POST would need the code, with which it could
# vote anyway. A code is 128 random bits: there is nothing to guess at any rate.
@bp.route("/vote/<code>", methods=["GET", "POST"])
@csrf.exempt
@limiter.exempt
def vote(code: str):
    """The paper behind a voting link; sending it casts the vote and shows the receipt."""
    code = code[:200]
    # A member has no login here: the code is the key. Answering as to anyone, without reading
    # a login from the session, also keeps Flask-Login's session protection from rewriting
    # the session (and sending its cookie again) on every vote.
    g._login_user = current_app.login_manager.anonymous_user()
    # One read (the voter, the ballot, the conference); the paper comes from the process's
    # copy. Everything the pages show is plain values, so the commit after a vote reloads
    # nothing and the receipt is rendered from what was read before it.
    link = casting.open_link(code)
    if link is None:
        return _refusal("invalid", None)
    ballot = link.ballot
    g.conference = ballot.conference
    reason = casting.refusal(link)
    if reason is not None:
        return _refusal(reason, ballot)
    problems: dict[int, str] = {}
    if request.method == "POST":
        try:
            choices = casting.choices_from_form(ballot, request.form)
            receipt = casting.cast(code, choices, link)
        except casting.ChoiceError as error:
            problems = error.problems
        except casting.CastRefused as refused:
            return _refusal(refused.reason, refused.ballot or ballot)
        else:
            return _answer("members/vote_receipt.html", ballot=ballot, receipt=receipt)
    return _answer(
        "members/vote.html",
        ballot=ballot,
        problems=problems,
        form=request.form if request.method == "POST" else MultiDict(),
        casting=casting,
        QuestionKind=QuestionKind,
    )
