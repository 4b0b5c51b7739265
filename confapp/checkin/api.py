"""The scan API (/api/v1): scans from the steward's page and from scanners with a device token."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user

from confapp.auth.access import reads_as_committee
from confapp.checkin import presence
from confapp.checkin.scans import (
    ScanError,
    ScanInput,
    Scanner,
    ScanOutcome,
    ScanReason,
    badge_code,
    printable,
    record_scan,
    token_hash,
)
from confapp.extensions import csrf, db
from confapp.models import (
    Conference,
    Credential,
    Delegate,
    DeviceToken,
    Door,
    Group,
    Presence,
    Role,
    Status,
)
from confapp.text import utc_iso

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Scanners send a bearer token, not a CSRF token; a call made with a login session is
# checked for its CSRF header in _scanner(), so exempting the blueprint leaves no gap.
csrf.exempt(bp)

MAX_BODY = 4096  # a scan is a few hundred bytes; anything bigger is not a scan
NONCE = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # fullmatch: "$" would let a newline through
BROWSER = re.compile(r"[A-Za-z0-9-]{1,40}")
# RFC 3339's date-time (as the API's description says), in the years 2000 to 2999.
TIME = re.compile(
    r"2[0-9]{3}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds (PostgreSQL's int4)
# NUL and the other control characters, and lone UTF-16 surrogates: PostgreSQL cannot store
# the first, UTF-8 cannot encode the last, and none belongs in a door's name or a reason.
UNSTORABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
DOOR_ROLES = {Role.STEWARD, Role.ADMIN}
OPENAPI = Path(__file__).with_name("openapi.json")
LOG_IN = "Log in as a steward, or send 'Authorization: Bearer <device token>'."


class BadScan(Exception):
    """A scan request with a field missing or wrong: answered 400 naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _error(status: int, message: str, **extra):
    return jsonify({"error": message, **extra}), status


@bp.route("/scans", methods=["POST"])
def post_scan():
    """Record one scan; the answer says admitted, left or why not."""
    token = _bearer()
    if not token:
        if not current_user.is_authenticated:
            return _error(401, LOG_IN)
        if current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()  # a page's call carries its CSRF header; a token cannot be forged
    raw = request.stream.read(MAX_BODY + 1)  # read no more than a scan can be, however sent
    if len(raw) > MAX_BODY:
        return _error(413, f"A scan is a JSON object of at most {MAX_BODY} bytes.")
    data = _json_object(raw) if request.is_json else None
    if not isinstance(data, dict):
        return _error(400, "The body must be a JSON object, sent as application/json.")
    try:
        scan, conference_id, browser = parse_scan(data)
    except BadScan as problem:
        return _error(400, problem.message, field=problem.field)
    if token:
        scanner = Scanner(token_hash=token_hash(token), actor="device token")
    elif conference_id is None:
        return _error(400, "Name the conference (field 'conference').", field="conference")
    elif not _may_scan(conference_id):
        return _error(403, "Your account may not scan badges in this conference.")
    else:
        scanner = Scanner(
            conference_id=conference_id,
            user_id=current_user.id,
            actor=current_user.label,
            browser=browser,
        )
    try:
        outcome = record_scan(scanner, scan, remote_addr=request.remote_addr)
    except ScanError as problem:
        return _error(problem.status, problem.message, **problem.extra)
    body = outcome_json(outcome)
    if scan.code is not None and badge_code(scan.code) is None:
        # Not a badge of ours at all (a poster's QR, a misread, a crafted code with a NUL
        # byte): stored in a printable form, and said plainly.
        body["error"] = "This is not a confapp badge code: 16 letters A-Z and digits 2-7."
        return jsonify(body), 422
    return jsonify(body)


def _json_object(raw: bytes):
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return None


def parse_scan(data: dict) -> tuple[ScanInput, int | None, str]:
    """Check every field of a scan request; raise BadScan naming the first wrong one."""
    _check_names(data)
    direction = data.get("direction")
    if direction not in ("in", "out"):
        raise BadScan("direction", '\'direction\' must be "in" or "out".')
    nonce = data.get("nonce")
    if not isinstance(nonce, str) or not NONCE.fullmatch(nonce):
        raise BadScan(
            "nonce",
            "'nonce' must be 1 to 64 letters, digits or . _ : - , new for every scan "
            "and the same when a scan is retried.",
        )
    code, delegate_id, manual_reason = _badge_or_person(data)
    door = _door(data.get("door"))
    offline = data.get("offline", False)
    if not isinstance(offline, bool):
        raise BadScan("offline", "'offline' must be true or false.")
    offline_answer = data.get("offline_answer")
    if offline_answer is not None and offline_answer not in ("ok", "refused"):
        raise BadScan("offline_answer", '\'offline_answer\' must be "ok" or "refused".')
    conference = data.get("conference")
    if conference is not None:
        conference = _id(conference)
        if conference is None:
            raise BadScan("conference", "'conference' must be the conference's id, a whole number.")
    browser = data.get("device", "web")
    if not isinstance(browser, str) or not BROWSER.fullmatch(browser):
        raise BadScan("device", "'device' must be 1 to 40 letters, digits or dashes.")
    scan = ScanInput(
        direction=direction,
        nonce=nonce,
        code=code,
        delegate_id=delegate_id,
        manual_reason=manual_reason,
        door=door,
        scanned_at=_parse_time(data.get("scanned_at")),
        is_offline=offline,
        offline_answer=offline_answer,
    )
    return scan, conference, browser


def _check_names(data: dict) -> None:
    """Every field is one the API knows, and none is null."""
    known = {"code", "delegate_id", "reason", "door", "direction", "nonce", "scanned_at"}
    known |= {"offline", "offline_answer", "conference", "device"}
    unknown = sorted(set(data) - known)
    if unknown:
        name = printable(unknown[0], limit=100)  # said back as text anyone can show
        raise BadScan(name, f"Unknown field '{name}'. Known: {', '.join(sorted(known))}.")
    for name, value in data.items():
        if value is None:  # a field is sent with its value, or left out
            raise BadScan(name, f"'{name}' is null: leave the field out, or give its value.")


def _badge_or_person(data: dict) -> tuple[str | None, int | None, str]:
    """Whom the scan is about: the badge as scanned, or a person's id with the reason why."""
    code, delegate_id, reason = data.get("code"), data.get("delegate_id"), data.get("reason")
    if (code is None) == (delegate_id is None):
        raise BadScan("code", "Send either 'code' (the badge as scanned) or 'delegate_id'.")
    if code is not None and (not isinstance(code, str) or not 1 <= len(code) <= 200):
        raise BadScan("code", "'code' must be the scanned text: a string of 1 to 200 characters.")
    if delegate_id is None:
        if reason is not None:
            raise BadScan("reason", "'reason' goes with 'delegate_id' (admitting by name) only.")
        return code, None, ""
    delegate_id = _id(delegate_id)
    if delegate_id is None:
        raise BadScan("delegate_id", "'delegate_id' must be a person's id, a whole number.")
    if isinstance(reason, str) and UNSTORABLE.search(reason):
        raise BadScan("reason", _unstorable("reason"))
    if not isinstance(reason, str) or not re.search(r"\S", reason):
        raise BadScan("reason", "Admitting someone by name needs a 'reason' (e.g. badge lost).")
    return code, delegate_id, reason.strip()[:300]


def _door(door) -> str | None:
    """The door's name if given (a device token's own door is used when not)."""
    if door is not None and (not isinstance(door, str) or not 1 <= len(door) <= 100):
        raise BadScan("door", "'door' must be the door's name, 1 to 100 characters.")
    if door is not None and UNSTORABLE.search(door):
        raise BadScan("door", _unstorable("door"))
    return door


def _id(value) -> int | None:
    """An id as JSON may send it (5, or 5.0: JSON has one kind of number), or None if not one."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    return None


def _unstorable(field: str) -> str:
    return (
        f"'{field}' holds a control character or a broken one (a NUL byte, say): "
        "send it as printable text."
    )


def _parse_time(value) -> datetime | None:
    """An ISO 8601 time with its offset (or Z), as UTC without tzinfo like every *_at column."""
    if value is None:
        return None
    message = (
        "'scanned_at' must be an ISO 8601 time with its offset, in the years 2000 to 2999, "
        "e.g. 2027-03-13T08:59:30Z."
    )
    # The years are bounded so that no offset can take a time out of the calendar (near year
    # 1 or 9999 Python cannot convert it to UTC); whether the time is believable for this
    # conference is decided when the scan is recorded.
    if not isinstance(value, str) or not TIME.fullmatch(value):
        raise BadScan("scanned_at", message)
    try:
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:  # a 30 February, a 25th hour
        raise BadScan("scanned_at", message) from None
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def _may_scan(conference_id: int) -> bool:
    return current_user.is_site_admin or bool(current_user.roles_in(conference_id) & DOOR_ROLES)


def outcome_json(outcome: ScanOutcome) -> dict:
    """The scan's answer as the API documents it."""
    person = outcome.person
    return {
        "status": outcome.status,
        "reason": outcome.reason,
        "result": outcome.result,
        "word": outcome.word,
        "person": None
        if person is None
        else {
            "id": person.delegate_id,
            "name": person.name,
            "group": person.group,
            "pass_type": person.pass_type,
        },
        "since": utc_iso(outcome.since) if outcome.reason == ScanReason.ALREADY_INSIDE else None,
        "door": outcome.door,
        "scan_id": outcome.scan_id,
        "flagged": outcome.is_flagged,
        "replayed": outcome.is_replayed,
    }


def _conference_for_reader(conference_id: int) -> Conference:
    """The conference, if the caller (token of it, or steward/committee) may read its door data."""
    conference = db.session.get(Conference, conference_id) if conference_id <= MAX_ID else None
    if conference is None:
        abort(404)
    token = _bearer()
    if token:
        found = db.session.execute(
            db.select(DeviceToken.conference_id).where(
                DeviceToken.token_hash == token_hash(token), DeviceToken.revoked_at.is_(None)
            )
        ).scalar()
        if found is None:
            abort(401, "This device token is not valid: it is unknown or revoked.")
        if found != conference_id:
            abort(404)
        return conference
    if not current_user.is_authenticated:
        abort(401, LOG_IN)
    held = current_user.roles_in(conference_id)
    if not _may_scan(conference_id) and not reads_as_committee(held):
        abort(403)
    return conference


@bp.route("/conferences/<int:conference_id>/roster")
def roster(conference_id: int):
    """Everything a door needs to answer scans offline: codes, names, revoked codes, who is in."""
    conference = _conference_for_reader(conference_id)
    live = sa.orm.aliased(Credential)
    people = db.session.execute(
        db.select(
            Delegate.id, Delegate.name, Group.name, Delegate.pass_type, Delegate.status, live.code
        )
        .join(Group, Group.id == Delegate.group_id)
        .outerjoin(live, sa.and_(live.delegate_id == Delegate.id, live.revoked_at.is_(None)))
        .where(
            Delegate.conference_id == conference.id,
            sa.or_(live.id.is_not(None), Delegate.status == Status.APPROVED),
        )
        .order_by(Delegate.name)
    ).all()
    revoked = db.session.execute(
        db.select(Credential.code, Delegate.name, Group.name)
        .join(Delegate, Delegate.id == Credential.delegate_id)
        .join(Group, Group.id == Delegate.group_id)
        .where(Credential.conference_id == conference.id, Credential.revoked_at.is_not(None))
    ).all()
    inside = db.session.execute(
        db.select(Presence.delegate_id, Presence.since, Door.name)
        .outerjoin(Door, Door.id == Presence.door_id)
        .where(Presence.conference_id == conference.id, Presence.is_inside)
    ).all()
    doors = db.session.execute(
        db.select(Door.name).where(Door.conference_id == conference.id).order_by(Door.name)
    ).scalars()
    return jsonify(
        {
            "conference": {"id": conference.id, "name": conference.name},
            "generated_at": utc_iso(datetime.now(UTC).replace(tzinfo=None)),
            "doors": list(doors),
            "people": [
                {
                    "id": pid,
                    "name": name,
                    "group": group,
                    "pass_type": pass_type,
                    "approved": status == Status.APPROVED,
                    "code": code,
                }
                for pid, name, group, pass_type, status, code in people
            ],
            "revoked": [{"code": c, "name": n, "group": g} for c, n, g in revoked],
            "inside": {
                str(pid): {"since": utc_iso(since), "door": door} for pid, since, door in inside
            },
        }
    )


@bp.route("/conferences/<int:conference_id>/presence")
def presence_now(conference_id: int):
    """The live counters: inside now, per door, delegates and votes present, quorum."""
    conference = _conference_for_reader(conference_id)
    return jsonify(presence.summary(conference).as_json())


@bp.route("/openapi.json")
def openapi():
    """The API described for other scanners' makers (OpenAPI 3.1)."""
    spec = json.loads(OPENAPI.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": request.host_url.rstrip("/") + "/api/v1"}]
    return current_app.response_class(json.dumps(spec, indent=2), mimetype="application/json")
