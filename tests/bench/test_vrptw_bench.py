"""bench vrptw harness: instance discovery, scoring, the BENCHMARKS.md block."""

from __future__ import annotations

from pathlib import Path

import pytest

from geomatch.errors import InputError
from geomatch.solve.vrptw import read_solomon
from solvers.bench.vrptw import (
    benchmark_dir,
    list_instances,
    markdown_report,
    run_bench,
    run_pyvrp_peer,
    summarise,
    update_benchmarks_md,
)
from tests.solve.test_vrptw import (  # type: ignore[import-not-found,unused-ignore]
    C101_25,
    independent_check,
)

BKS_HEADER = (
    "instance,instance_file,group,customers,max_vehicles,capacity,bks_vehicles,bks_distance\n"
)


@pytest.fixture()
def bench_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "solomon"
    (root / "solomon_100").mkdir(parents=True)
    (root / "solomon_100" / "C101.txt").write_text(C101_25)
    (root / "solomon_100_bks.csv").write_text(
        BKS_HEADER + "C101,solomon_100/C101.txt,C1,25,25,200,3,191.8136\n"
    )
    (root / "gehring_homberger_200_bks.csv").write_text(BKS_HEADER)
    monkeypatch.setenv("GEOMATCH_VRPTW_DIR", str(root))
    return root


def test_missing_benchmark_dir_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOMATCH_VRPTW_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="GEOMATCH_VRPTW_DIR"):
        benchmark_dir()


def test_run_score_and_report(bench_dir: Path, tmp_path: Path) -> None:
    assert [i[1] for i in list_instances(["solomon"])] == ["C101"]
    with pytest.raises(InputError, match="unknown instance"):
        list_instances(["solomon"], ["R999"])
    df = run_bench(
        ["solomon"], solvers=["ortools", "vroom"], time_limit_s=0.5, results_csv=tmp_path / "r.csv"
    )
    assert (tmp_path / "r.csv").read_text().count("\n") == 3
    assert set(df["solver"]) == {"ortools", "vroom"}
    assert df["feasible"].all() and (df["vehicles"] == 3).all()
    summ = summarise(df)
    assert list(summ["bks_vehicles_hit"]) == [1, 1]
    assert (summ["mean_gap_pct_on_hits"] >= -1e-3).all()
    md = tmp_path / "B.md"
    md.write_text("# Benchmarks\n\n## Data\n\nkept\n\n## Tours\n\nnarrative kept\n\n## Maps\n\nx\n")
    update_benchmarks_md(markdown_report(df), path=md)
    update_benchmarks_md(markdown_report(df, note="second"), path=md)
    text = md.read_text()
    assert text.count("### VRPTW routing core") == 1 and "second" in text
    assert "kept" in text and "narrative kept" in text and text.rstrip().endswith("x")


def test_pyvrp_peer_minimises_the_fleet(bench_dir: Path) -> None:
    """The PyVRP peer (minimise_fleet, then solve) returns routes that pass an independent
    check with the optimum fleet of C101.25."""
    path = bench_dir / "solomon_100" / "C101.txt"
    routes, seconds = run_pyvrp_peer(read_solomon(path), 1.0)
    vehicles, dist = independent_check(path, routes)
    assert vehicles == 3 and dist < 191.82 and seconds > 0
