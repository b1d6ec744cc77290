"""Evaluation: agreement indicators checked by hand, the ind_ columns summing to the
score, ranks and grades by the thresholds, from files and from the service database."""

# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from geomatch.cycle.evaluate import evaluate, grade_of, load_indicators
from geomatch.cycle.records_source import inputs_from_files, read_kpi
from geomatch.errors import InputError

IND = load_indicators()
AGREEMENTS = """agreement_id,helper_id,helper_kind,need_adcode,need_province,helper_province,start_date,end_date,status,associations_target,people_trained_target,households_target,visits_per_year
1,E1,expert,522631,520000,330000,2020-01-01,2020-12-31,active,1,60,30,4
2,E2,expert,522632,520000,330000,2020-07-01,2021-06-30,active,0,100,20,2
3,S1,society,540102,540000,110000,2020-01-01,2020-12-31,active,1,120,60,3
4,E3,expert,620102,620000,440000,2020-01-01,2020-12-31,proposed,1,60,30,4
"""
REPORTS = """agreement_id,period,service_days,visits,people_trained,associations_supported,households_helped,reported_on
1,2020Q1,5,1,10,1,10,2020-04-05
1,2020Q2,5,1,10,0,10,2020-05-30
1,2020Q3,5,1,10,0,10,2020-10-01
2,2020Q3,3,1,50,0,10,
3,2020Q4,20,3,120,1,60,2021-01-02
"""
LEDGER = """unit_type,unit,unit_name,year,associations_target,associations_achieved,experts_target,experts_mobilised,people_target,people_lifted
province,520000,贵州省,2020,1,1,2,2,150,90
province,330000,浙江省,2020,1,1,2,2,150,90
province,540000,西藏自治区,2020,1,1,3,3,180,180
province,110000,北京市,2020,1,1,3,3,180,180
society,S1,中国农学会,2020,1,1,3,3,180,180
"""
KPI = """scope,province_adcode,province,station_met,station_missing,caravan_met,caravan_missing,museum2_met,museum2_missing
province,520000,贵州省,8,2,10,0,5,5
province,540000,西藏自治区,1,3,4,0,0,4
national,,全国,9,5,14,0,5,9
"""


def _folder(tmp_path: Path) -> Path:
    for name, text in (("agreements", AGREEMENTS), ("reports", REPORTS), ("ledger", LEDGER)):
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    run = tmp_path / "run"
    run.mkdir()
    (run / "kpi.csv").write_text(KPI, encoding="utf-8")
    return tmp_path


def test_agreement_indicators_by_hand(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    inp = inputs_from_files(
        folder, 2020, kpi=read_kpi(folder / "run"), deep_counties=frozenset({"540102"})
    )
    ev = evaluate(inp, IND)
    g = ev.agreements.set_index("agreement_id")
    assert "4" not in g.index  # proposed: not in force
    # agreement 1: targets 1/60/30 → reported 1/30/30 → (1 + 0.5 + 1) / 3
    assert g.at["1", "targets_met"] == pytest.approx(2.5 / 3)
    # four quarters due; Q1 on time (5 Apr), Q2 on time (early), Q3 1 Oct ≤ 15 Oct; Q4 missing
    assert g.at["1", "reports_on_time"] == pytest.approx(3 / 4)
    # 4 visits × 5 days expected, 15 reported
    assert g.at["1", "service_days"] == pytest.approx(15 / 20)
    points = 50 * 2.5 / 3 + 25 * 0.75 + 25 * 0.75
    assert g.at["1", "points"] == pytest.approx(round(points, 2))
    assert g.at["1", "grade"] == grade_of(points, IND.agreement_grades) == "良好"
    # agreement 2 runs from July: Q3 and Q4 due, Q3 reported (no date → on time)
    assert g.at["2", "quarters_due"] == 2 and g.at["2", "reports_on_time"] == 0.5
    # agreement 3: Q4 report on 2 Jan is on time (grace 15 days); Q1–Q3 missing
    assert g.at["3", "reports_on_time"] == 0.25


def test_unit_scores_sum_and_rank(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    ev = evaluate(inputs_from_files(folder, 2020, kpi=read_kpi(folder / "run")), IND)
    u = ev.units
    ind_cols = [c for c in u.columns if c.startswith("ind_")]
    assert ind_cols == [f"ind_{n}" for n in IND.unit_weights]
    cents = (u[ind_cols] * 100).round().astype(int).sum(axis=1)
    assert (cents == (u["score"] * 100).round().astype(int)).all()
    assert (u["score"].between(0, 100)).all()
    assert list(u["rank"]) == sorted(u["rank"]) and u["rank"].iloc[0] == 1
    for score, grade in zip(u["score"], u["grade"], strict=True):
        assert grade == grade_of(score, IND.unit_grades)
    raw = ev.indicators.set_index("unit")
    # coverage of 贵州: mean(8/10, 10/10, 5/10)
    assert raw.at["520000", "coverage"] == pytest.approx((0.8 + 1 + 0.5) / 3)
    # 浙江 has no kpi row: it takes the mean of the provinces that have one
    assert raw.at["330000", "coverage_imputed"]
    assert raw.at["330000", "coverage"] == pytest.approx(
        (raw.at["520000", "coverage"] + raw.at["540000", "coverage"]) / 2
    )
    # 两数 of 贵州: (1 + 1 + 90/150) / 3
    assert raw.at["520000", "liangshu"] == pytest.approx((2 + 0.6) / 3)
    # society S1 is scored on its own agreement (3)
    assert raw.at["S1", "agreements"] == 1


def test_bad_records_are_listed(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "agreements.csv").write_text(
        AGREEMENTS.replace("2020-07-01", "July").replace("60,30,4\n2,", "60,30,x\n2,"),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        inputs_from_files(folder, 2020)
    assert "row 3, column 'start_date'" in str(info.value)
    assert "row 2, column 'visits_per_year'" in str(info.value)


def test_weights_must_sum_to_100(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "solvers" / "evaluation.toml").read_text(encoding="utf-8")
    bad = tmp_path / "e.toml"
    bad.write_text(text.replace("deep_poverty = 10 }", "deep_poverty = 11 }"), encoding="utf-8")
    with pytest.raises(InputError, match="sum to 100"):
        load_indicators(bad)


def test_from_the_service_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from geomatch.cycle.records_source import inputs_from_db
    from geomatch.cycle.synth_records import synthesise_year
    from geomatch.service.app import prepare_database
    from geomatch.service.config import ServiceSettings
    from geomatch.service.db import session_scope

    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path / 'g.db'}", load_dataset=False)
    factory = prepare_database(settings)
    pairings = pd.DataFrame(
        {"need_id": ["ST-522631-crop", "ST-522632-crop", "TI-1"],
         "helper_id": ["E1", "E2", "O1"], "kind": ["station", "station", "township_industry"],
         "adcode": ["522631", "522632", "540102"]}
    )  # fmt: skip
    helpers = pd.DataFrame(
        {"helper_id": ["E1", "E2", "O1"], "province_adcode": ["330000", "330000", "110000"],
         "kind": ["expert", "expert", "society"], "name": ["a", "b", "中国农学会"]}
    )  # fmt: skip
    with session_scope(factory) as session:
        made = synthesise_year(session, pairings, helpers, 2020, seed=1)
    assert made.agreements == 3
    with session_scope(factory) as session, pytest.raises(InputError, match="already"):
        synthesise_year(session, pairings, helpers, 2020, seed=1)
    with factory() as session:
        inp = inputs_from_db(session, 2020, deep_counties=frozenset({"540102"}))
    assert len(inp.agreements) == 3 and len(inp.reports) == made.reports
    assert all(isinstance(d, dt.date) for d in inp.reports["reported_on"])
    ev = evaluate(inp, IND)
    assert set(ev.units["unit"]) >= {"520000", "330000", "540000", "110000", "O1"}
    cents = (ev.units.filter(like="ind_") * 100).round().astype(int).sum(axis=1)
    assert (cents == (ev.units["score"] * 100).round().astype(int)).all()


def test_without_a_run_coverage_is_left_out_and_weights_rescaled(tmp_path: Path) -> None:
    ev = evaluate(inputs_from_files(_folder(tmp_path), 2020), IND)
    assert ev.weights["coverage"] == 0 and sum(ev.weights.values()) == pytest.approx(100)
    assert (ev.units["ind_coverage"] == 0).all()
    share = IND.unit_weights["liangshu"] * 100 / (100 - IND.unit_weights["coverage"])
    assert ev.weights["liangshu"] == pytest.approx(share)


def test_a_societys_working_groups_form_one_unit(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    text = AGREEMENTS.replace(",visits_per_year\n", ",visits_per_year,society\n")
    text = "\n".join(
        line + ("" if i == 0 else ",中国农学会" if ",society," in line else ",")
        for i, line in enumerate(text.strip().split("\n"))
    )
    text += (
        "\n5,S2,society,540102,540000,120000,2020-01-01,2020-12-31,active,1,120,60,3,中国农学会\n"
    )
    (folder / "agreements.csv").write_text(text, encoding="utf-8")
    ledger = LEDGER + "society,S2,中国农学会天津,2020,1,0,3,1,180,0\n"
    (folder / "ledger.csv").write_text(ledger, encoding="utf-8")
    ev = evaluate(inputs_from_files(folder, 2020), IND)
    raw = ev.indicators.set_index("unit")
    assert "中国农学会" in raw.index and "S1" not in raw.index and "S2" not in raw.index
    assert raw.at["中国农学会", "agreements"] == 2
    # summed ledger: associations 1/2, experts 4/6, people 180/360
    assert raw.at["中国农学会", "liangshu"] == pytest.approx((0.5 + 4 / 6 + 0.5) / 3)
