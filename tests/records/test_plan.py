"""The multi-year plan on the mini fixture: agreements are kept, exited counties keep support."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geomatch.records.plan import PlanResult, parse_years, run_plan
from tests.records.conftest import MINI, mini_scenario

YEARS = (2016, 2017, 2018, 2019, 2020)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[PlanResult, Path]:
    tmp = tmp_path_factory.mktemp("plan")
    return run_plan(mini_scenario(tmp), YEARS, tmp / "out", agreement_years=3), tmp / "out"


def _county(need_ids: pd.Series, needs: pd.DataFrame) -> pd.Series:
    return need_ids.map(dict(zip(needs["need_id"], needs["adcode"].str[:6], strict=True)))


def test_every_agreement_in_force_is_in_that_years_pairings(plan: tuple[PlanResult, Path]) -> None:
    result, _ = plan
    ag = result.agreements
    for yp in result.years:
        force = ag[(ag["start_year"] <= yp.year) & (ag["end_year"] >= yp.year)]
        pairs = set(zip(yp.pairings["need_id"], yp.pairings["helper_id"], strict=True))
        missing = [
            p for p in zip(force["need_id"], force["helper_id"], strict=True) if p not in pairs
        ]
        assert missing == [], f"{yp.year}: agreements not kept {missing[:3]}"
        assert yp.n_locks == int((force["start_year"] < yp.year).sum())  # earlier years' agreements
        assert yp.run_dir is not None and yp.run_dir.is_dir()


def test_exited_counties_keep_support_until_their_agreements_end(
    plan: tuple[PlanResult, Path],
) -> None:
    from geomatch.dataset import load_dataset

    result, _ = plan
    counties = load_dataset(MINI.parent / "mini_data").poor_counties
    exits = dict(zip(counties["adcode"], counties["exit_year"].astype(int), strict=True))
    ag = result.agreements.assign(county=lambda d: d["adcode"].str[:6])
    checked = 0
    for yp in result.years:
        paired = yp.pairings.assign(county=_county(yp.pairings["need_id"], result.needs))
        after_exit = paired[paired["county"].map(exits) < yp.year]
        force = ag[(ag["start_year"] <= yp.year) & (ag["end_year"] >= yp.year)]
        expected = force[force["county"].map(exits) < yp.year]
        # supported after exit exactly where an agreement is still in force
        assert set(after_exit["need_id"]) == set(expected["need_id"])
        checked += len(expected)
    assert checked > 0, "the fixture must have an exited county with agreements running on"
    last = result.years[-1]
    gone = [c for c, e in exits.items() if e < 2018]  # exited 2017 or earlier: agreements ended
    assert not _county(last.pairings["need_id"], result.needs).isin(gone).any()


def test_transitions_account_for_every_pair(plan: tuple[PlanResult, Path]) -> None:
    result, out = plan
    moves = pd.read_csv(out / "transitions.csv", encoding="utf-8-sig", dtype={"year": int})
    previous = 0
    for yp in result.years:
        year = moves[moves["year"] == yp.year]["change"].value_counts()
        assert year.get("new", 0) + year.get("kept", 0) + year.get("moved", 0) == len(yp.pairings)
        assert year.get("ended", 0) + year.get("kept", 0) + year.get("moved", 0) == previous
        previous = len(yp.pairings)
    assert set(moves["change"]) <= {"kept", "new", "moved", "ended"}
    assert all((out / str(y) / "pairings.csv").is_file() for y in YEARS)
    manifest = json.loads((out / "2017" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["locks"]["pairs"] == result.years[1].n_locks > 0
    ledger = pd.read_csv(out / "ledger.csv", encoding="utf-8-sig")
    assert set(ledger["year"]) == set(YEARS) and (ledger["associations_target"] >= 0).all()


def test_years_are_parsed_or_refused() -> None:
    from geomatch.errors import InputError

    assert parse_years("2016-2020") == YEARS and parse_years("2018") == (2018,)
    for bad in ("2020-2016", "20-30", "abc"):
        with pytest.raises(InputError):
            parse_years(bad)
