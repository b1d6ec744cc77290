"""Annual evaluation (评估考核): agreement grades and unit scores.

Indicators, weights and thresholds live in ``solvers/evaluation.toml`` (documented
there). Every indicator is a ratio in ``[0, 1]``; a weighted indicator contributes
``ind_<name> = weight × ratio`` points, rounded to 0.01, and the score is the sum of
those rounded contributions, so the ``ind_`` columns of ``unit_scores.csv`` add up to
``score`` exactly and every unit sees why it scored what it did.

The computation works on plain tables (:class:`EvaluationInputs`): the agreements in
force in the year, their quarterly reports, the "两数" ledger and the latest run's
``kpi.csv``. :mod:`geomatch.cycle.records_source` fills them from the service database
(the records of :mod:`geomatch.records`) or from CSV files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geomatch.errors import InputError

__all__ = [
    "AGREEMENT_INDICATORS",
    "UNIT_INDICATORS",
    "Evaluation",
    "EvaluationInputs",
    "Indicators",
    "effective_weights",
    "evaluate",
    "grade_agreements",
    "grade_of",
    "load_indicators",
    "score_units",
    "write_evaluation",
]

log = logging.getLogger(__name__)

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "solvers" / "evaluation.toml"
AGREEMENT_INDICATORS: Final = ("targets_met", "reports_on_time", "service_days")
UNIT_INDICATORS: Final = ("liangshu", "coverage", "agreement_grades", "timeliness", "deep_poverty")
IN_FORCE: Final = ("signed", "filed", "active", "completed")
#: A report counts as on time when stored at most this many days after its quarter.
GRACE_DAYS: Final = 15


@dataclass(frozen=True)
class Indicators:
    """The ``[agreement]`` and ``[unit]`` tables of ``solvers/evaluation.toml``."""

    agreement_weights: dict[str, float]
    agreement_grades: tuple[tuple[str, float], ...]
    days_per_visit: float
    unit_weights: dict[str, float]
    unit_grades: tuple[tuple[str, float], ...]
    deep_poverty_reference: float


def _grades(raw: object, file: Path, column: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, list) or not raw:
        raise InputError("expected [[grade, threshold], …]", file=file, column=column)
    out = tuple((str(g), float(t)) for g, t in raw)
    if [t for _, t in out] != sorted((t for _, t in out), reverse=True) or out[-1][1] != 0:
        raise InputError("thresholds must fall and end at 0", file=file, column=column)
    return out


def _weights(
    raw: dict[str, float], names: tuple[str, ...], file: Path, column: str
) -> dict[str, float]:
    unknown = sorted(set(raw) - set(names))
    if unknown or any(float(w) < 0 for w in raw.values()):
        raise InputError(
            f"weights must be ≥ 0 and name only {', '.join(names)} "
            f"(got {', '.join(unknown) or 'a negative weight'})",
            file=file,
            column=column,
        )
    total = sum(float(w) for w in raw.values())
    if abs(total - 100) > 1e-9:
        raise InputError(f"weights must sum to 100, got {total:g}", file=file, column=column)
    return {k: float(raw.get(k, 0.0)) for k in names}


def load_indicators(path: str | Path | None = None) -> Indicators:
    """Read the indicators file (default ``solvers/evaluation.toml``)."""
    file = Path(path) if path is not None else DEFAULT_FILE
    if not file.is_file():
        raise InputError("indicators file not found", file=file)
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
        agreement, unit = doc["agreement"], doc["unit"]
        return Indicators(
            agreement_weights=_weights(
                agreement["weights"], AGREEMENT_INDICATORS, file, "agreement.weights"
            ),
            agreement_grades=_grades(agreement["grades"], file, "agreement.grades"),
            days_per_visit=float(agreement["days_per_visit"]),
            unit_weights=_weights(unit["weights"], UNIT_INDICATORS, file, "unit.weights"),
            unit_grades=_grades(unit["grades"], file, "unit.grades"),
            deep_poverty_reference=float(unit["deep_poverty_reference"]),
        )
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"not a valid indicators file ({exc})", file=file) from None


def grade_of(points: float, grades: tuple[tuple[str, float], ...]) -> str:
    """The first grade whose threshold ``points`` reach."""
    for name, threshold in grades:
        if points >= threshold - 1e-9:
            return name
    return grades[-1][0]


@dataclass(frozen=True)
class EvaluationInputs:
    """The tables an evaluation reads (columns as documented in ``records_source``)."""

    year: int
    as_of: dt.date
    agreements: pd.DataFrame
    reports: pd.DataFrame
    ledger: pd.DataFrame
    kpi: pd.DataFrame | None
    deep_counties: frozenset[str]
    #: helper id → national society name, so a society's working groups form one unit
    society_of: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    """``agreement_grades.csv``, ``unit_scores.csv`` and ``unit_indicators.csv``."""

    agreements: pd.DataFrame
    units: pd.DataFrame
    indicators: pd.DataFrame
    #: the unit weights used (indicators without data for any unit left out, rest × 100/Σ)
    weights: dict[str, float]


def _quarter_bounds(year: int, q: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    from geomatch.records.reports import quarter_bounds

    first, last = quarter_bounds(f"{year}Q{q}")
    return pd.Timestamp(first), pd.Timestamp(last)


def _ratio(done: float, target: float) -> float:
    return 1.0 if target <= 0 else min(1.0, done / target)


def _ratios(done: pd.Series, target: pd.Series) -> pd.Series:
    """``min(1, done / target)`` elementwise; 1 where nothing is asked (target ≤ 0)."""
    safe = target.where(target > 0, 1.0)
    return (done / safe).clip(upper=1.0).where(target > 0, 1.0)


def _on_time(inp: EvaluationInputs, start: pd.Series, end: pd.Series) -> pd.Series:
    """Reports of quarters due that were stored within the grace period, per agreement."""
    rep = inp.reports[inp.reports["period"].astype(str).str.startswith(f"{inp.year}Q")]
    bounds = {k: _quarter_bounds(inp.year, k) for k in range(1, 5)}
    q = rep["period"].str[5].astype(int)
    q_start = q.map(lambda k: bounds[k][0])
    q_end = q.map(lambda k: bounds[k][1])
    ids = rep["agreement_id"]
    a_start, a_end = ids.map(start), ids.map(end)
    due = (q_start <= a_end) & (q_end >= a_start) & (q_end <= pd.Timestamp(inp.as_of))
    stored = pd.to_datetime(rep["reported_on"], errors="coerce")
    in_time = stored.isna() | (stored <= q_end + pd.Timedelta(days=GRACE_DAYS))
    return (due & in_time).groupby(ids).sum()


def _agreement_rows(inp: EvaluationInputs, ind: Indicators) -> pd.DataFrame:
    a = inp.agreements
    ids = a["agreement_id"]
    start = pd.to_datetime(a["start_date"]).set_axis(ids)
    end = pd.to_datetime(a["end_date"]).set_axis(ids)
    rep = inp.reports[inp.reports["period"].astype(str).str.startswith(f"{inp.year}Q")]
    figures = ["associations_supported", "people_trained", "households_helped", "service_days"]
    sums = rep.groupby("agreement_id")[figures].sum().reindex(ids, fill_value=0)
    due = pd.Series(0, index=ids)
    for k in range(1, 5):
        qs, qe = _quarter_bounds(inp.year, k)
        due += ((qs <= end) & (qe >= start) & (qe <= pd.Timestamp(inp.as_of))).astype(int)
    on_time = _on_time(inp, start, end).reindex(ids, fill_value=0)
    first = start.clip(lower=pd.Timestamp(inp.year, 1, 1))
    last = end.clip(upper=min(pd.Timestamp(inp.year, 12, 31), pd.Timestamp(inp.as_of)))
    year_days = 366 if pd.Timestamp(inp.year, 12, 31).day_of_year == 366 else 365
    share = ((last - first).dt.days + 1).clip(lower=0) / year_days
    expected = a["visits_per_year"].astype(float).set_axis(ids) * ind.days_per_visit * share
    targets = pd.concat(
        [
            _ratios(sums["associations_supported"], a["associations_target"].set_axis(ids)),
            _ratios(sums["people_trained"], a["people_trained_target"].set_axis(ids)),
            _ratios(sums["households_helped"], a["households_target"].set_axis(ids)),
        ],
        axis=1,
    )
    return pd.DataFrame(
        {
            "agreement_id": ids.to_numpy(),
            "targets_met": targets.mean(axis=1).to_numpy(),
            "reports_on_time": _ratios(on_time.astype(float), due.astype(float)).to_numpy(),
            "service_days": _ratios(sums["service_days"].astype(float), expected).to_numpy(),
            "quarters_due": due.to_numpy(),
            "reports_in_time": on_time.astype(int).to_numpy(),
        }
    )


def grade_agreements(inp: EvaluationInputs, ind: Indicators) -> pd.DataFrame:
    """``agreement_grades.csv``: ``agreement_id, grade, points`` then the indicators."""
    df = _agreement_rows(inp, ind)
    points = sum(
        (df[n] * w for n, w in ind.agreement_weights.items()), pd.Series(0.0, index=df.index)
    )
    df.insert(1, "points", points.round(2))
    df.insert(1, "grade", [grade_of(p, ind.agreement_grades) for p in df["points"]])
    meta = inp.agreements[
        [
            "agreement_id",
            "helper_id",
            "helper_kind",
            "need_adcode",
            "need_province",
            "helper_province",
        ]
    ]
    return df.merge(meta, on="agreement_id", how="left")


def _unit_agreements(grades: pd.DataFrame, unit_type: str, unit: str) -> pd.DataFrame:
    if unit_type == "society":
        return grades[grades["society"] == unit]
    return grades[(grades["need_province"] == unit) | (grades["helper_province"] == unit)]


def _number(value: object) -> float:
    """A KPI cell as a number (empty or missing → 0)."""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return 0.0 if pd.isna(number) else float(number)


def _coverage(kpi: pd.DataFrame | None) -> dict[str, float]:
    """Province → mean share of counties meeting the station, caravan and museum goals."""
    if kpi is None:
        return {}
    out = {}
    for row in kpi[kpi["scope"] == "province"].to_dict("records"):
        shares = []
        for goal in ("station", "caravan", "museum2"):
            met, missing = _number(row.get(f"{goal}_met")), _number(row.get(f"{goal}_missing"))
            if met + missing > 0:
                shares.append(met / (met + missing))
        if shares:
            out[str(row["province_adcode"])] = float(np.mean(shares))
    return out


def _raw_indicators(inp: EvaluationInputs, grades: pd.DataFrame, ind: Indicators) -> pd.DataFrame:
    coverage = _coverage(inp.kpi)
    rows = []
    for u in inp.ledger.to_dict("records"):
        mine = _unit_agreements(grades, str(u["unit_type"]), str(u["unit"]))
        due = float(mine["quarters_due"].sum())
        deep = mine["need_adcode"].isin(inp.deep_counties).mean() if len(mine) else np.nan
        rows.append(
            {
                "unit": str(u["unit"]),
                "unit_name": str(u["unit_name"]),
                "unit_type": str(u["unit_type"]),
                "agreements": len(mine),
                "liangshu": float(np.mean([
                    _ratio(u["associations_achieved"], u["associations_target"]),
                    _ratio(u["experts_mobilised"], u["experts_target"]),
                    _ratio(u["people_lifted"], u["people_target"]),
                ])),
                "coverage": coverage.get(str(u["unit"]), np.nan),
                "agreement_grades": mine["points"].mean() / 100 if len(mine) else np.nan,
                "timeliness": mine["reports_in_time"].sum() / due if due else np.nan,
                "deep_poverty": min(1.0, deep / ind.deep_poverty_reference)
                if len(mine) else np.nan,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def _fill_missing(raw: pd.DataFrame) -> pd.DataFrame:
    """An indicator without data takes the mean of the units that have it (logged)."""
    out = raw.copy()
    for name in UNIT_INDICATORS:
        missing = out[name].isna()
        out[f"{name}_imputed"] = missing
        if missing.any():
            mean = out.loc[~missing, name].mean()
            value = 0.0 if pd.isna(mean) else float(mean)
            log.info("%s: %d unit(s) without data take the mean %.3f", name, missing.sum(), value)
            out[name] = out[name].fillna(value)
    return out


def effective_weights(raw: pd.DataFrame, ind: Indicators) -> dict[str, float]:
    """The unit weights, without the indicators no unit has data for (e.g. coverage when
    no run is given); the others are scaled to sum to 100 again."""
    missing = [n for n in UNIT_INDICATORS if len(raw) and raw[f"{n}_imputed"].all()]
    if missing:
        log.warning("no unit has data for %s: left out, other weights scaled", ", ".join(missing))
    kept = {n: w for n, w in ind.unit_weights.items() if n not in missing}
    total = sum(kept.values())
    return {n: (kept.get(n, 0.0) * 100 / total if total else 0.0) for n in UNIT_INDICATORS}


def score_units(raw: pd.DataFrame, ind: Indicators, weights: dict[str, float]) -> pd.DataFrame:
    """``unit_scores.csv``: ``unit, unit_name, unit_type, score, rank, grade, ind_*``.

    Contributions are whole hundredths of a point, so the ``ind_`` columns sum to the
    score exactly."""
    cents = {
        name: (raw[name] * weight * 100).round().astype(int) for name, weight in weights.items()
    }
    total = sum(cents.values(), pd.Series(0, index=raw.index))
    out = raw[["unit", "unit_name", "unit_type"]].copy()
    out["score"] = total / 100
    out["rank"] = out["score"].rank(method="min", ascending=False).astype(int)
    out["grade"] = [grade_of(s, ind.unit_grades) for s in out["score"]]
    for name in UNIT_INDICATORS:
        out[f"ind_{name}"] = cents[name] / 100
    return out.sort_values(["rank", "unit"]).reset_index(drop=True)


def evaluate(inp: EvaluationInputs, ind: Indicators) -> Evaluation:
    """Grade the agreements, then score and rank the units.

    Raises
    ------
    InputError
        No agreement is in force in the year (nothing to evaluate).
    """
    if inp.agreements.empty:
        raise InputError(
            f"no agreement is signed, filed, active or completed in {inp.year}: nothing to evaluate"
        )
    grades = grade_agreements(inp, ind)
    kind = grades["helper_kind"] == "society"
    grades["society"] = grades["helper_id"].where(~kind, grades["helper_id"].map(inp.society_of))
    grades["society"] = grades["society"].fillna(grades["helper_id"]).where(kind, "")
    raw = _fill_missing(_raw_indicators(_with_societies(inp), grades, ind))
    weights = effective_weights(raw, ind)
    units = score_units(raw, ind, weights)
    log.info("evaluated %d agreements and %d units", len(grades), len(units))
    return Evaluation(grades, units, raw, weights)


def _with_societies(inp: EvaluationInputs) -> EvaluationInputs:
    """The ledger with the rows of one society's helpers summed into one unit."""
    led = inp.ledger.copy()
    soc = led["unit_type"] == "society"
    led.loc[soc, "unit"] = led.loc[soc, "unit"].map(lambda u: inp.society_of.get(str(u), str(u)))
    led.loc[soc, "unit_name"] = led.loc[soc, "unit"]
    numbers = [
        c for c in led.columns if c.endswith(("_target", "_achieved", "_mobilised", "_lifted"))
    ]
    summed = led.groupby(["unit_type", "unit", "unit_name"], sort=False, as_index=False)[
        numbers
    ].sum()
    return dataclasses.replace(inp, ledger=summed)


def write_evaluation(ev: Evaluation, out: Path, *, year: int) -> None:
    """Write ``agreement_grades.csv``, ``unit_scores.csv``, ``unit_indicators.csv`` and
    ``summary.json`` into ``out`` (a staging folder)."""
    from geomatch.io.output import write_csv, write_json

    write_csv(ev.agreements, out / "agreement_grades.csv")
    write_csv(ev.units, out / "unit_scores.csv")
    write_csv(ev.indicators, out / "unit_indicators.csv")
    write_json(
        {
            "year": year,
            "agreements": len(ev.agreements),
            "agreement_grades": ev.agreements["grade"].value_counts().to_dict(),
            "units": len(ev.units),
            "unit_grades": ev.units["grade"].value_counts().to_dict(),
            "unit_weights": ev.weights,
        },
        out / "summary.json",
    )
