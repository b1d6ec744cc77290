"""schemathesis against the OpenAPI schema of a live service: no 500s (bounded run)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.conftest import Live

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402


def test_no_server_errors(live: Live) -> None:
    """Every operation, examples drawn from the schema, as two kinds of user; bounded."""
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            # as the national office (everything allowed) and a planner (scoped, read-only)
            for who in ("national", "gansu"):
                case.call_and_validate(
                    base_url=live.url,
                    headers={"Authorization": f"Bearer {live.tokens[who]}"},
                    checks=[not_a_server_error],
                    timeout=20,
                )

        check()
        seen += 1
    assert seen >= 10
