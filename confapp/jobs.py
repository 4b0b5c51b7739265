"""The job queue (Huey): background work such as print runs, done by worker processes.

The web process only enqueues. Where the queue lives is configuration: no QUEUE_URL, a SQLite
file in the instance folder (a venue laptop, no other service); `redis://...`, Redis, which
workers on several hosts can share. A worker builds the app once and runs each task inside
its app context. QUEUE_IMMEDIATE (tests) runs a task at once, in the process that enqueued it.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey

QUEUE_NAME = "confapp"


class Jobs:
    """An app's queue and the tasks it knows, each run inside the app's context."""

    def __init__(self, app: Flask, huey: Huey):
        self.app, self.huey = app, huey

        @huey.task(name="print_run")
        def print_run(job_id: int) -> None:
            from confapp.credentials import jobs as print_runs

            with app.app_context():
                print_runs.run(job_id)

        @huey.task(name="send_links", retries=2, retry_delay=30)
        def send_links(member_ballot_id: int, voter_ids: list[int]) -> None:
            from confapp.members import mailing

            with app.app_context():
                mailing.send_batch(member_ballot_id, voter_ids)

        self.print_run = print_run
        self.send_links = send_links


def make_huey(url: str | None, instance_path: Path, *, name: str = QUEUE_NAME, immediate=False):
    """The Huey that `url` names: None, a SQLite file in the instance folder; redis://, Redis."""
    if not url:
        instance_path.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(instance_path / "queue.sqlite"), immediate=immediate)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, immediate=immediate)
    raise ValueError(f"CONFAPP_QUEUE_URL must start with redis:// or be unset, not {url!r}")


def for_app(app: Flask | None = None) -> Jobs:
    """The app's queue, made on first use (a request that enqueues nothing opens no queue)."""
    app = app or current_app._get_current_object()
    jobs = app.extensions.get("confapp.jobs")
    if jobs is None:
        huey = make_huey(
            app.config.get("QUEUE_URL"),
            Path(app.instance_path),
            immediate=bool(app.config.get("QUEUE_IMMEDIATE")),
        )
        jobs = app.extensions["confapp.jobs"] = Jobs(app, huey)
    return jobs


_worker_app: Flask | None = None


def __getattr__(name: str):
    """`confapp.jobs.huey` for `huey_consumer confapp.jobs.huey`: the app is built once, here."""
    global _worker_app
    if name != "huey":
        raise AttributeError(name)
    if _worker_app is None:
        from confapp import create_app

        _worker_app = create_app()
    return for_app(_worker_app).huey
