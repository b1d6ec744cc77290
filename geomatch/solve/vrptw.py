"""Routing core: the vehicle routing problem with time windows (VRPTW).

One model serves the science-caravan day trips (:mod:`geomatch.solve.caravan`) and the
standard benchmark instances (Solomon / Gehring & Homberger text format, read by
:func:`read_solomon`).

Formulation
-----------
Nodes ``0..n`` with node 0 the depot; vehicles ``k = 1..K`` of capacity ``Q`` start and
end at the depot. For every node ``i``: demand ``q_i``, time window ``[a_i, b_i]``,
service duration ``s_i``; for every arc: distance ``d_ij`` and travel time ``t_ij``.
A route is feasible when its load is at most ``Q`` and, with service starting at
``S_j = max(a_j, S_i + s_i + t_ij)`` (waiting allowed), ``S_j ≤ b_j`` for every stop
and the vehicle is back at the depot by ``b_0``. Each customer is served at most once
(exactly once when it carries no skip penalty). The objective is hierarchical, as in
the best known solutions of the benchmark literature::

    minimise  F · (vehicles used) + Σ d_ij (arcs used) + Σ p_i (skipped customers)

with the fixed cost ``F`` larger than any possible total distance, so a solution with
fewer vehicles always wins (see :func:`hierarchical_vehicle_cost`).

Backends
--------
``ortools``
    OR-Tools constraint-programming routing (time and load dimensions, guided local
    search, then route elimination: the smallest route is removed and its customers
    re-inserted with one vehicle less while time remains). Integer costs: distances
    and times are multiplied by ``scale`` (default 1000); travel plus service times
    are rounded *up* and due dates *down*, so every integer-feasible route is feasible
    in exact arithmetic.
``pyvrp``
    PyVRP's iterated local search on the same integer data (:func:`pyvrp_data`), with
    the fixed vehicle cost, for the whole budget.
``vroom``
    pyvroom's construction and local search. VROOM has no skip penalties: its job
    priorities only decide which jobs drop when not all fit, they are never traded
    against distance, so a problem with ``skip_penalty`` is refused (``InputError``).
``portfolio``
    pyvroom for a first fleet, route elimination with PyVRP (one vehicle less at a time,
    when every customer must be served), then PyVRP's search from the best routes (PyVRP
    honours the penalties); measured against PyVRP at its best in
    ``solvers/BENCHMARKS.md``. Without pyvroom installed it is PyVRP alone and the
    solution says ``pyvrp``.

Every solution is re-checked with :func:`check_routes`, an independent simulation in
floating point that shares no code with the models.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from geomatch.errors import InputError

if TYPE_CHECKING:
    from ortools.constraint_solver import pywrapcp, routing_parameters_pb2
    from pyvrp import ProblemData
    from pyvrp import Solution as PyvrpSolution

__all__ = [
    "Backend",
    "VrptwProblem",
    "VrptwSolution",
    "check_routes",
    "default_backend",
    "euclidean_matrix",
    "hierarchical_vehicle_cost",
    "pyvrp_data",
    "pyvrp_routes",
    "read_solomon",
    "route_distance",
    "search_with_move_budget",
    "solve_vrptw",
]

log = logging.getLogger(__name__)

Backend = Literal["ortools", "pyvrp", "vroom", "portfolio"]

#: Backend used when none is named, chosen by measurement (solvers/BENCHMARKS.md,
#: ``## Tours``): the portfolio when PyVRP is installed (``pip install geomatch[bench]``),
#: else OR-Tools.
DEFAULT_BACKEND: Backend = "ortools"


def default_backend() -> Backend:
    """``portfolio`` when PyVRP can be imported, else ``ortools``."""
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return DEFAULT_BACKEND
    return "portfolio"


_EPS = 1e-6


@dataclass(frozen=True, eq=False)
class VrptwProblem:
    """A VRPTW instance; node 0 is the depot.

    Parameters
    ----------
    name
        Instance name (used in logs and outputs).
    distance
        ``(n+1, n+1)`` travel distances (any unit; km for caravans).
    duration
        ``(n+1, n+1)`` travel times in the time unit of the windows (minutes for
        caravans; equal to ``distance`` for Solomon instances).
    demand, ready, due, service
        Per node: load, earliest and latest service start, service duration.
        The depot's ``[ready, due]`` is the working horizon of every vehicle.
    capacity
        Load limit of each vehicle.
    n_vehicles
        Fleet size ``K`` (upper bound on routes).
    node_ids
        External identifier of each node (customer numbers, township codes …).
    skip_penalty
        Per node cost of leaving it unserved, in distance units; ``None`` = every
        customer must be served.
    """

    name: str
    distance: np.ndarray
    duration: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray
    capacity: float
    n_vehicles: int
    node_ids: tuple[str, ...]
    skip_penalty: np.ndarray | None = None

    @property
    def n_customers(self) -> int:
        """Number of customers (nodes without the depot)."""
        return len(self.node_ids) - 1

    def subset(self, nodes: Sequence[int], *, name: str | None = None) -> VrptwProblem:
        """The instance restricted to the depot and ``nodes`` (in that order)."""
        idx = np.array([0, *[int(i) for i in nodes if int(i) != 0]], dtype=int)
        return VrptwProblem(
            name=name or self.name,
            distance=self.distance[np.ix_(idx, idx)],
            duration=self.duration[np.ix_(idx, idx)],
            demand=self.demand[idx],
            ready=self.ready[idx],
            due=self.due[idx],
            service=self.service[idx],
            capacity=self.capacity,
            n_vehicles=self.n_vehicles,
            node_ids=tuple(self.node_ids[i] for i in idx),
            skip_penalty=None if self.skip_penalty is None else self.skip_penalty[idx],
        )


@dataclass(frozen=True)
class VrptwSolution:
    """Routes of a VRPTW solution.

    Attributes
    ----------
    routes
        One tuple of node indices per used vehicle, depot excluded, in visiting order.
    distance
        Total distance, exact floating point (unrounded).
    vehicles
        Number of non-empty routes.
    unserved
        Customers left out (only when the problem has skip penalties).
    feasible
        Verdict of the independent :func:`check_routes`.
    violations
        What :func:`check_routes` found wrong (empty when feasible).
    seconds
        Wall-clock solve time.
    backend
        The backend that produced the routes (``portfolio`` without pyvroom installed
        reports ``pyvrp``).
    """

    routes: tuple[tuple[int, ...], ...]
    distance: float
    vehicles: int
    unserved: tuple[int, ...]
    feasible: bool
    violations: tuple[str, ...] = field(default=())
    seconds: float = 0.0
    backend: str = ""


# --------------------------------------------------------------------------- reading


def euclidean_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Unrounded Euclidean distances between all points, double precision."""
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    dist: np.ndarray = np.sqrt(dx * dx + dy * dy)
    return dist


def read_solomon(path: str | Path) -> VrptwProblem:
    """Read a VRPTW instance in Solomon's text format.

    The format (Solomon 1987; Gehring & Homberger use the same) is the instance name,
    a ``VEHICLE`` block with ``NUMBER CAPACITY`` and a ``CUSTOMER`` block of rows
    ``CUST_NO X Y DEMAND READY DUE SERVICE`` with the depot as customer 0. Distances and
    travel times are the unrounded Euclidean distances.

    Raises
    ------
    InputError
        Missing file, missing block, or a customer row that is not 7 numbers (the error
        names the file line).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("Solomon instance file not found", file=p)
    try:
        lines = p.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise InputError("a Solomon instance must be plain text", file=p) from None
    name = next((ln.strip() for ln in lines if ln.strip()), "")
    if not name:
        raise InputError("empty file (expected a Solomon VRPTW instance)", file=p)
    upper = [ln.strip().upper() for ln in lines]
    try:
        v_at = upper.index("VEHICLE")
        c_at = upper.index("CUSTOMER")
    except ValueError:
        raise InputError(
            "not a Solomon VRPTW instance: the VEHICLE and CUSTOMER blocks are missing", file=p
        ) from None
    fleet: list[str] = []
    for i in range(v_at + 1, c_at):
        tok = lines[i].split()
        if tok and tok[0].isdigit():
            fleet = tok
            if len(tok) < 2:
                raise InputError("expected 'NUMBER CAPACITY'", file=p, row=i + 1)
            break
    if not fleet:
        raise InputError("the VEHICLE block has no 'NUMBER CAPACITY' line", file=p, row=v_at + 1)
    rows: list[list[float]] = []
    for i in range(c_at + 1, len(lines)):
        tok = lines[i].split()
        if not tok or not tok[0].lstrip("-").replace(".", "", 1).isdigit():
            continue
        if len(tok) != 7:
            raise InputError(
                f"a customer row has 7 numbers (CUST NO, X, Y, DEMAND, READY, DUE, SERVICE); "
                f"found {len(tok)}",
                file=p,
                row=i + 1,
            )
        try:
            rows.append([float(t) for t in tok])
        except ValueError:
            raise InputError(f"not a number in {lines[i].strip()!r}", file=p, row=i + 1) from None
        if rows[-1][0] != len(rows) - 1:
            raise InputError(
                f"customers must be numbered 0, 1, 2 … in order; found {tok[0]}",
                file=p,
                row=i + 1,
            )
    if len(rows) < 2:
        raise InputError("the CUSTOMER block needs the depot and at least one customer", file=p)
    a = np.asarray(rows)
    d = euclidean_matrix(a[:, 1], a[:, 2])
    return VrptwProblem(
        name=name,
        distance=d,
        duration=d,
        demand=a[:, 3],
        ready=a[:, 4],
        due=a[:, 5],
        service=a[:, 6],
        capacity=float(fleet[1]),
        n_vehicles=int(fleet[0]),
        node_ids=tuple(str(int(c)) for c in a[:, 0]),
    )


# --------------------------------------------------------------------------- checking


def route_distance(problem: VrptwProblem, route: Sequence[int]) -> float:
    """Distance of one route depot → stops → depot (exact floating point)."""
    path = [0, *route, 0]
    return float(sum(problem.distance[path[k], path[k + 1]] for k in range(len(path) - 1)))


def check_routes(
    problem: VrptwProblem, routes: Sequence[Sequence[int]], *, require_all: bool | None = None
) -> list[str]:
    """Independent feasibility check of a set of routes (floating point simulation).

    Checks: node indices valid; every customer at most once (exactly once when
    ``require_all``, default: when the problem has no skip penalties); at most
    ``n_vehicles`` non-empty routes; load ≤ capacity; service start within each time
    window (waiting allowed); return to the depot by its due time.

    Returns
    -------
    list of str
        One message per violation, quoting the numbers; empty when feasible.
    """
    if require_all is None:
        require_all = problem.skip_penalty is None
    n = problem.n_customers
    errs: list[str] = []
    seen: dict[int, int] = {}
    used = [r for r in routes if len(r) > 0]
    if len(used) > problem.n_vehicles:
        errs.append(f"{len(used)} routes used, fleet is {problem.n_vehicles}")
    for k, route in enumerate(used):
        load = 0.0
        t = float(problem.ready[0])
        prev = 0
        for node in route:
            if not 1 <= node <= n:
                errs.append(f"route {k}: node {node} is not a customer (1..{n})")
                break
            if node in seen:
                errs.append(
                    f"customer {problem.node_ids[node]} served twice (routes {seen[node]}, {k})"
                )
            seen[node] = k
            load += float(problem.demand[node])
            arrive = t + float(problem.duration[prev, node])
            start = max(arrive, float(problem.ready[node]))
            if start > float(problem.due[node]) + _EPS:
                errs.append(
                    f"route {k}: customer {problem.node_ids[node]} starts at {start:.4f}, "
                    f"after its due time {float(problem.due[node]):.4f}"
                )
            t = start + float(problem.service[node])
            prev = node
        back = t + float(problem.duration[prev, 0])
        if back > float(problem.due[0]) + _EPS:
            errs.append(
                f"route {k}: back at the depot at {back:.4f}, after {float(problem.due[0]):.4f}"
            )
        if load > problem.capacity + _EPS:
            errs.append(f"route {k}: load {load:g} exceeds capacity {problem.capacity:g}")
    if require_all:
        missing = [problem.node_ids[i] for i in range(1, n + 1) if i not in seen]
        if missing:
            errs.append(f"{len(missing)} customers not served: {', '.join(missing[:10])}")
    return errs


# --------------------------------------------------------------------------- solving


def hierarchical_vehicle_cost(problem: VrptwProblem) -> float:
    """A fixed cost per vehicle larger than any possible total distance.

    A solution has at most ``n + K`` arcs, each at most the longest arc, so
    ``F = (n + K) · max d_ij + 1`` dominates every distance difference.
    """
    return float((problem.n_customers + problem.n_vehicles) * problem.distance.max() + 1.0)


def _integer_data(problem: VrptwProblem, scale: float) -> dict[str, np.ndarray]:
    """Integer distance, transit time (travel + service of the origin) and windows.

    Transit times round up and due dates round down, so integer feasibility implies
    exact feasibility.
    """
    dist = np.rint(problem.distance * scale).astype(np.int64)
    transit = np.ceil((problem.duration + problem.service[:, None]) * scale - 1e-9).astype(np.int64)
    travel = np.ceil(problem.duration * scale - 1e-9).astype(np.int64)
    ready = np.ceil(problem.ready * scale - 1e-9).astype(np.int64)
    due = np.floor(problem.due * scale + 1e-9).astype(np.int64)
    service = np.ceil(problem.service * scale - 1e-9).astype(np.int64)
    np.fill_diagonal(dist, 0)
    return {
        "dist": dist,
        "transit": transit,
        "travel": travel,
        "ready": ready,
        "due": due,
        "service": service,
    }


def _demand_int(problem: VrptwProblem) -> tuple[np.ndarray, int]:
    dem = np.asarray(problem.demand, dtype=float)
    if np.allclose(dem, np.round(dem)) and float(problem.capacity).is_integer():
        return np.round(dem).astype(np.int64), int(problem.capacity)
    return np.ceil(dem * 1000 - 1e-9).astype(np.int64), math.floor(problem.capacity * 1000)


def _finish(
    problem: VrptwProblem, routes: list[list[int]], start: float, backend: str
) -> VrptwSolution:
    routes = [r for r in routes if r]
    served = {i for r in routes for i in r}
    unserved = tuple(i for i in range(1, problem.n_customers + 1) if i not in served)
    viol = check_routes(problem, routes)
    if viol:
        log.warning(
            "%s: %s backend returned infeasible routes: %s", problem.name, backend, viol[:3]
        )
    return VrptwSolution(
        routes=tuple(tuple(r) for r in routes),
        distance=sum(route_distance(problem, r) for r in routes),
        vehicles=len(routes),
        unserved=unserved,
        feasible=not viol,
        violations=tuple(viol),
        seconds=time.perf_counter() - start,
        backend=backend,
    )


def solve_vrptw(
    problem: VrptwProblem,
    *,
    time_limit_s: float = 10.0,
    backend: Backend | None = None,
    seed: int = 0,
    scale: float = 1000.0,
    vehicle_cost: float | None = None,
    eliminate_routes: bool = True,
    initial_routes: Sequence[Sequence[int]] | None = None,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
    branch_limit: int = 0,
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    solution_limit: int = 0,
) -> VrptwSolution:
    """Solve a VRPTW with the hierarchical objective.

    Parameters
    ----------
    problem
        The instance.
    time_limit_s
        Wall-clock budget in seconds.
    backend
        ``ortools``, ``pyvrp``, ``vroom`` or ``portfolio`` (pyvroom, then PyVRP from its
        solution); default :func:`default_backend`.
    seed
        Random seed (PyVRP; OR-Tools is deterministic).
    scale
        Integer scale of distances and times (1000 → three decimals).
    vehicle_cost
        Fixed cost per vehicle in distance units; default
        :func:`hierarchical_vehicle_cost` (fewest vehicles first). Use 0 to minimise
        distance only.
    eliminate_routes
        OR-Tools only: after the first local search, try to remove routes one at a
        time while the time limit allows.
    initial_routes
        OR-Tools only: a starting solution (node indices, depot excluded).
    first_solution
        OR-Tools only: first-solution strategy (a ``FirstSolutionStrategy`` name;
        ``SAVINGS`` suits problems without time windows but the day length).
    branch_limit
        OR-Tools only, without route elimination: stop the local search after this
        many moves (search branches), a deterministic budget; the time limit then only
        caps it. 0 = the time limit alone.
    metaheuristic
        OR-Tools only: a ``LocalSearchMetaheuristic`` name.
    solution_limit
        OR-Tools only, without route elimination: stop after this many solutions of the
        search (a deterministic budget; the time limit then only caps it). 0 = none.

    Returns
    -------
    VrptwSolution
        Routes with exact distance and the independent feasibility verdict. When no
        feasible solution is found, ``routes`` is empty and every customer unserved.
    """
    backend = _usable_backend(problem, backend or default_backend())
    F = hierarchical_vehicle_cost(problem) if vehicle_cost is None else float(vehicle_cost)
    t0 = time.perf_counter()
    if problem.n_customers == 0:
        return _finish(problem, [], t0, backend)
    if backend == "pyvrp":
        routes = _solve_pyvrp(problem, time_limit_s, seed, scale, F)
    elif backend == "vroom":
        routes = _solve_vroom(problem, time_limit_s, scale, F)
    elif backend == "portfolio":
        routes = _solve_portfolio(problem, time_limit_s, seed, scale, F, t0)
    elif backend == "ortools":
        routes = _solve_ortools(
            problem,
            time_limit_s,
            scale,
            F,
            eliminate_routes,
            initial_routes,
            t0,
            first_solution,
            branch_limit,
            metaheuristic,
            solution_limit,
        )
    else:
        raise InputError(
            f"unknown VRPTW backend {backend!r}; use ortools, pyvrp, vroom or portfolio"
        )
    return _finish(problem, routes, t0, backend)


def _usable_backend(problem: VrptwProblem, backend: Backend) -> Backend:
    """The backend that will really solve ``problem``: ``vroom`` refuses skip penalties
    (it cannot honour them); the ``portfolio`` is ``pyvrp`` alone without pyvroom."""
    if backend == "vroom" and problem.skip_penalty is not None:
        raise InputError(
            f"{problem.name}: the vroom backend cannot honour skip penalties (VROOM's job "
            "priorities only choose which jobs drop, never against distance); use ortools, "
            "pyvrp or portfolio"
        )
    if backend == "portfolio" and importlib.util.find_spec("vroom") is None:
        log.info("pyvroom is not installed; the portfolio is PyVRP alone")
        return "pyvrp"
    return backend


# --- OR-Tools ---------------------------------------------------------------


def _ortools_model(
    problem: VrptwProblem,
    ints: dict[str, np.ndarray],
    n_vehicles: int,
    fixed: int,
    penalty: np.ndarray | None,
) -> tuple[pywrapcp.RoutingIndexManager, pywrapcp.RoutingModel]:
    from ortools.constraint_solver import pywrapcp

    n = problem.n_customers + 1
    manager = pywrapcp.RoutingIndexManager(n, n_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist_cb = routing.RegisterTransitMatrix(ints["dist"].tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(dist_cb)
    if fixed:
        routing.SetFixedCostOfAllVehicles(int(fixed))
    time_cb = routing.RegisterTransitMatrix(ints["transit"].tolist())
    horizon = int(ints["due"][0])
    routing.AddDimension(time_cb, horizon, horizon, False, "Time")
    tdim = routing.GetDimensionOrDie("Time")
    for node in range(1, n):
        lo, hi = int(ints["ready"][node]), int(ints["due"][node])
        tdim.CumulVar(manager.NodeToIndex(node)).SetRange(min(lo, hi), hi)
    for v in range(n_vehicles):
        tdim.CumulVar(routing.Start(v)).SetRange(int(ints["ready"][0]), horizon)
        tdim.CumulVar(routing.End(v)).SetRange(int(ints["ready"][0]), horizon)
    dem, cap = _demand_int(problem)
    if dem.sum() > 0:
        dem_cb = routing.RegisterUnaryTransitVector(dem.tolist())
        routing.AddDimensionWithVehicleCapacity(dem_cb, 0, [cap] * n_vehicles, True, "Load")
    if penalty is not None:
        for node in range(1, n):
            routing.AddDisjunction([manager.NodeToIndex(node)], int(penalty[node]))
    for v in range(n_vehicles):
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.Start(v)))
    return manager, routing


def _ortools_params(
    seconds: float,
    first: str = "PARALLEL_CHEAPEST_INSERTION",
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
) -> routing_parameters_pb2.RoutingSearchParameters:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first)
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic
    )
    ms = max(1, int(seconds * 1000))
    params.time_limit.FromMilliseconds(ms)
    return params


def _extract(
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    assignment: pywrapcp.Assignment,
) -> list[list[int]]:
    routes: list[list[int]] = []
    for v in range(routing.vehicles()):
        idx = routing.Start(v)
        r: list[int] = []
        idx = assignment.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            r.append(manager.IndexToNode(idx))
            idx = assignment.Value(routing.NextVar(idx))
        if r:
            routes.append(r)
    return routes


def _solve_ortools(
    problem: VrptwProblem,
    time_limit_s: float,
    scale: float,
    F: float,
    eliminate: bool,
    initial: Sequence[Sequence[int]] | None,
    t0: float,
    first: str = "PARALLEL_CHEAPEST_INSERTION",
    branch_limit: int = 0,
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    solution_limit: int = 0,
) -> list[list[int]]:
    ints = _integer_data(problem, scale)
    fixed = round(F * scale)
    pen = None
    if problem.skip_penalty is not None:
        pen = np.rint(problem.skip_penalty * scale).astype(np.int64)
    K = problem.n_vehicles
    manager, routing = _ortools_model(problem, ints, K, fixed, pen)
    # Phase 1: guided local search with the fixed vehicle cost (40 % of the budget, all
    # of it when routes are not eliminated).
    share = 0.4 if eliminate and problem.skip_penalty is None else 1.0
    params = _ortools_params(time_limit_s * share, first, metaheuristic)
    budget = int(branch_limit) if share == 1.0 else 0
    if solution_limit and share == 1.0:
        params.solution_limit = int(solution_limit)
    sol = None
    if initial:
        init = routing.ReadAssignmentFromRoutes([list(r) for r in initial if r], True)
        sol = search_with_move_budget(routing, params, budget, init) if init else None
    if sol is None:
        sol = search_with_move_budget(routing, params, budget)
    if sol is None:
        # No first solution in time (a busy machine, a tight budget): once more, longer,
        # with the cheapest-arc heuristic.
        retry = max(1.0, 2.0 * time_limit_s)
        log.info(
            "%s: no solution in %.2f s; retrying for %.1f s",
            problem.name,
            time_limit_s * share,
            retry,
        )
        sol = routing.SolveWithParameters(_ortools_params(retry, "PATH_CHEAPEST_ARC"))
    if sol is None:
        log.warning("%s: OR-Tools found no feasible solution in %.1f s", problem.name, time_limit_s)
        return []
    best = _extract(manager, routing, sol)
    if share == 1.0:
        return best
    # Phase 2, route elimination: drop the smallest route and re-insert its customers with
    # one vehicle less (customers optional with a penalty above every vehicle's cost); the
    # search stops at the first solution that serves everyone. At most 30 % per attempt.
    improved = False
    while len(best) > 1:
        left = time_limit_s - (time.perf_counter() - t0)
        if left < 0.15 * time_limit_s:
            break
        k = len(best) - 1
        big = fixed * (K + 2)
        keep = sorted(best, key=len)[1:]
        m2, r2 = _ortools_model(problem, ints, k, fixed, np.full(problem.n_customers + 1, big))
        r2.AddAtSolutionCallback(_stop_when_below(r2, big))
        init = r2.ReadAssignmentFromRoutes(keep, True)
        p2 = _ortools_params(min(left - 0.1 * time_limit_s, 0.3 * time_limit_s))
        sol2 = r2.SolveFromAssignmentWithParameters(init, p2) if init else None
        if sol2 is None:
            break
        routes2 = _extract(m2, r2, sol2)
        if sum(len(r) for r in routes2) != problem.n_customers:
            break
        log.debug("%s: route elimination reached %d vehicles", problem.name, len(routes2))
        best, improved = routes2, True
    # Phase 3: distance with the smallest fleet found, from the best routes, for the rest.
    left = time_limit_s - (time.perf_counter() - t0)
    if left > 0.05:
        m3, r3 = (
            _ortools_model(problem, ints, len(best), fixed, None)
            if improved
            else (
                manager,
                routing,
            )
        )
        init = r3.ReadAssignmentFromRoutes(best, True)
        sol3 = r3.SolveFromAssignmentWithParameters(init, _ortools_params(left)) if init else None
        if sol3 is not None:
            best = _extract(m3, r3, sol3)
    return best


def search_with_move_budget(
    routing: pywrapcp.RoutingModel,
    params: routing_parameters_pb2.RoutingSearchParameters,
    branches: int,
    start: pywrapcp.Assignment | None = None,
) -> pywrapcp.Assignment | None:
    """Solve an OR-Tools routing model with a deterministic local-search budget.

    The first solution (``start``, else the first-solution strategy of ``params``) is
    not counted; the local search that follows stops after ``branches`` moves (search
    branches, on top of the ``2 · (indices + vehicles)`` that restoring the start may
    take) or at the time limit of ``params``, whichever comes first. The same model and
    budget give the same solution on any machine as long as the time limit does not
    bind. ``branches = 0``: the time limit alone. Returns the assignment or ``None``.
    """
    if not branches:
        if start is not None:
            return routing.SolveFromAssignmentWithParameters(start, params)
        return routing.SolveWithParameters(params)
    if start is None:
        first = type(params)()
        first.CopyFrom(params)
        first.solution_limit = 1
        start = routing.SolveWithParameters(first)
        if start is None:
            return None
    restore = 2 * (routing.Size() + routing.vehicles())
    routing.AddSearchMonitor(routing.solver().BranchesLimit(int(branches) + restore))
    return routing.SolveFromAssignmentWithParameters(start, params)


def _stop_when_below(routing: pywrapcp.RoutingModel, limit: int) -> Callable[[], None]:
    """At-solution callback ending the search once the cost drops below ``limit``."""

    def cb() -> None:
        if routing.CostVar().Value() < limit:
            routing.solver().FinishCurrentSearch()

    return cb


# --- PyVRP ------------------------------------------------------------------


def pyvrp_data(
    problem: VrptwProblem,
    *,
    scale: float = 1000.0,
    vehicle_cost: float | None = None,
    num_available: int | None = None,
) -> ProblemData:
    """The instance as PyVRP problem data, on the integer data every backend gets.

    Distances and times are ``scale``-fold integers (travel plus service rounded up, due
    dates down, see :func:`_integer_data`), demands integers. One vehicle type:
    ``num_available`` vehicles (default the instance's fleet ``K``) with the fixed cost
    ``vehicle_cost`` in distance units (default :func:`hierarchical_vehicle_cost`, so
    fewer vehicles always win). A customer with a skip penalty is optional with that
    prize. PyVRP numbers its clients from 0: node ``i`` is client ``i − 1``.
    """
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType

    F = hierarchical_vehicle_cost(problem) if vehicle_cost is None else float(vehicle_cost)
    ints = _integer_data(problem, scale)
    dem, cap = _demand_int(problem)
    n = problem.n_customers + 1
    optional = problem.skip_penalty is not None
    clients = [
        Client(
            location=i,
            delivery=[int(dem[i])],
            service_duration=int(ints["service"][i]),
            tw_early=int(min(ints["ready"][i], ints["due"][i])),
            tw_late=int(ints["due"][i]),
            prize=round(float(problem.skip_penalty[i]) * scale)
            if problem.skip_penalty is not None
            else 0,
            required=not optional,
        )
        for i in range(1, n)
    ]
    early, late = int(ints["ready"][0]), int(ints["due"][0])
    fleet = VehicleType(
        num_available=int(num_available or problem.n_vehicles),
        capacity=[cap],
        fixed_cost=round(F * scale),
        tw_early=early,
        tw_late=late,
    )
    return ProblemData(
        locations=[Location(float(i), 0.0) for i in range(n)],
        clients=clients,
        depots=[Depot(location=0, tw_early=early, tw_late=late)],
        vehicle_types=[fleet],
        # PyVRP's stubs spell an int64 matrix as ndarray[int]
        distance_matrices=[ints["dist"]],  # type: ignore[list-item]
        duration_matrices=[ints["travel"]],  # type: ignore[list-item]
    )


def pyvrp_routes(solution: PyvrpSolution) -> list[list[int]]:
    """Routes of a PyVRP solution as node indices (client ``c`` is node ``c + 1``)."""
    return [[int(a.idx) + 1 for a in route if a.is_client()] for route in solution.routes()]


def _pyvrp_solution(data: ProblemData, routes: Sequence[Sequence[int]]) -> PyvrpSolution:
    from pyvrp import Solution

    return Solution(data, [[int(i) - 1 for i in r] for r in routes if r])


def _with_fleet(data: ProblemData, vehicles: int) -> ProblemData:
    fleet = data.vehicle_type(0)
    return data.replace(vehicle_types=[fleet.replace(num_available=vehicles)])


def _solve_pyvrp(
    problem: VrptwProblem,
    time_limit_s: float,
    seed: int,
    scale: float,
    F: float,
    initial: Sequence[Sequence[int]] | None = None,
) -> list[list[int]]:
    """PyVRP's iterated local search with the fixed vehicle cost, for the whole budget."""
    from pyvrp import solve
    from pyvrp.stop import MaxRuntime

    data = pyvrp_data(problem, scale=scale, vehicle_cost=F)
    init = _pyvrp_solution(data, initial) if initial else None
    res = solve(
        data,
        stop=MaxRuntime(max(0.01, time_limit_s)),
        seed=seed,
        collect_stats=False,
        display=False,
        initial_solution=init,
    )
    if not res.best.is_feasible():
        log.warning("%s: PyVRP found no feasible solution in %.1f s", problem.name, time_limit_s)
        return []
    return pyvrp_routes(res.best)


def _fleet_lower_bound(problem: VrptwProblem) -> int:
    """Vehicles needed for the total demand alone (at least one)."""
    dem, cap = _demand_int(problem)
    return max(1, math.ceil(int(dem.sum()) / max(cap, 1)))


def _eliminate_routes(
    problem: VrptwProblem,
    data: ProblemData,
    routes: list[list[int]] | None,
    until: float,
    seed: int,
) -> list[list[int]] | None:
    """Route elimination with PyVRP until ``until`` (a ``time.perf_counter`` instant).

    From a feasible solution with ``k`` routes (none: the whole fleet), PyVRP searches
    for any feasible solution with ``k − 1`` vehicles available, from its own random
    start, and stops at the first one; this repeats until an attempt fails, the time is
    up or the demand bound is reached. Restarting from the ``k − 1`` longest routes of
    the last solution was measured worse (it stays near that solution; see
    ``solvers/BENCHMARKS.md``). Returns the feasible solution with the fewest routes.
    """
    from pyvrp import solve
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.stop import FirstFeasible, MaxRuntime, MultipleCriteria

    lower = _fleet_lower_bound(problem)
    best = routes
    while best is None or len(best) > lower:
        left = until - time.perf_counter()
        if left <= 0.0:
            break
        k = problem.n_vehicles if best is None else len(best) - 1
        stop = MultipleCriteria([FirstFeasible(), MaxRuntime(left)])
        with warnings.catch_warnings():
            # An attempt with too few vehicles drives PyVRP's penalties to their bound,
            # and PyVRP warns; here that is the expected end of the elimination.
            warnings.simplefilter("ignore", PenaltyBoundWarning)
            res = solve(
                _with_fleet(data, k), stop=stop, seed=seed, collect_stats=False, display=False
            )
        if not res.best.is_feasible():
            break
        best = pyvrp_routes(res.best)
        log.debug("%s: route elimination reached %d vehicles", problem.name, len(best))
    return best


# --- pyvroom and the portfolio ---------------------------------------------------


def _solve_vroom(
    problem: VrptwProblem, time_limit_s: float, scale: float, F: float
) -> list[list[int]]:
    import datetime as dt

    import vroom

    ints = _integer_data(problem, scale)
    dem, cap = _demand_int(problem)
    inp = vroom.Input()
    inp.set_durations_matrix("car", ints["travel"].astype(np.uint32))
    inp.set_costs_matrix("car", ints["dist"].astype(np.uint32))
    tw0 = vroom.TimeWindow(int(ints["ready"][0]), int(ints["due"][0]))
    for v in range(problem.n_vehicles):
        inp.add_vehicle(
            vroom.Vehicle(
                v,
                start=0,
                end=0,
                capacity=[cap],
                time_window=tw0,
                costs=vroom.VehicleCosts(fixed=round(F * scale)),
            )
        )
    for i in range(1, problem.n_customers + 1):
        inp.add_job(
            vroom.Job(
                i,
                location=i,
                default_service=int(ints["service"][i]),
                delivery=vroom.Amount([int(dem[i])]),
                time_windows=[vroom.TimeWindow(int(ints["ready"][i]), int(ints["due"][i]))],
            )
        )
    sol = inp.solve(
        exploration_level=5, nb_threads=1, timeout=dt.timedelta(seconds=max(0.01, time_limit_s))
    )
    df = sol.routes
    jobs = df[df["type"] == "job"]
    return [list(g["id"].astype(int)) for _v, g in jobs.groupby("vehicle_id", sort=True)]


def _solve_portfolio(
    problem: VrptwProblem, time_limit_s: float, seed: int, scale: float, F: float, t0: float
) -> list[list[int]]:
    """pyvroom, route elimination with PyVRP, then PyVRP's search for distance.

    1. pyvroom's construction and local search (at most 10 % of the budget) give a first
       feasible fleet;
    2. when every customer must be served, :func:`_eliminate_routes` until half of the
       budget has passed;
    3. PyVRP's iterated local search, with the fixed vehicle cost and as many vehicles as
       the best solution uses, started from it, for the rest of the budget.

    The whole run ends within ``time_limit_s`` of ``t0``; the best feasible solution of
    any phase is kept.
    """
    from pyvrp import solve
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.stop import MaxRuntime

    end = t0 + time_limit_s - 0.02
    best: list[list[int]] | None = None
    if importlib.util.find_spec("vroom") is not None:
        best = _solve_vroom(problem, 0.1 * time_limit_s, scale, F)
    if best and (check_routes(problem, best) or sum(map(len, best)) != problem.n_customers):
        best = None
    data = pyvrp_data(problem, scale=scale, vehicle_cost=F)
    if problem.skip_penalty is None:
        best = _eliminate_routes(problem, data, best, t0 + 0.5 * time_limit_s, seed)
    if best:
        data = _with_fleet(data, len(best))
    with warnings.catch_warnings():
        # With exactly the fleet of the best routes (C101: 10 for a demand of 9.05 loads)
        # PyVRP's penalties reach their bound and it warns of a hard instance; the best
        # routes are feasible and kept, so the warning says nothing here.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        res = solve(
            data,
            stop=MaxRuntime(max(0.01, end - time.perf_counter())),
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=_pyvrp_solution(data, best) if best else None,
        )
    if res.best.is_feasible():
        return pyvrp_routes(res.best)
    if best is None:
        log.warning(
            "%s: the portfolio found no feasible solution in %.1f s", problem.name, time_limit_s
        )
    return best or []
