"""Users: creating them, inviting them, checking their passwords."""

from __future__ import annotations

import hashlib
import secrets
import smtplib
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_request_context
from flask_login import current_user
from werkzeug.security import generate_password_hash

from confapp import audit, links
from confapp.extensions import db
from confapp.models import Conference, CredentialHolder, Group, Role, RoleGrant, User, utcnow


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
    # Every role anyone is given passes here (pages, commands, imports, the demo), so this is
    # where a role beyond the reach of whoever set up the login resets it (keep_login_trusted).
    if (role == Role.SECRETARY) != (group is not None):
        raise UserError("a secretary needs a group, and only a secretary has one")
    if group is not None and group.conference_id != conference.id:
        raise UserError(f"group {group.name!r} is not in {conference.name}")
    for grant in user.grants:
        same_group = grant.group_id == (group.id if group else None)
        if grant.conference_id == conference.id and grant.role == role and same_group:
            return None
    grant = RoleGrant(user=user, conference_id=conference.id, role=role.value, group=group)
    grant.login_checked = True  # below, once the grant is logged
    db.session.add(grant)
    db.session.flush()
    where = f" of {group.name}" if group else ""
    audit.record(
        "role.grant",
        grant,
        after=audit.snapshot(grant),
        summary=f"{user.email} is {role.value}{where}",
    )
    keep_login_trusted(user)
    return grant


def make_site_admin(user: User) -> bool:
    """Make the user an administrator of the whole installation; False if they were one."""
    if user.is_site_admin:
        return False
    user.is_site_admin = True
    audit.record("user.site_admin", user, after={"is_site_admin": True}, summary=user.email)
    keep_login_trusted(user)
    return True


def remove_role(grant: RoleGrant) -> None:
    """Take a role away; the person's sessions end, and so does any login they set up unvetted."""
    user = grant.user
    where = f" of {grant.group.name}" if grant.group else ""
    audit.record(
        "role.remove",
        grant,
        before=audit.snapshot(grant),
        summary=f"{user.email} is no longer {grant.role}{where}",
    )
    end_sessions(user, "a role was taken away")
    user.grants.remove(grant)
    db.session.flush()
    if grant.role == Role.ADMIN:
        # They may have set up logins for people there; those now answer to someone outside.
        for account in accounts_held_by(user):
            keep_login_trusted(account)


def end_sessions(user: User, why: str) -> None:
    """End every session the user has open, on every device (their cookies stop working)."""
    user.session_version = (user.session_version or 0) + 1
    audit.record("user.sessions_end", user, summary=f"{user.email}: every session ended, {why}")


def may_make_login_link(actor: User, target: User) -> bool:
    """Whether `actor` may make a login link for `target`: never for someone beyond their reach.

    A link sets the password, so it is as good as the account: a conference's committee may
    make one only for people whose every role lies in conferences it administers.
    """
    return _trusted_with(actor, target, {g.conference_id for g in target.grants})


def _trusted_with(person: User, account: User, conference_ids: set[int]) -> bool:
    """Whether `person` may act for `account` holding roles in these conferences."""
    if person.is_site_admin:
        return True
    if account.is_site_admin:
        return False
    administered = {g.conference_id for g in person.grants if g.role == Role.ADMIN}
    return conference_ids <= administered


def accounts_held_by(person: User) -> list[User]:
    """The accounts whose invitation links `person` has had."""
    return list(
        db.session.execute(
            db.select(User)
            .join(CredentialHolder, CredentialHolder.user_id == User.id)
            .where(CredentialHolder.holder_id == person.id)
        ).scalars()
    )


def keep_login_trusted(user: User, conference_ids: set[int] | None = None) -> bool:
    """Reset the login if someone who had its link may not act for it now; True if reset."""
    # Whoever saw an invitation link may have set the password with it, so each such person
    # must be trusted (a site admin, or an admin of every conference the account has a role
    # in) for as long as the password lasts. When a new role, or a holder's lost admin role,
    # breaks that, password, link and sessions end; only a new link, made by someone trusted
    # with the whole account, lets the person in again.
    if not user.credential_holders:
        return False
    if conference_ids is None:
        conference_ids = {g.conference_id for g in user.grants}
    outsiders = [
        held.holder
        for held in user.credential_holders
        if not _trusted_with(held.holder, user, conference_ids)
    ]
    if not outsiders:
        return False
    had_login = user.password_hash is not None or user.invitation_hash is not None
    user.credential_holders.clear()
    if not had_login:
        return False  # nothing they had can open the account any more
    user.password_hash = None
    user.invitation_hash = None
    user.invitation_expires_at = None
    names = ", ".join(sorted(o.email for o in outsiders))
    audit.record(
        "user.password_reset",
        user,
        summary=f"{user.email} must set a new password: {names} had their invitation link",
    )
    end_sessions(user, "the password was reset")
    return True


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _guard_logins(session, flush_context, instances) -> None:
    """Apply the rules above to roles and logins changed by any code, not only the services."""
    # A role given by any means (a RoleGrant made directly, a site admin's flag set) goes
    # through keep_login_trusted; a new password, a disabled account, or a role or site
    # admin's flag taken away ends the person's sessions, unless the change already did so.
    for obj in list(session.new):
        # grant_role checks its own grants after logging them, so the log reads in order.
        if isinstance(obj, RoleGrant) and not getattr(obj, "login_checked", False):
            user = obj.user or session.get(User, obj.user_id)
            if user is not None and user.credential_holders:
                conference_id = obj.conference_id or obj.conference.id
                keep_login_trusted(user, {g.conference_id for g in user.grants} | {conference_id})
    for obj in list(session.dirty):
        if isinstance(obj, User):
            _guard_user_change(obj)
    for obj in list(session.deleted):
        if isinstance(obj, RoleGrant):
            user = obj.user
            if (
                user is not None
                and user not in session.deleted
                and not _changed(user, "session_version")
            ):
                end_sessions(user, "a role was taken away")


def _changed(obj, key: str) -> tuple[list, list] | None:
    """(old values, new values) of an attribute changed in this session, else None."""
    history = sa.inspect(obj).attrs[key].history
    return (history.deleted, history.added) if history.has_changes() else None


def _guard_user_change(user: User) -> None:
    site_admin_changed = _changed(user, "is_site_admin") is not None
    if site_admin_changed and user.is_site_admin:
        keep_login_trusted(user)
    demoted = site_admin_changed and not user.is_site_admin
    if demoted:
        for account in accounts_held_by(user):
            keep_login_trusted(account)
    if _changed(user, "session_version"):
        return  # already ended by the change itself
    if _changed(user, "password_hash"):
        end_sessions(user, "the password changed")
    elif _changed(user, "is_active") and not user.is_active:
        end_sessions(user, "the account was disabled")
    elif demoted:
        end_sessions(user, "they are no longer a site admin")


def reset_message(user: User, may_make_link: bool) -> str:
    """What the person who gave a role is told when it started the account's login afresh."""
    then = "Their new link is below." if may_make_link else "A site administrator makes it."
    return (
        f"{user.email} must set a new password: someone outside this conference's committee "
        f"has had their invitation link, so their old password and sessions no longer work. "
        f"Only a new invitation link lets them in. {then}"
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_invitation(user: User, actor: User | None = None) -> str:
    """A fresh one-time link token for the user to set a password; older links stop working."""
    # Whoever sees the link (`actor`, else the logged-in user; none on the command line) could
    # set the password with it: they are recorded as holding the account's login.
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if actor is not None and actor.id != user.id:
        if not may_make_login_link(actor, user):
            raise UserError(f"{user.email} also works elsewhere: ask a site administrator.")
        if all(held.holder_id != actor.id for held in user.credential_holders):
            user.credential_holders.append(CredentialHolder(holder=actor))
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


def accept_invitation(user: User, token: str, password: str) -> bool:
    """Set the password and spend the link, once; False if the link was spent or expired."""
    # One conditional UPDATE both checks and spends the link: of several requests racing with
    # one link exactly one changes the row. It also ends every earlier session.
    password_hash = generate_password_hash(password)  # slow on purpose: before the row lock
    spent = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            User.invitation_hash == _token_hash(token),
            User.invitation_expires_at > utcnow(),
        )
        .values(
            password_hash=password_hash,
            invitation_hash=None,
            invitation_expires_at=None,
            session_version=User.session_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        return False
    db.session.refresh(user)
    audit.record(
        "user.set_password",
        user,
        summary=f"{user.email} set a password; every earlier session ended",
        actor=user,
    )
    return True


def invitation_url(token: str) -> str:
    """The absolute link a person opens to set their password."""
    return links.external_url("auth.invitation", token=token)


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
