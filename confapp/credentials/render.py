"""Print runs of badges and card-vote cards as one PDF, in chunks that report their progress.

A run is cut into chunks of whole pages, each rendered as a document of its own and joined in
order, so that the progress bar moves as each chunk is done. Small runs render their chunks one
after another in the calling process. Big runs render them in worker processes started fresh
('spawn': nothing of Flask, SQLAlchemy or open connections is inherited) and handed plain data,
never ORM objects; starting a worker takes seconds (Python, WeasyPrint, the fonts), so meanwhile
the calling process renders the run's last chunks itself, the smallest first, and the bar moves
from the first second. What a page shows is in layout.py; how a PDF is made, in document.py.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING

from confapp.credentials.document import Joiner, get_renderer, plain
from confapp.credentials.layout import LAYOUTS, folders

if TYPE_CHECKING:
    from confapp.credentials.badges import BadgeData

Progress = Callable[[int, int], None]

# Below this many badges one process renders the run: spawning workers takes longer.
PARALLEL_FROM = 100
# Bounds of a chunk (in badges): big enough that a document's fixed costs (about a tenth of a
# second) are shared, small enough that the bar moves every second or so, the cores stay evenly
# busy and a worker's memory stays low (about 40 MB at CHUNK_MAX).
CHUNK_MIN, CHUNK_MAX = 16, 64
# Small chunks at the end of a big run: what this process renders first while workers start.
TAIL_CHUNKS = 3
# Each worker holds a chunk's layout in memory: bound their number.
MAX_WORKERS = 4


def render_badges(
    badges: Sequence[BadgeData], layout: str, progress: Progress | None = None
) -> bytes:
    """The badges as one PDF in `layout` ('a4-8up' or 'a6'); progress(done, total) per chunk."""
    from confapp.credentials.badges import LAYOUTS as BADGE_LAYOUTS

    if layout not in BADGE_LAYOUTS:
        raise ValueError(f"unknown badge layout {layout!r}: one of {', '.join(BADGE_LAYOUTS)}")
    return _render("badges", layout, badges, progress)


def render_cards(badges: Sequence[BadgeData], progress: Progress | None = None) -> bytes:
    """Card-vote cards, four to an A4 page, for the voting delegates among `badges`."""
    # Passes without a card vote (alternates, visitors, ...) get no card; progress counts cards.
    voting = [b for b in badges if b.card_vote is not None]
    return _render("cards", "cards", voting, progress)


def _render(kind: str, layout: str, badges: Sequence[BadgeData], progress: Progress | None):
    """The run's PDF, its chunks rendered here or on workers, progress reported per chunk."""
    if not badges:
        raise ValueError(f"no {kind} to print")
    items = [plain(b) for b in badges]
    workers = _workers() if len(items) >= PARALLEL_FROM else 1
    sizes = chunk_sizes(len(items), LAYOUTS[layout].per_page, workers)
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    chunks = [items[start : start + size] for start, size in zip(starts, sizes, strict=True)]
    run = _Run(layout, chunks, progress)
    if len(chunks) == 1:  # a group's badges: one document, no joining
        pdf = run.here(0)
        run.report(0)
        return pdf
    if workers < 2:
        for index in range(len(chunks)):
            run.add(index, run.here(index))
        return run.joined.pdf()
    return _in_workers(run, workers)


class _Run:
    """A run's chunks, the PDF they are joined into, and the progress reported so far."""

    def __init__(self, layout: str, chunks: list[list[dict]], progress: Progress | None):
        self.layout, self.chunks, self.progress = layout, chunks, progress
        self.total = sum(len(chunk) for chunk in chunks)
        self.done = 0
        self.joined = Joiner(len(chunks))
        self.folders = folders()

    def here(self, index: int) -> bytes:
        """Chunk `index` rendered in this process."""
        renderer = get_renderer(*self.folders)
        with renderer.lock:
            return renderer.pdf(self.layout, self.chunks[index])

    def add(self, index: int, pdf: bytes) -> None:
        """Join a rendered chunk (in order, as soon as it can be) and report it."""
        self.joined.add(index, pdf)
        self.report(index)

    def report(self, index: int) -> None:
        """Count chunk `index` as done and tell the caller."""
        self.done += len(self.chunks[index])
        if self.progress:
            self.progress(self.done, self.total)


def _in_workers(run: _Run, workers: int) -> bytes:
    """The chunks on worker processes; this process takes the last ones until a worker delivers."""
    templates, static = run.folders
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(run.chunks)), mp_context=multiprocessing.get_context("spawn")
    )
    try:
        futures = [
            pool.submit(_render_chunk, templates, static, run.layout, chunk) for chunk in run.chunks
        ]
        pending: dict[Future, int] = dict(zip(futures, range(len(futures)), strict=True))
        helping = True
        while pending:
            if helping:
                # A chunk no worker has taken yet, from the end: those are the smallest.
                taken = next((f for f in reversed(futures) if f in pending and f.cancel()), None)
                if taken is not None:
                    index = pending.pop(taken)
                    run.add(index, run.here(index))
                    helping = not any(future.done() for future in pending)
                    finished = [future for future in pending if future.done()]
                else:
                    helping = False
                    continue
            else:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                run.add(pending.pop(future), future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return run.joined.pdf()


def _render_chunk(templates: str, static: str, layout: str, items: list[dict]) -> bytes:
    """In a worker: one chunk's PDF."""
    return get_renderer(templates, static).pdf(layout, items)


def chunk_sizes(total: int, per_page: int, workers: int) -> list[int]:
    """How many badges each chunk takes, in order: whole pages, all but the last.

    One process: chunks of about CHUNK_MIN. Workers: about four chunks per worker within the
    bounds, then small ones at the end, which this process renders while the workers start.
    """
    small = _whole_pages(CHUNK_MIN, per_page)
    if workers < 2:
        return _cut(total, small)
    size = _whole_pages(min(CHUNK_MAX, max(CHUNK_MIN, math.ceil(total / (workers * 4)))), per_page)
    head = max(0, (total - TAIL_CHUNKS * small) // size) * size
    return _cut(head, size) + _cut(total - head, small)


def _whole_pages(badges: int, per_page: int) -> int:
    return math.ceil(badges / per_page) * per_page


def _cut(total: int, size: int) -> list[int]:
    return [min(size, total - start) for start in range(0, total, size)]


def _workers() -> int:
    """Worker processes for a big run: one per core this process may use, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, MAX_WORKERS)
