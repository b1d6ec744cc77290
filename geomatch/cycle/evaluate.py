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


@dataclass(frozen=True)
class Evaluation:
    """``agreement_grades.csv``, ``unit_scores.csv`` and ``unit_indicators.csv``."""

    agreements: pd.DataFrame
    units: pd.DataFrame
    indicators: pd.DataFrame


def _quarters_due(start: dt.date, end: dt.date, year: int, as_of: dt.date) -> list[str]:
    out = []
    for q in range(1, 5):
        first = dt.date(year, 3 * q - 2, 1)
        last = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
        if first <= end and last >= start and last <= as_of:
            out.append(f"{year}Q{q}")
    return out


def _quarter_end(period: str) -> dt.date:
    year, q = int(period[:4]), int(period[5])
    return dt.date(year + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)


def _ratio(done: float, target: float) -> float:
    return 1.0 if target <= 0 else min(1.0, done / target)


def _agreement_rows(inp: EvaluationInputs, ind: Indicators) -> pd.DataFrame:
    rep = inp.reports[inp.reports["period"].str.startswith(f"{inp.year}Q")]
    by_agreement = {k: g for k, g in rep.groupby("agreement_id")}
    year_days = (dt.date(inp.year, 12, 31) - dt.date(inp.year, 1, 1)).days + 1
    rows = []
    for a in inp.agreements.itertuples(index=False):
        r = by_agreement.get(a.agreement_id, rep.head(0))
        due = _quarters_due(a.start_date, a.end_date, inp.year, inp.as_of)
        on_time = sum(
            1
            for p, stored in zip(r["period"], r["reported_on"], strict=True)
            if p in due
            and (pd.isna(stored) or stored <= _quarter_end(p) + dt.timedelta(days=GRACE_DAYS))
        )
        first = max(a.start_date, dt.date(inp.year, 1, 1))
        last = min(a.end_date, dt.date(inp.year, 12, 31), inp.as_of)
        share = max(0, (last - first).days + 1) / year_days
        expected_days = a.visits_per_year * ind.days_per_visit * share
        targets = [
            _ratio(r["associations_supported"].sum(), a.associations_target),
            _ratio(r["people_trained"].sum(), a.people_trained_target),
            _ratio(r["households_helped"].sum(), a.households_target),
        ]
        rows.append(
            {
                "agreement_id": a.agreement_id,
                "targets_met": float(np.mean(targets)),
                "reports_on_time": _ratio(on_time, len(due)),
                "service_days": _ratio(float(r["service_days"].sum()), expected_days),
                "quarters_due": len(due),
                "reports_in_time": on_time,
            }
        )
    return pd.DataFrame(
        rows, columns=["agreement_id", *AGREEMENT_INDICATORS, "quarters_due", "reports_in_time"]
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
        return grades[grades["helper_id"] == unit]
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


def score_units(raw: pd.DataFrame, ind: Indicators) -> pd.DataFrame:
    """``unit_scores.csv``: ``unit, unit_name, unit_type, score, rank, grade, ind_*``.

    Contributions are whole hundredths of a point, so the ``ind_`` columns sum to the
    score exactly."""
    cents = {
        name: (raw[name] * weight * 100).round().astype(int)
        for name, weight in ind.unit_weights.items()
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
    """Grade the agreements, then score and rank the units."""
    grades = grade_agreements(inp, ind)
    raw = _fill_missing(_raw_indicators(inp, grades, ind))
    units = score_units(raw, ind)
    log.info("evaluated %d agreements and %d units", len(grades), len(units))
    return Evaluation(grades, units, raw)


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
        },
        out / "summary.json",
    )
