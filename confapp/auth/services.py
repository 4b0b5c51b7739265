"""Users: creating them, inviting them, checking their passwords."""

from __future__ import annotations

import hashlib
import secrets
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for

from confapp import audit
from confapp.extensions import db
from confapp.models import Conference, Group, Role, RoleGrant, User, utcnow


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


def normalise_email(email: str) -> str:
    """The canonical form of an address, or UserError naming the problem."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError(f"{email!r} is not a valid e-mail address: {exc}") from exc


def find_user(email: str) -> User | None:
    """The user with this address, if any."""
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, else None (same answer for every failure)."""
    try:
        user = find_user(email)
    except UserError:
        user = None
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


def get_or_create_user(email: str, name: str = "") -> tuple[User, bool]:
    """The user with this address, created (without a password) if new."""
    user = find_user(email)
    if user is not None:
        return user, False
    user = User(email=normalise_email(email), name=name.strip())
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, after=audit.snapshot(user), summary=f"created {user.email}")
    return user, True


def grant_role(
    user: User, conference: Conference, role: Role, group: Group | None = None
) -> RoleGrant | None:
    """Give a role in a conference (a secretary's names the group); None if already held."""
    if (role == Role.SECRETARY) != (group is not None):
        raise UserError("a secretary needs a group, and only a secretary has one")
    if group is not None and group.conference_id != conference.id:
        raise UserError(f"group {group.name!r} is not in {conference.name}")
    for grant in user.grants:
        same_group = grant.group_id == (group.id if group else None)
        if grant.conference_id == conference.id and grant.role == role and same_group:
            return None
    grant = RoleGrant(user=user, conference_id=conference.id, role=role.value, group=group)
    db.session.add(grant)
    db.session.flush()
    where = f" of {group.name}" if group else ""
    audit.record(
        "role.grant",
        grant,
        after=audit.snapshot(grant),
        summary=f"{user.email} is {role.value}{where}",
    )
    return grant


def may_make_login_link(actor: User, target: User) -> bool:
    """Whether `actor` may make a login link for `target`: never for someone beyond their reach.

    A link sets the password, so it is as good as the account: a conference's committee may
    make one only for people whose every role lies in conferences it administers.
    """
    if actor.is_site_admin:
        return True
    if target.is_site_admin:
        return False
    administered = {g.conference_id for g in actor.grants if g.role == Role.ADMIN}
    return all(g.conference_id in administered for g in target.grants)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_invitation(user: User) -> str:
    """A fresh one-time link token for the user to set a password; older links stop working."""
    token = secrets.token_urlsafe(32)
    user.invitation_hash = _token_hash(token)
    user.invitation_expires_at = utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"])
    audit.record("user.invite", user, summary=f"invitation link made for {user.email}")
    return token


def user_for_invitation(token: str) -> User | None:
    """The user an unexpired invitation token belongs to."""
    user = db.session.execute(
        db.select(User).where(User.invitation_hash == _token_hash(token))
    ).scalar_one_or_none()
    if user is None or user.invitation_expires_at is None or user.invitation_expires_at < utcnow():
        return None
    return user


def accept_invitation(user: User, password: str) -> None:
    """Set the password and spend the invitation."""
    user.set_password(password)
    user.invitation_hash = None
    user.invitation_expires_at = None
    audit.record("user.set_password", user, summary=f"{user.email} set a password")


def invitation_url(token: str) -> str:
    """The absolute link a person opens to set their password."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for("auth.invitation", token=token)
    return url_for("auth.invitation", token=token, _external=True)


def mail_invitation(user: User, link: str) -> bool:
    """Send the link by e-mail when SMTP is configured; whether it was sent."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return False
    message = EmailMessage()
    message["Subject"] = "Your confapp login"
    message["From"] = config["MAIL_FROM"]
    message["To"] = user.email
    message.set_content(
        f"Hello {user.name or user.email},\n\n"
        f"Open this link to set your password and log in:\n\n{link}\n\n"
        f"It works once, for {config['INVITATION_DAYS']} days.\n"
    )
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    return True
