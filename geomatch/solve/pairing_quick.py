"""The quick pairing path: plain transportation files solved without pandas.

``geomatch pair --helpers H.csv --needs N.csv --arcs A.csv`` on *plain* files is a
transportation problem (helpers with capacities, needs, priced candidate pairs). For a
few thousand needs the raw min-cost-flow solve takes tens of milliseconds, and importing
pandas would take ten times that. This module reads such files with the ``csv`` module,
builds the same network as :func:`geomatch.solve.pairing_flow.solve_flow`, adding the
arcs in the same order so that OR-Tools returns the same flow, and writes the same
``pairings.csv``, ``unmet.csv``, ``summary.json`` and ``manifest.json`` as the full path
(:func:`geomatch.solve.pairing.solve_pairing`), byte for byte apart from timings and the
creation time.

Scope
-----
The quick path takes a file set only when it is sure the full path would accept it
and answer with a pure transportation model:

* ``helpers.csv`` columns among ``helper_id, capacity, name, specialty, institution``;
  ``needs.csv`` among ``need_id, unmet_penalty, priority, category, name``;
  ``arcs.csv`` among ``helper_id, need_id, cost, load`` with every load 1;
* UTF-8 or GB18030 CSV (:mod:`geomatch.io.csvtext`), every row as wide as the header,
  whole numbers written as plain digits, known priorities, unique ids, arcs between
  known ids, each pair once;
* nothing in the outputs that the spreadsheet-safety rules would change (a cell starting
  with ``=``, ``+``, ``-``, ``@``; an 11-digit run);
* with ``--require-all``, every need paired.

Anything else raises :class:`NotQuickError` before a file is written, and the caller runs the
full path, which then reports errors in its own words (file, row, column; exit 2) or
solves the richer model. The quick path never reports an input error itself, so the two
paths cannot disagree about what is wrong with a file.

Model
-----
The same as :mod:`geomatch.solve.pairing` without side constraints::

    minimise   Σ_a c_a x_a + Σ_n p_n u_n
    subject to Σ_{a ∋ n} x_a + u_n = 1     (u_n ≡ 0 with --require-all)
               Σ_{a ∋ h} x_a ≤ b_h
               x, u ∈ {0, 1}

with ``p_n = unmet_penalty`` of the needs file, or ``round(settings.unmet_penalty ×
priority_weights[priority])``. Costs are integer cost units (1 unit = 1 road km).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geomatch.errors import InputError
from geomatch.io.csvtext import check_csv_structure, decode_csv_bytes
from geomatch.io.files import FORMULA_START, PERSONAL_NUMBER_HINT
from geomatch.model.categories import PRIORITIES
from geomatch.model.pairing_outputs import PAIRING_COLUMNS, UNMET_COLUMNS

__all__ = [
    "ARC_COLUMNS",
    "HELPER_COLUMNS",
    "NEED_COLUMNS",
    "NotQuickError",
    "QuickResult",
    "quick_pair",
    "read_quick_table",
    "write_quick_outputs",
]

log = logging.getLogger(__name__)

#: Columns each file may have on the quick path (others go to the full path).
HELPER_COLUMNS = frozenset({"helper_id", "capacity", "name", "specialty", "institution"})
NEED_COLUMNS = frozenset({"need_id", "unmet_penalty", "priority", "category", "name"})
ARC_COLUMNS = frozenset({"helper_id", "need_id", "cost", "load"})

#: Cells the schema reads as empty (:func:`geomatch.io.schema.validate_table`).
_EMPTY = frozenset({"", "nan", "na", "null", "none"})
#: Whole numbers the quick path reads itself: plain ASCII digits, exact in float64.
_INT = re.compile(r"-?[0-9]{1,15}")
#: White space the full reader strips but the quick one does not: not space, tab, CR, LF.
_ODD_SPACE = re.compile(r"[^\S \t\r\n]")
_INT_COLUMN = re.compile(r"(?:-?[0-9]{1,15}\n)*-?[0-9]{1,15}")
#: Largest cost or penalty the quick path takes (the big-M sum stays far inside int64).
_MAX_COST = 10**9


class NotQuickError(Exception):
    """The input is outside the quick path's scope; the full path takes over."""


@dataclass(frozen=True)
class QuickResult:
    """Rows and summary of a quick pairing, in the full path's column order."""

    pairings: list[list[Any]]
    unmet: list[list[Any]]
    summary: dict[str, Any] = field(default_factory=dict)


def read_quick_table(
    path: Path, allowed: frozenset[str], required: tuple[str, ...], *, allow_empty: bool = False
) -> dict[str, list[str]]:
    """Read a plain CSV file into stripped text columns.

    Parameters
    ----------
    path
        A ``.csv`` file.
    allowed, required
        Column names the quick path may see, and must see.
    allow_empty
        A header without data rows is fine (an arcs file may list no pair).

    Returns
    -------
    dict
        Column name → stripped cells (spaces and tabs at the edges removed, as the full
        reader strips them), in file order.

    Raises
    ------
    NotQuickError
        For anything the full reader would treat specially or reject: another format or
        encoding problem, a structural problem, a blank or ragged row, white space other
        than spaces and tabs, an unknown or missing column, no data row.
    """
    if path.suffix.lower() != ".csv" or not path.is_file():
        raise NotQuickError(f"{path}: not a .csv file")
    try:
        text, _ = decode_csv_bytes(path.read_bytes(), path)
        # an odd quote count is read literally by both parsers, but is rare: step aside
        if not text.strip() or text.count('"') % 2:
            raise NotQuickError(f"{path}: empty, or a quote that never closes")
        if text.count("\r") != text.count("\r\n") or _ODD_SPACE.search(text):
            raise NotQuickError(f"{path}: white space other than spaces, tabs and line ends")
        rows = check_csv_structure(text, path, ",", keep_rows=True)
    except InputError as exc:
        raise NotQuickError(str(exc)) from None
    if '"' in text and any("\n" in c or "\r" in c for r in rows for c in r):
        raise NotQuickError(f"{path}: a quoted cell with a line break")
    names = [h.strip() for h in rows[0]]
    if not set(names) <= allowed or not set(required) <= set(names):
        raise NotQuickError(f"{path}: columns {names} are not a plain transportation file")
    width = len(names)
    if (len(rows) < 2 and not allow_empty) or any(len(r) != width for r in rows):
        raise NotQuickError(f"{path}: no data rows, or a blank or ragged row")
    strip = " " in text or "\t" in text
    columns = zip(*rows[1:], strict=True) if len(rows) > 1 else ([] for _ in names)
    return {
        name: [c.strip(" \t") for c in col] if strip else list(col)
        for name, col in zip(names, columns, strict=True)
    }


def _is_empty(s: str) -> bool:
    """A cell the schema reads as empty (the tokens are at most 4 characters long)."""
    return len(s) <= 4 and s.lower() in _EMPTY


def _ids(cells: list[str]) -> list[str]:
    if any(map(_is_empty, cells)):
        raise NotQuickError("an empty id")
    return cells


def _unique_index(ids: list[str]) -> dict[str, int]:
    index = {v: i for i, v in enumerate(ids)}
    if len(index) != len(ids):
        raise NotQuickError("duplicate ids")
    return index


def _ints(cells: list[str], *, low: int | None, default: int | None = None) -> list[int]:
    """Whole numbers ≥ ``low``; empty cells take ``default`` (refused when ``None``)."""
    if _INT_COLUMN.fullmatch("\n".join(cells)):  # the usual case, checked in one pass
        values = list(map(int, cells))
        if low is not None and min(values) < low:
            raise NotQuickError(f"{min(values)} is below {low}")
        return values
    out = []
    for s in cells:
        if _is_empty(s):
            if default is None:
                raise NotQuickError("an empty number")
            out.append(default)
            continue
        if not _INT.fullmatch(s):
            raise NotQuickError(f"{s!r} is not a plain whole number")
        v = int(s)
        if low is not None and v < low:
            raise NotQuickError(f"{v} is below {low}")
        out.append(v)
    return out


def _texts(cols: dict[str, list[str]], name: str, n: int, default: str = "") -> list[str]:
    if name not in cols:
        return [default] * n
    return ["" if _is_empty(s) else s for s in cols[name]]


def quick_pair(
    helpers_csv: Path,
    needs_csv: Path,
    arcs_csv: Path,
    settings: Mapping[str, Any],
    *,
    require_all: bool = False,
) -> QuickResult:
    """Pair plain transportation files exactly, as the full path would.

    Parameters
    ----------
    helpers_csv, needs_csv, arcs_csv
        The generic pairing files (see the module docstring for the scope).
    settings
        The pairing settings as plain data (``PairingSettings.model_dump()``; the
        command line passes :data:`geomatch.model.pairing_defaults.PAIRING_DEFAULTS`
        with ``relation_mode = "ignore"``); penalties from ``unmet_penalty`` and
        ``priority_weights``.
    require_all
        Every need must be paired.

    Returns
    -------
    QuickResult

    Raises
    ------
    NotQuickError
        The files or the answer are outside the quick path's scope (nothing written).
    """
    from ortools.graph.python import min_cost_flow

    if settings["solver"] == "cpsat" or settings["equity"] != "off":
        raise NotQuickError("settings ask for CP-SAT or an equity objective")
    hc = read_quick_table(helpers_csv, HELPER_COLUMNS, ("helper_id", "capacity"))
    helper_ids = _ids(hc["helper_id"])
    capacity = _ints(hc["capacity"], low=0)
    nc = read_quick_table(needs_csv, NEED_COLUMNS, ("need_id",))
    need_ids = _ids(nc["need_id"])
    ac = read_quick_table(arcs_csv, ARC_COLUMNS, ("helper_id", "need_id", "cost"), allow_empty=True)
    h_index = _unique_index(helper_ids)
    n_index = _unique_index(need_ids)
    H, N = len(helper_ids), len(need_ids)
    priority = _texts(nc, "priority", N, "ordinary")
    if "priority" in nc and not set(priority) <= set(PRIORITIES):
        raise NotQuickError("a priority outside the known classes")
    category = _texts(nc, "category", N)
    specialty = _texts(hc, "specialty", H)
    given = _ints(nc["unmet_penalty"], low=0, default=-1) if "unmet_penalty" in nc else [-1] * N
    weights, base = settings["priority_weights"], settings["unmet_penalty"]
    # unmet_penalties() of the full path: base × priority × kind (1: no kind column)
    # × deep poverty (1: no such column), in the same float operations
    penalty = [
        g if g >= 0 else round(base * weights.get(p, 1.0) * 1.0 * 1.0)
        for g, p in zip(given, priority, strict=True)
    ]
    try:
        arc_h = [h_index[v] for v in _ids(ac["helper_id"])]
        arc_n = [n_index[v] for v in _ids(ac["need_id"])]
    except KeyError:
        raise NotQuickError("an arc names an unknown id") from None
    if len(set(zip(arc_h, arc_n, strict=True))) != len(arc_h):
        raise NotQuickError("a pair listed twice")
    cost = _ints(ac["cost"], low=None)
    if max(map(abs, cost), default=0) > _MAX_COST or max(penalty, default=0) > _MAX_COST:
        raise NotQuickError("costs or penalties beyond 10⁹ cost units")
    if "load" in ac and not set(_ints(ac["load"], low=1, default=1)) <= {1}:
        raise NotQuickError("loads other than 1")
    A = len(arc_h)

    t_start = time.perf_counter()
    # the network of solve_flow, arcs in the same order: S→helpers, pairs, S→needs
    smcf = min_cost_flow.SimpleMinCostFlow()
    add = smcf.add_arc_with_capacity_and_unit_cost
    for i, b in enumerate(capacity):
        add(0, 1 + i, b, 0)
    need0 = 1 + H
    for h, n, c in zip(arc_h, arc_n, cost, strict=True):
        add(1 + h, need0 + n, 1, c)
    unmet_cost = penalty
    if require_all:
        unmet_cost = [sum(abs(c) for c in cost) + 1 if A else 1] * N
    for n, p in enumerate(unmet_cost):
        add(0, need0 + n, 1, p)
    smcf.set_node_supply(0, N)
    for node in range(1, need0 + N):
        smcf.set_node_supply(node, -1 if node >= need0 else 0)
    t_build = time.perf_counter() - t_start
    t1 = time.perf_counter()
    status = smcf.solve()
    t_solve = time.perf_counter() - t1
    if status != smcf.OPTIMAL:
        raise NotQuickError(f"min-cost flow status {status}")
    x = [smcf.flow(H + a) > 0 for a in range(A)]
    met = [False] * N
    for a in range(A):
        if x[a]:
            met[arc_n[a]] = True
    if require_all and not all(met):
        raise NotQuickError("--require-all cannot be met (the full path names the constraint)")
    objective = sum(c for c, xa in zip(cost, x, strict=True) if xa)
    if not require_all:
        objective += sum(p for p, m in zip(penalty, met, strict=True) if not m)
    log.info(
        "min-cost flow: %d pairs of %d needs, cost %d, %.2f s (+%.2f s build)",
        sum(x),
        N,
        objective,
        t_solve,
        t_build,
    )

    chosen = sorted((a for a in range(A) if x[a]), key=lambda a: need_ids[arc_n[a]])
    pairings = [
        [
            need_ids[arc_n[a]],
            helper_ids[arc_h[a]],
            cost[a],
            1,
            None,
            None,
            None,
            None,
            0,
            False,
            False,
            False,
            "",
            category[arc_n[a]],
            specialty[arc_h[a]],
            priority[arc_n[a]],
            "",
            _pair_reason(specialty[arc_h[a]], category[arc_n[a]]),
        ]
        for a in chosen
    ]
    unmet_needs = [n for n in range(N) if not met[n]]
    unmet = _explain(
        unmet_needs,
        chosen,
        arc_h=arc_h,
        arc_n=arc_n,
        cost=cost,
        capacity=capacity,
        helper_ids=helper_ids,
        need_ids=need_ids,
        priority=priority,
        category=category,
        penalty=penalty,
    )
    summary = {
        "status": "optimal",
        "objective": objective,
        "bound": round(float(objective), 3),
        "gap": 0.0,
        "n_needs": N,
        "n_helpers": H,
        "n_arcs": A,
        "n_pairings": len(pairings),
        "n_unmet": len(unmet),
        "n_locked": 0,
        "n_changed": 0,
        "pair_cost": sum(cost[a] for a in chosen),
        "unmet_penalty_total": sum(penalty[n] for n in unmet_needs),
        "change_penalty_total": 0,
        "unmet_by_reason": dict(Counter(row[5] for row in unmet)),
        "unmet_by_priority": dict(Counter(row[1] for row in unmet)),
        "pairings_by_priority": dict(Counter(row[15] for row in pairings)),
        "mean_distance_km": None,
        "longest_trip_km": None,
        "relation_share": 0.0,
        "seconds": round(time.perf_counter() - t_start, 3),
        "solve_seconds": round(t_solve, 3),
        "solver": "ortools-min-cost-flow",
        "equity": settings["equity"],
        "build_seconds": round(t_build, 3),
    }
    return QuickResult(pairings=pairings, unmet=unmet, summary=summary)


def _pair_reason(spec: str, cat: str) -> str:
    """As :func:`geomatch.solve.pairing._pair_reasons` for an arc without distance."""
    if spec == "" and cat == "":
        match = "specialty not given"
    elif spec == cat:
        match = "specialty matches " + cat
    elif cat == "":
        match = "specialty " + spec
    else:
        match = "close specialty " + spec + " for " + cat
    return match + "; distance unknown"


def _explain(
    unmet_needs: list[int],
    chosen: list[int],
    *,
    arc_h: list[int],
    arc_n: list[int],
    cost: list[int],
    capacity: list[int],
    helper_ids: list[str],
    need_ids: list[str],
    priority: list[str],
    category: list[str],
    penalty: list[int],
) -> list[list[Any]]:
    """Reasons and fixes as :func:`geomatch.solve.pairing_explain.explain_unmet` gives
    them for an arcs file (``no_candidate``, ``capacity_taken``, ``cost_above_penalty``,
    ``side_constraint``)."""
    if not unmet_needs:
        return []
    used = [0] * len(capacity)
    holders: dict[int, list[int]] = {}
    for a in chosen:  # in pairings order (sorted by need id)
        used[arc_h[a]] += 1
        holders.setdefault(arc_h[a], []).append(arc_n[a])
    wanted = set(unmet_needs)
    cand: dict[int, list[int]] = {}
    for a, n in enumerate(arc_n):
        if n in wanted:
            cand.setdefault(n, []).append(a)
    rows: list[list[Any]] = []
    for n in unmet_needs:
        row: list[Any] = [need_ids[n], priority[n], category[n], "", penalty[n]]
        arcs = cand.get(n)
        if not arcs:
            rows.append(
                [*row, "no_candidate", "the arcs file lists no helper for this need", "", None, ""]
            )
            continue
        arcs = sorted(arcs, key=lambda a: cost[a])  # stable: file order among equal costs
        best = arcs[0]
        room = next((a for a in arcs if capacity[arc_h[a]] - used[arc_h[a]] >= 1), None)
        pick = best if room is None else room
        hid = helper_ids[arc_h[pick]]
        if room is None:
            reason = "capacity_taken"
            held = holders.get(arc_h[best], [])
            tags = [f"{need_ids[m]} ({priority[m]})" for m in held]
            shown = ", ".join(tags[:5]) + (f" and {len(tags) - 5} more" if len(tags) > 5 else "")
            held_text = shown or "no one"
            if len(arcs) == 1:
                detail = f"its only candidate helper, {hid}, is full; it serves {held_text}"
            else:
                detail = (
                    f"all {len(arcs)} candidate helpers are full; the cheapest, "
                    f"{hid}, serves {held_text}"
                )
            fix = f"give helper {hid} 1 more unit(s) of capacity"
        elif cost[room] >= penalty[n]:
            reason = "cost_above_penalty"
            detail = f"cheapest pair with room costs {cost[room]} ≥ unmet penalty {penalty[n]}"
            fix = f"raise the need's priority or unmet_penalty above {cost[room]}"
        else:
            reason = "side_constraint"
            detail = (
                f"helper {hid} has room but a side constraint (one station per expert, "
                "per-county limit, society quota or a complete station team) stops the pair"
            )
            fix = "relax the side constraint or recruit a helper"
        rows.append([*row, reason, detail, hid, None, fix])
    return rows


def _check_cells(rows: list[list[Any]]) -> None:
    """Refuse text the spreadsheet-safe writer would change (the full path handles it)."""
    texts = [v for row in rows for v in row if isinstance(v, str)]
    if any(v.startswith(FORMULA_START) for v in texts) or PERSONAL_NUMBER_HINT.search(
        "\x1f".join(texts)
    ):
        raise NotQuickError("a cell the spreadsheet-safe writer would change")


def _csv_bytes(header: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    """Excel CSV (UTF-8 with BOM) as :func:`geomatch.io.output.write_csv` writes it."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(["" if v is None else v for v in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_quick_outputs(
    result: QuickResult,
    out: Path,
    *,
    inputs: dict[str, Path],
    settings: Mapping[str, Any],
) -> None:
    """Write the four result files into ``out`` all-or-nothing.

    Raises
    ------
    NotQuickError
        A cell would need the spreadsheet-safety rules (checked before anything is
        written).
    """
    from geomatch.io.files import atomic_output_dir, atomic_write_bytes, write_json
    from geomatch.manifest import build_manifest

    _check_cells(result.pairings)
    _check_cells(result.unmet)
    with atomic_output_dir(out) as stage:
        atomic_write_bytes(stage / "pairings.csv", _csv_bytes(PAIRING_COLUMNS, result.pairings))
        atomic_write_bytes(stage / "unmet.csv", _csv_bytes(UNMET_COLUMNS, result.unmet))
        write_json(result.summary, stage / "summary.json")
        write_json(
            build_manifest(
                command="geomatch pair",
                inputs=inputs,
                settings={k: dict(v) if isinstance(v, Mapping) else v for k, v in settings.items()},
                seed=None,
                scenario=None,
                extra={"summary": result.summary},
            ),
            stage / "manifest.json",
        )
