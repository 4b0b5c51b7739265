"""Print runs of badges and card-vote cards as one PDF: small ones at once, big ones in workers.

A run is cut into chunks of whole pages. Big runs render their chunks in parallel worker
processes, started fresh ('spawn': nothing of Flask, SQLAlchemy or open connections is
inherited) and handed plain data, never ORM objects; the chunks' PDFs are joined in order.
Small runs (a group's badges) render at once in the calling process: a pool would cost more
than it saves. What a page shows is in layout.py; how a PDF is made, in document.py.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING

from confapp.credentials.document import Joiner, get_renderer, plain
from confapp.credentials.layout import LAYOUTS, folders

if TYPE_CHECKING:
    from confapp.credentials.badges import BadgeData

Progress = Callable[[int, int], None]

# Below this many badges one process renders the run: spawning workers takes longer.
PARALLEL_FROM = 100
# Bounds of a chunk (in badges): big enough that a document's fixed costs are shared, small
# enough that progress moves, the cores stay evenly busy and a worker's memory stays low.
CHUNK_MIN, CHUNK_MAX = 64, 256
# Each worker holds a chunk's layout in memory (about 160 MB at CHUNK_MAX): bound their number.
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
    """The run's PDF, in this process or in chunks on workers, whichever is faster."""
    if not badges:
        raise ValueError(f"no {kind} to print")
    total = len(badges)
    items = [plain(b) for b in badges]
    templates, static = folders()
    workers = _workers()
    if total < PARALLEL_FROM or workers < 2:
        renderer = get_renderer(templates, static)
        with renderer.lock:
            pdf = renderer.pdf(layout, items)
        if progress:
            progress(total, total)
        return pdf

    size = _chunk_size(total, workers, LAYOUTS[layout].per_page)
    chunks = [items[i : i + size] for i in range(0, total, size)]
    joined = Joiner(len(chunks))
    done = 0
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(chunks)), mp_context=multiprocessing.get_context("spawn")
    )
    try:
        pending = {
            pool.submit(_render_chunk, templates, static, layout, chunk): index
            for index, chunk in enumerate(chunks)
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                # Joined as they come, in order: the last chunk leaves little to do.
                joined.add(index, future.result())
                done += len(chunks[index])
                if progress:
                    progress(done, total)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return joined.pdf()


def _render_chunk(templates: str, static: str, layout: str, items: list[dict]) -> bytes:
    """In a worker: one chunk's PDF."""
    return get_renderer(templates, static).pdf(layout, items)


def _chunk_size(total: int, workers: int, per_page: int) -> int:
    """About four chunks per worker, whole pages each, within the bounds."""
    size = min(CHUNK_MAX, max(CHUNK_MIN, math.ceil(total / (workers * 4))))
    return math.ceil(size / per_page) * per_page


def _workers() -> int:
    """Worker processes for a big run: one per core this process may use, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, MAX_WORKERS)
