"""The run-table contract and RunResult: a run in memory equals its folder read back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geomatch.errors import InputError
from geomatch.model.run_tables import (
    DTYPES,
    RUN_TABLES,
    conform,
    empty_table,
    province_scope,
    run_table,
)
from geomatch.pipeline import solve_scenario
from geomatch.run_result import RunResult, read_run, write_run

MINI_TOML = Path(__file__).parent / "fixtures" / "mini.toml"


@pytest.fixture(scope="module")
def mini_result(mini_data_dir: Path) -> RunResult:
    return solve_scenario(MINI_TOML)


def _tiny() -> RunResult:
    pairings = pd.DataFrame(
        {
            "need_id": ["N1", "N2"],
            "helper_id": ["H1", "H2"],
            "cost": np.array([12, 7], dtype=np.int64),
            "load": np.array([1, 2], dtype=np.int64),
            "distance_km": [1204.5, np.nan],
            "relation": [True, False],
            "adcode": ["522629", ""],
            "reason": ["specialty matches; 1204 km", "=SUM(A1)"],
            "note": ["extra column", "kept as text"],
        }
    )
    unmet = pd.DataFrame(
        {"need_id": ["N3", "museum:522630:2"], "reason": ["capacity_taken", "no_set_capacity"]}
    ).assign(stage=["pairing", "museum"], visit_no=[np.nan, "2"], adcode=["522630", "522630"])
    visits = pd.DataFrame(
        {
            "adcode": ["522630"],
            "set_id": ["520000-S02"],
            "visit_no": [1],
            "start_date": ["2020-01-02"],
            "end_date": ["2020-01-21"],
            "travel_km": [241.6],
        }
    )
    return RunResult.of(
        {"pairings": pairings, "unmet": unmet, "museum_visits": visits},
        summary={"status": "optimal", "objective": np.int64(19), "bounds": (1, 2)},
        manifest={"scenario": "tiny", "inputs": {"data": Path("/nowhere")}},
    )


def test_every_table_declared_once_with_labels_and_scope() -> None:
    assert list(RUN_TABLES) == [
        "pairings",
        "unmet",
        "unmet_summary",
        "museum_visits",
        "caravan_tours",
        "coverage",
        "kpi",
    ]
    for name, table in RUN_TABLES.items():
        assert table.file == f"{name}.csv"
        assert len(set(table.columns)) == len(table.columns), name
        assert table.label and set(table.labels) == set(table.columns), name
        assert table.scope in table.columns, name
        assert table.required, name
        empty = empty_table(name)
        assert list(empty.columns) == list(table.columns)
        assert [str(t) for t in empty.dtypes] == [DTYPES[c.kind] for c in table.schema.columns], (
            name
        )
    with pytest.raises(KeyError, match="known: pairings"):
        run_table("nope")


def test_conform_orders_types_and_keeps_extra_columns() -> None:
    r = _tiny()
    p = r.pairings
    assert list(p.columns[: len(run_table("pairings").columns)]) == list(
        run_table("pairings").columns
    )
    assert list(p.columns[-1:]) == ["note"]
    assert str(p["cost"].dtype) == "Int64" and str(p["relation"].dtype) == "boolean"
    assert p["fit_cost"].isna().all()  # declared, absent: added empty
    assert r.unmet["visit_no"].tolist()[1] == 2 and pd.isna(r.unmet["visit_no"].iloc[0])
    assert r.summary == {"status": "optimal", "objective": 19, "bounds": [1, 2]}
    assert r.present == {"pairings", "unmet", "museum_visits"}
    assert r.caravan_tours.empty and list(r.caravan_tours.columns) == list(
        run_table("caravan_tours").columns
    )
    with pytest.raises(KeyError, match="need_id"):
        conform(pd.DataFrame({"helper_id": ["H1"]}), "pairings")
    with pytest.raises(ValueError):
        conform(p.assign(cost=["twelve", "7"]), "pairings")


def test_tiny_round_trip(tmp_path: Path) -> None:
    r = _tiny()
    written = write_run(r, tmp_path / "run")
    assert written.run_dir == tmp_path / "run"
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert files == {
        "pairings.csv",
        "unmet.csv",
        "museum_visits.csv",
        "summary.json",
        "manifest.json",
    }
    back = read_run(tmp_path / "run")
    # the one cell a spreadsheet would run as a formula is neutralised on the way out
    assert back.pairings.at[1, "reason"] == "'=SUM(A1)"
    assert not r.same_as(back)
    fixed = r.with_tables(pairings=r.pairings.assign(reason=back.pairings["reason"]))
    assert fixed.same_as(back)


def test_rewritten_folder_reads_back_as_the_new_run(tmp_path: Path) -> None:
    full = _tiny().with_tables(
        caravan_tours=pd.DataFrame(
            {"caravan_id": ["CV-1"], "date": ["2020-03-02"], "seq": [1], "stop_code": ["522629205"]}
        )
    )
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("kept", encoding="utf-8")
    write_run(full, tmp_path / "run")
    assert (tmp_path / "run" / "caravan_tours.csv").is_file()
    smaller = _tiny()
    write_run(smaller, tmp_path / "run")
    back = read_run(tmp_path / "run")
    assert back.present == smaller.present and back.caravan_tours.empty
    assert (tmp_path / "run" / "notes.txt").read_text(encoding="utf-8") == "kept"


def test_same_as_compares_summaries_with_nan() -> None:
    a = RunResult.of({"pairings": _tiny().pairings}, summary={"gap": float("nan")})
    b = RunResult.of({"pairings": _tiny().pairings}, summary={"gap": float("nan")})
    assert a.same_as(b)
    assert not a.same_as(RunResult.of({"pairings": _tiny().pairings}, summary={"gap": 0.0}))


def test_read_run_names_file_row_and_column(tmp_path: Path) -> None:
    write_run(_tiny(), tmp_path / "run")
    path = tmp_path / "run" / "pairings.csv"
    text = path.read_text(encoding="utf-8-sig").replace("\nN2,H2,7,", "\nN2,H2,seven,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_run(tmp_path / "run")
    assert (err.value.file, err.value.row, err.value.column) == (str(path), 3, "cost")
    (tmp_path / "run" / "manifest.json").unlink()
    with pytest.raises(InputError, match=r"manifest\.json is missing"):
        read_run(tmp_path / "run")
    with pytest.raises(InputError, match="run folder not found"):
        read_run(tmp_path / "nowhere")


def test_province_scope_from_the_declared_column() -> None:
    r = _tiny()
    assert province_scope(r.pairings, "pairings").tolist() == ["520000", ""]
    stops = pd.DataFrame({"stop_code": ["522629107230", "522629205", "x"]})
    assert province_scope(stops, "caravan_tours").tolist() == ["520000", "520000", ""]


def test_demo_like_run_equals_its_folder_read_back(mini_result: RunResult, tmp_path: Path) -> None:
    """The mini scenario run end to end: the folder read back is the run in memory."""
    r = mini_result
    assert r.present == set(RUN_TABLES)
    assert len(r.pairings) and len(r.coverage) and len(r.kpi)
    # the shortfall table accounts for every unmet row, once, with the county's name
    assert int(r.unmet_summary["unmet_needs"].sum()) == len(r.unmet) > 0
    assert (r.unmet_summary["county"] != "").all() and (r.unmet_summary["province"] != "").all()
    write_run(r, tmp_path / "run")
    back = read_run(tmp_path / "run")
    for name in RUN_TABLES:
        pd.testing.assert_frame_equal(back.table(name), r.table(name), check_exact=True)
    assert back.summary == r.summary and back.manifest == r.manifest
    assert back.tours_summary == r.tours_summary
    assert back.same_as(r)
    # every file carries exactly its declared columns, in order
    for name in r.present:
        head = (tmp_path / "run" / f"{name}.csv").read_text(encoding="utf-8-sig").split("\n")[0]
        assert head.split(",") == list(run_table(name).columns), name
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == "mini"


def test_shortfall_counts_the_tours_too(mini_data_dir: Path) -> None:
    """One aggregation over the pairing's and the tours' unmet rows (the coverage stage):
    a fleet too small for the visits and too few caravan days show up per county."""
    from geomatch.model.scenario import load_scenario

    sc = load_scenario(MINI_TOML)
    tight = sc.tours.model_copy(
        update={"sets_per_province": 1, "exhibition_days": 120, "trip_days": 2}
    )
    r = solve_scenario(sc.model_copy(update={"tours": tight}))
    stages = set(r.unmet["stage"])
    assert {"pairing", "museum", "caravan"} <= stages
    s = r.unmet_summary
    assert int(s["unmet_needs"].sum()) == len(r.unmet)
    for stage, kind in (("museum", "museum_visit"), ("caravan", "caravan_stop")):
        rows = r.unmet[r.unmet["stage"] == stage]
        mine = s[s["kind"] == kind]
        assert dict(zip(mine["adcode"], mine["unmet_needs"], strict=True)) == (
            rows.groupby("adcode").size().to_dict()
        )
        assert mine["needs_total"].isna().all() and mine["fix"].str.contains("这 ").all()
    assert not s.duplicated(["adcode", "kind"]).any()


def test_pair_command_writes_a_run_folder(tmp_path: Path, mini_data_dir: Path) -> None:
    """``geomatch pair`` alone writes the pairing's tables in the contract."""
    from geomatch.cli.main import main

    assert main(["-q", "pair", "--scenario", str(MINI_TOML), "--out", str(tmp_path / "p")]) == 0
    r = read_run(tmp_path / "p")
    assert r.present == {"pairings", "unmet", "unmet_summary"}
    assert r.pairings["need_id"].is_unique
    assert set(r.pairings["need_id"]).isdisjoint(r.unmet["need_id"])
    assert int(r.unmet_summary["unmet_needs"].sum()) == len(r.unmet)
    assert (r.unmet["stage"] == "pairing").all()
    for name in r.present:  # the same contract as a full run's folder
        head = (tmp_path / "p" / f"{name}.csv").read_text(encoding="utf-8-sig").split("\n")[0]
        assert head.split(",") == list(run_table(name).columns), name
