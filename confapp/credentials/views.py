"""Badges: the committee's print runs, a group's badges, each person's badge on a phone."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup

from confapp import audit, links
from confapp.auth.access import COMMITTEE, delegate_or_404, group_or_404, requires
from confapp.confirm import ask_first
from confapp.credentials import badges as badge_data
from confapp.credentials import jobs
from confapp.credentials import services as credentials
from confapp.credentials.forms import PrintRunForm, ReissueForm
from confapp.credentials.qr import qr_svg
from confapp.downloads import download
from confapp.extensions import db
from confapp.models import (
    Credential,
    Delegate,
    Group,
    JobStatus,
    PrintJob,
    PrintKind,
    PrintScope,
    Role,
    Status,
    utcnow,
)

bp = Blueprint("credentials", __name__)

LINK_SALT = "badge-link"


def badge_link_token(credential: Credential) -> str:
    """The unguessable part of a person's badge link (signed with the app's secret key)."""
    return URLSafeSerializer(current_app.secret_key, salt=LINK_SALT).dumps(credential.id)


def badge_link(credential: Credential) -> str:
    """The personal link that shows a badge on the holder's phone."""
    return links.external_url("credentials.personal_badge", link=badge_link_token(credential))


def _pdf(data: bytes, filename: str) -> Response:
    return download(data, filename, "application/pdf")


# ---- the committee's print runs -----------------------------------------------------------


@bp.route(f"{COMMITTEE}/badges", methods=["GET", "POST"])
@requires(Role.ADMIN)
def print_runs(conference_id: int):
    """Choose what to print (all, not yet printed, one group; badges or cards) and start it."""
    conference = g.conference
    if request.method == "POST":
        form = PrintRunForm()
        kind, scope, group_id = form.kind.data, form.scope.data, form.group_id.data
        layout = form.layout.data or conference.badge_layout
        if (
            kind not in PrintKind.__members__.values()
            or scope not in PrintScope.__members__.values()
            or layout not in badge_data.LAYOUTS
        ):
            abort(400)
        if scope == PrintScope.GROUP:
            group = db.session.get(Group, group_id or 0)
            if group is None or group.conference_id != conference.id:
                flash("Choose a group to print.", "error")
                return redirect(url_for("credentials.print_runs", conference_id=conference.id))
        job = jobs.create(
            conference, current_user, kind=kind, scope=scope, layout=layout, group_id=group_id
        )
        if job.total == 0:
            db.session.rollback()
            flash("Nothing to print: no live credentials match.", "info")
            return redirect(url_for("credentials.print_runs", conference_id=conference.id))
        db.session.commit()
        jobs.start(job)
        return redirect(
            url_for("credentials.print_job", conference_id=conference.id, job_id=job.id)
        )
    recent = (
        db.session.execute(
            db.select(PrintJob)
            .where(PrintJob.conference_id == conference.id)
            .order_by(PrintJob.id.desc())
            .limit(20)
        )
        .scalars()
        .all()
    )
    unprinted = db.session.execute(
        db.select(db.func.count(Credential.id)).where(
            Credential.conference_id == conference.id,
            Credential.revoked_at.is_(None),
            Credential.printed_at.is_(None),
        )
    ).scalar_one()
    groups = db.session.execute(
        db.select(Group.id, Group.name)
        .where(Group.conference_id == conference.id)
        .order_by(Group.name)
    ).all()
    return render_template(
        "credentials/print_runs.html",
        recent=recent,
        unprinted=unprinted,
        groups=groups,
        layouts=badge_data.LAYOUTS,
        states={job.id: jobs.state(job) for job in recent},
    )


def _job(conference_id: int, job_id: int) -> PrintJob:
    job = db.session.get(PrintJob, job_id)
    if job is None or job.conference_id != conference_id:
        abort(404)
    return job


@bp.route(f"{COMMITTEE}/print-jobs/<int:job_id>")
@requires(Role.ADMIN)
def print_job(conference_id: int, job_id: int):
    """A run's progress bar; the PDF to download when it is done."""
    job = _job(conference_id, job_id)
    return render_template("credentials/print_job.html", job=job, state=jobs.state(job))


@bp.route(f"{COMMITTEE}/print-jobs/<int:job_id>.json")
@requires(Role.ADMIN)
def print_job_state(conference_id: int, job_id: int):
    """The run's progress, for the page's progress bar."""
    return jobs.state(_job(conference_id, job_id))


@bp.route(f"{COMMITTEE}/print-jobs/<int:job_id>.pdf")
@requires(Role.ADMIN)
def print_job_pdf(conference_id: int, job_id: int):
    """The finished run's PDF."""
    job = _job(conference_id, job_id)
    if job.status != JobStatus.DONE or job.pdf is None:
        abort(404)
    return _pdf(job.pdf, f"{g.conference.slug}-{job.kind}-{job.id}.pdf")


@bp.route(f"{COMMITTEE}/people/<int:delegate_id>/reissue", methods=["POST"])
@requires(Role.ADMIN)
def reissue(conference_id: int, delegate_id: int):
    """A new code for a lost badge or a corrected name; the old code answers "revoked"."""
    delegate = db.session.get(Delegate, delegate_id)
    if delegate is None or delegate.conference_id != conference_id:
        abort(404)
    reason = (ReissueForm().reason.data or "").strip()
    back = url_for("registration.delegation", group_id=delegate.group_id)
    if delegate.status != Status.APPROVED:
        flash(f"{delegate.name} is {delegate.status}: only approved people have badges.", "error")
    elif not reason:
        flash("Give the reason for the reissue (lost badge, name corrected, ...).", "error")
    elif (
        question := ask_first(
            f"Reissue {delegate.name}'s badge?", "Yes, reissue", back=back, detail=REISSUE_DETAIL
        )
    ) is not None:
        return question
    else:
        credentials.issue(delegate, current_user, reason)
        db.session.commit()
        flash(f"New badge code for {delegate.name}; the old one is revoked.", "success")
    return redirect(back)


# Why a reissue asks first: the badge in the person's hand stops working at once.
REISSUE_DETAIL = (
    "The badge they hold now stops working at the door (a scan says “revoked”); "
    "print or send them the new one."
)


@bp.route(f"{COMMITTEE}/people/<int:delegate_id>/badge.pdf", methods=["POST"])
@requires(Role.ADMIN)
def one_badge(conference_id: int, delegate_id: int):
    """One person's badge, printed at once (a replacement at the desk); marked printed."""
    from confapp.credentials import render

    delegate = db.session.get(Delegate, delegate_id)
    if delegate is None or delegate.conference_id != conference_id:
        abort(404)
    conference = g.conference
    query = badge_data.live_credentials_query(conference).where(Delegate.id == delegate.id)
    items = badge_data.badges_for(conference, query)
    if not items:
        abort(404, description=f"{delegate.name} has no live badge: approve or reissue first.")
    pdf = render.render_badges(items, conference.badge_layout)
    credential = db.session.get(Credential, items[0].credential_id)
    credential.printed_at = utcnow()
    audit.record(
        "badges.print",
        conference,
        after={"count": 1, "layout": conference.badge_layout, "delegate_id": delegate.id},
        summary=f"1 badge ({delegate.name}, {conference.badge_layout})",
    )
    db.session.commit()
    return _pdf(pdf, f"badge-{delegate.id}.pdf")


# ---- secretaries and badge holders --------------------------------------------------------


@bp.route("/groups/<int:group_id>/badges.pdf")
@login_required
def group_badges(group_id: int):
    """The group's approved badges, for its secretary to print."""
    from confapp.credentials import render

    group = group_or_404(group_id)
    conference = group.conference
    query = badge_data.live_credentials_query(conference).where(Delegate.group_id == group.id)
    items = badge_data.badges_for(conference, query)
    if not items:
        flash("No approved badges yet: they come when the committee approves.", "info")
        return redirect(url_for("registration.delegation", group_id=group.id))
    return _pdf(render.render_badges(items, conference.badge_layout), f"{group.name}-badges.pdf")


@bp.route("/groups/<int:group_id>/people/<int:delegate_id>/badge-link")
@login_required
def show_badge_link(group_id: int, delegate_id: int):
    """The person's badge link, for the secretary to send them."""
    group = group_or_404(group_id)
    person = delegate_or_404(group, delegate_id)
    credential = credentials.live_credential(person)
    if credential is None:
        abort(404)
    return render_template(
        "credentials/badge_link.html", group=group, person=person, link=badge_link(credential)
    )


@bp.route("/badge/<link>")
def personal_badge(link: str):
    """A badge on the holder's phone screen, its QR large enough for a steward's scanner."""
    try:
        credential_id = URLSafeSerializer(current_app.secret_key, salt=LINK_SALT).loads(link)
    except BadSignature:
        abort(404)
    credential = db.session.get(Credential, credential_id)
    if credential is None:
        abort(404)
    person = credential.delegate
    g.conference = person.group.conference
    return render_template(
        "credentials/personal_badge.html",
        credential=credential,
        person=person,
        colour=badge_data.PASS_COLOURS.get(person.pass_type, "#333"),
        qr=Markup(qr_svg(credential.code)),
    )
