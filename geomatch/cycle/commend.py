"""Commendation (表彰推荐): unit stage, publicity (公示), objections, national stage.

1. **Eligible**: ``registered`` (入库备案) and ``praised_since_2016``.
2. **Unit stage**: each unit recommends its highest-merit eligible candidates up to its
   maximum (key provinces 1–2 teams, 2–3 individuals; others and national societies ≤ 1
   and ≤ 1; ties by ``candidate_id``). With quotas (推荐指标, ``--quotas quotas.csv``) a
   unit recommends at most its quota in all: each kind's minimum first, then the highest
   merit of the rest. A unit below a minimum is reported in ``unit_shortfalls.csv`` (the
   unit cannot comply; the national stage goes on).
3. **Publicity**: every unit's list is public for a window ``[start, end]`` (dates, both
   included) with ``end − start + 1 ≥ publicity_days`` and ``end ≤ deadline``. Default:
   the last ``publicity_days`` days up to the deadline; a windows file may set others.
4. **National stage**: :mod:`geomatch.cycle.national` (CP-SAT, proven optimal).
5. **Objections**: an objection dated inside its candidate's publicity window withdraws
   the candidate; the national stage is re-solved with the fewest changes, then the
   highest merit. Withdrawn candidates are not replaced at the unit stage (a replacement
   would need its own week of publicity before the deadline).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geomatch.cycle.national import NationalProblem, NationalSelection, reselect, select
from geomatch.cycle.rules import CommendRules
from geomatch.cycle.validate import ErrorList, read_checked_table

__all__ = [
    "CommendResult",
    "Window",
    "changes_frame",
    "default_window",
    "national_problem",
    "read_objections",
    "read_quotas",
    "read_windows",
    "recommended_frame",
    "run_commendation",
    "unit_stage",
    "window_violations",
    "write_commendation",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    """A publicity window, both days included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class UnitStage:
    recommended: pd.DataFrame  # candidates rows recommended by their unit
    shortfalls: pd.DataFrame  # unit, kind, minimum, recommended


@dataclass
class CommendResult:
    """Everything ``geomatch commend`` writes."""

    candidates: pd.DataFrame
    stage: UnitStage
    windows: dict[str, Window]
    first: NationalSelection
    final: NationalSelection
    withdrawn: dict[str, dt.date] = field(default_factory=dict)


def window_violations(window: Window, rules: CommendRules) -> list[str]:
    """The publicity rules a window breaks, as Chinese sentences naming the rule."""
    out = []
    if window.end < window.start:
        out.append(f"公示结束日期 {window.end} 早于开始日期 {window.start}")
    elif window.days < rules.publicity_days:
        out.append(
            f"公示期不少于 {rules.publicity_days} 天（publicity_days）："
            f"{window.start}–{window.end} 只有 {window.days} 天"
        )
    if window.end > rules.deadline:
        out.append(f"公示须在截止日期 {rules.deadline} 前结束（deadline）：结束于 {window.end}")
    return out


def default_window(rules: CommendRules) -> Window:
    """The last ``publicity_days`` days up to the deadline."""
    return Window(rules.deadline - dt.timedelta(days=rules.publicity_days - 1), rules.deadline)


def _within_quota(kinds: dict[str, pd.DataFrame], lows: dict[str, int], quota: int) -> pd.DataFrame:
    """At most ``quota`` of a unit's picks: each kind's minimum first, then the highest
    merit of the rest; when the minimums alone exceed the quota, their best ``quota``."""
    base = pd.concat([rows.head(lows[k]) for k, rows in kinds.items()])
    rest = pd.concat([rows.iloc[lows[k] :] for k, rows in kinds.items()])
    order = ["merit", "candidate_id"]
    if len(base) >= quota:
        return base.sort_values(order, ascending=[False, True]).head(quota)
    extra = rest.sort_values(order, ascending=[False, True]).head(quota - len(base))
    return pd.concat([base, extra])


def unit_stage(
    candidates: pd.DataFrame, rules: CommendRules, quotas: dict[str, int] | None = None
) -> UnitStage:
    """Each unit's highest-merit eligible candidates up to its maximum, and at most its
    quota (推荐指标) in all when ``quotas`` names the unit."""
    eligible = candidates[candidates["registered"] & candidates["praised_since_2016"]]
    ordered = eligible.sort_values(["merit", "candidate_id"], ascending=[False, True])
    picked: list[pd.DataFrame] = []
    short: list[dict[str, object]] = []
    for unit in sorted(set(candidates["unit"])):
        kinds = {
            kind: ordered[(ordered["unit"] == unit) & (ordered["kind"] == kind)].head(
                rules.unit_range(unit, kind)[1]
            )
            for kind in ("team", "individual")
        }
        lows = {kind: rules.unit_range(unit, kind)[0] for kind in kinds}
        rows = pd.concat(kinds.values())
        if quotas is not None and unit in quotas:
            rows = _within_quota(kinds, lows, quotas[unit])
        picked.append(rows)
        for kind, lo in lows.items():
            n = int((rows["kind"] == kind).sum())
            if n < lo:
                short.append({"unit": unit, "kind": kind, "minimum": lo, "recommended": n})
    recommended = pd.concat(picked) if picked else candidates.head(0)
    shortfalls = pd.DataFrame(short, columns=["unit", "kind", "minimum", "recommended"])
    if len(shortfalls):
        log.warning("%d unit/kind pairs below their minimum (unit_shortfalls.csv)", len(shortfalls))
    return UnitStage(recommended.reset_index(drop=True), shortfalls)


def read_quotas(path: str | Path) -> dict[str, int]:
    """Unit → quota from a ``quotas.csv`` (``unit, quota``), every bad row reported."""
    df = read_checked_table(path, ("unit", "quota"))
    errors = ErrorList(path)
    out: dict[str, int] = {}
    for k, (unit, raw) in enumerate(zip(df["unit"], df["quota"], strict=True), start=2):
        value = errors.number(raw, row=k, column="quota")
        if value != int(value):
            errors.add(f"expected a whole number, got {raw!r}", row=k, column="quota")
        out[str(unit).strip()] = int(value)
    errors.raise_if_any()
    return out


def national_problem(
    recommended: pd.DataFrame, rules: CommendRules, drop: set[str] | frozenset[str] = frozenset()
) -> NationalProblem:
    """The national stage's data from recommended candidates (minus ``drop``); merit is
    scaled to integers with ``merit_decimals``."""
    rows = recommended[~recommended["candidate_id"].isin(drop)]
    scale = 10**rules.merit_decimals
    return NationalProblem(
        ids=tuple(rows["candidate_id"]),
        kinds=tuple(rows["kind"]),
        units=tuple(rows["unit"]),
        categories=tuple(rows["category"]),
        deep=tuple(bool(v) for v in rows["deep_poverty"]),
        merit=tuple(round(float(v) * scale) for v in rows["merit"]),
    )


def _date(raw: object, errors: ErrorList, *, row: int, column: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        errors.add(f"expected a date YYYY-MM-DD, got {raw!r}", row=row, column=column)
        return None


def read_windows(path: str | Path, rules: CommendRules) -> dict[str, Window]:
    """Publicity windows per unit (``unit, publicity_start, publicity_end``), checked."""
    df = read_checked_table(path, ("unit", "publicity_start", "publicity_end"))
    errors = ErrorList(path)
    out: dict[str, Window] = {}
    for k, row in enumerate(df.to_dict("records"), start=2):
        start = _date(row["publicity_start"], errors, row=k, column="publicity_start")
        end = _date(row["publicity_end"], errors, row=k, column="publicity_end")
        if start is None or end is None:
            continue
        window = Window(start, end)
        for problem in window_violations(window, rules):
            errors.add(problem, row=k, column="publicity_end")
        out[str(row["unit"]).strip()] = window
    errors.raise_if_any()
    return out


def read_objections(
    path: str | Path, recommended: pd.DataFrame, windows: dict[str, Window]
) -> dict[str, dt.date]:
    """Objections (``candidate_id, date[, reason]``): each must name a recommended
    candidate and fall inside that candidate's publicity window."""
    df = read_checked_table(path, ("candidate_id", "date"))
    errors = ErrorList(path)
    unit_of = dict(zip(recommended["candidate_id"], recommended["unit"], strict=True))
    out: dict[str, dt.date] = {}
    for k, row in enumerate(df.to_dict("records"), start=2):
        cid = str(row["candidate_id"]).strip()
        day = _date(row["date"], errors, row=k, column="date")
        if cid not in unit_of:
            errors.add(f"{cid!r} is not a recommended candidate", row=k, column="candidate_id")
            continue
        w = windows[unit_of[cid]]
        if day is not None and not w.start <= day <= w.end:
            errors.add(
                f"异议须在公示期内提出：{day} 不在 {w.start}–{w.end} 之内", row=k, column="date"
            )
        if day is not None:
            out[cid] = day
    errors.raise_if_any()
    return out


def run_commendation(
    candidates: pd.DataFrame,
    rules: CommendRules,
    *,
    windows: dict[str, Window] | None = None,
    objections_file: str | Path | None = None,
    quotas: dict[str, int] | None = None,
) -> CommendResult:
    """Unit stage (within ``quotas`` if given), publicity windows, national stage, and
    objections if any."""
    stage = unit_stage(candidates, rules, quotas)
    default = default_window(rules)
    given = windows or {}
    all_windows = {u: given.get(u, default) for u in sorted(set(stage.recommended["unit"]))}
    first = select(national_problem(stage.recommended, rules), rules)
    withdrawn: dict[str, dt.date] = {}
    final = first
    if objections_file is not None:
        withdrawn = read_objections(objections_file, stage.recommended, all_windows)
        if withdrawn:
            problem = national_problem(stage.recommended, rules, set(withdrawn))
            final = reselect(problem, rules, first.selected)
    return CommendResult(candidates, stage, all_windows, first, final, withdrawn)


def recommended_frame(result: CommendResult) -> pd.DataFrame:
    """``recommended.csv``: every unit-stage recommendation; ``stage`` is ``national``
    for the final selection, ``province`` otherwise; ``status`` says more."""
    rec = result.stage.recommended
    status = [
        "withdrawn"
        if cid in result.withdrawn
        else "selected"
        if cid in result.final.selected
        else "recommended"
        for cid in rec["candidate_id"]
    ]
    windows = [result.windows[u] for u in rec["unit"]]
    df = pd.DataFrame(
        {
            "candidate_id": rec["candidate_id"],
            "kind": rec["kind"],
            "unit": rec["unit"],
            "stage": ["national" if s == "selected" else "province" for s in status],
            "merit": rec["merit"],
            "publicity_start": [w.start.isoformat() for w in windows],
            "publicity_end": [w.end.isoformat() for w in windows],
            "name": rec["name"],
            "category": rec["category"],
            "deep_poverty": rec["deep_poverty"],
            "status": status,
            "objection_date": [
                result.withdrawn[c].isoformat() if c in result.withdrawn else ""
                for c in rec["candidate_id"]
            ],
        }
    )
    return df.sort_values(
        ["stage", "kind", "merit", "candidate_id"], ascending=[True, False, False, True]
    )


def changes_frame(result: CommendResult) -> pd.DataFrame:
    """``selection_changes.csv``: candidates that left or joined the national selection
    after the objections (``withdrawn``, ``dropped``, ``added``)."""
    rows = [
        {"candidate_id": c, "change": "withdrawn" if c in result.withdrawn else "dropped"}
        for c in sorted(result.first.selected - result.final.selected)
    ] + [
        {"candidate_id": c, "change": "added"}
        for c in sorted(result.final.selected - result.first.selected)
    ]
    return pd.DataFrame(rows, columns=["candidate_id", "change"])


def write_commendation(result: CommendResult, out: Path, *, unmasked: bool = False) -> None:
    """Write ``recommended.csv``, ``unit_shortfalls.csv``, ``selection_changes.csv``,
    ``summary.json`` and the two forms into ``out`` (a staging folder)."""
    from geomatch.cycle.forms import write_forms
    from geomatch.io.output import write_csv, write_json

    write_csv(recommended_frame(result), out / "recommended.csv")
    write_csv(result.stage.shortfalls, out / "unit_shortfalls.csv")
    write_csv(changes_frame(result), out / "selection_changes.csv")
    cands = result.candidates
    selected = cands[cands["candidate_id"].isin(result.final.selected)]
    write_forms(selected, out, unmasked=unmasked)
    write_json(
        {
            "teams": int((selected["kind"] == "team").sum()),
            "individuals": int((selected["kind"] == "individual").sum()),
            "merit": round(float(selected["merit"].sum()), 4),
            "optimal": True,
            "recommended": len(result.stage.recommended),
            "withdrawn": sorted(result.withdrawn),
            "changes": result.final.changes,
            "ids_unmasked": unmasked,
        },
        out / "summary.json",
    )
