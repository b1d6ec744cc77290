"""The cycle's commands end to end through :func:`geomatch.cli.main.main`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geomatch.cli.main import main


def run_cli(argv: list[object]) -> int:
    """``geomatch`` with these arguments (paths as text); the exit code."""
    return main([str(a) for a in argv])


def test_quotas_command_writes_exact_total(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    scores.write_text("unit,score\n520000,80\n530000,60\n510000,55.5\n630000,0\n", encoding="utf-8")
    out = tmp_path / "quotas.csv"
    argv: list[object] = [
        "quotas",
        "--scores",
        scores,
        "--total",
        "12",
        "--floor",
        "1",
        "--cap",
        "5",
    ]
    assert run_cli([*argv, "--out", out, "--method", "sainte-lague"]) == 0
    df = pd.read_csv(out, encoding="utf-8-sig", dtype={"unit": str})
    assert list(df.columns[:3]) == ["unit", "score", "quota"]
    assert df["quota"].sum() == 12 and df["quota"].between(1, 5).all()


def test_quotas_command_exit_codes(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    scores.write_text("unit,score\na,1\nb,x\na,2\n", encoding="utf-8")
    assert run_cli(["quotas", "--scores", scores, "--total", "3", "--out", tmp_path / "q.csv"]) == 2
    scores.write_text("unit,score\na,1\nb,2\n", encoding="utf-8")
    argv: list[object] = ["quotas", "--scores", scores, "--total", "3", "--floor", "2"]
    assert run_cli([*argv, "--out", tmp_path / "q.csv"]) == 3
    assert not (tmp_path / "q.csv").exists()


def test_commend_on_synthetic_candidates_of_the_embedded_scenario(tmp_path: Path) -> None:
    cands = tmp_path / "cands.csv"
    assert run_cli(["commend-candidates", "--out", cands, "--seed", "7"]) == 0
    from geomatch.cycle.rules import load_rules
    from geomatch.cycle.synth import synthetic_candidates
    from geomatch.dataset import load_dataset

    again = synthetic_candidates(load_dataset(), load_rules().key_provinces, seed=7)
    first = pd.read_csv(cands, dtype=str, keep_default_na=False)
    assert first["candidate_id"].tolist() == again["candidate_id"].tolist()
    assert first["name"].tolist() == again["name"].tolist()  # same seed, same file
    out = tmp_path / "out"
    assert run_cli(["commend", "--candidates", cands, "--out", out]) == 0
    rec = pd.read_csv(out / "recommended.csv", encoding="utf-8-sig", dtype=str)
    chosen = rec[rec["stage"] == "national"]
    assert (chosen["kind"] == "team").sum() == 20 and (chosen["kind"] == "individual").sum() == 50
    assert (out / "附件1_先进团队推荐表.xlsx").is_file()
    windows = tmp_path / "windows.csv"
    windows.write_text("unit,publicity_start,publicity_end\n520000,2020-08-10,2020-08-15\n")
    code = run_cli(
        ["commend", "--candidates", cands, "--windows", windows, "--out", tmp_path / "x"]
    )
    assert code == 2 and not (tmp_path / "x").exists()


def test_spotcheck_command(tmp_path: Path) -> None:
    out = tmp_path / "spot"
    argv: list[object] = [
        "spotcheck",
        "--year",
        "2020",
        "--provinces",
        "3",
        "--counties-per-province",
        "2",
    ]
    assert run_cli([*argv, "--seed", "5", "--out", out]) == 0
    sample = pd.read_csv(out / "sample.csv", encoding="utf-8-sig", dtype={"adcode": str})
    counties = sample[sample["level"] == "county"]
    assert len(counties) == 6 and (counties["pi"] > 0).all()
    plan = pd.read_csv(out / "itinerary.csv", encoding="utf-8-sig", dtype={"adcode": str})
    assert set(plan["adcode"].dropna()) == set(counties["adcode"])
    assert plan["arrive"].max() <= "2020-08-31"


def test_evaluate_command_from_files_then_quotas(tmp_path: Path) -> None:
    from tests.cycle.test_evaluate import _folder

    folder = _folder(tmp_path)
    out = tmp_path / "eval"
    assert run_cli(["evaluate", "--year", "2020", "--records", folder, "--run", folder / "run",
                 "--out", out]) == 0  # fmt: skip
    scores = pd.read_csv(out / "unit_scores.csv", encoding="utf-8-sig", dtype={"unit": str})
    assert list(scores.columns[:6]) == ["unit", "unit_name", "unit_type", "score", "rank", "grade"]
    grades = pd.read_csv(out / "agreement_grades.csv", encoding="utf-8-sig")
    assert set(grades["grade"]) <= {"优秀", "良好", "合格", "不合格"}
    q = tmp_path / "quotas.csv"
    argv: list[object] = [
        "quotas",
        "--scores",
        out / "unit_scores.csv",
        "--total",
        "9",
        "--floor",
        "1",
    ]
    assert run_cli([*argv, "--out", q]) == 0
    assert pd.read_csv(q, encoding="utf-8-sig")["quota"].sum() == 9


MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_data"


def test_records_in_the_service_database_then_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README steps 0–1 on the mini dataset: synthetic records into the service database,
    then the evaluation from it with the run's kpi.csv."""
    monkeypatch.setenv("GEOMATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'g.db'}")
    monkeypatch.setenv("GEOMATCH_SERVICE_HOME", str(tmp_path))
    monkeypatch.setenv("GEOMATCH_DATA_DIR", str(MINI))
    needs = pd.read_parquet(MINI / "scenario" / "needs.parquet").head(40)
    helpers = pd.read_parquet(MINI / "scenario" / "helpers.parquet")["helper_id"]
    run = tmp_path / "run"
    run.mkdir()
    pairings = needs[["need_id", "kind", "adcode"]].assign(
        helper_id=[helpers.iloc[i % len(helpers)] for i in range(len(needs))]
    )
    pairings.to_csv(run / "pairings.csv", index=False)
    from tests.cycle.test_evaluate import KPI

    (run / "kpi.csv").write_text(KPI, encoding="utf-8")
    argv: list[object] = ["evaluate-demo-records", "--year", "2020", "--run", run, "--data", MINI]
    assert run_cli(argv) == 0
    assert run_cli(argv) == 2  # a second synthetic 2020 is refused
    out = tmp_path / "eval"
    argv = ["evaluate", "--year", "2020", "--run", run, "--data", MINI, "--out", out]
    assert run_cli(argv) == 0
    scores = pd.read_csv(out / "unit_scores.csv", encoding="utf-8-sig", dtype={"unit": str})
    assert "520000" in set(scores["unit"])
    grades = pd.read_csv(out / "agreement_grades.csv", encoding="utf-8-sig")
    assert len(grades) == 40


def test_commend_infeasible_exits_3_naming_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.csv"
    rows = ["candidate_id,kind,unit,name,merit,registered,praised_since_2016,category,deep_poverty"]
    for i, unit in enumerate(["520000", "530000"]):
        rows += [
            f"T{i},team,{unit},t,90,是,是,种植,否",
            f"P{i},individual,{unit},p,80,是,是,养殖,是",
        ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert run_cli(["commend", "--candidates", path, "--out", tmp_path / "out"]) == 3
    assert "teams_total" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
