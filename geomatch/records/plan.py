"""The multi-year plan: year by year through the one pipeline, agreements carried over.

``geomatch plan --scenario national --years 2016-2020 --out DIR`` re-plans each year with
:func:`geomatch.pipeline.solve_scenario` on the year's needs, with the agreements in
force as locks and last year's pairs as ``previous`` (changing one costs the scenario's
``change_penalty``). The rules, in order:

1. **Poor list.** A county is on the poor list in year *Y* while ``exit_year ≥ Y`` (it
   leaves in the course of its exit year; the plan is made at the start of the year).
2. **New needs.** A need enters the plan in its *appearance year*: station needs in the
   first plan year (the programme starts with the county stations); every other need in
   ``first + crc32(need_id) mod span``, ``span = exit_year − first + 1`` (at least 1) —
   spread evenly and reproducibly over the years its county is poor, never after its exit.
3. **摘帽不摘帮扶.** A need of an exited county stays in the plan, at the consolidation
   priority :data:`CONSOLIDATION_PRIORITY` (the lowest class, ``support = consolidation``),
   while it has an agreement in force; it leaves when its agreements end.
4. **Agreements.** Every pair a year's plan makes that no agreement covers becomes an
   agreement from 1 January of that year to 31 December ``agreement_years − 1`` years
   later (default 3: a 2016 agreement runs to 2018). Agreements in force are locks.
5. **Transitions.** Per year and need: ``kept`` (same helper as last year), ``moved``
   (another helper), ``new`` (unpaired last year), ``ended`` (paired last year, not now;
   ``helper_id`` is last year's).

Output: ``DIR/<year>/`` run folders (their manifests name the locks), ``DIR/transitions.csv``,
``DIR/agreements.csv`` and ``DIR/ledger.csv`` (the planned "两数" targets per province and
national society and year, by :func:`geomatch.records.ledger.unit_figures`).

Maps (``geomatch plan --maps MAPS``, :func:`write_plan_maps`): each year's run folder drawn
by :func:`geomatch.render.maps.write_maps` into ``MAPS/<year>/`` and ``MAPS/index.html``, a
page with a year selector that switches the national and province maps between the years
and shows each year's transitions (:mod:`geomatch.render.years`).
"""

from __future__ import annotations

import contextlib
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from geomatch.errors import InputError
from geomatch.io.schema import Column, TableSchema

if TYPE_CHECKING:
    from geomatch.dataset import Dataset
    from geomatch.model.scenario import Scenario
    from geomatch.progress import ProgressCallback
from geomatch.records.agreements import KIND_DEFAULTS

__all__ = [
    "CONSOLIDATION_PRIORITY",
    "PlanResult",
    "YearPlan",
    "appearance_years",
    "parse_years",
    "read_transitions",
    "run_plan",
    "transitions",
    "write_plan_maps",
]

log = logging.getLogger(__name__)

#: Priority class of a need kept under 摘帽不摘帮扶 (the lowest of the vocabulary).
CONSOLIDATION_PRIORITY: Final = "ordinary"
TRANSITION_COLUMNS: Final = ("year", "need_id", "helper_id", "change")
AGREEMENT_COLUMNS: Final = (
    "need_id",
    "helper_id",
    "adcode",
    "need_kind",
    "start_year",
    "end_year",
)

#: ``transitions.csv`` as read back (:func:`read_transitions`).
TRANSITIONS_SCHEMA: Final = TableSchema(
    "transitions",
    (
        Column("year", "int", required=True, nullable=False, min=2000, max=2100),
        Column("need_id", required=True, nullable=False),
        Column("helper_id", required=True),
        Column(
            "change",
            required=True,
            nullable=False,
            choices=("kept", "new", "moved", "ended"),
            description="how the need's pair changed from last year",
        ),
    ),
)


@dataclass(frozen=True)
class YearPlan:
    """One year of the plan."""

    year: int
    pairings: pd.DataFrame
    n_needs: int
    n_consolidation: int
    n_locks: int
    run_dir: Path | None


@dataclass(frozen=True)
class PlanResult:
    """The whole plan."""

    years: tuple[YearPlan, ...]
    agreements: pd.DataFrame
    transitions: pd.DataFrame
    ledger: pd.DataFrame
    needs: pd.DataFrame = field(repr=False)


def parse_years(text: str) -> tuple[int, ...]:
    """``2016-2020`` → (2016, …, 2020); ``2018`` → (2018,)."""
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[-–]\s*(\d{4}))?\s*", text or "")
    if m is None:
        raise InputError(f"years {text!r}: expected FIRST-LAST such as 2016-2020", column="--years")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if not 2000 <= first <= last <= 2100 or last - first > 20:
        raise InputError(
            f"years {text!r}: expected 1–21 years between 2000 and 2100", column="--years"
        )
    return tuple(range(first, last + 1))


def _exit_years(needs: pd.DataFrame, counties: pd.DataFrame, last: int) -> np.ndarray:
    """Exit year of each need's county (``last`` where the county has none)."""
    exits = dict(zip(counties["adcode"].astype(str), counties["exit_year"], strict=True))
    codes = needs["adcode"].astype(str).str[:6]
    years = pd.to_numeric(codes.map(exits), errors="coerce").fillna(last)
    out: np.ndarray = years.to_numpy(dtype=int)
    return out


def appearance_years(needs: pd.DataFrame, exit_years: np.ndarray, first: int) -> np.ndarray:
    """Rule 2: the year each need enters the plan."""
    span = np.maximum(exit_years - first + 1, 1)
    salt = np.array([zlib.crc32(str(n).encode("utf-8")) for n in needs["need_id"]], dtype=np.int64)
    year = first + salt % span
    out: np.ndarray = np.where(needs["kind"].astype(str).to_numpy() == "station", first, year)
    return out


def _in_force(agreements: pd.DataFrame, year: int) -> pd.DataFrame:
    return agreements[(agreements["start_year"] <= year) & (agreements["end_year"] >= year)]


def _year_needs(
    needs: pd.DataFrame, exits: np.ndarray, appear: np.ndarray, agreements: pd.DataFrame, year: int
) -> pd.DataFrame:
    """Rules 1–3: the needs planned in ``year`` (with ``support`` poor | consolidation)."""
    on_list = (exits >= year) & (appear <= year)
    covered = needs["need_id"].isin(_in_force(agreements, year)["need_id"]).to_numpy()
    consolidation = ~(exits >= year) & covered
    out = needs[on_list | consolidation].copy()
    out["support"] = np.where(consolidation[on_list | consolidation], "consolidation", "poor")
    out.loc[out["support"] == "consolidation", "priority"] = CONSOLIDATION_PRIORITY
    return out.reset_index(drop=True)


def transitions(previous: pd.DataFrame, current: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rule 5: how each need's pair changed from last year to ``year``."""
    prev = dict(
        zip(previous["need_id"].astype(str), previous["helper_id"].astype(str), strict=True)
    )
    cur = dict(zip(current["need_id"].astype(str), current["helper_id"].astype(str), strict=True))
    rows = []
    for nid, hid in cur.items():
        change = "new" if nid not in prev else "kept" if prev[nid] == hid else "moved"
        rows.append((year, nid, hid, change))
    rows += [(year, nid, hid, "ended") for nid, hid in prev.items() if nid not in cur]
    return pd.DataFrame(sorted(rows, key=lambda r: r[1]), columns=list(TRANSITION_COLUMNS))


def _new_agreements(
    pairings: pd.DataFrame, agreements: pd.DataFrame, year: int, length: int
) -> pd.DataFrame:
    """Rule 4: agreements for the pairs of ``year`` that none in force covers."""
    force = _in_force(agreements, year)
    have = set(zip(force["need_id"], force["helper_id"], strict=True))
    fresh = pairings[
        [
            (n, h) not in have
            for n, h in zip(pairings["need_id"], pairings["helper_id"], strict=True)
        ]
    ]
    return pd.DataFrame(
        {
            "need_id": fresh["need_id"].astype(str),
            "helper_id": fresh["helper_id"].astype(str),
            "adcode": fresh["adcode"].astype(str),
            "need_kind": fresh["kind"].astype(str),
            "start_year": year,
            "end_year": year + length - 1,
        },
        columns=list(AGREEMENT_COLUMNS),
    )


def _plan_ledger(
    agreements: pd.DataFrame, helpers: pd.DataFrame, names: dict[str, str], years: tuple[int, ...]
) -> pd.DataFrame:
    from geomatch.records.ledger import unit_figures

    info = helpers.set_index(helpers["helper_id"].astype(str))
    parts = []
    for year in years:
        force = _in_force(agreements, year)
        kinds = force["need_kind"].map(lambda k: KIND_DEFAULTS.get(k, KIND_DEFAULTS["training"]))
        frame = pd.DataFrame(
            {
                "helper_id": force["helper_id"],
                "helper_name": force["helper_id"].map(info["name"]).fillna(""),
                "helper_kind": force["helper_id"].map(info["kind"]).fillna(""),
                "need_province": force["adcode"].str[:2] + "0000",
                "helper_province": force["helper_id"]
                .map(info["province_adcode"])
                .fillna("")
                .astype(str),
                "associations_target": [k.associations for k in kinds],
                "households_target": [k.households for k in kinds],
                "visits_per_year": [k.visits_per_year for k in kinds],
                "associations": 0,
                "visits": 0,
                "households": 0,
            }
        )
        rows = unit_figures(frame, names, year)
        parts.append(
            rows.drop(columns=["associations_achieved", "experts_mobilised", "people_lifted"])
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@contextlib.contextmanager
def _no_dir() -> Iterator[None]:
    yield None


@dataclass
class _State:
    """What one year hands to the next."""

    agreements: pd.DataFrame
    previous: pd.DataFrame
    transitions: list[pd.DataFrame] = field(default_factory=list)
    years: list[YearPlan] = field(default_factory=list)


def _pairs(frame: pd.DataFrame, keep: pd.Series) -> pd.DataFrame | None:
    """``need_id, helper_id`` of the rows of needs still planned (``None`` when empty)."""
    out = frame.loc[frame["need_id"].isin(keep), ["need_id", "helper_id"]].reset_index(drop=True)
    return out if len(out) else None


def _plan_year(year: int, needs: pd.DataFrame, state: _State, ctx: _Context) -> None:
    from geomatch.pipeline import solve_scenario
    from geomatch.run_result import write_run

    locks = _pairs(_in_force(state.agreements, year), needs["need_id"])
    previous = _pairs(state.previous, needs["need_id"])
    result = solve_scenario(
        ctx.scenario,
        dataset=ctx.dataset.with_units(needs=needs),
        locks=locks,
        previous=previous,
        command=f"geomatch plan {year}",
        locks_source=f"agreements in force in {year} (multi-year plan, 摘帽不摘帮扶)",
    )
    n_cons = int((needs["support"] == "consolidation").sum())
    result = result.with_manifest(
        {
            **result.manifest,
            "plan": {
                "year": year,
                "needs": len(needs),
                "consolidation_needs": n_cons,
                "locks": 0 if locks is None else len(locks),
                "locks_rule": "agreements in force this year are kept (摘帽不摘帮扶)",
            },
        }
    )
    run_dir = None
    if ctx.stage is not None and ctx.out is not None:
        write_run(result, ctx.stage / str(year))
        run_dir = ctx.out / str(year)
    pairings = result.pairings
    fresh = _new_agreements(pairings, state.agreements, year, ctx.agreement_years)
    state.agreements = pd.concat([state.agreements, fresh], ignore_index=True)
    state.transitions.append(transitions(state.previous, pairings, year))
    state.previous = pairings[["need_id", "helper_id"]].astype(str)
    state.years.append(
        YearPlan(year, pairings, len(needs), n_cons, 0 if locks is None else len(locks), run_dir)
    )
    log.info(
        "plan %d: %d needs (%d consolidation), %d locks, %d pairs, %d new agreements",
        year,
        len(needs),
        n_cons,
        0 if locks is None else len(locks),
        len(pairings),
        len(fresh),
    )


@dataclass(frozen=True)
class _Context:
    scenario: Scenario
    dataset: Dataset
    stage: Path | None
    out: Path | None
    agreement_years: int


def run_plan(
    scenario: str | Path,
    years: tuple[int, ...],
    out: str | Path | None = None,
    *,
    agreement_years: int = 3,
) -> PlanResult:
    """Plan ``years`` one after the other (rules in the module docstring).

    Parameters
    ----------
    scenario
        Scenario name or TOML path.
    years
        Consecutive years, e.g. :func:`parse_years` ``("2016-2020")``.
    out
        Folder for ``<year>/`` run folders and the plan's tables; ``None`` writes nothing.
    agreement_years
        Length of a new agreement, years (≥ 1).
    """
    from geomatch.dataset import load_dataset
    from geomatch.io.output import atomic_output_dir, write_csv
    from geomatch.model.scenario import load_scenario

    if agreement_years < 1:
        raise InputError("agreements last at least one year", column="--agreement-years")
    sc = load_scenario(scenario)
    base = load_dataset(root=sc.data_root)
    needs = pd.DataFrame(base.needs)
    exits = _exit_years(needs, pd.DataFrame(base.poor_counties), years[-1])
    appear = appearance_years(needs, exits, years[0])
    state = _State(
        pd.DataFrame(columns=list(AGREEMENT_COLUMNS)).astype({"start_year": int, "end_year": int}),
        pd.DataFrame(columns=["need_id", "helper_id"]),
    )
    with atomic_output_dir(out) if out is not None else _no_dir() as stage:
        ctx = _Context(sc, base, stage, None if out is None else Path(out), agreement_years)
        for year in years:
            _plan_year(year, _year_needs(needs, exits, appear, state.agreements, year), state, ctx)
        names = dict(zip(base.provinces["adcode"].astype(str), base.provinces["name"], strict=True))
        ledger = _plan_ledger(state.agreements, pd.DataFrame(base.helpers), names, years)
        moves = pd.concat(state.transitions, ignore_index=True)
        if stage is not None:
            write_csv(moves, stage / "transitions.csv")
            write_csv(state.agreements, stage / "agreements.csv")
            write_csv(ledger, stage / "ledger.csv")
    return PlanResult(tuple(state.years), state.agreements, moves, ledger, needs)


def read_transitions(path: str | Path) -> pd.DataFrame:
    """Read and check a plan's ``transitions.csv`` (:data:`TRANSITIONS_SCHEMA`).

    Raises
    ------
    InputError
        Missing file, a missing column or a bad value (file, row and column named).
    """
    from geomatch.io.schema import validate_table
    from geomatch.io.tables import read_table

    return validate_table(read_table(path), TRANSITIONS_SCHEMA, file=path)


def write_plan_maps(
    plan_dir: str | Path,
    maps_dir: str | Path,
    *,
    tiles: str | None = None,
    progress: ProgressCallback | None = None,
) -> list[Path]:
    """Draw a written plan's maps: every year's, and the page with the year selector.

    Parameters
    ----------
    plan_dir
        The plan's ``--out`` folder (``<year>/`` run folders and ``transitions.csv``).
    maps_dir
        Output folder (all-or-nothing): ``index.html`` (year selector) and ``<year>/``.
    tiles
        Optional tile URL template; by default the maps use no tile server.
    progress
        ``(fraction, message)`` callback.

    Returns
    -------
    list of pathlib.Path
        As :func:`geomatch.render.years.write_year_maps`.

    Raises
    ------
    InputError
        ``transitions.csv`` is missing or malformed, or a year of it has no run folder.
    """
    from geomatch.render.run import load_run_dataset
    from geomatch.render.years import write_year_maps
    from geomatch.run_result import read_run

    plan_dir = Path(plan_dir)
    moves = read_transitions(plan_dir / "transitions.csv")
    runs = {
        int(d.name): d
        for d in sorted(plan_dir.iterdir())
        if re.fullmatch(r"\d{4}", d.name) and (d / "manifest.json").is_file()
    }
    if not runs:
        raise InputError(f"no <year>/ run folder in {plan_dir}", file=plan_dir)
    dataset = load_run_dataset(read_run(runs[min(runs)]))
    return write_year_maps(runs, moves, Path(maps_dir), dataset, tiles=tiles, progress=progress)
