"""Progress reporting shared by the library, the CLI and the service's jobs.

Long library functions take an optional ``progress`` callback ``(fraction, message)``
with ``fraction`` in [0, 1]. The CLI passes :func:`cli_progress`, which draws a rich
progress bar on a terminal and writes plain log lines (at most one per 5 % step) when
not on one; the service passes a callback that stores the fraction in the run's row.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

from geomatch.logs import is_interactive

__all__ = ["ProgressCallback", "cli_progress", "null_progress", "scaled"]

ProgressCallback = Callable[[float, str], None]

log = logging.getLogger("geomatch.progress")


def null_progress(fraction: float, message: str) -> None:
    """A callback that ignores progress."""


def scaled(cb: ProgressCallback | None, start: float, end: float) -> ProgressCallback:
    """Map a sub-task's 0–1 progress into ``[start, end]`` of a parent callback."""
    if cb is None:
        return null_progress

    def inner(fraction: float, message: str) -> None:
        cb(start + (end - start) * max(0.0, min(1.0, fraction)), message)

    return inner


@contextlib.contextmanager
def cli_progress(title: str, *, quiet: bool = False) -> Iterator[ProgressCallback]:
    """A progress callback for the command line.

    Parameters
    ----------
    title
        What the long job is ("national pairing", "caravan tours", …).
    quiet
        Report nothing.
    """
    if quiet:
        yield null_progress
        return
    if is_interactive():
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            transient=False,
        ) as bar:
            task = bar.add_task(title, total=1.0, note="")

            def update(fraction: float, message: str) -> None:
                bar.update(task, completed=fraction, note=message)

            yield update
            bar.update(task, completed=1.0)
        return
    last = [-1]

    def log_update(fraction: float, message: str) -> None:
        step = int(fraction * 20)
        if step > last[0]:
            last[0] = step
            log.info("%s: %3.0f%% %s", title, fraction * 100, message)

    yield log_update
