"""``geomatch bench`` finds its harnesses in the checkout and says so when they are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomatch.cli.bench_cmd import harness, harness_dir
from geomatch.cli.main import main
from geomatch.errors import DatasetMissingError


def test_harness_from_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEOMATCH_BENCH_DIR", raising=False)
    assert harness_dir().parts[-2:] == ("solvers", "bench")
    assert callable(harness("assign").run_assign_bench)


def test_no_harness_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOMATCH_BENCH_DIR", str(tmp_path / "solvers" / "bench"))
    with pytest.raises(DatasetMissingError, match="GEOMATCH_BENCH_DIR"):
        harness_dir()
    assert main(["bench", "assign"]) == DatasetMissingError.exit_code


def test_installed_package_has_no_benchmark_code() -> None:
    import geomatch

    pkg = Path(geomatch.__file__).parent
    assert not (pkg / "bench").exists()
    assert not (pkg / "solve" / "gap.py").exists()
