"""schemathesis against the OpenAPI schema of a live service: no 500s, answers as declared.

Every operation of the service's own routers, examples drawn from the schema, sent as each
role (national office, analyst, planner) and without a token; bounded (a few examples per
operation) so the suite stays fast. Besides "no server error", each answer must match the
status codes and bodies the schema declares (timestamps with time zone, error bodies).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.conftest import Live

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    response_schema_conformance,
    status_code_conformance,
)

#: The operations of this engineer's routers (records, cycle and sweeps test their own).
OWN_PREFIXES = (
    "/api/me",
    "/api/runs",
    "/api/coverage",
    "/api/provinces",
    "/api/units",
    "/api/datasets",
    "/api/audit",
    "/maps",
    "/healthz",
)
WHO = ("national", "analyst", "gansu", None)


def _check_operation(live: Live, operation: Any) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=6,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        for who in WHO:
            headers = {"Authorization": f"Bearer {live.tokens[who]}"} if who else {}
            case.call_and_validate(
                base_url=live.url,
                headers=headers,
                checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
                timeout=20,
            )

    check()


def test_every_role_gets_declared_answers(live: Live) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(OWN_PREFIXES):
            continue
        _check_operation(live, operation)
        seen += 1
    assert seen >= 12
