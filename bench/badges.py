"""Render badge PDFs: a group's 10, the demo's, and a 2,000-badge run; print speed and memory.

Run: .venv/bin/python -m bench.badges   (BENCH_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)

Goals on a 2-core machine: a group's badges in under a second (in the calling process, even
the first time); 2,000 badges at 200 a second or more with the whole process tree's peak
memory under 500 MB. 'cpu ms/b' is the processor time a badge costs (this process and its
workers together): steadier than the wall time when others share the machine.

Only the standard library is imported at the top: big runs render in worker processes
started with 'spawn', and each of them imports this module again.
"""

from __future__ import annotations

import io
import os
import resource
import threading
import time
from dataclasses import dataclass

RUN = 2000
GROUP_SIZE = 10
# Names as a conference gets them: Welsh, Irish, Polish, Arabic, Chinese, long ones.
NAMES = (
    "Siân Llewelyn",
    "Gruffydd ap Rhys",
    "Seán Ó Briain",
    "Aoife Nic Giolla Phádraig",
    "Zofia Łukasiewicz-Wróblewska",
    "Grzegorz Brzęczyszczykiewicz",
    "محمد بن عبد الله الهاشمي",
    "فاطمة الزهراء",
    "王小明",
    "欧阳娜娜",
    "Ann Jones",
    "Bartholomew Maximilian Fitzgerald-Worthington ap Llewelyn Jon",
)
PASSES = ("delegate",) * 6 + ("alternate", "alternate", "visitor", "observer", "press", "staff")


class TreeMemory:
    """Samples the resident memory of this process and all its descendants; keeps the peak."""

    def __init__(self, interval: float = 0.02):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(os.getpid()))
            self._stop.wait(self.interval)


def _tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and its descendants (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # the process ended while we looked
    return total


@dataclass
class Figures:
    label: str
    badges: int
    query_s: float
    render_s: float
    cpu_s: float  # this process's and its workers' processor time while rendering
    pages: int
    peak_mb: float

    def line(self) -> str:
        rate = self.badges / self.render_s if self.render_s else 0
        cpu_ms = self.cpu_s / self.badges * 1000
        return (
            f"{self.label:<28} {self.badges:>6} {self.pages:>6} {self.query_s:>8.2f}"
            f" {self.render_s:>9.2f} {rate:>9.0f} {cpu_ms:>9.1f} {self.peak_mb:>9.0f}"
        )


def build_run(app, count: int):
    """A conference with `count` approved people, 10 a group, each with a live credential."""
    import sqlalchemy as sa

    from confapp import factories
    from confapp.credentials import codes
    from confapp.extensions import db
    from confapp.models import Conference, Credential, Delegate, Group, utcnow

    with app.app_context():
        conference = factories.conference(f"Bench run of {count}")
        sections = conference.sections
        groups = [
            {
                "conference_id": conference.id,
                "section_id": sections[i % len(sections)].id,
                "name": f"Bench group {i:04d} of Ynys Môn and Gwynedd",
                "members": 400 + i,
                "women_members": 200,
                "young_members": 40,
            }
            for i in range(count // GROUP_SIZE)
        ]
        db.session.execute(sa.insert(Group), groups)
        group_ids = db.session.execute(
            db.select(Group.id).where(Group.conference_id == conference.id).order_by(Group.id)
        ).scalars()
        now = utcnow()
        people = []
        for index, group_id in enumerate(group_ids):
            for seat in range(GROUP_SIZE):
                n = index * GROUP_SIZE + seat
                pass_type = PASSES[n % len(PASSES)]
                people.append(
                    {
                        "conference_id": conference.id,
                        "group_id": group_id,
                        "pass_type": pass_type,
                        "seat": "base" if pass_type == "delegate" else None,
                        "alternate_rank": 1 if pass_type == "alternate" else None,
                        "name": NAMES[n % len(NAMES)],
                        "email": f"bench{n}@example.org",
                        "status": "approved",
                        "decided_at": now,
                    }
                )
        db.session.execute(sa.insert(Delegate), people)
        delegate_ids = db.session.execute(
            db.select(Delegate.id).where(Delegate.conference_id == conference.id)
        ).scalars()
        db.session.execute(
            sa.insert(Credential),
            [
                {"conference_id": conference.id, "delegate_id": i, "code": codes.new_code()}
                for i in delegate_ids
            ],
        )
        db.session.commit()
        return db.session.get(Conference, conference.id).slug


def measure(app, label: str, slug: str, layout: str, group: str | None = None) -> Figures:
    """Query a conference's badges (or a group's) and render them; time and memory."""
    from pypdf import PdfReader

    from confapp.admin.services import find_conference, find_group
    from confapp.credentials import badges as badge_data
    from confapp.credentials import render
    from confapp.extensions import db
    from confapp.models import Delegate

    with app.app_context(), TreeMemory() as memory:
        conference = find_conference(slug)
        start = time.perf_counter()
        query = badge_data.live_credentials_query(conference)
        if group:
            query = query.where(Delegate.group_id == find_group(conference, group).id)
        items = badge_data.badges_for(conference, query)
        queried = time.perf_counter()
        cpu = _cpu_seconds()
        pdf = render.render_badges(items, layout)
        rendered = time.perf_counter()
        cpu = _cpu_seconds() - cpu
        db.session.remove()
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return Figures(
        label, len(items), queried - start, rendered - queried, cpu, pages, memory.peak / 2**20
    )


def _cpu_seconds() -> float:
    """Processor time of this process and of its ended workers, user and system."""
    # On a shared machine wall time swings with others' load; processor time much less so.
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def measure_qr(count: int = 500) -> str:
    """Processor time for the QR of `count` fresh codes as a badge gets it (symbol and PNG)."""
    from importlib.metadata import version

    from confapp.credentials import codes, qr

    samples = [codes.new_code() for _ in range(count)]
    best = float("inf")
    for _ in range(3):  # the best of three: other work on a shared machine only adds time
        start = time.process_time()
        for code in samples:
            qr.qr_data_url(code)
        best = min(best, time.process_time() - start)
    return f"QR symbol and PNG: {best / count * 1000:.2f} ms a badge (segno {version('segno')})"


def main() -> None:
    """Print the figures."""
    from bench.common import bench_app
    from confapp import demo
    from confapp.credentials import render

    app = bench_app()
    with app.app_context():
        demo.load_demo(echo=lambda _: None)
        demo_slug = demo.SLUG
    run_slug = build_run(app, RUN)
    print(f"database: {app.config['DATABASE_URL'].split(':')[0]}; cores: {os.cpu_count()}")
    print(f"workers for big runs: {render._workers()}; parallel from {render.PARALLEL_FROM} badges")
    print(measure_qr())
    print(
        f"{'run':<28} {'badges':>6} {'pages':>6} {'query s':>8} {'render s':>9}"
        f" {'badges/s':>9} {'cpu ms/b':>9} {'peak MB':>9}"
    )
    first = f"Bench group {0:04d} of Ynys Môn and Gwynedd"
    # The first render in a process pays for WeasyPrint's import and the fonts: the web worker
    # that serves a secretary's first group PDF does too.
    print(measure(app, "group of 10, first in process", run_slug, "a4-8up", first).line())
    print(measure(app, "group of 10, again", run_slug, "a4-8up", first).line())
    print(measure(app, "group of 10, A6", run_slug, "a6", first).line())
    print(measure(app, "demo, a4-8up", demo_slug, "a4-8up").line())
    print(measure(app, "demo, a6", demo_slug, "a6").line())
    print(measure(app, f"{RUN:,}, a4-8up", run_slug, "a4-8up").line())
    print(measure(app, f"{RUN:,}, a6", run_slug, "a6").line())
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"largest resident size: this process {self_mb:.0f} MB, one worker {child_mb:.0f} MB"
        " (peak MB above: this process and its workers together, sampled)"
    )


if __name__ == "__main__":
    main()
