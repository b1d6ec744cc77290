"""National stage of the commendation (全国评选), solved with CP-SAT to proven optimality.

Sets: ``R`` recommended candidates, ``T ⊂ R`` teams, ``I ⊂ R`` individuals, units ``u``
(``R_u`` its candidates), categories ``k`` (``R_k``), ``D ⊂ I`` individuals serving
deep-poverty areas. Data: merit ``m_c`` (scaled to integers, ``merit_decimals``).
Variables: ``x_c ∈ {0, 1}`` (selected).

    max  Σ_c m_c x_c
    (1)  Σ_{c∈T} x_c = teams_total                                  teams_total
    (2)  Σ_{c∈I} x_c = individuals_total                            individuals_total
    (3)  Σ_{c∈T∩R_u} x_c ≤ max_teams_per_unit          ∀u           max_teams_per_unit
    (4)  Σ_{c∈I∩R_u} x_c ≤ max_individuals_per_unit    ∀u           max_individuals_per_unit
    (5)  Σ_{c∈T∩R_k} x_c ≥ 1,  Σ_{c∈I∩R_k} x_c ≥ 1     ∀k           categories
    (6)  Σ_{c∈D} x_c ≥ deep_poverty_individuals_min                 deep_poverty

Each rule (1)–(6) is guarded by one assumption literal. When the model is infeasible the
rules are relaxed one at a time; a rule whose relaxation alone makes it feasible is
*binding* and named in the :class:`~geomatch.errors.InfeasibleError` (with CP-SAT's
infeasible core when no single rule suffices).

Re-selection after an objection (:func:`reselect`) keeps (1)–(6) and solves
lexicographically: first ``min Σ_{c∈S₀} (1 − x_c)`` over the previous selection ``S₀``
(with the totals fixed, every dropped candidate is replaced by one added, so this counts
the changes), then, with that minimum fixed, ``max Σ m_c x_c``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from geomatch.cycle.rules import CommendRules
from geomatch.errors import InfeasibleError, SolverTimeoutError

__all__ = ["RULE_LABELS", "NationalProblem", "NationalSelection", "reselect", "select"]

log = logging.getLogger(__name__)

#: Rule code → Chinese description (also in the infeasibility message).
RULE_LABELS: dict[str, str] = {
    "teams_total": "先进团队总数",
    "individuals_total": "先进个人总数",
    "max_teams_per_unit": "每个推荐单位的团队上限",
    "max_individuals_per_unit": "每个推荐单位的个人上限",
    "categories": "种植、养殖、其他各类别在两份名单中均须出现",
    "deep_poverty": "服务深度贫困地区的个人下限",
}


@dataclass(frozen=True)
class NationalProblem:
    """The recommended candidates as plain sequences (same order everywhere)."""

    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    units: tuple[str, ...]
    categories: tuple[str, ...]
    deep: tuple[bool, ...]
    merit: tuple[int, ...]  # scaled

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class NationalSelection:
    """A proven-optimal selection."""

    selected: frozenset[str]
    merit: int  # scaled objective
    changes: int  # candidates of the previous selection dropped (0 for a first selection)


Rule = Callable[[cp_model.CpModel, list[cp_model.IntVar], cp_model.IntVar], object]


def _idx(p: NationalProblem, pred: Callable[[int], bool]) -> list[int]:
    return [i for i in range(len(p)) if pred(i)]


def _rules(p: NationalProblem, r: CommendRules) -> dict[str, Rule]:
    teams = _idx(p, lambda i: p.kinds[i] == "team")
    people = _idx(p, lambda i: p.kinds[i] == "individual")
    units = sorted(set(p.units))

    def total(members: list[int], n: int) -> Rule:
        return lambda m, x, lit: m.add(sum(x[i] for i in members) == n).only_enforce_if(lit)

    def per_unit(members: list[int], cap: int) -> Rule:
        def add(m: cp_model.CpModel, x: list[cp_model.IntVar], lit: cp_model.IntVar) -> None:
            for u in units:
                m.add(sum(x[i] for i in members if p.units[i] == u) <= cap).only_enforce_if(lit)

        return add

    def categories(m: cp_model.CpModel, x: list[cp_model.IntVar], lit: cp_model.IntVar) -> None:
        for k in r.categories:
            for members in (teams, people):
                m.add(sum(x[i] for i in members if p.categories[i] == k) >= 1).only_enforce_if(lit)

    deep = [i for i in people if p.deep[i]]
    return {
        "teams_total": total(teams, r.teams_total),
        "individuals_total": total(people, r.individuals_total),
        "max_teams_per_unit": per_unit(teams, r.max_teams_per_unit),
        "max_individuals_per_unit": per_unit(people, r.max_individuals_per_unit),
        "categories": categories,
        "deep_poverty": lambda m, x, lit: m.add(
            sum(x[i] for i in deep) >= r.deep_poverty_individuals_min
        ).only_enforce_if(lit),
    }


@dataclass
class _Model:
    model: cp_model.CpModel
    x: list[cp_model.IntVar]
    literals: dict[str, cp_model.IntVar]


def _build(p: NationalProblem, r: CommendRules, enforced: Sequence[str]) -> _Model:
    m = cp_model.CpModel()
    x = [m.new_bool_var(f"x_{cid}") for cid in p.ids]
    literals: dict[str, cp_model.IntVar] = {}
    for name, add in _rules(p, r).items():
        lit = m.new_bool_var(f"rule_{name}")
        add(m, x, lit)
        literals[name] = lit
        if name in enforced:
            m.add(lit == 1)
    return _Model(m, x, literals)


def _solve(
    model: cp_model.CpModel, r: CommendRules, *, assume: list[cp_model.IntVar]
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    model.clear_assumptions()
    model.add_assumptions(assume)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = r.time_limit_s
    # assumptions need a single worker to report an infeasible core
    solver.parameters.num_workers = 1 if assume else 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        # the selection must be proven optimal: a feasible one is not enough either
        raise SolverTimeoutError(
            f"national stage not solved to proven optimality in {r.time_limit_s:g} s "
            f"(status {solver.status_name(status)}); raise time_limit_s",
            time_limit_s=r.time_limit_s,
        )
    return solver, status


def _explain(p: NationalProblem, r: CommendRules) -> InfeasibleError:
    names = list(RULE_LABELS)
    built = _build(p, r, enforced=())
    solver, _ = _solve(built.model, r, assume=list(built.literals.values()))
    core_idx = set(solver.sufficient_assumptions_for_infeasibility())
    core = [n for n in names if built.literals[n].index in core_idx]
    binding = []
    for name in names:
        trial = _build(p, r, enforced=[n for n in names if n != name])
        _, status = _solve(trial.model, r, assume=[])
        if status == cp_model.OPTIMAL:
            binding.append(name)
    pairs = list(zip(p.kinds, p.units, p.deep, strict=True))
    team_units = len({u for k, u, _ in pairs if k == "team"})
    deep = sum(1 for k, _, d in pairs if k == "individual" and d)
    counts = (
        f"推荐团队 {p.kinds.count('team')} 个（来自 {team_units} 个单位）、"
        f"推荐个人 {p.kinds.count('individual')} 名（其中服务深度贫困地区 {deep} 名）"
    )
    named = binding or core
    text = "；".join(f"{n}（{RULE_LABELS[n]}）" for n in named)
    how = "放宽其中任一条即可行" if binding else "这些规则合在一起无法满足（不可行核）"
    return InfeasibleError(
        f"national stage infeasible — binding rule: {text}; {how}。{counts}",
        constraint=",".join(named),
    )


def _objective(p: NationalProblem, x: list[cp_model.IntVar]) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.weighted_sum(x, list(p.merit))


def _selected(
    p: NationalProblem, solver: cp_model.CpSolver, x: list[cp_model.IntVar]
) -> frozenset[str]:
    return frozenset(p.ids[i] for i in range(len(p)) if solver.boolean_value(x[i]))


def select(p: NationalProblem, r: CommendRules) -> NationalSelection:
    """The merit-maximal selection under rules (1)–(6); :class:`InfeasibleError` names
    the binding rule."""
    built = _build(p, r, enforced=list(RULE_LABELS))
    built.model.maximize(_objective(p, built.x))
    solver, status = _solve(built.model, r, assume=[])
    if status == cp_model.INFEASIBLE:
        raise _explain(p, r)
    chosen = _selected(p, solver, built.x)
    log.info("national stage: %d selected, merit %d (optimal)", len(chosen), solver.objective_value)
    return NationalSelection(chosen, round(solver.objective_value), 0)


def reselect(p: NationalProblem, r: CommendRules, previous: frozenset[str]) -> NationalSelection:
    """After withdrawals (candidates absent from ``p``): fewest changes to ``previous``,
    then the highest merit."""
    built = _build(p, r, enforced=list(RULE_LABELS))
    kept = [built.x[i] for i in range(len(p)) if p.ids[i] in previous]
    gone = len(previous) - len(kept)  # withdrawn selected candidates: changes in any case
    built.model.maximize(sum(kept))
    solver, status = _solve(built.model, r, assume=[])
    if status == cp_model.INFEASIBLE:
        raise _explain(p, r)
    best_kept = round(solver.objective_value)
    built.model.add(sum(kept) == best_kept)
    built.model.maximize(_objective(p, built.x))
    solver, _ = _solve(built.model, r, assume=[])
    chosen = _selected(p, solver, built.x)
    changes = gone + len(kept) - best_kept
    log.info("national stage re-solved: %d changes, merit %d", changes, solver.objective_value)
    return NationalSelection(chosen, round(solver.objective_value), changes)
