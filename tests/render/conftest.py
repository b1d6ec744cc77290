"""Pytest fixtures of the render tests (data and builders in :mod:`tests.render.fixtures`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.render.fixtures import MiniDataset, load_mini_dataset, make_run

MINI_DATA = Path(__file__).parents[1] / "fixtures" / "mini_data"


@pytest.fixture(scope="session")
def fixture_ds() -> object:
    """The project's shared mini dataset (real layout), if present."""
    if not (MINI_DATA / "poor_counties.parquet").is_file():
        pytest.skip("tests/fixtures/mini_data is absent")
    from geomatch.dataset import load_dataset

    return load_dataset(root=MINI_DATA)


@pytest.fixture(scope="session")
def mini_ds() -> MiniDataset:
    return load_mini_dataset()


@pytest.fixture
def run_dir(tmp_path: Path, mini_ds: MiniDataset) -> Path:
    return make_run(tmp_path / "run", mini_ds)
