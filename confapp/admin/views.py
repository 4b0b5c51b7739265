"""The credentials committee's pages: conferences and rules, groups, people with roles, the
audit log, the delegate list with its CSV export and import, and the credentials report.

The blueprint `bp` is the area's (confapp/admin/__init__.py); the review's pages are on it
too, from admin/review.py, imported below so that registering `bp` registers them all.
Each view reads the request, calls a use case and renders; it commits once, after the use
case has flushed its changes (the delegates import commits its own parts).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from confapp import entitlement as ent
from confapp.admin import (
    bp,
    delegate_csv,
    registrations,
    report,
    review,  # noqa: F401  (its routes are on bp too)
    services,
)
from confapp.admin.forms import (
    ConferenceForm,
    ImportDelegatesForm,
    ImportGroupsForm,
    NewUserForm,
    RuleForm,
    fill_rule_form,
    preview,
)
from confapp.auth import services as users
from confapp.auth.access import SITE_ADMIN, requires
from confapp.csv_import import ImportRejected
from confapp.downloads import download
from confapp.extensions import db
from confapp.models import (
    BASE_SEAT,
    AuditEntry,
    Conference,
    PassType,
    Role,
    Status,
    User,
)
from confapp.pdf import html_to_pdf
from confapp.text import plural

AUDIT_PAGE_SIZE = 100
# Pages short enough to read on a phone, where every row is a card.
DELEGATES_PAGE_SIZE = 50
GROUPS_PAGE_SIZE = 50

# ---- conferences and their rules -----------------------------------------------------------


@bp.route("/conferences")
@requires(SITE_ADMIN)
def conferences():
    """Every conference of the installation."""
    rows = db.session.execute(db.select(Conference).order_by(Conference.starts_on.desc())).scalars()
    return render_template("admin/conferences.html", conferences=list(rows))


@bp.route("/conferences/new", methods=["GET", "POST"])
@requires(SITE_ADMIN)
def new_conference():
    """Create a conference with its rule."""
    form = ConferenceForm()
    if request.method == "GET":
        today = date.today()
        form.starts_on.data = form.ends_on.data = today + timedelta(days=90)
        form.registration_deadline.data = datetime.combine(today + timedelta(days=60), time(17))
        form.sections[0].form.name.data = "Local groups"
    return _conference_form(form, None)


@bp.route("/conferences/<int:conference_id>/edit", methods=["GET", "POST"])
@requires(Role.ADMIN)
def edit_conference(conference_id: int):
    """Edit a conference's dates, sections and rule."""
    conference = g.conference
    form = ConferenceForm(obj=conference if request.method == "GET" else None)
    if request.method == "GET":
        fill_rule_form(form, conference.rule, conference.card_rule)
        form.registration_deadline.data = services.to_local(
            conference.registration_deadline, conference.timezone
        )
        form.fill_sections(conference.sections)
    return _conference_form(form, conference)


def _conference_form(form: ConferenceForm, conference: Conference | None):
    if form.is_submitted() and not form.preview.data and form.validate():
        try:
            saved = services.save_conference(form, conference)
        except (ent.RuleError, services.ConferenceError) as exc:
            db.session.rollback()
            flash(f"Not saved: {exc}", "error")
        else:
            db.session.commit()
            flash(f"Saved {saved.name}.", "success")
            return redirect(url_for("admin.groups", conference_id=saved.id))
    return render_template(
        "admin/conference_form.html", form=form, editing=conference, **_preview(form)
    )


def _preview(form: RuleForm) -> dict:
    """What the rule in the form gives the sample groups, for the preview's template."""
    try:
        description, rows = preview(form)
    except ent.RuleError as exc:
        return {"description": None, "preview_rows": [], "preview_error": str(exc)}
    return {"description": description, "preview_rows": rows, "preview_error": None}


@bp.route("/rule-preview", methods=["POST"])
@requires(Role.ADMIN)
def rule_preview():
    """The live preview: what the rule in the form gives the sample groups (HTML fragment)."""
    form = RuleForm(meta={"csrf": False})  # CSRFProtect has already checked the header token
    return render_template("admin/_rule_preview.html", **_preview(form))


# ---- groups --------------------------------------------------------------------------------


@bp.route("/conferences/<int:conference_id>/groups")
@requires(Role.ADMIN)
def groups(conference_id: int):
    """Groups with membership, entitlement and card vote; sortable, searchable, totalled."""
    search = request.args.get("q", "")
    sort = request.args.get("sort", "name")
    if sort not in services.SORT_KEYS:
        sort = "name"
    descending = request.args.get("dir") == "desc"
    rows, totals = services.list_groups(
        g.conference, search=search, sort=sort, descending=descending
    )
    pages = max(1, -(-len(rows) // GROUPS_PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    start = (page - 1) * GROUPS_PAGE_SIZE
    return render_template(
        "admin/groups.html",
        groups=rows[start : start + GROUPS_PAGE_SIZE],
        page=page,
        pages=pages,
        totals=totals,
        search=search,
        sort=sort,
        descending=descending,
        rule_text=ent.describe(g.conference.rule),
    )


@bp.route("/conferences/<int:conference_id>/groups/import", methods=["GET", "POST"])
@requires(Role.ADMIN)
def import_groups(conference_id: int):
    """Upload a groups CSV: all rows are applied, or none and every problem is listed."""
    form = ImportGroupsForm()
    problems = None
    if form.validate_on_submit():
        try:
            summary = services.import_groups(g.conference, form.file.data.read())
        except ImportRejected as exc:
            db.session.rollback()
            problems = _rejected(exc)
        else:
            db.session.commit()
            flash(f"Imported: {summary}.", "success")
            return redirect(url_for("admin.groups", conference_id=conference_id))
    return render_template("admin/import_groups.html", form=form, problems=problems)


def _rejected(rejected: ImportRejected) -> list:
    """Say that nothing was imported; the problems, for the page to list."""
    count = plural(len(rejected.problems), "problem")
    flash(f"Nothing was imported: the file has {count}, listed below.", "error")
    return rejected.problems


# ---- people with roles ---------------------------------------------------------------------


@bp.route("/conferences/<int:conference_id>/users", endpoint="users", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users_page(conference_id: int):
    """Users with roles here; create one and see their one-time invitation link."""
    form = NewUserForm()
    if not current_user.is_site_admin:
        del form.is_site_admin
    invitation = None
    if form.validate_on_submit():
        try:
            given = services.give_role(
                g.conference,
                current_user,
                email=form.email.data,
                name=form.name.data or "",
                role=Role(form.role.data),
                group_name=form.group.data or "",
                site_admin="is_site_admin" in form and form.is_site_admin.data,
            )
        except users.UserError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            if given.warning:
                flash(given.warning, "warning")
            flash(f"{form.email.data} now has the role {form.role.data}.", "success")
            invitation = given.invitation
    return _users_page(form, invitation)


@bp.route("/conferences/<int:conference_id>/users/<int:user_id>/invitation", methods=["POST"])
@requires(Role.ADMIN)
def reissue_invitation(conference_id: int, user_id: int):
    """Make a new one-time link for a user of this conference (the old one stops working)."""
    user = db.session.get(User, user_id)
    if user is None or conference_id not in {grant.conference_id for grant in user.grants}:
        abort(404)
    if not users.may_make_login_link(current_user, user):
        abort(403, description="This person also works elsewhere: ask a site administrator.")
    invitation = services.invite(user)
    db.session.commit()
    return _users_page(NewUserForm(formdata=None), invitation)


def _users_page(form: NewUserForm, invitation: services.Invitation | None):
    return render_template(
        "admin/users.html",
        form=form,
        grants=services.role_grants(g.conference),
        invitation=invitation,
        group_names=services.group_names(g.conference),
    )


# ---- the audit log -------------------------------------------------------------------------


@bp.route("/conferences/<int:conference_id>/audit")
@requires(Role.ADMIN)
def audit_log(conference_id: int):
    """The conference's audit log, newest first, filterable by action, record and person."""
    return _audit_page(AuditEntry.conference_id == conference_id)


@bp.route("/audit")
@requires(SITE_ADMIN)
def site_audit_log():
    """The whole installation's log: every conference, plus logins and user changes."""
    return _audit_page(None)


def _audit_page(scope):
    filters = {k: request.args.get(k, "").strip() for k in services.AUDIT_FILTERS}
    query, actions, problem = services.audit_entries(scope, filters)
    if problem:
        flash(problem, "error")
    return render_template(
        "admin/audit.html",
        page=db.paginate(query, per_page=AUDIT_PAGE_SIZE, error_out=False),
        filters=filters,
        actions=list(db.session.execute(actions).scalars()),
        endpoint=request.endpoint,
        link_args={**request.view_args, **{k: v for k, v in filters.items() if v}},
    )


# ---- the delegate list, its export and the import ------------------------------------------


@bp.route("/conferences/<int:conference_id>/delegates")
@requires(Role.ADMIN)
def delegates(conference_id: int):
    """Every registration, filtered by group, region, section, status and pass type."""
    page = db.paginate(
        registrations.filtered_delegates_query(g.conference, request.args),
        per_page=DELEGATES_PAGE_SIZE,
        error_out=False,
        count=True,
    )
    groups = registrations.group_choices(g.conference)
    return render_template(
        "admin/delegates.html",
        page=page,
        groups=groups,
        regions=sorted({row.region for row in groups if row.region}),
        args=request.args,
        link_args={k: v for k, v in request.args.items() if v and k != "page"},
        statuses=[s.value for s in Status],
        pass_types=[p.value for p in PassType],
    )


@bp.route("/conferences/<int:conference_id>/delegates.csv")
@requires(Role.ADMIN)
def export_delegates(conference_id: int):
    """The conference's registrations as a CSV download, filtered as the delegate list is."""
    conference = g.conference
    query = registrations.filtered_delegates_query(conference, request.args)
    body = delegate_csv.delegates_csv(db.session.execute(query).scalars())
    return download(body, f"{conference.slug}-delegates.csv", "text/csv")


@bp.route("/conferences/<int:conference_id>/delegates/import", methods=["GET", "POST"])
@requires(Role.ADMIN)
def import_delegates(conference_id: int):
    """Upload a delegates CSV: everyone is registered, or no one and every problem is listed."""
    conference = g.conference
    form = ImportDelegatesForm()
    problems = None
    if form.validate_on_submit():
        try:
            # Commits in parts of its own, so that the doors' scans are not kept waiting.
            summary = registrations.import_delegates(
                conference, form.file.data.read(), current_user
            )
        except ImportRejected as exc:
            problems = _rejected(exc)
        else:
            flash(f"{summary}.", "success")
            return redirect(url_for("admin.groups", conference_id=conference_id))
    return render_template(
        "admin/import_delegates.html",
        form=form,
        problems=problems,
        columns=delegate_csv.COLUMNS,
        seat_labels=[BASE_SEAT, *(s.label for s in conference.rule.reserved)],
        pass_types=[p.value for p in PassType],
        max_alternates=conference.rule.max_alternates,
    )


# ---- the credentials report ----------------------------------------------------------------


@bp.route("/conferences/<int:conference_id>/report")
@requires(Role.ADMIN)
def credentials_report(conference_id: int):
    """The credentials report: per section and overall, quorum, the groups not registered."""
    counted = report.credentials_report(g.conference)
    return render_template("admin/report.html", **report.page_context(counted))


@bp.route("/conferences/<int:conference_id>/report.csv")
@requires(Role.ADMIN)
def credentials_report_csv(conference_id: int):
    """The credentials report as a CSV file (UTF-8, header row)."""
    counted = report.credentials_report(g.conference)
    name = report.file_name(g.conference, counted, "csv")
    return download(report.report_csv(counted), name, "text/csv; charset=utf-8")


@bp.route("/conferences/<int:conference_id>/report.pdf")
@requires(Role.ADMIN)
def credentials_report_pdf(conference_id: int):
    """The credentials report as an A4 PDF for the chair's table."""
    counted = report.credentials_report(g.conference)
    html = render_template("admin/report_pdf.html", **report.page_context(counted))
    name = report.file_name(g.conference, counted, "pdf")
    return download(html_to_pdf(html), name, "application/pdf")
