"""The load generator of ``geomatch bench service`` against a live service (1 s, bounded)."""

from __future__ import annotations

import pytest

from geomatch.service.loadtest import ClientSpec, run_load
from tests.service.conftest import Live


def test_load_generator_counts_requests_and_errors(live: Live) -> None:
    good = [ClientSpec(live.tokens["gansu"], "620000"), ClientSpec(live.tokens["national"], None)]
    stats, kinds, seconds = run_load(
        live.url, good * 3, ["620000", "520000"], duration_s=1.0, think_s=0.02, warmup_s=1.5
    )
    assert seconds == 1.0 and kinds == {}
    by_name = {s.name: s for s in stats}
    assert by_name["coverage"].count > 5 and by_name["province_map"].count > 5
    assert all(s.errors == 0 and 0 < s.p50_ms <= s.p95_ms <= s.max_ms for s in stats)
    # a planner reading another province: every request is an error (403)
    bad = [ClientSpec(live.tokens["gansu"], "520000")]
    stats, kinds, _ = run_load(
        live.url, bad, ["520000"], duration_s=0.5, think_s=0.01, warmup_s=0.0
    )
    assert sum(s.errors for s in stats) == sum(s.count for s in stats) > 0
    assert set(kinds) <= {"coverage HTTP 403", "province_map HTTP 403"}


def test_load_generator_refuses_other_hosts() -> None:
    with pytest.raises(ValueError, match="loopback"):
        run_load("http://10.0.0.1:80", [], [], duration_s=1, think_s=0)
