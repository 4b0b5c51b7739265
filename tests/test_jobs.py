"""The job queue: configuration picks SQLite or Redis; a real worker process does a print run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from huey import RedisHuey, SqliteHuey

from confapp import factories, jobs
from confapp.extensions import db
from confapp.models import Credential, JobStatus, PrintJob, Role

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"


def test_no_queue_url_keeps_the_queue_in_a_sqlite_file_in_the_instance_folder(app):
    huey = jobs.for_app(app).huey
    assert isinstance(huey, SqliteHuey)
    assert Path(app.instance_path, "queue.sqlite").exists()


def test_a_redis_url_puts_the_queue_on_redis(tmp_path):
    huey = jobs.make_huey("redis://127.0.0.1:6379/0", tmp_path)
    assert isinstance(huey, RedisHuey)
    assert huey.storage.conn.connection_pool.connection_kwargs["port"] == 6379
    assert not (tmp_path / "queue.sqlite").exists()


def test_a_queue_url_of_another_kind_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="must start with redis://.*'amqp://x'"):
        jobs.make_huey("amqp://x", tmp_path)


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); CI runs it")


def test_a_task_enqueued_on_redis_is_run_by_a_worker(tmp_path):
    _redis_or_skip()
    huey = jobs.make_huey(REDIS_URL, tmp_path, name=f"confapp-test-{uuid.uuid4().hex[:8]}")

    @huey.task()
    def add(a, b):
        return a + b

    try:
        result = add(40, 2)
        assert huey.pending_count() == 1  # waiting on Redis until a worker takes it
        task = huey.dequeue()
        huey.execute(task)
        assert result.get() == 42
        assert huey.pending_count() == 0
    finally:
        huey.flush()


def _worker_env(app) -> dict[str, str]:
    """The worker process's configuration: the test app's database and instance folder."""
    url = sa.engine.make_url(app.config["DATABASE_URL"])
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {}).get("options")
    if options:  # PostgreSQL: the test's own schema
        url = url.update_query_dict({"options": options})
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFAPP_")}
    env.update(
        CONFAPP_DATABASE_URL=url.render_as_string(hide_password=False),
        CONFAPP_INSTANCE_PATH=app.instance_path,
        CONFAPP_SECRET_KEY="test-secret",
    )
    return env


def test_a_print_run_is_done_by_a_real_worker_process(app, client, conference, login):
    admin = factories.user("chair@example.org", conf=conference, role=Role.ADMIN)
    leeds = factories.group(conference, "Leeds", members=1000)
    for name in ("Ann Jones", "Bob Smith", "Cy Twombly"):
        factories.approved_person(conference, leeds, name, actor=admin)
    db.session.commit()
    login(admin)

    client.post(f"/admin/conferences/{conference.id}/badges", data={"kind": "badges"})
    job_id = db.session.execute(sa.select(PrintJob.id)).scalar_one()
    state_url = f"/admin/conferences/{conference.id}/print-jobs/{job_id}.json"
    # The web process only enqueued it: the run waits for a worker.
    assert client.get(state_url).json["words"] == "Waiting to start: 3 badges."

    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "confapp", "worker"],
        cwd=ROOT,
        env=_worker_env(app),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while client.get(state_url).json["status"] != JobStatus.DONE:
            assert worker.poll() is None, f"the worker stopped:\n{worker.stdout.read()}"
            assert time.monotonic() < deadline, "the worker did not finish the run"
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0]
    assert "Worker for the SqliteHuey queue" in output

    assert client.get(state_url).json["words"] == "Done: 3 badges, ready to download."
    pdf = client.get(f"/admin/conferences/{conference.id}/print-jobs/{job_id}.pdf")
    assert pdf.data.startswith(b"%PDF")
    db.session.expire_all()
    assert all(c.printed_at for c in db.session.execute(sa.select(Credential)).scalars())
