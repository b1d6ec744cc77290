"""Solvers: pairing (min-cost flow and CP-SAT), the GAP, and the tours.

* :mod:`geomatch.solve.pairing` — :func:`solve_pairing`, :func:`run_pairing_scenario`,
  :func:`write_pairing_outputs`, :class:`PairingResult`;
* :mod:`geomatch.solve.gap` — the generalised assignment problem (benchmarks).
"""
