"""Logging in and out, and setting a password from an invitation link."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from confapp import audit
from confapp.auth import services
from confapp.auth.forms import LoginForm, SetPasswordForm
from confapp.extensions import db, limiter
from confapp.models import utcnow
from confapp.security import local_path

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only follow a ?next= that stays on this site."""
    return local_path(target) or url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
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
    """Log out (POST only, so a link cannot log someone out)."""
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def invitation(token: str):
    """Set a password from a one-time invitation link, then log in."""
    user = services.user_for_invitation(token)
    if user is None:
        abort(404, description="This invitation link has expired or has already been used.")
    form = SetPasswordForm()
    if form.validate_on_submit():
        logout_user()
        login_user(user)  # first, so the audit log names the person as the one acting
        services.accept_invitation(user, form.password.data)
        db.session.commit()
        flash("Your password is set. Welcome.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/invitation.html", form=form, user=user)
