"""Schemathesis against the live gunicorn server (the set-up is tests/support/fuzz.py)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings

from tests.support.fuzz import (
    CHECKS,
    EXAMPLES_PER_OPERATION,
    GUNICORN_REQUEST_LINE_LIMIT,
    REQUEST_TIMEOUT_S,
    fuzz_schema,
    request_line_bytes,
)
from tests.support.web import LiveServer

pytestmark = pytest.mark.live

# Built at import from the same function that serves /api/openapi.json (test_api.py checks the
# two are equal). schemathesis.pytest.from_fixture is not used: 4.32 breaks on pytest 9's nodes.
schema = fuzz_schema(EXAMPLES_PER_OPERATION)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_matches_the_openapi_document(case, live_server: LiveServer) -> None:
    response = case.call(base_url=live_server.base_url, timeout=REQUEST_TIMEOUT_S)
    if request_line_bytes(response) > GUNICORN_REQUEST_LINE_LIMIT:
        assert response.status_code == 414, response.text[:300]
        return
    case.validate_response(response, checks=CHECKS)
