"""Texts the service shows users: run errors without server paths.

Kept free of web imports, so a worker process (:mod:`geomatch.service.worker`) can use it
without loading FastAPI.
"""

from __future__ import annotations

import re

__all__ = ["public_error"]

#: Absolute POSIX or Windows paths inside a message.
_PATH = re.compile(r"(?:[A-Za-z]:\\|/)(?:[^\s'\"/\\:]+[/\\])+([^\s'\"/\\:]*)")


def public_error(text: str) -> str:
    """A run's error message without server paths (``/srv/x/needs.csv`` → ``needs.csv``)."""
    return _PATH.sub(lambda m: m.group(1) or "…", text)
