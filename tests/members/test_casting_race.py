"""A code votes once even from two app processes at the same instant.

Two real OS processes, each with its own app and connection pool on the test database
(SQLite file or PostgreSQL schema), post the same links at the same moment (a barrier before
each): for every link one process casts and the other is told the link has voted, and one
paper is filled. Only the database keeps the count right: nothing is shared in Python.
"""

from __future__ import annotations

import multiprocessing

import sqlalchemy as sa

from confapp.models import AuditEntry, MemberVote, Voter
from tests.members.test_casting import voting_world

ROUNDS = 8


def _vote_in_process(config: dict, codes: list[str], form: dict, barrier, answers) -> None:
    """One app process: for each code, wait for the other process, then post the paper."""
    from confapp import create_app

    app = create_app(config)
    client = app.test_client()
    seen = []
    try:
        for code in codes:
            barrier.wait(timeout=60)
            body = client.post(f"/vote/{code}", data=form).get_data(as_text=True)
            if "Your vote is cast" in body:
                seen.append("cast")
            elif "A vote has already been cast with this link" in body:
                seen.append("already cast")
            else:
                seen.append(body[:300])
    finally:
        answers.put(seen)


def test_two_app_processes_casting_one_code_at_once_fill_one_paper(app, db, tmp_path):
    world = voting_world([{"kind": "yes_no"}], per_group=ROUNDS)
    codes = [world.code(n) for n in range(ROUNDS)]
    form = {f"q-{world.ballot.questions[0].id}": "yes"}
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited
    barrier, answers = context.Barrier(2), context.Queue()
    processes = []
    for n in range(2):
        config = {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SQLALCHEMY_ENGINE_OPTIONS": app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / f"instance{n}"),
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        }
        process = context.Process(
            target=_vote_in_process, args=(config, codes, form, barrier, answers)
        )
        process.start()
        processes.append(process)

    first, second = answers.get(timeout=180), answers.get(timeout=180)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    assert len(first) == len(second) == ROUNDS, (first, second)
    for a, b in zip(first, second, strict=True):
        assert sorted([a, b]) == ["already cast", "cast"]
    db.session.rollback()
    count = sa.func.count()
    assert (
        db.session.execute(sa.select(count).where(MemberVote.is_cast.is_(True))).scalar() == ROUNDS
    )
    assert db.session.execute(sa.select(count).where(Voter.has_voted.is_(True))).scalar() == ROUNDS
    assert (
        db.session.execute(
            sa.select(count).where(AuditEntry.action == "member_ballot.vote_cast")
        ).scalar()
        == ROUNDS
    )
