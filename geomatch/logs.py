"""Logging set-up for the command line and the service (the library only logs)."""

from __future__ import annotations

import logging
import sys

__all__ = ["configure_logging", "is_interactive", "verbosity"]


def is_interactive() -> bool:
    """Whether stderr is a terminal (progress bars) or not (plain log lines)."""
    return sys.stderr.isatty()


def verbosity(*, quiet: bool, verbose: bool) -> int:
    """The verbosity of the global ``-q``/``-v`` options: quiet wins over verbose."""
    return -1 if quiet else (1 if verbose else 0)


def configure_logging(verbosity: int = 0) -> None:
    """Configure the ``geomatch`` logger.

    Parameters
    ----------
    verbosity
        ``-1`` quiet (warnings only), ``0`` info, ``1`` debug.
    """
    level = {-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG)
    logger = logging.getLogger("geomatch")
    logger.setLevel(level)
    logger.handlers.clear()
    if is_interactive():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
