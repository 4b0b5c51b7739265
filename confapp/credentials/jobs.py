"""Print runs: chosen by the committee, rendered by a queue worker, kept in the database."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from confapp import audit
from confapp import jobs as queue
from confapp.credentials import badges as badge_data
from confapp.extensions import db
from confapp.models import (
    Conference,
    Credential,
    Delegate,
    JobStatus,
    PassType,
    PrintJob,
    PrintKind,
    PrintScope,
    User,
    utcnow,
)
from confapp.text import plural, thousands

STALE_AFTER = timedelta(minutes=30)  # a run still "running" this long lost its worker


def selection(
    conference: Conference, kind: str, scope: str, group_id: int | None = None
) -> sa.Select:
    """The live credentials a run prints: everyone, those not yet printed, or one group."""
    query = badge_data.live_credentials_query(conference)
    if scope == PrintScope.NEW:
        query = query.where(Credential.printed_at.is_(None))
    elif scope == PrintScope.GROUP:
        query = query.where(Delegate.group_id == group_id)
    if kind == PrintKind.CARDS:
        query = query.where(Delegate.pass_type == PassType.DELEGATE)
    return query


def create(
    conference: Conference,
    actor: User,
    *,
    kind: PrintKind = PrintKind.BADGES,
    scope: PrintScope = PrintScope.ALL,
    layout: str | None = None,
    group_id: int | None = None,
) -> PrintJob:
    """Record a print run, counting what it will print; the caller commits and starts it."""
    query = selection(conference, kind, scope, group_id).order_by(None)
    if kind == PrintKind.CARDS and conference.card_rule.mode == "block":
        # One card per delegation (badges.cards_for): the delegations are counted.
        query = query.with_only_columns(Delegate.group_id).distinct()
    total = db.session.execute(
        db.select(sa.func.count()).select_from(query.subquery())
    ).scalar_one()
    job = PrintJob(
        conference_id=conference.id,
        requested_by_id=actor.id,
        kind=kind,
        scope=scope,
        group_id=group_id,
        layout=layout or conference.badge_layout,
        total=total,
    )
    db.session.add(job)
    db.session.flush()
    return job


def start(job: PrintJob) -> None:
    """Hand the committed run to the queue's workers; the web process renders nothing."""
    queue.for_app().print_run(job.id)


def run(job_id: int) -> None:
    """Render a run's PDF, reporting progress as chunks finish; mark its badges printed.

    A queue worker calls this inside the app's context.
    """
    from confapp.credentials import render

    job = db.session.get(PrintJob, job_id)
    job.status, job.started_at = JobStatus.RUNNING, utcnow()
    db.session.commit()
    try:
        conference = db.session.get(Conference, job.conference_id)
        items = badge_data.badges_for(
            conference, selection(conference, job.kind, job.scope, job.group_id)
        )
        if job.kind == PrintKind.CARDS:
            items = _cards(conference, items)
        job.total = len(items)
        db.session.commit()

        def progress(done: int, total: int) -> None:
            # Each chunk's progress committed at once: the page's poll may reach any worker.
            job.done = done
            db.session.commit()

        if job.kind == PrintKind.CARDS:
            pdf = render.render_cards(items, progress=progress)
        else:
            pdf = render.render_badges(items, job.layout, progress=progress)
        printed = [b.credential_id for b in items]
        if job.kind == PrintKind.BADGES and printed:
            db.session.execute(
                sa.update(Credential)
                .where(Credential.id.in_(printed))
                .values(printed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        job.pdf, job.done, job.status, job.finished_at = (
            pdf,
            len(items),
            JobStatus.DONE,
            utcnow(),
        )
        audit.record(
            f"{job.kind}.print",
            conference,
            after={"job": job.id, "count": len(items), "layout": job.layout},
            summary=f"{len(items)} {job.kind} ({job.scope}, {job.layout})",
            actor=db.session.get(User, job.requested_by_id) if job.requested_by_id else None,
        )
        db.session.commit()
    except Exception as exc:  # the run fails visibly instead of hanging at "running"
        db.session.rollback()
        job = db.session.get(PrintJob, job_id)
        job.status, job.error, job.finished_at = JobStatus.FAILED, str(exc)[:500], utcnow()
        db.session.commit()
        current_app.logger.exception("print job %s failed", job_id)
    finally:
        db.session.remove()


def _cards(conference: Conference, chosen: list[badge_data.BadgeData]):
    """The cards for the chosen voting delegates' delegations, as the conference's mode has them."""
    groups = sorted({badge.group_id for badge in chosen})
    voting = badge_data.badges_for(conference, badge_data.voting_query(conference, groups))
    return badge_data.cards_for(conference.card_rule.mode, chosen, voting)


def state(job: PrintJob) -> dict:
    """What the progress bar reads, and what is happening in words."""
    status = job.status
    if status in (JobStatus.QUEUED, JobStatus.RUNNING) and job.created_at < utcnow() - STALE_AFTER:
        status = JobStatus.FAILED  # its worker stopped; the committee starts a new run
    error = job.error or ("interrupted" if status != job.status else "")
    return {
        "id": job.id,
        "status": status,
        "done": job.done,
        "total": job.total,
        "error": error,
        "words": _words(job.kind, status, job.done, job.total, error),
    }


def _words(kind: str, status: str, done: int, total: int, error: str) -> str:
    """What the run is doing, as the page says it."""
    # The stage follows from what the database holds (status, done, total): no worker has to
    # say it, and any worker can answer the page's poll.
    things = plural(total, "badge" if kind == PrintKind.BADGES else "card-vote card")
    if status == JobStatus.DONE:
        return f"Done: {things}, ready to download."
    if status == JobStatus.FAILED:
        return f"The run failed: {error or 'unknown error'}. Start a new run."
    if status == JobStatus.QUEUED:
        return f"Waiting to start: {things}."
    if done == 0:
        return f"Preparing {things}: names, QR codes, fonts…"
    if done < total:
        return f"Rendering pages: {thousands(done)} of {things} done…"
    return f"Putting the pages of {things} into one PDF…"
