"""Recording a scan at the door: exactly once, in two database round trips.

At 9 a.m. a dozen doors scan at once, so the scan's path is kept to one read (who is
scanning, which door, whose badge, are they inside, was this nonce seen before) and one
write. Admission is decided by the database, not by Python: the presence row is changed
only WHERE the person is not already inside, so two stewards scanning one badge at the
same instant admit it once; the (device, nonce) unique constraint makes a retried
request count once. On PostgreSQL the write is one statement (presence, scan and audit
entry together, atomic); SQLite has no writing CTEs, so there it is one short transaction.
Past 500 lines because both databases' statements are written out here, beside the one
decision they carry out: a reader sees the whole of admission in one file.

A scan's id is drawn only once the presence row is locked (SQLite: under its write lock),
so a person's scans in id order are the order the doors' decisions were made in: the
history reads ADMITTED, LEFT, ADMITTED, never two admissions in a row.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
import sqlalchemy as sa

from confapp.credentials import codes
from confapp.database import pg_row, pyformat
from confapp.extensions import db
from confapp.models import AuditEntry, Direction, ScanReason, ScanStatus, Status, utcnow
from confapp.text import utc_iso

WORDS = {
    "admitted": "ADMITTED",
    "left": "LEFT",
    ScanReason.ALREADY_INSIDE: "ALREADY INSIDE",
    ScanReason.NOT_INSIDE: "NOT INSIDE",
    ScanReason.REVOKED: "REVOKED",
    ScanReason.NOT_APPROVED: "NOT APPROVED",
    ScanReason.UNKNOWN: "UNKNOWN",
    ScanReason.OTHER_CONFERENCE: "OTHER CONFERENCE",
}


# A badge as it may be scanned: its 16 characters of A-Z and 2-7, in either case, with ASCII
# spaces and dashes anywhere. Nothing else is a badge (not even Unicode spaces).
BADGE_TEXT = re.compile(r"[ \t\n\r\f\v-]*(?:[A-Za-z2-7][ \t\n\r\f\v-]*){16}")
CODE_STORED = 40  # scan.code's width: what was scanned, cut short
# A device clock this far ahead of the server's is taken as right (the scan happened now).
CLOCK_SKEW = timedelta(minutes=5)


def badge_code(text: str | None) -> str | None:
    """The badge code in a scanned text (upper case, no spaces or dashes), or None if not one."""
    if text is None or not BADGE_TEXT.fullmatch(text):
        return None
    return codes.normalise(text)


def printable(text: str, limit: int = CODE_STORED) -> str:
    """Scanned text as any database can store it and a person can read it, cut to `limit`."""
    # PostgreSQL's text holds no NUL byte and UTF-8 no lone surrogate, and neither can be
    # seen: every unprintable character is written as an escape (ABCD\x00EFGH), and the
    # backslash too, so the record says exactly what was scanned. No escape is cut in half.
    out, length = [], 0
    for char in text:
        piece = char if char.isprintable() and char != "\\" else _escape(char)
        if length + len(piece) > limit:
            break
        out.append(piece)
        length += len(piece)
    return "".join(out)


def _escape(char: str) -> str:
    number = ord(char)
    if char == "\\":
        return "\\\\"
    if number < 0x100:
        return f"\\x{number:02x}"
    return f"\\u{number:04x}" if number < 0x10000 else f"\\U{number:08x}"


class ScanError(Exception):
    """A scan request that cannot be recorded at all (unknown door, bad token)."""

    def __init__(self, status: int, message: str, **extra) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def token_hash(token: str) -> str:
    """The stored form of a device token: its SHA-256, so a database leak opens no door."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Scanner:
    """Who scans: a device token (by its hash), or a logged-in steward in one conference."""

    token_hash: str | None = None
    conference_id: int | None = None
    user_id: int | None = None
    actor: str = ""
    browser: str = "web"  # the page's own device id, so two phones of one steward differ

    @property
    def device(self) -> str:
        """The device half of the exactly-once key (device, nonce)."""
        if self.token_hash:
            return "t" + self.token_hash[:24]
        return f"u{self.user_id}:{self.browser}"


@dataclass(frozen=True)
class ScanInput:
    """A scan as the device sent it: a code (or a person chosen by name) at a door."""

    direction: str
    nonce: str
    code: str | None = None
    delegate_id: int | None = None  # admitted by name when a badge is lost
    manual_reason: str = ""
    door: str | None = None  # a device token's own door when not given
    scanned_at: datetime | None = None
    is_offline: bool = False
    offline_answer: str | None = None  # what the device answered on its own: 'ok' or 'refused'

    @property
    def may_have_let_through(self) -> bool:
        """The device may have let the person through on its own answer (flag it if refused)."""
        # A device that says it refused the scan too (a made-up code, a badge passed back)
        # let nobody through: nothing to flag. One that says nothing may have.
        return self.is_offline and self.offline_answer != ScanStatus.REFUSED


@dataclass(frozen=True)
class Person:
    """Whom the scan was about, as the steward needs to see them."""

    delegate_id: int
    name: str
    group: str
    pass_type: str


@dataclass(frozen=True)
class ScanOutcome:
    """The answer to a scan, as the API sends it and the page shows it."""

    scan_id: int
    status: str
    reason: str | None
    direction: str
    person: Person | None
    since: datetime | None = None  # already inside: admitted when
    door: str | None = None  # already inside: by which door; else the scanning door
    is_flagged: bool = False
    is_replayed: bool = False

    @property
    def result(self) -> str:
        """One word for the outcome: admitted, left, or the refusal's reason."""
        if self.status == ScanStatus.OK:
            return "admitted" if self.direction == Direction.IN else "left"
        return self.reason or ""

    @property
    def word(self) -> str:
        """What the steward's screen says in capitals."""
        return WORDS[self.result]


_READ_SQL = """
    SELECT t.id AS token_id, t.conference_id AS token_conference_id,
           dr.id AS door_id, dr.name AS door_name,
           c.id AS credential_id, c.revoked_at,
           d.id AS delegate_id, d.conference_id AS delegate_conference_id, d.status,
           d.name, d.pass_type, g.name AS group_name,
           p.is_inside, p.since, pd.name AS presence_door,
           cf.starts_on, cf.timezone,
           s.id AS prior_id, s.status AS prior_status, s.reason AS prior_reason,
           s.direction AS prior_direction, s.is_flagged AS prior_flagged,
           s.conference_id AS prior_conference_id, s.door_id AS prior_door_id,
           sd.name AS prior_door, s.code AS prior_code, s.delegate_id AS prior_delegate_id,
           sp.name AS prior_name, sg.name AS prior_group, sp.pass_type AS prior_pass_type
    FROM (SELECT 1 AS one) AS here
    LEFT JOIN device_token t ON t.token_hash = :token_hash AND t.revoked_at IS NULL
    LEFT JOIN door dr ON (
        (CAST(:door AS VARCHAR) IS NULL AND dr.id = t.door_id)
        OR (dr.name = :door
            AND dr.conference_id = COALESCE(t.conference_id, CAST(:conference_id AS INTEGER))))
    LEFT JOIN credential c ON c.code = :code
    LEFT JOIN delegate d ON d.id = COALESCE(c.delegate_id, CAST(:delegate_id AS INTEGER))
    LEFT JOIN "group" g ON g.id = d.group_id
    LEFT JOIN presence p ON p.delegate_id = d.id
    LEFT JOIN door pd ON pd.id = p.door_id
    LEFT JOIN conference cf ON cf.id = COALESCE(t.conference_id, CAST(:conference_id AS INTEGER))
    LEFT JOIN scan s ON s.device = :device AND s.nonce = :nonce
    LEFT JOIN door sd ON sd.id = s.door_id
    LEFT JOIN delegate sp ON sp.id = s.delegate_id
    LEFT JOIN "group" sg ON sg.id = sp.group_id
"""
_READ = sa.text(_READ_SQL).columns(  # SQLite hands dates back as text
    revoked_at=sa.DateTime, since=sa.DateTime, starts_on=sa.Date
)

# What changes presence: admit WHERE not inside, let out WHERE inside. Nothing else does.
_ADMIT = """
    INSERT INTO presence (delegate_id, conference_id, is_inside, door_id, since)
    VALUES (:delegate_id, :conference_id, TRUE, :door_id, :scanned_at)
    ON CONFLICT (delegate_id) DO UPDATE
        SET is_inside = TRUE, door_id = excluded.door_id, since = excluded.since
        WHERE presence.is_inside = FALSE
    RETURNING delegate_id
"""
_LET_OUT = """
    UPDATE presence SET is_inside = FALSE, door_id = :door_id, since = :scanned_at
    WHERE delegate_id = :delegate_id AND is_inside = TRUE
    RETURNING delegate_id
"""
_NOTHING = "SELECT delegate_id FROM presence WHERE FALSE"

_SCAN_COLUMNS = (
    "conference_id, device, nonce, direction, door_id, code, credential_id, delegate_id, "
    "user_id, device_token_id, scanned_at, received_at, is_offline, manual_reason"
)
_SCAN_VALUES = (
    ":conference_id, :device, :nonce, :direction, :door_id, :code, :credential_id, "
    ":delegate_id, :user_id, :device_token_id, :scanned_at, :received_at, :is_offline, "
    ":manual_reason"
)

# PostgreSQL: presence, scan and audit entry in one atomic statement. The scan is 'ok'
# exactly when the presence row moved; a nonce already on record inserts nothing. The scan
# row is made from `decided`, a materialized row that exists only once `moved` has run: its
# id (the sequence's next value, worked out with the row) is drawn after the presence row
# lock is taken, never while this scan waits behind another door's.
_PG_WRITE = """
    WITH moved AS ({move}),
    decided AS MATERIALIZED (SELECT EXISTS (SELECT 1 FROM moved) AS is_ok),
    scan AS (
        INSERT INTO scan ({columns}, status, reason, is_flagged)
        SELECT {values},
               CASE WHEN decided.is_ok THEN 'ok' ELSE 'refused' END,
               CASE WHEN decided.is_ok THEN NULL ELSE :refusal END,
               :may_flag AND NOT decided.is_ok
        FROM decided
        ON CONFLICT (device, nonce) DO NOTHING
        RETURNING id, status
    ),
    logged AS (
        INSERT INTO audit_entry (at, user_id, actor, action, entity_type, entity_id,
                                 conference_id, summary, after, remote_addr)
        SELECT :received_at, CAST(:user_id AS INTEGER), :actor,
               CASE WHEN scan.status = 'ok' THEN :ok_action ELSE 'scan.refused' END,
               'scan', scan.id, :conference_id,
               CASE WHEN scan.status = 'ok' THEN :ok_summary ELSE :refused_summary END,
               CAST(CASE WHEN scan.status = 'ok' THEN :ok_after ELSE :refused_after END AS JSON),
               :remote_addr
        FROM scan
    )
    SELECT id, status FROM scan
"""
# In a SELECT list PostgreSQL cannot tell a NULL parameter's type from the target column.
_PG_VALUES = (
    "CAST(:conference_id AS INTEGER), :device, :nonce, :direction, CAST(:door_id AS INTEGER), "
    ":code, CAST(:credential_id AS INTEGER), CAST(:delegate_id AS INTEGER), "
    "CAST(:user_id AS INTEGER), CAST(:device_token_id AS INTEGER), :scanned_at, :received_at, "
    ":is_offline, :manual_reason"
)


# PostgreSQL's statements go to the driver directly: at the door, SQLAlchemy's result
# machinery for a 20-column row costs more than the query itself.
_PG_READ = pyformat(_READ_SQL)
_PG_STATEMENTS = {
    move_name: pyformat(_PG_WRITE.format(move=move, columns=_SCAN_COLUMNS, values=_PG_VALUES))
    for move_name, move in (("in", _ADMIT), ("out", _LET_OUT), ("none", _NOTHING))
}
_SQLITE_MOVES = {"in": sa.text(_ADMIT), "out": sa.text(_LET_OUT)}
_SQLITE_SCAN = sa.text(
    f"INSERT INTO scan ({_SCAN_COLUMNS}, status, reason, is_flagged) "
    f"VALUES ({_SCAN_VALUES}, :status, :reason, :is_flagged) "
    "ON CONFLICT (device, nonce) DO NOTHING RETURNING id"
)


def record_scan(scanner: Scanner, scan: ScanInput, *, remote_addr: str | None = None):
    """Admit, let out or refuse; store the scan and its audit entry; safe to retry with one nonce.

    Raises ScanError for a request that is not a scan at all (bad token, unknown door).
    """
    try:
        return _record(scanner, scan, remote_addr)
    except (sa.exc.DBAPIError, psycopg.OperationalError) as error:
        if isinstance(error, sa.exc.DBAPIError) and not error.connection_invalidated:
            raise
        # The database went away since this worker last used its connections (a restart):
        # drop them all and try once more on a fresh one; the nonce keeps it to one scan.
        db.engine.dispose()
        return _record(scanner, scan, remote_addr)


def _record(scanner: Scanner, scan: ScanInput, remote_addr: str | None) -> ScanOutcome:
    """One scan: read everything (round trip 1), decide, write (round trip 2), answer."""
    code = badge_code(scan.code)
    stored_code = printable(scan.code) if scan.code is not None else ""
    received_at = utcnow()
    engine = db.engine
    is_postgres = engine.dialect.name == "postgresql"
    options = {"isolation_level": "AUTOCOMMIT"} if is_postgres else {}
    with engine.connect().execution_options(**options) as connection:
        lookup = _lookup_params(scanner, scan, code)
        row = _read(connection, lookup, is_postgres)
        conference_id = _conference_of(connection, scanner, scan, row)
        person = _person(row, conference_id)
        if row.prior_id is not None:
            return _replay(row, scan, stored_code, person, conference_id)
        scanned_at = _scanned_at(row, scan, received_at)
        refusal, move = _decide(row, scan, code, conference_id)
        params = _scan_params(
            scanner,
            scan,
            row,
            conference_id=conference_id,
            person=person,
            stored_code=stored_code,
            scanned_at=scanned_at,
            received_at=received_at,
            refusal=refusal,
        )
        audit = _audit_params(scanner, scan, stored_code, row, person, refusal, remote_addr)
        written = _write(connection, move, params, audit, is_postgres)
        if written is None:  # the same nonce raced in from a retry: answer as the first did
            again = _read(connection, lookup, is_postgres)
            return _replay(again, scan, stored_code, person, conference_id)
        return _outcome(connection, row, scan, person, written, refusal, scanned_at)


def _read(connection, lookup: dict, is_postgres: bool):
    """The scan's one read: token, door, badge, person, presence and any prior scan of the nonce."""
    if is_postgres:
        return pg_row(connection, _PG_READ, lookup)
    return connection.execute(_READ, lookup).one()


def _write(connection, move: str, params: dict, audit: dict, is_postgres: bool):
    """The scan's one write: the presence change if allowed, the scan, its audit entry.

    None if the nonce was recorded meanwhile (a retry raced this one in).
    """
    if is_postgres:
        return pg_row(connection, _PG_STATEMENTS[move], params | audit)
    return _write_sqlite(connection, move, params, audit)


def _conference_of(connection, scanner: Scanner, scan: ScanInput, row) -> int | None:
    """The conference scanned in; ScanError for an unknown or revoked token, or no such door."""
    conference_id = row.token_conference_id if scanner.token_hash else scanner.conference_id
    if scanner.token_hash and row.token_id is None:
        raise ScanError(401, "This device token is not valid: it is unknown or revoked.")
    if row.door_id is None:
        raise ScanError(422, _door_problem(connection, conference_id, scan.door), field="door")
    return conference_id


def _scan_params(
    scanner: Scanner,
    scan: ScanInput,
    row,
    *,
    conference_id: int,
    person: Person | None,
    stored_code: str,
    scanned_at: datetime,
    received_at: datetime,
    refusal: str,
) -> dict:
    """The scan row's values, and the refusal the database files if the presence row stays."""
    return {
        "conference_id": conference_id,
        "device": scanner.device,
        "nonce": scan.nonce,
        "direction": scan.direction,
        "door_id": row.door_id,
        "code": stored_code,
        "credential_id": row.credential_id,
        "delegate_id": row.delegate_id if person else None,
        "user_id": scanner.user_id,
        "device_token_id": row.token_id,
        "scanned_at": scanned_at,
        "received_at": received_at,
        "is_offline": scan.is_offline,
        "may_flag": scan.may_have_let_through,
        "manual_reason": scan.manual_reason[:300],
        "refusal": refusal,
    }


def _outcome(connection, row, scan: ScanInput, person, written, refusal, scanned_at) -> ScanOutcome:
    """The answer to a scan just written; for ALREADY INSIDE, since when and by which door."""
    status = written.status
    reason = None if status == ScanStatus.OK else refusal
    since, door = scanned_at, row.door_name
    if reason == ScanReason.ALREADY_INSIDE:
        since, door = _where_inside(connection, row)
    return ScanOutcome(
        scan_id=written.id,
        status=status,
        reason=reason,
        direction=scan.direction,
        person=person,
        since=since,
        door=door,
        is_flagged=scan.may_have_let_through and status == ScanStatus.REFUSED,
    )


def _scanned_at(row, scan: ScanInput, received_at: datetime) -> datetime:
    """When the scan was made: the device's time if it is believable, else ScanError (422)."""
    if scan.scanned_at is None:
        return received_at
    # A device clock reset to 1970, or years ahead, must not become the person's history:
    # a scan may be a day older than the conference's first day (or than now, for a
    # rehearsal before it), and no more than CLOCK_SKEW in the future.
    earliest = received_at - timedelta(days=1)
    if row.starts_on is not None:
        earliest = min(earliest, _day_before(row.starts_on, row.timezone))
    latest = received_at + CLOCK_SKEW
    if not earliest <= scan.scanned_at <= latest:
        problem = "in the future" if scan.scanned_at > latest else "before this conference"
        raise ScanError(
            422,
            f"'scanned_at' ({utc_iso(scan.scanned_at)}) is {problem}: set the scanner's clock. "
            f"A scan may be made from {utc_iso(earliest)} to {utc_iso(latest)}.",
            field="scanned_at",
        )
    return min(scan.scanned_at, received_at)  # a clock a little ahead: the scan is now


def _day_before(starts_on: date, timezone: str | None) -> datetime:
    """Midnight at the venue on the day before the conference starts, as naive UTC."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = datetime.combine(starts_on - timedelta(days=1), time(0, 0), tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _decide(row, scan: ScanInput, code: str | None, conference_id: int) -> tuple[str, str]:
    """The refusal if the scan fails, and which presence change to attempt ('none': refuse)."""
    if row.delegate_id is None or (scan.code and code is None):
        return ScanReason.UNKNOWN, "none"
    if row.delegate_conference_id != conference_id:
        return ScanReason.OTHER_CONFERENCE, "none"
    if row.revoked_at is not None:
        return ScanReason.REVOKED, "none"
    if row.status != Status.APPROVED:
        return ScanReason.NOT_APPROVED, "none"
    if scan.direction == Direction.IN:
        return ScanReason.ALREADY_INSIDE, "in"
    return ScanReason.NOT_INSIDE, "out"


def _person(row, conference_id: int) -> Person | None:
    """The person scanned; nobody's name is shown for another conference's badge."""
    if row.delegate_id is None or row.delegate_conference_id != conference_id:
        return None
    return Person(row.delegate_id, row.name, row.group_name, row.pass_type)


def _write_sqlite(connection, move: str, params: dict, audit: dict):
    """The write as one SQLite transaction (the database's write lock serialises doors)."""
    connection.commit()  # end the read, so the write starts from a fresh snapshot
    moved = None
    if move != "none":
        moved = connection.execute(_SQLITE_MOVES[move], params).first()
    ok = moved is not None
    status = ScanStatus.OK if ok else ScanStatus.REFUSED
    scan_id = connection.execute(
        _SQLITE_SCAN,
        params
        | {
            "status": status,
            "reason": None if ok else params["refusal"],
            "is_flagged": params["may_flag"] and not ok,
        },
    ).scalar()
    if scan_id is None:
        connection.rollback()
        return None
    connection.execute(
        sa.insert(AuditEntry.__table__).values(
            at=params["received_at"],
            user_id=params["user_id"],
            actor=audit["actor"],
            action=audit["ok_action"] if ok else "scan.refused",
            entity_type="scan",
            entity_id=scan_id,
            conference_id=params["conference_id"],
            summary=audit["ok_summary"] if ok else audit["refused_summary"],
            after=json.loads(audit["ok_after"] if ok else audit["refused_after"]),
            remote_addr=audit["remote_addr"],
        )
    )
    connection.commit()
    return _Written(scan_id, status)


@dataclass(frozen=True)
class _Written:
    id: int
    status: str


def _audit_params(scanner, scan, stored_code, row, person, refusal, remote_addr) -> dict:
    """The audit entry's text for both outcomes; the database picks the one that happened."""
    who = f"{person.name} ({person.group})" if person else f"code {stored_code or '-'}"
    at = f"at {row.door_name}" if row.door_name else ""
    ok_word = "admitted" if scan.direction == Direction.IN else "left"
    manual = f" by name: {scan.manual_reason}" if scan.manual_reason else ""
    offline = " (offline scan uploaded late)" if scan.is_offline else ""
    base = {
        "direction": scan.direction,
        "door": row.door_name,
        "code": stored_code,
        "nonce": scan.nonce,
        "offline": scan.is_offline,
    }
    if scan.manual_reason:
        base["manual_reason"] = scan.manual_reason[:300]
    return {
        "actor": scanner.actor[:300],
        "remote_addr": remote_addr,
        "ok_action": f"scan.{ok_word}",
        "ok_summary": f"{who} {ok_word} {at}{manual}{offline}"[:500],
        "refused_summary": f"{who} refused {at}: {WORDS[refusal].lower()}{offline}"[:500],
        "ok_after": json.dumps(base | {"status": "ok"}),
        "refused_after": json.dumps(base | {"status": "refused", "reason": str(refusal)}),
    }


def _where_inside(connection, row) -> tuple[datetime | None, str | None]:
    """Since when and by which door the person is inside (read again if a race moved it)."""
    if row.is_inside:
        return row.since, row.presence_door
    again = connection.execute(
        sa.text(
            "SELECT p.since, d.name FROM presence p LEFT JOIN door d ON d.id = p.door_id "
            "WHERE p.delegate_id = :delegate_id"
        ).columns(since=sa.DateTime),
        {"delegate_id": row.delegate_id},
    ).first()
    return (again.since, again.name) if again else (None, None)


def _lookup_params(scanner: Scanner, scan: ScanInput, code: str | None) -> dict:
    """The read's parameters: the token, the door, the badge (or the person chosen by name)."""
    return {
        "token_hash": scanner.token_hash,
        "door": scan.door,
        "conference_id": scanner.conference_id,
        "code": code,
        "delegate_id": scan.delegate_id if scan.code is None else None,
        "device": scanner.device,
        "nonce": scan.nonce,
    }


def _replay(row, scan: ScanInput, stored_code: str, person, conference_id) -> ScanOutcome:
    """A retried request: the first answer again, nothing counted twice; 409 if it differs."""
    # A retry repeats whom (badge or person), which way and which door; its time and offline
    # flag may differ (the page marks a scan offline when its first try timed out).
    prior_person = None
    if row.prior_delegate_id is not None:
        prior_person = Person(
            row.prior_delegate_id, row.prior_name, row.prior_group, row.prior_pass_type
        )
    same = (
        row.prior_conference_id == conference_id
        and row.prior_direction == scan.direction
        and row.prior_door_id == row.door_id
        and _whom(row.prior_code) == _whom(stored_code)
        and (scan.code is not None or row.prior_delegate_id == (person and person.delegate_id))
    )
    if not same:
        raise ScanError(
            409,
            f"This device already sent nonce '{scan.nonce}' with another scan (scan "
            f"{row.prior_id}), which stands. Nothing was recorded for this one: send each new "
            "scan with a new nonce, and a retry exactly as first sent.",
            field="nonce",
            scan_id=row.prior_id,
        )
    inside = row.prior_reason == ScanReason.ALREADY_INSIDE and bool(row.is_inside)
    return ScanOutcome(
        scan_id=row.prior_id,
        status=row.prior_status,
        reason=row.prior_reason,
        direction=row.prior_direction,
        person=prior_person,
        since=row.since if inside else None,
        door=row.presence_door if inside else row.prior_door,
        is_flagged=bool(row.prior_flagged),
        is_replayed=True,
    )


def _whom(stored_code: str) -> str:
    """The badge a stored code stands for (however spaced or cased), or the text itself."""
    return badge_code(stored_code) or stored_code


def _door_problem(connection, conference_id: int | None, door: str | None) -> str:
    """Name the doors there are, so a misconfigured scanner can be put right at once."""
    names = connection.execute(
        sa.text("SELECT name FROM door WHERE conference_id = :c ORDER BY name"),
        {"c": conference_id},
    ).scalars()
    listed = ", ".join(names) or "none yet: the committee adds doors on the Door page"
    if door is None:
        return f"Name the door (field 'door'). This conference's doors: {listed}."
    return f"There is no door called '{door}' in this conference. Its doors: {listed}."
