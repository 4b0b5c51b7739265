"""The credentials committee's pages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from confapp import entitlement as ent
from confapp.admin import services
from confapp.admin.forms import (
    SECTION_ROWS,
    ConferenceForm,
    ImportGroupsForm,
    NewUserForm,
    RuleForm,
)
from confapp.admin.group_csv import ImportRejected
from confapp.auth import services as users
from confapp.auth.access import SITE_ADMIN, requires
from confapp.extensions import db
from confapp.models import AuditEntry, Conference, Group, Role, RoleGrant, User

bp = Blueprint("admin", __name__)

AUDIT_PAGE_SIZE = 100


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
        services.fill_rule_form(form, conference.rule, conference.card_rule)
        form.registration_deadline.data = services.to_local(
            conference.registration_deadline, conference.timezone
        )
        rows = [{"name": s.name, "weight": s.weight} for s in conference.sections]
        rows += [{"name": "", "weight": None}] * max(0, SECTION_ROWS - len(rows))
        while len(form.sections) < len(rows):
            form.sections.append_entry()
        for entry, row in zip(form.sections, rows, strict=False):
            entry.form.name.data, entry.form.weight.data = row["name"], row["weight"]
    return _conference_form(form, conference)


def _conference_form(form: ConferenceForm, conference: Conference | None):
    description, preview_rows, preview_error = None, [], None
    if request.method == "POST" and "preview" not in request.form and form.validate():
        try:
            saved = services.save_conference(form, conference)
        except (ent.RuleError, services.ConferenceError) as exc:
            db.session.rollback()
            flash(f"Not saved: {exc}", "error")
        else:
            db.session.commit()
            flash(f"Saved {saved.name}.", "success")
            return redirect(url_for("admin.groups", conference_id=saved.id))
    try:
        description, preview_rows = services.preview(form)
    except ent.RuleError as exc:
        preview_error = str(exc)
    return render_template(
        "admin/conference_form.html",
        form=form,
        editing=conference,
        description=description,
        preview_rows=preview_rows,
        preview_error=preview_error,
    )


@bp.route("/rule-preview", methods=["POST"])
@requires(Role.ADMIN)
def rule_preview():
    """The live preview: what the rule in the form gives the sample groups (HTML fragment)."""
    form = RuleForm(meta={"csrf": False})  # CSRFProtect has already checked the header token
    try:
        description, rows = services.preview(form)
        error = None
    except ent.RuleError as exc:
        description, rows, error = None, [], str(exc)
    return render_template(
        "admin/_rule_preview.html",
        description=description,
        preview_rows=rows,
        preview_error=error,
    )


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
    return render_template(
        "admin/groups.html",
        groups=rows,
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
            problems = exc.problems
            flash(
                f"Nothing was imported: the file has {len(problems)} problem(s), listed below.",
                "error",
            )
        else:
            db.session.commit()
            flash(f"Imported: {summary}.", "success")
            return redirect(url_for("admin.groups", conference_id=conference_id))
    return render_template("admin/import_groups.html", form=form, problems=problems)


@bp.route("/conferences/<int:conference_id>/users", endpoint="users", methods=["GET", "POST"])
@requires(Role.ADMIN)
def users_page(conference_id: int):
    """Users with roles here; create one and see their one-time invitation link."""
    conference = g.conference
    form = NewUserForm()
    if not current_user.is_site_admin:
        del form.is_site_admin
    invitation = None
    if form.validate_on_submit():
        try:
            invitation = _create_user(conference, form)
        except users.UserError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"{form.email.data} now has the role {form.role.data}.", "success")
    return render_template(
        "admin/users.html",
        form=form,
        grants=_grants(conference),
        invitation=invitation,
        group_names=_group_names(conference),
    )


def _create_user(conference: Conference, form: NewUserForm) -> dict | None:
    role = Role(form.role.data)
    group = None
    if role == Role.SECRETARY:
        try:
            group = services.find_group(conference, form.group.data or "")
        except services.ConferenceError as exc:
            raise users.UserError(str(exc)) from exc
    elif (form.group.data or "").strip():
        raise users.UserError("group: only a secretary is given a group")
    user, created = users.get_or_create_user(form.email.data, form.name.data or "")
    had_password = user.password_hash is not None
    if "is_site_admin" in form and form.is_site_admin.data:
        users.make_site_admin(user)
    if users.grant_role(user, conference, role, group) is None:
        raise users.UserError(f"{user.email} already has that role")
    may_link = users.may_make_login_link(current_user, user)
    if had_password and user.password_hash is None:
        flash(users.reset_message(user, may_link), "warning")
    if user.password_hash or not may_link:
        return None  # they log in as before; the new role shows on their next page
    token = users.issue_invitation(user)
    link = users.invitation_url(token)
    mailed = users.mail_invitation(user, link)
    return {"email": user.email, "link": link, "mailed": mailed, "new": created}


@bp.route("/conferences/<int:conference_id>/users/<int:user_id>/invitation", methods=["POST"])
@requires(Role.ADMIN)
def reissue_invitation(conference_id: int, user_id: int):
    """Make a new one-time link for a user of this conference (the old one stops working)."""
    conference = g.conference
    user = db.session.get(User, user_id)
    if user is None or conference.id not in {gr.conference_id for gr in user.grants}:
        abort(404)
    if not users.may_make_login_link(current_user, user):
        abort(403, description="This person also works elsewhere: ask a site administrator.")
    token = users.issue_invitation(user)
    link = users.invitation_url(token)
    mailed = users.mail_invitation(user, link)
    db.session.commit()
    return render_template(
        "admin/users.html",
        form=NewUserForm(formdata=None),
        grants=_grants(conference),
        invitation={"email": user.email, "link": link, "mailed": mailed, "new": False},
        group_names=_group_names(conference),
    )


def _grants(conference: Conference) -> list[RoleGrant]:
    return list(
        db.session.execute(
            db.select(RoleGrant)
            .join(RoleGrant.user)
            .where(RoleGrant.conference_id == conference.id)
            .options(db.joinedload(RoleGrant.user), db.joinedload(RoleGrant.group))
            .order_by(RoleGrant.role, User.email)
        ).scalars()
    )


def _group_names(conference: Conference) -> list[str]:
    return list(
        db.session.execute(
            db.select(Group.name).where(Group.conference_id == conference.id).order_by(Group.name)
        ).scalars()
    )


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
    filters = {k: request.args.get(k, "").strip() for k in ("action", "entity", "actor", "since")}
    query = db.select(AuditEntry)
    actions = db.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    if scope is not None:
        query, actions = query.where(scope), actions.where(scope)
    if filters["action"]:
        query = query.where(AuditEntry.action.startswith(filters["action"]))
    if filters["entity"]:
        kind, _, ident = filters["entity"].partition(":")
        query = query.where(AuditEntry.entity_type == kind)
        if ident.isdigit():
            query = query.where(AuditEntry.entity_id == int(ident))
    if filters["actor"]:
        query = query.where(AuditEntry.actor.ilike(f"%{filters['actor']}%"))
    if filters["since"]:
        try:
            query = query.where(AuditEntry.at >= datetime.fromisoformat(filters["since"]))
        except ValueError:
            flash(
                f"“{filters['since']}” is not a date like 2027-03-14; showing all dates.", "error"
            )
    page = db.paginate(
        query.order_by(AuditEntry.id.desc()), per_page=AUDIT_PAGE_SIZE, error_out=False
    )
    return render_template(
        "admin/audit.html",
        page=page,
        filters=filters,
        actions=list(db.session.execute(actions).scalars()),
        endpoint=request.endpoint,
        link_args={**request.view_args, **{k: v for k, v in filters.items() if v}},
    )
