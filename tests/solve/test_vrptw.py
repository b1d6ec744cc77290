"""VRPTW routing core: reader, both backends, independent feasibility checks."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from geomatch.errors import InputError
from geomatch.solve.vrptw import (
    VrptwProblem,
    check_routes,
    euclidean_matrix,
    read_solomon,
    solve_vrptw,
)

#: The depot and the first 25 customers of Solomon's C101 (the classic "C101.25").
C101_25 = """\
C101

VEHICLE
NUMBER     CAPACITY
  25         200

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      40         50          0          0       1236          0
    1      45         68         10        912        967         90
    2      45         70         30        825        870         90
    3      42         66         10         65        146         90
    4      42         68         10        727        782         90
    5      42         65         10         15         67         90
    6      40         69         20        621        702         90
    7      40         66         20        170        225         90
    8      38         68         20        255        324         90
    9      38         70         10        534        605         90
   10      35         66         10        357        410         90
   11      35         69         10        448        505         90
   12      25         85         20        652        721         90
   13      22         75         30         30         92         90
   14      22         85         10        567        620         90
   15      20         80         40        384        429         90
   16      20         85         40        475        528         90
   17      18         75         20         99        148         90
   18      15         75         20        179        254         90
   19      15         80         10        278        345         90
   20      30         50         10         10         73         90
   21      30         52         20        914        965         90
   22      28         52         20        812        883         90
   23      28         55         10        732        777         90
   24      25         50         10         65        144         90
   25      25         52         40        169        224         90
"""


@pytest.fixture()
def c101_25(tmp_path: Path) -> Path:
    p = tmp_path / "C101_25.txt"
    p.write_text(C101_25.replace("\n", "\r\n"), encoding="ascii")
    return p


def independent_check(path: Path, routes: list[list[int]]) -> tuple[int, float]:
    """Re-read the raw text and simulate the routes; returns (vehicles, distance).

    Shares nothing with geomatch: its own parser, its own distance.
    """
    cust = {}
    lines = path.read_text().splitlines()
    cap = int(lines[4].split()[1])
    for ln in lines[9:]:
        t = ln.split()
        if len(t) == 7:
            cust[int(t[0])] = [float(v) for v in t[1:]]

    def d(a: int, b: int) -> float:
        return math.hypot(cust[a][0] - cust[b][0], cust[a][1] - cust[b][1])

    served = sorted(c for r in routes for c in r)
    assert served == sorted(c for c in cust if c != 0), "every customer exactly once"
    total = 0.0
    for r in routes:
        assert sum(cust[c][2] for c in r) <= cap
        t, prev = 0.0, 0
        for c in r:
            t = max(t + d(prev, c), cust[c][3])
            assert t <= cust[c][4] + 1e-9, f"customer {c} late: {t} > {cust[c][4]}"
            t += cust[c][5]
            total += d(prev, c)
            prev = c
        total += d(prev, 0)
        assert t + d(prev, 0) <= cust[0][4] + 1e-9
    return len(routes), total


def test_read_solomon(c101_25: Path) -> None:
    p = read_solomon(c101_25)
    assert p.name == "C101"
    assert (p.n_customers, p.capacity, p.n_vehicles) == (25, 200.0, 25)
    assert p.node_ids[:3] == ("0", "1", "2")
    assert p.distance[0, 1] == pytest.approx(math.hypot(5, 18))
    assert p.due[0] == 1236 and p.service[1] == 90


@pytest.mark.parametrize("backend", ["ortools", "pyvrp", "portfolio"])
def test_c101_25_feasible_and_near_optimal(c101_25: Path, backend: str) -> None:
    p = read_solomon(c101_25)
    sol = solve_vrptw(p, time_limit_s=1.5, backend=backend)  # type: ignore[arg-type]
    assert sol.feasible and not sol.unserved
    routes = [[int(p.node_ids[i]) for i in r] for r in sol.routes]
    vehicles, dist = independent_check(c101_25, routes)
    assert vehicles == sol.vehicles == 3  # the known optimum of C101.25 uses 3 vehicles
    assert dist == pytest.approx(sol.distance, abs=1e-9)
    assert dist < 191.82  # optimum 191.3 with distances truncated to 0.1; 191.81 unrounded


def test_route_elimination_from_one_route_per_customer(c101_25: Path) -> None:
    """The portfolio's route elimination, started from the worst fleet (25 routes)."""
    import time

    from geomatch.solve.vrptw import _eliminate_routes, pyvrp_data

    p = read_solomon(c101_25)
    start = [[i] for i in range(1, p.n_customers + 1)]
    routes = _eliminate_routes(p, pyvrp_data(p), start, time.perf_counter() + 3.0, seed=0)
    assert routes is not None
    vehicles, _dist = independent_check(c101_25, [[int(p.node_ids[i]) for i in r] for r in routes])
    assert vehicles == 3  # from 25 down to the known optimum fleet of C101.25


def test_read_solomon_bad_row(tmp_path: Path) -> None:
    bad = C101_25.replace(
        "    2      45         70         30        825        870         90",
        "    2      45         70         30        825        870",
    )
    p = tmp_path / "bad.txt"
    p.write_text(bad)
    with pytest.raises(InputError) as exc:
        read_solomon(p)
    assert exc.value.row == 12 and "7 numbers" in str(exc.value)


def test_read_solomon_not_an_instance(tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_text("hello\nworld\n")
    with pytest.raises(InputError, match="VEHICLE and CUSTOMER"):
        read_solomon(p)


def _random_problem(seed: int, n: int = 6) -> VrptwProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, size=(n + 1, 2))
    d = euclidean_matrix(xy[:, 0], xy[:, 1])
    ready = np.r_[0.0, rng.uniform(0, 60, n)]
    due = np.r_[200.0, ready[1:] + rng.uniform(10, 60, n)]
    return VrptwProblem(
        name=f"rand{seed}",
        distance=d,
        duration=d,
        demand=np.r_[0.0, rng.integers(1, 6, n).astype(float)],
        ready=ready,
        due=due,
        service=np.r_[0.0, np.full(n, 5.0)],
        capacity=10.0,
        n_vehicles=n,
        node_ids=tuple(str(i) for i in range(n + 1)),
    )


def brute_force(p: VrptwProblem) -> tuple[int, float]:
    """Lexicographic optimum (vehicles, distance) over all ordered partitions."""
    n = p.n_customers
    best = (n + 1, math.inf)
    for perm in itertools.permutations(range(1, n + 1)):
        for cuts in itertools.product([0, 1], repeat=n - 1):
            routes, cur = [], [perm[0]]
            for c, cut in zip(perm[1:], cuts, strict=True):
                if cut:
                    routes.append(cur)
                    cur = []
                cur.append(c)
            routes.append(cur)
            if len(routes) > best[0]:
                continue
            if check_routes(p, routes):
                continue
            dist = sum(p.distance[a, b] for r in routes for a, b in itertools.pairwise([0, *r, 0]))
            best = min(best, (len(routes), dist))
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("backend", ["ortools", "pyvrp", "portfolio"])
def test_small_instances_match_brute_force(seed: int, backend: str) -> None:
    p = _random_problem(seed)
    opt = brute_force(p)
    assert opt[0] <= p.n_customers, "the random instance must be feasible"
    sol = solve_vrptw(p, time_limit_s=0.5, backend=backend)  # type: ignore[arg-type]
    assert sol.feasible and not sol.unserved
    assert sol.vehicles == opt[0]
    assert sol.distance == pytest.approx(opt[1], rel=1e-6)


def _with_unreachable_customer() -> VrptwProblem:
    """Random instance 4 whose customer 3 cannot be reached in time; skipping costs 1e4."""
    p = _random_problem(4)
    due = p.due.copy()
    due[3] = p.duration[0, 3] - 1.0  # cannot be reached in time
    ready = p.ready.copy()
    ready[3] = 0.0
    return VrptwProblem(
        name="skip",
        distance=p.distance,
        duration=p.duration,
        demand=p.demand,
        ready=ready,
        due=due,
        service=p.service,
        capacity=p.capacity,
        n_vehicles=p.n_vehicles,
        node_ids=p.node_ids,
        skip_penalty=np.full(p.n_customers + 1, 1e4),
    )


@pytest.mark.parametrize("backend", ["ortools", "pyvrp", "portfolio"])
def test_skip_penalty_leaves_out_unreachable_customer(backend: str) -> None:
    q = _with_unreachable_customer()
    sol = solve_vrptw(q, time_limit_s=0.5, vehicle_cost=0, backend=backend)  # type: ignore[arg-type]
    assert sol.backend == backend
    assert sol.unserved == (3,)
    assert sol.feasible
    assert check_routes(q, sol.routes, require_all=True)  # 3 reported missing
    assert "starts at" in check_routes(q, [[3]])[0]


def test_vroom_refuses_skip_penalties() -> None:
    """VROOM cannot trade a skip penalty against distance: refused, not ignored."""
    with pytest.raises(InputError, match="cannot honour skip penalties"):
        solve_vrptw(_with_unreachable_customer(), time_limit_s=0.2, backend="vroom")


def test_vroom_without_penalties_serves_all() -> None:
    p = _random_problem(1)
    sol = solve_vrptw(p, time_limit_s=0.5, backend="vroom")
    assert sol.backend == "vroom" and sol.feasible and not sol.unserved


def test_portfolio_without_pyvroom_reports_pyvrp(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "vroom" else real(name, *a)
    )
    sol = solve_vrptw(_random_problem(2), time_limit_s=0.5, backend="portfolio")
    assert sol.backend == "pyvrp" and sol.feasible and not sol.unserved


def test_checker_catches_violations() -> None:
    p = _random_problem(5)
    assert any("served twice" in e for e in check_routes(p, [[1, 2], [2, 3, 4, 5, 6]]))
    assert any("not served" in e for e in check_routes(p, [[1]]))
    heavy = [[i] for i in range(1, 7)]
    assert not any("capacity" in e for e in check_routes(p, heavy))


def test_cli_tours_vrptw(c101_25: Path, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    code = run_cli(["tours", "vrptw", "--solomon", c101_25, "--time-limit", "1", "--out", out])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["feasible"] is True and summary["vehicles"] == 3
    assert summary["backend"] == "portfolio"  # PyVRP is installed in the dev environment
    lines = (out / "routes.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "vehicle,seq,stop_id"
    routes: dict[str, list[int]] = {}
    for ln in lines[1:]:
        v, _s, c = ln.split(",")
        routes.setdefault(v, []).append(int(c))
    vehicles, dist = independent_check(c101_25, list(routes.values()))
    assert vehicles == 3 and dist == pytest.approx(summary["distance"], abs=1e-5)


def test_cli_tours_vrptw_bad_file(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    code = run_cli(["tours", "vrptw", "--solomon", tmp_path / "none.txt", "--out", tmp_path / "o"])
    assert code == 2
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["C101", "R101", "RC101"])
def test_full_solomon_instance_default_backend(name: str) -> None:
    """A full 100-customer instance at the benchmark budget (instances in solvers/instances)."""
    from solvers.bench.vrptw import benchmark_dir

    try:
        root = benchmark_dir()
    except InputError as exc:
        pytest.skip(str(exc))
    path = root / "solomon_100" / f"{name}.txt"
    sol = solve_vrptw(read_solomon(path), time_limit_s=10)
    assert sol.feasible and not sol.unserved
    routes = [[int(c) for c in r] for r in sol.routes]  # node index == customer number
    vehicles, dist = independent_check(path, routes)
    assert vehicles == sol.vehicles and dist == pytest.approx(sol.distance, abs=1e-6)
