"""Voting links by e-mail: queued in batches, sent over one SMTP connection per batch.

The web process marks the voters queued and enqueues batches (`request_links`); a worker
runs `send_batch` for each. Each message carries a new code; the database keeps only its hash,
and only once the SMTP server has accepted the message, so a failed or bounced send leaves a
member's earlier link working. Outcomes are written back in one statement per kind of outcome,
not a commit per voter: 21,000 links are a few dozen batches.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.header import Header
from email.message import Message
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid, parseaddr

import sqlalchemy as sa
from flask import current_app

from confapp import audit, jobs, links
from confapp.extensions import db
from confapp.members.codes import hash_code, new_code
from confapp.models import (
    AuditEntry,
    Conference,
    EmailStatus,
    Member,
    MemberBallot,
    MemberBallotState,
    Voter,
    utcnow,
)
from confapp.templating import local_time

BATCH = 500  # voters a task: one SMTP connection each, short enough to retry whole
ERROR_LIMIT = 500  # Voter.email_error's length
VOTE_RULE = "/vote/<code>"  # the paper's address (voting_pages)
ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A batch still queued this long after the ballot's last request for links was lost: its
# worker stopped while holding it (the queue does not hand a task it gave out to another
# worker). A retry then sends it again; a batch of 500 takes well under a second to send.
STUCK_AFTER = timedelta(minutes=30)
QUEUEING = (
    "member_ballot.links_requested",
    "member_ballot.links_retried",
    "member_ballot.link_asked_again",
)


class MailError(ValueError):
    """Links cannot be sent now; the message says why and nothing was changed."""


@dataclass
class Outcome:
    """What became of one voter's message."""

    voter_id: int
    status: EmailStatus
    error: str = ""
    code_hash: str | None = None


# ---- asking for links (the web process) -------------------------------------------------------


def send_problem(ballot: MemberBallot) -> str | None:
    """Why links cannot be sent for this ballot now, or None."""
    if ballot.state == MemberBallotState.DRAFT:
        return "Make the roll first: links go to the members on it."
    if ballot.state != MemberBallotState.ROLL or ballot.phase(utcnow()) == "closed":
        return "Voting has closed: no more links are sent."
    if not current_app.config.get("MAIL_SERVER"):
        return "No mail server is configured: set CONFAPP_MAIL_SERVER (and its port) first."
    return None


def request_links(
    ballot: MemberBallot,
    statuses: Iterable[EmailStatus] = (EmailStatus.PENDING, EmailStatus.FAILED),
    *,
    action: str = "member_ballot.links_requested",
    actor=None,
) -> int:
    """Queue a link for every voter not yet voted whose e-mail stands at `statuses`; committed.

    Returns how many were queued. The voters are marked queued and the audit entry written
    before the batches are enqueued, so a worker never finds a voter still marked pending.
    """
    if problem := send_problem(ballot):
        raise MailError(problem)
    ids = list(
        db.session.scalars(
            sa.select(Voter.id)
            .where(
                Voter.ballot_id == ballot.id,
                Voter.has_voted.is_(False),
                Voter.email_status.in_([EmailStatus(s) for s in statuses]),
            )
            .order_by(Voter.id)
        )
    )
    if not ids:
        return 0
    _mark_queued(ballot.id, ids)
    what = "retried" if action.endswith("retried") else "requested"
    audit.record(
        action,
        ballot,
        after={"voters": len(ids), "batches": -(-len(ids) // BATCH)},
        summary=f"Voting links {what} for {len(ids):,} voters of {ballot.title}",
        actor=actor,
    )
    db.session.commit()
    _enqueue(ballot.id, ids)
    return len(ids)


def resend_to(voters: list[Voter]) -> None:
    """A new link for each voter (a member asked for it again); committed, then enqueued."""
    by_ballot: dict[int, list[int]] = {}
    for voter in voters:
        by_ballot.setdefault(voter.ballot_id, []).append(voter.id)
    for ballot_id, ids in by_ballot.items():
        _mark_queued(ballot_id, ids)
        ballot = db.session.get(MemberBallot, ballot_id)
        audit.record(
            "member_ballot.link_asked_again",
            ballot,
            after={"voters": len(ids)},
            # No member is named: the log says a link was asked for, not by whom.
            summary=f"A member asked for their voting link for {ballot.title} again",
            actor=None,
        )
    db.session.commit()
    for ballot_id, ids in by_ballot.items():
        _enqueue(ballot_id, ids)


def rolls_of(number: str, email: str) -> list[tuple[Voter, MemberBallot]]:
    """The member's places on the rolls of ballots not yet closed, found by number and e-mail.

    Both must match the register (the number in any case, the address as stored in lower
    case); anything else finds nothing, the same as a number nobody holds.
    """
    number, email = number.strip().upper(), email.strip().lower()
    if not number or not email:
        return []
    return list(
        db.session.execute(
            sa.select(Voter, MemberBallot)
            .join(MemberBallot, MemberBallot.id == Voter.ballot_id)
            .join(Member, Member.id == Voter.member_id)
            .where(
                sa.func.upper(Member.number) == number,
                sa.func.lower(Member.email) == email,
                MemberBallot.state == MemberBallotState.ROLL,
                MemberBallot.closes_at > utcnow(),
            )
            .order_by(MemberBallot.opens_at, MemberBallot.id)
        )
    )


def _mark_queued(ballot_id: int, ids: list[int]) -> None:
    for start in range(0, len(ids), BATCH):
        db.session.execute(
            sa.update(Voter)
            .where(Voter.ballot_id == ballot_id, Voter.id.in_(ids[start : start + BATCH]))
            .values(email_status=EmailStatus.QUEUED, email_error="")
            .execution_options(synchronize_session=False)
        )


def _enqueue(ballot_id: int, ids: list[int]) -> None:
    queue = jobs.for_app()
    for start in range(0, len(ids), BATCH):
        queue.send_links(ballot_id, ids[start : start + BATCH])


def mail_counts(ballot: MemberBallot) -> dict[str, int]:
    """How many voters' links stand at each status."""
    rows = db.session.execute(
        sa.select(Voter.email_status, sa.func.count())
        .where(Voter.ballot_id == ballot.id)
        .group_by(Voter.email_status)
    ).all()
    counts = {status.value: 0 for status in EmailStatus}
    for status, count in rows:
        counts[EmailStatus(status).value] = count
    return counts


def stuck_queued(ballot: MemberBallot) -> int:
    """How many links stand queued though nothing was queued for STUCK_AFTER (0 while fresh)."""
    last = db.session.scalar(
        sa.select(sa.func.max(AuditEntry.at)).where(
            AuditEntry.entity_type == "MemberBallot",
            AuditEntry.entity_id == ballot.id,
            AuditEntry.action.in_(QUEUEING),
        )
    )
    if last is None or utcnow() - last < STUCK_AFTER:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Voter.ballot_id == ballot.id,
            Voter.has_voted.is_(False),
            Voter.email_status == EmailStatus.QUEUED,
        )
    )


def problems(ballot: MemberBallot) -> list[tuple[Voter, Member]]:
    """The voters whose link failed or bounced, with their member, by name."""
    return list(
        db.session.execute(
            sa.select(Voter, Member)
            .join(Member, Member.id == Voter.member_id)
            .where(
                Voter.ballot_id == ballot.id,
                Voter.email_status.in_([EmailStatus.FAILED, EmailStatus.BOUNCED]),
            )
            .order_by(Voter.email_status, Member.name, Member.number)
        )
    )


def record_bounces(ballot: MemberBallot, text: str, actor=None) -> tuple[int, list[str]]:
    """Mark bounced the voters whose addresses the relay reported back; flushed, audited.

    Returns (voters marked, addresses on no voter of this ballot). Refused (MailError, nothing
    changed) if a line holds something that is not an e-mail address.
    """
    addresses: list[str] = []
    wrong = []
    for number, line in enumerate(text.splitlines(), start=1):
        for word in re.split(r"[\s,;]+", line.strip()):
            word = word.strip("<>\"'").lower()
            if not word:
                continue
            if not ADDRESS.fullmatch(word):
                wrong.append(f"line {number}: {word!r} is not an e-mail address")
            elif word not in addresses:
                addresses.append(word)
    if wrong:
        raise MailError("Nothing was recorded. " + "; ".join(wrong)[:800] + ".")
    if not addresses:
        raise MailError("Paste the addresses the relay reported back, one a line.")
    found = db.session.execute(
        sa.select(Voter.id, Member.email)
        .join(Member, Member.id == Voter.member_id)
        .where(Voter.ballot_id == ballot.id, sa.func.lower(Member.email).in_(addresses))
    ).all()
    ids = [voter_id for voter_id, _ in found]
    if ids:
        db.session.execute(
            sa.update(Voter)
            .where(Voter.id.in_(ids))
            .values(email_status=EmailStatus.BOUNCED, email_error="Reported back by the relay")
            .execution_options(synchronize_session=False)
        )
    known = {email.lower() for _, email in found}
    unknown = [a for a in addresses if a not in known]
    audit.record(
        "member_ballot.bounces_recorded",
        ballot,
        after={"bounced": len(ids), "not_on_roll": len(unknown)},
        summary=f"{len(ids):,} links of {ballot.title} recorded as bounced by the relay",
        actor=actor,
    )
    db.session.flush()
    return len(ids), unknown


# ---- sending (the worker) -------------------------------------------------------------------


def send_batch(ballot_id: int, voter_ids: list[int]) -> dict[str, int]:
    """Send a new link to each voter over one SMTP connection; outcomes written, committed.

    Voters who have voted, or of a ballot no longer taking votes, are skipped (the queue's
    mark is lifted: sent if a link went before, else pending). Returns each outcome's count.
    """
    ballot = db.session.get(MemberBallot, ballot_id)
    if ballot is None:
        return {}
    conference = db.session.get(Conference, ballot.conference_id)
    letter = Letter(
        title=ballot.title,
        conference=conference.name,
        opens=local_time(ballot.opens_at, conference.timezone),
        closes=local_time(ballot.closes_at, conference.timezone),
    )
    closed = ballot.state != MemberBallotState.ROLL or ballot.phase(utcnow()) == "closed"
    rows = db.session.execute(
        sa.select(Voter.id, Voter.has_voted, Voter.sends, Member.name, Member.email)
        .join(Member, Member.id == Voter.member_id)
        .where(Voter.ballot_id == ballot_id, Voter.id.in_(voter_ids))
        .order_by(Voter.id)
    ).all()
    db.session.rollback()  # no transaction held open while the SMTP server talks
    to_send, outcomes = [], []
    for voter_id, has_voted, sends, name, email in rows:
        if has_voted or closed:
            outcomes.append(Outcome(voter_id, EmailStatus.SENT if sends else EmailStatus.PENDING))
        elif not email:
            outcomes.append(
                Outcome(voter_id, EmailStatus.BOUNCED, "No e-mail address on the register")
            )
        else:
            to_send.append((voter_id, name, email))
    outcomes += _send_all(letter, to_send)
    _record(outcomes)
    db.session.commit()
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status.value] = counts.get(outcome.status.value, 0) + 1
    return counts


@dataclass(frozen=True)
class Letter:
    """What every voter's message of one ballot says alike."""

    title: str
    conference: str
    opens: str
    closes: str


def _send_all(letter: Letter, voters: list[tuple[int, str, str]]) -> list[Outcome]:
    """One connection; each message's fate. A lost connection fails the rest (retryable)."""
    if not voters:
        return []
    config = current_app.config
    server, port = config.get("MAIL_SERVER"), config.get("MAIL_PORT") or 25
    if not server:
        return [_failed(v[0], "No mail server is configured (MAIL_SERVER)") for v in voters]
    compose = composer(letter)
    sender = parseaddr(config.get("MAIL_FROM") or "confapp@localhost")[1]  # the envelope's
    outcomes: list[Outcome] = []
    try:
        smtp = smtplib.SMTP(server, port, timeout=30)
    except (OSError, smtplib.SMTPException) as error:
        text = f"Could not reach the mail server {server}:{port}: {error}"
        return [_failed(v[0], text) for v in voters]
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        for index, (voter_id, name, email) in enumerate(voters):
            code = new_code()
            try:
                smtp.sendmail(sender, [email], _flat(compose(name, email, code)))
            except smtplib.SMTPRecipientsRefused as refused:
                smtp_code, message = next(iter(refused.recipients.values()))
                outcomes.append(_refusal(voter_id, smtp_code, message))
            except smtplib.SMTPDataError as error:
                outcomes.append(_refusal(voter_id, error.smtp_code, error.smtp_error))
            except smtplib.SMTPSenderRefused as error:
                # Our own address refused: no fault of the member's, so retry later.
                outcomes.append(_failed(voter_id, _said(error.smtp_code, error.smtp_error)))
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                text = f"The mail server closed the connection: {error}"
                outcomes += [_failed(v[0], text) for v in voters[index:]]
                return outcomes
            else:
                outcomes.append(Outcome(voter_id, EmailStatus.SENT, "", hash_code(code)))
    except (OSError, smtplib.SMTPException) as error:
        done = {o.voter_id for o in outcomes}
        text = f"The mail server refused the session: {error}"
        outcomes += [_failed(v[0], text) for v in voters if v[0] not in done]
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return outcomes


def _said(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}"[:ERROR_LIMIT]


def _refusal(voter_id: int, code: int, message) -> Outcome:
    """5xx: the address is refused for good (bounced); anything else may pass later (failed)."""
    status = EmailStatus.BOUNCED if 500 <= code < 600 else EmailStatus.FAILED
    return Outcome(voter_id, status, _said(code, message))


def _failed(voter_id: int, text: str) -> Outcome:
    return Outcome(voter_id, EmailStatus.FAILED, text[:ERROR_LIMIT])


def _record(outcomes: list[Outcome]) -> None:
    """Write every outcome: one executemany for those sent, one for the rest."""
    table = Voter.__table__
    sent = [
        {"v_id": o.voter_id, "v_hash": o.code_hash}
        for o in outcomes
        if o.status == EmailStatus.SENT and o.code_hash
    ]
    other = [
        {"v_id": o.voter_id, "v_status": o.status.value, "v_error": o.error}
        for o in outcomes
        if not o.code_hash
    ]
    if sent:
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("v_id"))
            .values(
                code_hash=sa.bindparam("v_hash"),
                email_status=EmailStatus.SENT.value,
                email_error="",
                emailed_at=utcnow(),
                sends=table.c.sends + 1,
            ),
            sent,
        )
    if other:
        db.session.execute(
            table.update()
            .where(table.c.id == sa.bindparam("v_id"))
            .values(email_status=sa.bindparam("v_status"), email_error=sa.bindparam("v_error")),
            other,
        )


def vote_link_prefix() -> str:
    """The absolute address of a voting link, up to the code (CONFAPP_BASE_URL or the app's)."""
    endpoint = next(
        (r.endpoint for r in current_app.url_map.iter_rules() if r.rule == VOTE_RULE), None
    )
    if endpoint is None:  # the voting pages are not loaded: the address is the same
        return links.external_url("members.link_again").rsplit("/members/", 1)[0] + "/vote/"
    marker = "CODE"
    return links.external_url(endpoint, code=marker)[: -len(marker)]


def composer(letter: Letter):
    """A function making one member's message; what is the same for all is made once.

    The message is email.message's legacy Message, flattened with the SMTP policy: a third
    of the time the modern EmailMessage takes, which parses every header it is given.
    """
    config = current_app.config
    sender = config.get("MAIL_FROM") or "confapp@localhost"
    prefix = vote_link_prefix()
    subject = _header(letter_subject(letter))
    template = current_app.jinja_env.get_template("members/email_link.txt")
    shared = {
        "letter": letter,
        "check_url": links.external_url("members.check"),
        "again_url": links.external_url("members.link_again"),
    }
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"  # else make_msgid asks DNS
    date = formatdate()

    def compose(name: str, email: str, code: str) -> Message:
        body = template.render(name=name, link=prefix + code, **shared) + "\n"
        message = Message()
        message["Subject"] = subject
        message["From"] = sender
        message["To"] = formataddr((name, email))
        message["Date"] = date
        message["Message-ID"] = make_msgid(domain=domain)
        message["MIME-Version"] = "1.0"
        # Plain ASCII goes as it is (readable in any relay's log); anything else as UTF-8.
        message.set_payload(body, charset="us-ascii" if body.isascii() else "utf-8")
        return message

    return compose


def _header(text: str) -> str | Header:
    return text if text.isascii() else Header(text, "utf-8")


def _flat(message: Message) -> bytes:
    return message.as_bytes(policy=SMTP)


def preview(ballot: MemberBallot) -> str:
    """The message a member receives, for the committee's page (a made-up member and code)."""
    zone = ballot.conference.timezone
    letter = Letter(
        title=ballot.title,
        conference=ballot.conference.name,
        opens=local_time(ballot.opens_at, zone),
        closes=local_time(ballot.closes_at, zone),
    )
    message = composer(letter)("A. Member", "member@example.org", "a-new-code-each-time")
    body = message.get_payload(decode=True).decode("utf-8")
    return f"Subject: {letter_subject(letter)}\n\n{body}"


def letter_subject(letter: Letter) -> str:
    """The subject line of every link's message."""
    return f"Your voting link: {letter.title}"
