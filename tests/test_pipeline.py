"""The main job end to end on the small real fixture: files, cross-stage invariants."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geomatch.cli.main import main
from geomatch.dataset import load_dataset
from geomatch.errors import DatasetMissingError
from geomatch.pipeline import merge_unmet, run_scenario

MINI_TOML = Path(__file__).parent / "fixtures" / "mini.toml"

RUN_FILES = {
    "pairings.csv",
    "unmet.csv",
    "museum_visits.csv",
    "caravan_tours.csv",
    "coverage.csv",
    "kpi.csv",
    "manifest.json",
    "summary.json",
}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def mini_run(tmp_path_factory, mini_data_dir) -> Path:
    out = tmp_path_factory.mktemp("run") / "mini"
    seen: list[float] = []
    run_scenario(MINI_TOML, out, progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen), "progress never goes back"
    return out


def test_run_folder_has_the_design_files(mini_run):
    assert {p.name for p in mini_run.iterdir()} >= RUN_FILES
    assert not list(mini_run.parent.glob(".mini.partial-*"))


def test_pairings_and_unmet_partition_the_needs(mini_run, mini_data_dir):
    needs = load_dataset(mini_data_dir, cache=False).needs
    pairs = _read(mini_run / "pairings.csv")
    unmet = _read(mini_run / "unmet.csv")
    unmet_pairing = unmet[unmet["stage"] == "pairing"]
    assert pairs["need_id"].is_unique, "every need at most once"
    assert set(pairs["need_id"]).isdisjoint(unmet_pairing["need_id"])
    assert set(pairs["need_id"]) | set(unmet_pairing["need_id"]) == set(needs["need_id"])


def test_capacities_held(mini_run, mini_data_dir):
    helpers = load_dataset(mini_data_dir, cache=False).helpers.set_index("helper_id")
    pairs = _read(mini_run / "pairings.csv")
    used = pairs.assign(load=pairs["load"].astype(int)).groupby("helper_id")["load"].sum()
    cap = helpers.loc[used.index, "capacity"].astype(int)
    assert (used <= cap).all()


def test_coverage_one_row_per_poor_county(mini_run, mini_data_dir):
    ds = load_dataset(mini_data_dir, cache=False)
    cov = _read(mini_run / "coverage.csv")
    assert set(cov["adcode"]) == set(ds.poor_counties["adcode"])
    assert cov["adcode"].is_unique
    assert set(cov["station_team"]) <= {"complete", "partial", "none"}
    visits = _read(mini_run / "museum_visits.csv").groupby("adcode").size()
    for adcode, n in visits.items():
        assert int(cov.loc[cov["adcode"] == adcode, "museum_visits"].iloc[0]) == n


def test_manifest_records_inputs_and_seed(mini_run):
    manifest = json.loads((mini_run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == "mini"
    assert manifest["seed"] == 20161207
    assert len(manifest["inputs"]["scenario"]["sha256"]) == 64
    assert "needs.parquet" in " ".join(manifest["inputs"]["data"])
    assert manifest["versions"]["ortools"] != "absent"


def test_missing_dataset_leaves_no_output(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'[scenario]\nname = "x"\ndata_dir = "{tmp_path / "nowhere"}"\n', encoding="utf-8"
    )
    out = tmp_path / "run"
    with pytest.raises(DatasetMissingError):
        run_scenario(toml, out)
    assert not out.exists()


def test_cli_run_with_maps(tmp_path, mini_data_dir):
    out, maps = tmp_path / "run", tmp_path / "maps"
    code = main(["-q", "run", "--scenario", str(MINI_TOML), "--out", str(out), "--maps", str(maps)])
    assert code == 0
    assert (maps / "national.html").is_file()
    assert (maps / "province" / "520000.html").is_file()


def test_cli_run_bad_scenario_exits_2(tmp_path, capsys):
    toml = tmp_path / "bad.toml"
    toml.write_text("[pairing]\nradius = 3\n", encoding="utf-8")
    assert main(["run", "--scenario", str(toml), "--out", str(tmp_path / "r")]) == 2
    assert "pairing.radius" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_merge_unmet_keeps_every_row():
    p = pd.DataFrame({"need_id": ["a"], "reason": ["capacity_taken"]})
    t = pd.DataFrame({"need_id": ["v1"], "reason": ["season_closed"], "stage": ["museum"]})
    m = merge_unmet(p, t)
    assert m["stage"].tolist() == ["pairing", "museum"]
    assert list(m.columns[:3]) == ["need_id", "reason", "stage"]
    assert merge_unmet(p.iloc[:0], t.iloc[:0]).empty
