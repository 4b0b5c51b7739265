"""Logging in and out, setting a password from an invitation link, taking a role away."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from confapp import audit
from confapp.auth import services
from confapp.auth.access import requires
from confapp.auth.forms import LoginForm, RemoveRoleForm, SetPasswordForm
from confapp.extensions import db, limiter
from confapp.models import Role, User, utcnow
from confapp.security import local_path

bp = Blueprint("auth", __name__)

GONE = "This invitation link has expired or has already been used."


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    """The account a login attempt is for, however its address is typed."""
    typed = request.form.get("email", "")
    try:
        email = services.normalise_email(typed)
    except services.UserError:
        email = typed.strip().lower()
    return f"account:{email}"


def _failed(response) -> bool:
    # A login that works redirects; only failures count against the account, so a person
    # logging in on several phones at once is never refused.
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    """Only follow a ?next= that stays on this site."""
    return local_path(target) or url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    """Log in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            flash("That e-mail and password do not match an account.", "error")
        else:
            login_user(user)
            user.last_login_at = utcnow()
            audit.record("user.login", user, summary=f"{user.email} logged in")
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out everywhere (POST only, so a link cannot log someone out)."""
    if current_user.is_authenticated:
        # A copy of this cookie, or one on another device, must not outlive the logout.
        services.end_sessions(current_user._get_current_object(), "they logged out")
        db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def invitation(token: str):
    """Set a password from a one-time invitation link, then log in."""
    user = services.user_for_invitation(token)
    if user is None:
        abort(404, description=GONE)
    form = SetPasswordForm()
    if form.validate_on_submit():
        if not services.accept_invitation(user, token, form.password.data):
            db.session.rollback()
            abort(404, description=GONE)  # another request spent it a moment ago
        logout_user()
        login_user(user)  # after the password is set: the session carries the new version
        db.session.commit()
        flash("Your password is set. Welcome.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/invitation.html", form=form, user=user)


@bp.route(
    "/admin/conferences/<int:conference_id>/users/<int:user_id>/roles/remove", methods=["POST"]
)
@requires(Role.ADMIN)
def remove_role(conference_id: int, user_id: int):
    """Take one of a person's roles in this conference away; their sessions end."""
    user = db.session.get(User, user_id)
    here = [gr for gr in user.grants if gr.conference_id == conference_id] if user else []
    if not here:
        abort(404)
    form = RemoveRoleForm()
    chosen = form.grant.data if form.validate_on_submit() else None
    grant = next((gr for gr in here if gr.id == chosen), None)
    if grant is None:
        flash("Choose which role to take away.", "error")
    else:
        what = f"{grant.role} of {grant.group.name}" if grant.group else grant.role
        services.remove_role(grant)
        db.session.commit()
        flash(f"{user.email} is no longer {what}; they have been logged out.", "success")
    return redirect(url_for("admin.users", conference_id=conference_id))
