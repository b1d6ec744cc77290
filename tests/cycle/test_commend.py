"""Commendation: the national stage against HiGHS (scipy.optimize.milp), the binding
rule of an infeasible selection, re-selection after objections, the unit stage, the
publicity windows by date arithmetic, and the filled forms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy.optimize import Bounds, LinearConstraint, milp

from geomatch.cycle.candidates import read_candidates
from geomatch.cycle.commend import (
    Window,
    default_window,
    run_commendation,
    unit_stage,
    window_violations,
    write_commendation,
)
from geomatch.cycle.national import NationalProblem, reselect, select
from geomatch.cycle.rules import CommendRules, load_rules
from geomatch.errors import InfeasibleError, InputError

RULES = load_rules()
CATS = RULES.categories


def _small_rules(**kw: object) -> CommendRules:
    base: dict[str, object] = {
        "teams_total": 4,
        "individuals_total": 8,
        "deep_poverty_individuals_min": 3,
    }
    base.update(kw)
    return dataclasses.replace(RULES, **base)  # type: ignore[arg-type]


def _problem(rng: random.Random, n_units: int = 8) -> NationalProblem:
    ids: list[str] = []
    kinds: list[str] = []
    units: list[str] = []
    cats: list[str] = []
    deep: list[bool] = []
    merit: list[int] = []
    for u in range(n_units):
        for kind, n in (("team", rng.randint(1, 2)), ("individual", rng.randint(1, 4))):
            for _ in range(n):
                ids.append(f"c{len(ids)}")
                kinds.append(kind)
                units.append(f"u{u}")
                cats.append(rng.choice(CATS))
                deep.append(rng.random() < 0.4)
                merit.append(rng.randint(100, 999))
    return NationalProblem(
        tuple(ids), tuple(kinds), tuple(units), tuple(cats), tuple(deep), tuple(merit)
    )


def _milp_rows(p: NationalProblem, r: CommendRules) -> list[LinearConstraint]:
    n = len(p)
    rows: list[tuple[np.ndarray, float, float]] = []

    def row(mask: list[bool], lo: float, hi: float) -> None:
        rows.append((np.array(mask, dtype=float), lo, hi))

    row([k == "team" for k in p.kinds], r.teams_total, r.teams_total)
    row([k == "individual" for k in p.kinds], r.individuals_total, r.individuals_total)
    for u in set(p.units):
        row(
            [k == "team" and v == u for k, v in zip(p.kinds, p.units, strict=False)],
            0,
            r.max_teams_per_unit,
        )
        row(
            [k == "individual" and v == u for k, v in zip(p.kinds, p.units, strict=False)],
            0,
            r.max_individuals_per_unit,
        )
    for c in r.categories:
        for kind in ("team", "individual"):
            row([k == kind and x == c for k, x in zip(p.kinds, p.categories, strict=False)], 1, n)
    row(
        [k == "individual" and d for k, d in zip(p.kinds, p.deep, strict=False)],
        r.deep_poverty_individuals_min,
        n,
    )
    return [LinearConstraint(a.reshape(1, -1), lo, hi) for a, lo, hi in rows]


def _milp(p: NationalProblem, r: CommendRules, c: np.ndarray) -> float | None:
    res = milp(-c, constraints=_milp_rows(p, r), integrality=np.ones(len(p)), bounds=Bounds(0, 1))
    return None if res.status != 0 else float(-res.fun)


@pytest.mark.parametrize("seed", range(25))
def test_national_stage_matches_highs(seed: int) -> None:
    p = _problem(random.Random(seed))
    r = _small_rules()
    best = _milp(p, r, np.array(p.merit, dtype=float))
    if best is None:
        with pytest.raises(InfeasibleError):
            select(p, r)
        return
    sel = select(p, r)
    assert sel.merit == round(best)
    assert sum(m for i, m in zip(p.ids, p.merit, strict=False) if i in sel.selected) == sel.merit


@pytest.mark.parametrize("seed", range(15))
def test_reselect_is_lexicographic_fewest_changes_then_merit(seed: int) -> None:
    rng = random.Random(100 + seed)
    p = _problem(rng, n_units=10)
    r = _small_rules()
    try:
        first = select(p, r)
    except InfeasibleError:
        return
    withdrawn = set(rng.sample(sorted(first.selected), 2))
    keep = [i for i, c in enumerate(p.ids) if c not in withdrawn]
    q = NationalProblem(
        *(tuple(getattr(p, f.name)[i] for i in keep) for f in dataclasses.fields(p))
    )
    big = sum(q.merit) + 1
    weights = np.array(
        [m + (big if c in first.selected else 0) for c, m in zip(q.ids, q.merit, strict=False)],
        dtype=float,
    )
    best = _milp(q, r, weights)
    if best is None:
        with pytest.raises(InfeasibleError):
            reselect(q, r, first.selected)
        return
    again = reselect(q, r, first.selected)
    kept = len(again.selected & first.selected)
    assert kept * big + again.merit == round(best)
    assert again.changes == len(first.selected - again.selected)
    assert not again.selected & withdrawn


def test_infeasible_names_the_binding_rule() -> None:
    p = _problem(random.Random(3))
    few_deep = dataclasses.replace(p, deep=tuple(False for _ in p.deep))
    with pytest.raises(InfeasibleError, match="deep_poverty") as info:
        select(few_deep, _small_rules())
    assert info.value.constraint == "deep_poverty" and info.value.exit_code == 3
    with pytest.raises(InfeasibleError, match="teams_total"):
        select(p, _small_rules(teams_total=p.kinds.count("team") + 1, max_teams_per_unit=5))


def _cands(rng: random.Random) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    units = [*sorted(RULES.key_provinces)[:6], "110000", "中国农学会"]
    for u in units:
        for kind in ("team", "individual"):
            for _ in range(rng.randint(0, 5)):
                rows.append(
                    {
                        "candidate_id": f"C{len(rows):03d}",
                        "kind": kind,
                        "unit": u,
                        "name": f"n{len(rows)}",
                        "merit": rng.randint(50, 100),
                        "registered": rng.random() < 0.8,
                        "praised_since_2016": rng.random() < 0.8,
                        "category": rng.choice(CATS),
                        "deep_poverty": rng.random() < 0.5,
                    }
                )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(10))
def test_unit_stage_takes_the_best_eligible_up_to_the_maximum(seed: int) -> None:
    df = _cands(random.Random(seed))
    rec = unit_stage(df, RULES).recommended
    assert (rec["registered"] & rec["praised_since_2016"]).all()
    for (unit, kind), group in df.groupby(["unit", "kind"]):
        hi = (3 if kind == "individual" else 2) if unit in RULES.key_provinces else 1
        ok = group[group["registered"] & group["praised_since_2016"]]
        got = rec[(rec["unit"] == unit) & (rec["kind"] == kind)]
        assert len(got) == min(hi, len(ok))
        if len(got):
            assert got["merit"].min() >= ok["merit"].nlargest(len(got)).min()


def test_publicity_windows_by_date_arithmetic() -> None:
    w = default_window(RULES)
    assert w.end == dt.date(2020, 8, 15) and (w.end - w.start).days + 1 == 7
    assert window_violations(w, RULES) == []
    short = Window(dt.date(2020, 8, 10), dt.date(2020, 8, 15))  # 6 days
    assert any("publicity_days" in v for v in window_violations(short, RULES))
    late = Window(dt.date(2020, 8, 10), dt.date(2020, 8, 16))
    assert any("deadline" in v for v in window_violations(late, RULES))
    # across a month end: 2020-07-28 … 2020-08-03 is 7 days
    assert window_violations(Window(dt.date(2020, 7, 28), dt.date(2020, 8, 3)), RULES) == []


def _write_candidates(tmp_path: Path, n_units: int = 30) -> Path:
    rng = random.Random(7)
    rows: list[dict[str, object]] = []
    units = sorted(RULES.key_provinces)[:n_units]
    for u in units:
        for kind, n in (("team", 2), ("individual", 3)):
            for _ in range(n):
                rows.append(
                    {
                        "candidate_id": f"C{len(rows):03d}",
                        "kind": kind,
                        "unit": u,
                        "name": f"候选{len(rows)}",
                        "merit": rng.randint(60, 100),
                        "registered": "是",
                        "praised_since_2016": "true",
                        "category": CATS[len(rows) % 3],
                        "deep_poverty": rng.random() < 0.5,
                        "id_number": "620102198001011234",
                        "served_county": "某县",
                    }
                )
    path = tmp_path / "cands.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_objection_inside_window_withdraws_and_outside_is_refused(tmp_path: Path) -> None:
    cands = read_candidates(_write_candidates(tmp_path), CATS)
    first = run_commendation(cands, RULES)
    victim = sorted(first.final.selected)[0]
    obj = tmp_path / "obj.csv"
    obj.write_text(f"candidate_id,date\n{victim},2020-08-12\n", encoding="utf-8")
    res = run_commendation(cands, RULES, objections_file=obj)
    assert victim not in res.final.selected and victim in res.withdrawn
    assert res.final.changes == 1 and len(res.final.selected) == 70
    obj.write_text(f"candidate_id,date\n{victim},2020-08-01\n", encoding="utf-8")
    with pytest.raises(InputError, match="公示期内"):
        run_commendation(cands, RULES, objections_file=obj)


def test_forms_are_filled_and_ids_masked(tmp_path: Path) -> None:
    cands = read_candidates(_write_candidates(tmp_path), CATS)
    res = run_commendation(cands, RULES)
    for unmasked, where in ((False, tmp_path / "a"), (True, tmp_path / "b")):
        where.mkdir()
        write_commendation(res, where, unmasked=unmasked)
        wb = load_workbook(where / "附件2_先进个人推荐表.xlsx")
        assert len(wb.sheetnames) == 1 + 50
        values = [c.value for row in wb.worksheets[1].iter_rows() for c in row]
        assert ("620102198001011234" in values) is unmasked
        assert unmasked or "6201**********1234" in values
        assert len(load_workbook(where / "附件1_先进团队推荐表.xlsx").sheetnames) == 1 + 20
    rec = pd.read_csv(tmp_path / "a" / "recommended.csv", encoding="utf-8-sig", dtype=str)
    assert (rec["stage"] == "national").sum() == 70
    assert set(rec["publicity_end"]) == {"2020-08-15"}


def test_bad_candidates_list_every_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "candidate_id,kind,unit,name,merit,registered,praised_since_2016,category,deep_poverty\n"
        "C1,group,520000,a,x,yes,yes,种植,no\nC1,team,,b,5,maybe,yes,渔业,no\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_candidates(path, CATS)
    text = str(info.value)
    for needle in (
        "row 2, column 'kind'",
        "row 2, column 'merit'",
        "row 3, column 'candidate_id'",
        "row 3, column 'unit'",
        "row 3, column 'registered'",
        "row 3, column 'category'",
    ):
        assert needle in text


def test_key_provinces_are_the_provinces_with_poor_counties() -> None:
    from geomatch.dataset import load_dataset

    poor = set(load_dataset().poor_counties["province_adcode"].astype(str))
    assert RULES.key_provinces == poor and len(poor) == 22


@pytest.mark.parametrize("seed", range(30))
def test_unit_stage_within_quota_against_brute_force(seed: int) -> None:
    """Quota ≥ the minimums: as many as the quota and maxima allow, every kind at its
    minimum (or all it has), the highest total merit — checked over every subset."""
    import itertools

    rng = random.Random(seed)
    unit = sorted(RULES.key_provinces)[0]
    rows = [
        {"candidate_id": f"C{i}", "kind": rng.choice(["team", "individual"]), "unit": unit,
         "name": "", "merit": rng.randint(50, 99) + i / 100, "registered": True,
         "praised_since_2016": True, "category": "种植", "deep_poverty": False}
        for i in range(rng.randint(2, 8))
    ]  # fmt: skip
    df = pd.DataFrame(rows)
    avail = {k: int((df["kind"] == k).sum()) for k in ("team", "individual")}
    lows = {k: min(RULES.unit_range(unit, k)[0], avail[k]) for k in avail}
    quota = rng.randint(sum(lows.values()), 6)
    got = unit_stage(df, RULES, {unit: quota}).recommended

    def ok(sub: tuple[dict[str, object], ...]) -> bool:
        n = {k: sum(1 for r in sub if r["kind"] == k) for k in avail}
        return len(sub) <= quota and all(
            lows[k] <= n[k] <= RULES.unit_range(unit, k)[1] for k in avail
        )

    merit = {str(r["candidate_id"]): float(str(r["merit"])) for r in rows}
    subsets = [s for m in range(len(rows) + 1) for s in itertools.combinations(rows, m) if ok(s)]
    size = max(len(s) for s in subsets)
    best = max(sum(merit[str(r["candidate_id"])] for r in s) for s in subsets if len(s) == size)
    assert len(got) == size
    assert got["merit"].sum() == pytest.approx(best)


def test_unit_stage_quota_below_the_minimums_is_reported() -> None:
    unit = sorted(RULES.key_provinces)[0]
    rows = [
        {"candidate_id": f"C{i}", "kind": k, "unit": unit, "name": "", "merit": m,
         "registered": True, "praised_since_2016": True, "category": "种植", "deep_poverty": False}
        for i, (k, m) in enumerate(
            [("team", 90), ("individual", 95), ("individual", 70), ("team", 99)]
        )
    ]  # fmt: skip
    stage = unit_stage(pd.DataFrame(rows), RULES, {unit: 2})
    assert sorted(stage.recommended["candidate_id"]) == ["C1", "C3"]  # best of the minimums
    assert stage.shortfalls.to_dict("records") == [
        {"unit": unit, "kind": "individual", "minimum": 2, "recommended": 1}
    ]


def test_no_proof_within_the_limit_is_a_timeout_not_infeasible() -> None:
    from geomatch.errors import SolverTimeoutError

    p = _problem(random.Random(1))
    with pytest.raises(SolverTimeoutError) as info:
        select(p, _small_rules(time_limit_s=1e-9))
    assert info.value.exit_code == 4
