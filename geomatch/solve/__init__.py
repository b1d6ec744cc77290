"""Solvers: the pairing (min-cost flow and CP-SAT) and the tours.

* :mod:`geomatch.solve.pairing` — :func:`solve_pairing`, :func:`run_pairing_scenario`,
  :class:`PairingResult`;
* :mod:`geomatch.solve.tours` — museum and caravan tours (VRPTW core in
  :mod:`geomatch.solve.vrptw`).

The benchmark-only GAP search lives outside the package, in ``solvers/bench/gap_search.py``.
"""
