"""Benchmark commands of this group (filled in by the issue that owns it)."""

from __future__ import annotations

import typer


def register(bench_app: typer.Typer) -> None:
    """Add this group's benchmark commands to geomatch bench."""
