"""Shared fixtures: paths of the small real fixture dataset and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
MINI_DATA = TESTS / "fixtures" / "mini_data"


@pytest.fixture(scope="session")
def mini_data_dir() -> Path:
    """The tiny real dataset (a few real poor counties) with the embedded layout."""
    if not (MINI_DATA / "counties.parquet").exists():
        pytest.skip("tests/fixtures/mini_data has not been built (geomatch data build --mini)")
    return MINI_DATA


@pytest.fixture()
def run_cli():
    """Run ``geomatch`` in-process and return (exit code, captured stdout+stderr)."""
    from geomatch.cli.main import main

    def _run(args: list[str], capsys: pytest.CaptureFixture[str] | None = None) -> int:
        return main([str(a) for a in args])

    return _run
