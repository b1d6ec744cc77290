"""``geomatch pair`` end to end: outputs, exit codes, no partial output on errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geomatch.cli.main import main


def _write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def _pair(out: Path, *options: object, helpers: Path, needs: Path, arcs: Path | None) -> int:
    """Run ``geomatch pair`` on the given files with extra ``options``; return its exit code."""
    args = ["pair", "--helpers", str(helpers), "--needs", str(needs)]
    if arcs is not None:
        args += ["--arcs", str(arcs)]
    return main([*args, *map(str, options), "--out", str(out)])


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "helpers": _write(
            tmp_path,
            "helpers.csv",
            "helper_id,capacity,lon,lat,specialty\n"
            "H1,1,116.40,39.90,crop\nH2,2,121.47,31.23,health\n",
        ),
        "needs": _write(
            tmp_path,
            "needs.csv",
            "need_id,lon,lat,category,priority\n"
            "N1,102.71,25.04,crop,remaining\nN2,103.83,36.06,crop,ordinary\n"
            "N3,87.62,43.83,health,ordinary\n",
        ),
        "arcs": _write(
            tmp_path, "arcs.csv", "helper_id,need_id,cost\nH1,N1,10\nH1,N2,12\nH2,N3,30\nH2,N2,40\n"
        ),
    }


def test_pair_with_arcs_writes_all_outputs(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "run"
    rc = _pair(
        out,
        helpers=files["helpers"],
        needs=files["needs"],
        arcs=files["arcs"],
    )
    assert rc == 0
    p = pd.read_csv(out / "pairings.csv", encoding="utf-8-sig")
    assert set(zip(p["need_id"], p["helper_id"], strict=True)) == {
        ("N1", "H1"),
        ("N2", "H2"),
        ("N3", "H2"),
    }
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["status"] == "optimal" and s["objective"] == 80 and s["n_unmet"] == 0
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(m["inputs"]["arcs"]["sha256"]) == 64
    assert (out / "unmet.csv").exists()


def test_pair_from_locations(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "loc"
    rc = _pair(
        out,
        helpers=files["helpers"],
        needs=files["needs"],
        arcs=None,
    )
    assert rc == 0
    p = pd.read_csv(out / "pairings.csv", encoding="utf-8-sig")
    u = pd.read_csv(out / "unmet.csv", encoding="utf-8-sig")
    assert len(p) + len(u) == 3
    assert (p["distance_km"] > 0).all()


def test_require_all_infeasible_exits_3_without_output(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arcs = _write(tmp_path, "few.csv", "helper_id,need_id,cost\nH1,N1,1\nH1,N2,1\nH2,N3,1\n")
    out = tmp_path / "never"
    rc = _pair(
        out,
        "--require-all",
        helpers=files["helpers"],
        needs=files["needs"],
        arcs=arcs,
    )
    assert rc == 3
    assert "total demand 2 > total capacity 1" in capsys.readouterr().err
    assert not out.exists()


def test_bad_file_exits_2_and_names_row_and_column(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(tmp_path, "bad.csv", "helper_id,capacity\nH1,1\nH2,two\n")
    out = tmp_path / "never"
    rc = _pair(
        out,
        helpers=bad,
        needs=files["needs"],
        arcs=files["arcs"],
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert "row 3" in err and "capacity" in err
    assert not out.exists()
    assert not list(tmp_path.glob(".never*"))


def test_unknown_arc_id_and_missing_needs_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    arcs = _write(tmp_path, "arcs2.csv", "helper_id,need_id,cost\nH9,N1,1\n")
    rc = _pair(
        tmp_path / "x",
        helpers=files["helpers"],
        needs=files["needs"],
        arcs=arcs,
    )
    assert rc == 2
    assert main(["pair", "--helpers", str(files["helpers"]), "--out", str(tmp_path / "y")]) == 2
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_locks_and_previous_through_the_cli(files: dict[str, Path], tmp_path: Path) -> None:
    locks = _write(tmp_path, "locks.csv", "need_id,helper_id\nN2,H1\n")
    out = tmp_path / "locked"
    rc = _pair(
        out,
        "--locks",
        locks,
        helpers=files["helpers"],
        needs=files["needs"],
        arcs=files["arcs"],
    )
    assert rc == 0
    p = pd.read_csv(out / "pairings.csv", encoding="utf-8-sig").set_index("need_id")
    assert p.at["N2", "helper_id"] == "H1" and bool(p.at["N2", "locked"])
    prev = _write(tmp_path, "prev.csv", "need_id,helper_id\nN9,H1\n")
    rc = _pair(
        tmp_path / "p",
        "--previous",
        prev,
        helpers=files["helpers"],
        needs=files["needs"],
        arcs=files["arcs"],
    )
    assert rc == 2  # unknown need in the previous plan


def test_scenario_on_the_mini_fixture(mini_data_dir: Path, tmp_path: Path) -> None:
    if not (mini_data_dir / "scenario" / "needs.parquet").exists():
        pytest.skip("mini fixture has no scenario profiles")
    sc = _write(
        tmp_path,
        "mini.toml",
        f'[scenario]\nname = "mini"\ndata_dir = "{mini_data_dir}"\n[pairing]\n',
    )
    out = tmp_path / "mini"
    assert main(["pair", "--scenario", str(sc), "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    p = pd.read_csv(out / "pairings.csv", encoding="utf-8-sig", dtype={"adcode": str})
    assert s["status"] == "optimal" and s["n_pairings"] == len(p) > 0
    assert not p["need_id"].duplicated().any()
    u = pd.read_csv(out / "unmet.csv", encoding="utf-8-sig")
    assert s["n_unmet"] == len(u)
    assert set(u["reason"]) <= {
        "no_candidate_in_radius",
        "no_specialty_match",
        "language",
        "level",
        "relation",
        "capacity_taken",
        "cost_above_penalty",
        "side_constraint",
        "no_location",
    }


def _west_east_files(tmp_path: Path) -> tuple[Path, Path]:
    """500 western needs and 300 eastern helpers in Chinese categories, no arcs: an
    instance that the exact pairing proves in two rounds (seed 8)."""
    rng = np.random.default_rng(8)
    cats = ["种植", "养殖", "电商"]
    helpers = pd.DataFrame(
        {
            "helper_id": [f"H{i:03d}" for i in range(300)],
            "capacity": 2,
            "lon": rng.uniform(110, 121, 300).round(4),
            "lat": rng.uniform(23, 40, 300).round(4),
            "specialty": rng.choice(cats, 300),
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": [f"N{i:03d}" for i in range(500)],
            "lon": rng.uniform(80, 104, 500).round(4),
            "lat": rng.uniform(25, 42, 500).round(4),
            "category": rng.choice(cats, 500),
        }
    )
    hp, np_ = tmp_path / "helpers.csv", tmp_path / "needs.csv"
    helpers.to_csv(hp, index=False)
    needs.to_csv(np_, index=False)
    return hp, np_


def test_rounds_option_sets_the_round_budget(tmp_path: Path) -> None:
    # --rounds 1 stops after one pricing round (feasible with a bound unless proven
    # at once), --rounds 0 lifts the budget until the proof; a negative budget is exit 2.
    # Most instances of this shape are proven in the first round since the warm start
    # uses 1° cells; this seed needs two.
    hp, np_ = _west_east_files(tmp_path)
    summaries = {}
    for rounds in (1, 0):
        out = tmp_path / f"r{rounds}"
        assert _pair(out, "--rounds", rounds, helpers=hp, needs=np_, arcs=None) == 0
        summaries[rounds] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    one, full = summaries[1], summaries[0]
    assert full["status"] == "optimal"
    assert len(one["pricing_rounds"]) == 1 < len(full["pricing_rounds"])
    assert one["status"] == "feasible" and "round budget" in one["proof"]
    assert one["bound"] <= full["objective"] <= one["objective"]
    assert _pair(tmp_path / "bad", "--rounds", -1, helpers=hp, needs=np_, arcs=None) == 2
    assert not (tmp_path / "bad").exists()


def test_gap_option_stops_once_the_plan_is_close_enough(tmp_path: Path) -> None:
    from geomatch.model.pairing_outputs import summary_line

    # --gap 0.5: the first round's plan is within half of the optimum (the warm start's
    # bound shows it), so the run stops there, feasible, with the reason; a gap outside
    # [0, 1) is exit 2 and nothing is written
    hp, np_ = _west_east_files(tmp_path)
    out = tmp_path / "gap"
    assert _pair(out, "--gap", 0.5, helpers=hp, needs=np_, arcs=None) == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["status"] == "feasible" and "within relative_gap 0.5" in s["proof"]
    assert len(s["pricing_rounds"]) == 1
    assert s["objective"] - s["bound"] <= 0.5 * s["objective"]
    assert "lower --gap to go on" in summary_line(s, out)
    for bad in (1.5, -0.1):
        assert _pair(tmp_path / "bad", "--gap", bad, helpers=hp, needs=np_, arcs=None) == 2
        assert not (tmp_path / "bad").exists()
