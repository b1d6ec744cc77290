"""The cycle's commands end to end through :func:`geomatch.cli.main.main`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geomatch.cli.main import main


def run(argv: list[object]) -> int:
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
    assert run([*argv, "--out", out, "--method", "sainte-lague"]) == 0
    df = pd.read_csv(out, encoding="utf-8-sig", dtype={"unit": str})
    assert list(df.columns[:3]) == ["unit", "score", "quota"]
    assert df["quota"].sum() == 12 and df["quota"].between(1, 5).all()


def test_quotas_command_exit_codes(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    scores.write_text("unit,score\na,1\nb,x\na,2\n", encoding="utf-8")
    assert run(["quotas", "--scores", scores, "--total", "3", "--out", tmp_path / "q.csv"]) == 2
    scores.write_text("unit,score\na,1\nb,2\n", encoding="utf-8")
    argv: list[object] = ["quotas", "--scores", scores, "--total", "3", "--floor", "2"]
    assert run([*argv, "--out", tmp_path / "q.csv"]) == 3
    assert not (tmp_path / "q.csv").exists()


def test_commend_on_synthetic_candidates_of_the_embedded_scenario(tmp_path: Path) -> None:
    cands = tmp_path / "cands.csv"
    assert run(["commend-candidates", "--out", cands, "--seed", "7"]) == 0
    again = tmp_path / "again.csv"
    assert run(["commend-candidates", "--out", again, "--seed", "7"]) == 0
    assert cands.read_bytes() == again.read_bytes()
    out = tmp_path / "out"
    assert run(["commend", "--candidates", cands, "--out", out]) == 0
    rec = pd.read_csv(out / "recommended.csv", encoding="utf-8-sig", dtype=str)
    chosen = rec[rec["stage"] == "national"]
    assert (chosen["kind"] == "team").sum() == 20 and (chosen["kind"] == "individual").sum() == 50
    assert (out / "附件1_先进团队推荐表.xlsx").is_file()
    windows = tmp_path / "windows.csv"
    windows.write_text("unit,publicity_start,publicity_end\n520000,2020-08-10,2020-08-15\n")
    code = run(["commend", "--candidates", cands, "--windows", windows, "--out", tmp_path / "x"])
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
    assert run([*argv, "--seed", "5", "--out", out]) == 0
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
    assert run(["evaluate", "--year", "2020", "--records", folder, "--run", folder / "run",
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
    assert run([*argv, "--out", q]) == 0
    assert pd.read_csv(q, encoding="utf-8-sig")["quota"].sum() == 9
