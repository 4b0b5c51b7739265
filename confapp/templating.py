"""Template filters: numbers and times as the users read them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Flask, g
from flask_login import current_user

from confapp import models
from confapp.models import Role
from confapp.text import plural, thousands, utc_iso


def local_time(value: datetime | None, tz: str | None = None) -> str:
    """A stored UTC time in the conference's zone, e.g. '14 Mar 2027, 17:00 GMT'."""
    if value is None:
        return ""
    zone = ZoneInfo(tz or _conference_timezone())
    local = value.replace(tzinfo=UTC).astimezone(zone)
    return local.strftime("%-d %b %Y, %H:%M %Z")


def _conference_timezone() -> str:
    conference = g.get("conference")
    return conference.timezone if conference is not None else "UTC"


def time_left(value: datetime) -> str:
    """'12 days 4 hours', '3 hours 20 minutes', 'less than a minute' until a UTC time."""
    seconds = int((value - datetime.now(UTC).replace(tzinfo=None)).total_seconds())
    if seconds <= 0:
        return "no time"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{plural(days, 'day')} {plural(hours, 'hour')}"
    if hours:
        return f"{plural(hours, 'hour')} {plural(minutes, 'minute')}"
    return plural(minutes, "minute") if minutes else "less than a minute"


ENUMS = (
    models.BallotMode,
    models.BallotState,
    models.BallotKind,
    models.Direction,
    models.JobStatus,
    models.PassType,
    models.PrintKind,
    models.PrintScope,
    models.Role,
    models.ScanStatus,
    models.Status,
    models.SubstitutionStatus,
)


def init_app(app: Flask) -> None:
    """Register filters and the values every template sees."""
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["thousands"] = thousands
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["time_left"] = time_left
    app.jinja_env.filters["utc_iso"] = utc_iso
    # Templates compare states and kinds with the enums, never with string literals.
    app.jinja_env.globals.update({kind.__name__: kind for kind in ENUMS})

    @app.context_processor
    def navigation():
        conference = g.get("conference")
        roles = set()
        if conference is not None and current_user.is_authenticated:
            roles = current_user.roles_in(conference.id)
        # A scrutineer is shown the committee's pages (read only: every change is refused).
        read_only = Role.SCRUTINEER in roles and Role.ADMIN not in roles
        if read_only:
            roles = roles | {Role.ADMIN}
        return {
            "conference": conference,
            "conference_roles": roles,
            "read_only": read_only,
            "Role": Role,
        }
